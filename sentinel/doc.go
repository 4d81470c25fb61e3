// Package sentinel is warden's Redis Sentinel: it monitors Redis-compatible
// masters and their replicas (warden nodes or real redis-servers), agrees
// with the other sentinels watching them that a master is down, elects a
// leader among them and fails over to the best replica, and tells clients
// where the master is. It speaks redis-sentinel 7.0's protocol, so real
// sentinels, real nodes and unmodified clients (go-redis, Lettuce,
// redis-py, ioredis) work with it.
//
// The package is the shell around the decision logic in sentinel/core,
// which does no I/O and reads no clock: the shell owns the clock and the
// timer (Tick at 10–19 Hz), the connections to the nodes and the peer
// sentinels, the scripts, the event publication, sentinel.conf (loaded at
// start, rewritten atomically whenever the core marks its state changed)
// and the client port. Every call into the core is serialised by one
// mutex.
//
// The client port is a backend.Server in sentinel mode, just as Redis's
// sentinel is redis-server started in sentinel mode: the same connection
// layer gives HELLO, AUTH, CLIENT, COMMAND, INFO, pub/sub with RESP3 push
// frames and SHUTDOWN exactly as the node serves them, with a command
// table reduced to what a 7.0 sentinel has, to which this package adds
// SENTINEL, the sentinel's PUBLISH (hellos only) and ROLE, and the
// "Sentinel" INFO section. This makes package sentinel depend on package
// backend (never the reverse).
//
// The same Sentinel runs as the `warden sentinel` process and embedded in
// another one (the proxy, `warden up`): New loads the config, Start opens
// the port and the links, Subscribe delivers typed events (+switch-master,
// +sdown, ...), MasterAddr answers where a master is, Masters gives a
// snapshot of what the sentinel knows, and Close stops it.
//
// Watcher is the other way to follow a master: it watches external
// sentinels (real or warden) and believes a new master only when a strict
// majority of the configured sentinels name it and the node itself
// reports role master, so a restarted old master that boots as master, or
// one rejoining sentinel republishing a stale +switch-master, is never
// trusted. Its decisions (watcher_state.go) are pure and driven by a clock
// in tests; watcher.go is the I/O around them.
package sentinel
