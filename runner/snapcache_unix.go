//go:build unix

package runner

import (
	"io/fs"
	"syscall"
)

// openNoFollow makes opening a symbolic link fail.
const openNoFollow = syscall.O_NOFOLLOW

// fileOwner returns the uid that owns fi.
func fileOwner(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
