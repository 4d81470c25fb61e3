// Package ds holds the in-memory data structures behind warden's collection
// types: a rank-aware sorted set ([ZSet]) for the Z* commands, a ring-buffer
// [Deque] for the L* commands, and Redis-compatible glob matching ([Match])
// for KEYS, SCAN MATCH, PSUBSCRIBE and friends.
//
// Everything here is pure computation: no I/O, no locking, no global mutable
// state beyond a seed counter. Callers (the command layer) own concurrency
// control and argument parsing; the helpers in this package that parse
// arguments (ParseScoreBound, ParseLexBound, NormalizeRange) exist because
// their exact Redis quirks are easy to get subtly wrong and belong next to the
// structures whose semantics they describe.
//
// Values are treated as immutable once handed to a structure: [Deque] stores
// the []byte it is given and Clone copies only slice headers, so the command
// layer must copy bytes out of network buffers before inserting them.
package ds
