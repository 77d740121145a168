//go:build !unix

package runner

import "io/fs"

// openNoFollow is 0 where the OS has no such flag; the file's mode is still
// checked after it is opened.
const openNoFollow = 0

// fileOwner reports no owner where the OS gives none in a fs.FileInfo.
func fileOwner(fs.FileInfo) (int, bool) { return 0, false }
