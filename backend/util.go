package backend

import (
	"crypto/rand"
	"encoding/hex"
	"math"
)

var (
	posInf = math.Inf(1)
	negInf = math.Inf(-1)
)

// randomHex returns n random hex characters (run ids, replication ids).
func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}
