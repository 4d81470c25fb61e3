package backend

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"math"
	"strconv"
)

// DEBUG DIGEST and DIGEST-VALUE: a fingerprint of the dataset that is equal
// on two nodes holding the same data, whatever order their keys, set members
// or hash fields happen to be stored in, so a master and its replica (or a
// node before and after a restart) can be compared with one command.
//
// The construction is warden's own and does not reproduce the bytes of
// Redis's DEBUG DIGEST (which depends on Redis's internal encodings in
// places); only warden nodes can be compared with each other. Like Redis,
// an empty dataset digests to forty zeros, and the combination across keys
// and across the members of unordered collections is an XOR of SHA-1
// hashes, which does not depend on order.

type digest [sha1.Size]byte

func (d *digest) xor(o digest) {
	for i := range d {
		d[i] ^= o[i]
	}
}

func digestHex(d digest) string { return hex.EncodeToString(d[:]) }

// writeField writes b length-prefixed, so that field boundaries are part of
// what is hashed ("ab","c" and "a","bc" differ).
func writeField(h hash.Hash, b []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	h.Write(n[:])
	h.Write(b)
}

func sumFields(fields ...[]byte) digest {
	h := sha1.New()
	for _, f := range fields {
		writeField(h, f)
	}
	var d digest
	h.Sum(d[:0])
	return d
}

// canonicalScore renders a score so that equal scores give equal bytes
// (-0 and 0 are the same score, as in ZSCORE).
func canonicalScore(f float64) []byte {
	if f == 0 {
		f = 0
	}
	if math.IsInf(f, 1) {
		return []byte("inf")
	}
	if math.IsInf(f, -1) {
		return []byte("-inf")
	}
	return strconv.AppendFloat(nil, f, 'g', 17, 64)
}

// valueDigest fingerprints one value: its type, its expiry and its
// content. Lists are hashed in order; sets, hashes and sorted sets as the
// XOR of their elements' hashes.
func valueDigest(e *Entry) digest {
	h := sha1.New()
	writeField(h, []byte(e.TypeName()))
	var exp [8]byte
	binary.BigEndian.PutUint64(exp[:], uint64(e.expireAt))
	h.Write(exp[:])
	var acc digest
	n := 0
	switch o := e.obj.(type) {
	case nil:
		writeField(h, e.str)
	case *List:
		o.Each(func(v []byte) bool {
			writeField(h, v)
			n++
			return true
		})
	case *Set:
		o.Each(func(m []byte) bool {
			acc.xor(sumFields(m))
			n++
			return true
		})
	case *Hash:
		o.Each(func(f, v []byte) bool {
			acc.xor(sumFields(f, v))
			n++
			return true
		})
	case *ZSet:
		o.Each(func(m []byte, score float64) bool {
			acc.xor(sumFields(m, canonicalScore(score)))
			n++
			return true
		})
	default:
		// A type without an element walker is represented by its size
		// only; types added later should get a case above.
		n = o.Len()
	}
	var cnt [8]byte
	binary.BigEndian.PutUint64(cnt[:], uint64(n))
	h.Write(cnt[:])
	h.Write(acc[:])
	var d digest
	h.Sum(d[:0])
	return d
}

// keyDigest is DEBUG DIGEST-VALUE's answer for key: the value digest, or
// zeros when the key does not exist.
func keyDigest(e *Entry) digest {
	if e == nil {
		return digest{}
	}
	return valueDigest(e)
}

// datasetDigest XORs, over every key of every database (logically expired
// keys included, as Redis does), the hash of the database number, the key
// name and the value digest.
func (s *Server) datasetDigest() digest {
	var final digest
	var id [4]byte
	for _, db := range s.dbs {
		binary.BigEndian.PutUint32(id[:], uint32(db.id))
		db.d.each(func(k string, e *Entry) bool {
			vd := valueDigest(e)
			final.xor(sumFields(id[:], []byte(k), vd[:]))
			return true
		})
	}
	return final
}

func (s *Server) datasetDigestHex() string { return digestHex(s.datasetDigest()) }
