//go:build !linux

package bench

import "syscall"

// childAttr puts a child in its own process group, so a Ctrl-C on the
// terminal reaches only the harness, which stops its children itself.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
