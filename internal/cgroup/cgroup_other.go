//go:build !linux

package cgroup

// Own returns no limits: control groups are Linux's.
func Own() (Limits, error) { return Limits{}, nil }

// OwnMemory returns 0, unknown: sandpit reads the machine's memory on
// Linux only.
func OwnMemory() (int64, error) { return 0, nil }
