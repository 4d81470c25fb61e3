package rdb

import "hash/crc64"

// jonesPoly is the bit-reflected form of the "Jones" polynomial
// 0xad93d23594c935a9 that Redis uses for RDB and DUMP checksums.
const jonesPoly = 0x95ac9329ac4bc9b5

var jonesTable = crc64.MakeTable(jonesPoly)

// CRC64 extends crc with p using Redis's CRC-64/Jones (reflected, initial
// value 0, no final xor). CRC64(0, data) is the checksum of data, and calls
// chain: CRC64(CRC64(0, a), b) == CRC64(0, a+b).
//
// hash/crc64 inverts the register before and after each update (the
// ECMA/ISO convention); undoing both inversions yields Redis's variant while
// keeping the standard library's fast slicing-by-8 implementation.
func CRC64(crc uint64, p []byte) uint64 {
	return ^crc64.Update(^crc, jonesTable, p)
}
