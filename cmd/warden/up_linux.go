package main

import "syscall"

// upSysProcAttr puts a child of `warden up` in its own process group and
// has the kernel SIGKILL it if `warden up` dies without stopping it (kill
// -9, a crash): the stack never outlives the command that started it.
//
// Pdeathsig fires when the thread that started the child exits, not the
// process. The Go runtime retires a thread only when a goroutine locked to
// it (runtime.LockOSThread) exits, which warden up never does.
func upSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
