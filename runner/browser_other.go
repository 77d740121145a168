//go:build !linux

package runner

import (
	"errors"
	"syscall"
)

// switchesUser says that a root process can start Chromium as another,
// unprivileged, user here: not outside Linux, where sandpit runs Chromium
// as the user it runs as.
const switchesUser = false

// netnsWorks says why Chromium cannot have an empty network namespace
// here: namespaces are Linux's.
func netnsWorks(id identity) (string, error) {
	return "", errors.New("network namespaces need Linux")
}

// sandboxed says why Chromium's sandbox cannot be checked here.
func sandboxed(pgid int) error {
	return errors.New("sandpit checks Chromium's sandbox on Linux only")
}

// credentials are the process attributes Chromium starts with: none outside
// Linux.
func credentials(id identity) *syscall.SysProcAttr { return nil }
