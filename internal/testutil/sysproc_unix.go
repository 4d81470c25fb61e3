//go:build unix && !linux

package testutil

import "syscall"

// sysProcAttr puts the child in its own process group, so Stop and Kill
// reach everything it forks.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
