package testutil

import "syscall"

// sysProcAttr puts the child in its own process group, so Stop and Kill
// reach everything it forks, and asks the kernel to SIGKILL it if the test
// binary dies without running cleanups (a -timeout panic, a crash).
//
// Pdeathsig fires when the thread that forked the child exits, not the
// process; the Go runtime only retires threads whose goroutine exits while
// locked with runtime.LockOSThread, which tests starting processes must
// therefore not do.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
