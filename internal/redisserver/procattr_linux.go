package redisserver

import "syscall"

// procAttr puts redis-server in a process group of its own, and has the
// kernel kill it should sandpit die without stopping it.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
