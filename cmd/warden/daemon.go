package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// daemonEnv marks the re-executed child of `daemonize yes`.
const daemonEnv = "WARDEN_DAEMONIZED"

// daemonize implements `daemonize yes` the way Go can: it starts the same
// command again detached from the terminal (new session, stdio on
// /dev/null) and reports whether this process is the parent, which should
// then exit. Redis forks instead; the observable result is the same: the
// command returns at once and the server keeps running in the background.
func daemonize() (parent bool, err error) {
	if os.Getenv(daemonEnv) == "1" {
		return false, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return false, fmt.Errorf("daemonize: %w", err)
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return false, fmt.Errorf("daemonize: %w", err)
	}
	defer devnull.Close()
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), daemonEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, devnull
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return false, fmt.Errorf("daemonize: %w", err)
	}
	return true, cmd.Process.Release()
}

// writePidFile writes the pid file, as Redis does when pidfile is set or
// the server is daemonized (then defaulting to /var/run/redis_<port>.pid).
// The returned function removes it at exit.
func writePidFile(path string, daemonized bool, port int) (func(), error) {
	if path == "" && daemonized {
		path = "/var/run/redis_" + strconv.Itoa(port) + ".pid"
	}
	if path == "" {
		return func() {}, nil
	}
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return func() {}, fmt.Errorf("write pid file %s: %w", path, err)
	}
	return func() { _ = os.Remove(path) }, nil
}
