package redisserver

import "syscall"

// procAttr puts redis-server in a process group of its own and has it
// killed when its parent dies, so that no server outlives a crashed test.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
