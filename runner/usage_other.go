//go:build !linux

package runner

import "errors"

// Usage reads the resources used now by the browser's processes: from
// /proc, which only Linux has.
func (r *Runner) Usage() (Usage, error) {
	return Usage{}, errors.New("resource usage is read from /proc, on Linux only")
}
