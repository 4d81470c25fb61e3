// Package testutil holds helpers for end-to-end tests that start real
// processes (Debian's redis-server, redis-sentinel and haproxy, and warden's
// own binary) and talk to them over raw RESP.
//
// Everything binds 127.0.0.1 on ports the kernel hands out, so tests run in
// parallel with each other and with whatever else uses the machine; every
// process and connection is cleaned up through t.Cleanup, with bounded waits,
// so a failing or hanging test cannot leave processes behind. Waiting is done
// by polling with a deadline (WaitFor), never by fixed sleeps.
//
// The RESP client here (RawConn) is deliberately independent of
// internal/resp: it is the oracle that checks warden's wire output, so it
// must not share warden's bugs. It returns replies as raw bytes, framed
// exactly, so differential tests (RunScript) compare byte for byte.
package testutil
