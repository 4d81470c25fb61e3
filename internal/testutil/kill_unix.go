//go:build unix

package testutil

import "syscall"

// killGroup signals every process in the group led by pid. Errors (the
// group is already gone) are of no interest to a test cleaning up.
func killGroup(pid int, sig syscall.Signal) {
	syscall.Kill(-pid, sig)
}
