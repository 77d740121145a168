//go:build !linux

package redisserver

import "syscall"

// procAttr is nothing outside Linux, which alone kills a child when its
// parent dies; Close stops the server.
func procAttr() *syscall.SysProcAttr { return nil }
