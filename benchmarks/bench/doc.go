// Package bench is the harness behind `warden bench`: a RESP load generator
// (Run), a side-by-side comparison of redis-server direct, a warden proxy
// in front of it and HAProxy in front of it (Compare), and a failover
// scenario that writes numbered keys through a write port while the master
// is killed or paused, then checks what survived (Failover).
//
// The generator speaks RESP over plain net.Conn with internal/resp: one
// goroutine and one connection per client, one write per pipelined batch,
// and one HDR histogram per client (merged at the end), so clients never
// contend on a lock while they measure. Latency is taken per command: from
// the write of its batch to the read that brought its reply in.
//
// Compare and Failover start their own processes (redis-server,
// redis-sentinel, haproxy and the warden binary itself, for `warden proxy`,
// `warden server` and `warden sentinel`) on free loopback ports, and stop
// them all before they return. They are benchmarks: `go test` never times
// them, and slow figures are results, not failures.
package bench
