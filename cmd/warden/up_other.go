//go:build !linux

package main

import "syscall"

// upSysProcAttr puts a child of `warden up` in its own process group.
// Without Linux's parent-death signal, a `warden up` killed with SIGKILL
// leaves its children running; SIGTERM and Ctrl-C stop them.
func upSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
