//go:build !linux

package runner

import "syscall"

// switchesUser says that a root process can start Chromium as another,
// unprivileged, user here: not outside Linux, where sandpit runs Chromium
// as the user it runs as.
const switchesUser = false

// netnsWorks reports whether Chromium can have an empty network namespace
// here: never outside Linux.
func netnsWorks(id identity) (string, bool) { return "", false }

// credentials are the process attributes Chromium starts with: none outside
// Linux.
func credentials(id identity) *syscall.SysProcAttr { return nil }
