package cgroup

import "os"

// Own returns the limits of the calling process's cgroup.
func Own() (Limits, error) { return Read(os.DirFS("/")) }
