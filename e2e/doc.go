// Package e2e holds end-to-end tests of the real warden binary: it is built
// once per test run (testutil.BuildWarden), started on free loopback ports
// and driven by go-redis and by Debian's redis-cli and redis-benchmark, the
// way users drive a Redis server. Tests that need a Redis tool skip, naming
// the package to install, when it is missing.
package e2e
