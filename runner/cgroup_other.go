//go:build !linux

package runner

import "errors"

// newMemoryCgroup fails outside Linux, which alone has cgroups.
func newMemoryCgroup(prefix string, limit int64, pgid int) (*memoryCgroup, error) {
	return nil, errors.New("memory cgroups need Linux")
}

// remove has nothing to remove outside Linux.
func (cg *memoryCgroup) remove() {}
