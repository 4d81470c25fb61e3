package backend

import (
	"strconv"
	"strings"
)

// Keyspace notification classes (notify-keyspace-events letters).
const (
	notifyKeyspace = 1 << iota // K
	notifyKeyevent             // E
	notifyGeneric              // g
	notifyString               // $
	notifyList                 // l
	notifySet                  // s
	notifyHash                 // h
	notifyZset                 // z
	notifyExpired              // x
	notifyEvicted              // e
	notifyStream               // t
	notifyKeyMiss              // m
	notifyModule               // d
	notifyNew                  // n
)

// notifyAll is what 'A' stands for: every class except key-miss and new.
const notifyAll = notifyGeneric | notifyString | notifyList | notifySet | notifyHash |
	notifyZset | notifyExpired | notifyEvicted | notifyStream | notifyModule

// ParseNotifyFlags parses a notify-keyspace-events value. ok is false for an
// unknown letter.
func ParseNotifyFlags(s string) (flags int, ok bool) {
	for _, ch := range s {
		switch ch {
		case 'A':
			flags |= notifyAll
		case 'g':
			flags |= notifyGeneric
		case '$':
			flags |= notifyString
		case 'l':
			flags |= notifyList
		case 's':
			flags |= notifySet
		case 'h':
			flags |= notifyHash
		case 'z':
			flags |= notifyZset
		case 'x':
			flags |= notifyExpired
		case 'e':
			flags |= notifyEvicted
		case 'K':
			flags |= notifyKeyspace
		case 'E':
			flags |= notifyKeyevent
		case 't':
			flags |= notifyStream
		case 'm':
			flags |= notifyKeyMiss
		case 'd':
			flags |= notifyModule
		case 'n':
			flags |= notifyNew
		default:
			return 0, false
		}
	}
	return flags, true
}

// FormatNotifyFlags renders flags as CONFIG GET shows them.
func FormatNotifyFlags(flags int) string {
	var b strings.Builder
	if flags&notifyAll == notifyAll {
		b.WriteByte('A')
	} else {
		for _, f := range []struct {
			bit int
			ch  byte
		}{
			{notifyGeneric, 'g'}, {notifyString, '$'}, {notifyList, 'l'}, {notifySet, 's'},
			{notifyHash, 'h'}, {notifyZset, 'z'}, {notifyExpired, 'x'}, {notifyEvicted, 'e'},
			{notifyStream, 't'}, {notifyModule, 'd'},
		} {
			if flags&f.bit != 0 {
				b.WriteByte(f.ch)
			}
		}
	}
	if flags&notifyKeyspace != 0 {
		b.WriteByte('K')
	}
	if flags&notifyKeyevent != 0 {
		b.WriteByte('E')
	}
	if flags&notifyKeyMiss != 0 {
		b.WriteByte('m')
	}
	if flags&notifyNew != 0 {
		b.WriteByte('n')
	}
	return b.String()
}

// notifyFlags returns the parsed notify-keyspace-events, re-parsing only
// when the option string changed (CONFIG SET).
func (s *Server) notifyFlags() int {
	if s.notifyCache.src != s.opts.NotifyKeyspace || !s.notifyCache.valid {
		f, _ := ParseNotifyFlags(s.opts.NotifyKeyspace)
		s.notifyCache.src, s.notifyCache.flags, s.notifyCache.valid = s.opts.NotifyKeyspace, f, true
	}
	return s.notifyCache.flags
}

type notifyCache struct {
	src   string
	flags int
	valid bool
}

// notify publishes a keyspace event to __keyspace@<db>__:<key> and/or
// __keyevent@<db>__:<event>, as notify-keyspace-events asks.
func (s *Server) notify(class int, event, key string, db int) {
	flags := s.notifyFlags()
	if flags&class == 0 || flags&(notifyKeyspace|notifyKeyevent) == 0 {
		return
	}
	dbs := strconv.Itoa(db)
	if flags&notifyKeyspace != 0 {
		s.Publish([]byte("__keyspace@"+dbs+"__:"+key), []byte(event))
	}
	if flags&notifyKeyevent != 0 {
		s.Publish([]byte("__keyevent@"+dbs+"__:"+event), []byte(key))
	}
}
