package backend

import (
	"bytes"
	"io"
	"testing"
)

func BenchmarkWalkTmp(b *testing.B) {
	s, _ := startTestServer(b, nil)
	fillMixed(s, 20000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Lock()
		s.acquireChild(childRDB)
		sn := s.beginSnapshot()
		s.Unlock()
		var chunk bytes.Buffer
		sink, _ := newRDBSink(&chunk, s.encoderOptions(), nil)
		if err := sn.walk(sink, &chunk, io.Discard); err != nil {
			b.Fatal(err)
		}
		s.Lock()
		sn.finish()
		s.releaseChild()
		s.Unlock()
	}
}
