//go:build !linux

package redisserver

import "syscall"

// procAttr gives redis-server no attributes of its own where the kernel
// cannot kill it with its parent; Close stops it.
func procAttr() *syscall.SysProcAttr { return nil }
