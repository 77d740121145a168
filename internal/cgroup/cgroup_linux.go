package cgroup

import "os"

// Own returns the limits of the calling process's cgroup.
func Own() (Limits, error) { return Read(os.DirFS("/")) }

// OwnMemory returns how many bytes of memory the calling process may use:
// its cgroup's limit, or the machine's total memory.
func OwnMemory() (int64, error) {
	lim, err := Own()
	if err != nil {
		return 0, err
	}
	return Memory(os.DirFS("/"), lim)
}
