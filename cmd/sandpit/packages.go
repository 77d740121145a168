package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/sandpit-dev/sandpit/internal/pkgrelease"
	"github.com/sandpit-dev/sandpit/page"
)

// runPackages makes a package repository for --packages-dir from a Pyodide
// release archive, as `make packages` and the image's packages stage do.
func runPackages(ctx context.Context, args []string, std stdio) error {
	f := newFlags("packages", "packages --archive pyodide-VERSION.tar.bz2 --out DIR", std.err)
	var archive, out string
	f.StringVar(&archive, "archive", "", "the full Pyodide release archive, pyodide-VERSION.tar.bz2 of the version pinned by page/package-lock.json")
	f.StringVar(&out, "out", "", "directory to make the package repository in; replaced if it holds one")
	if err := f.parseNoArgs(args); err != nil {
		return err
	}
	if archive == "" || out == "" {
		return errors.New("--archive and --out are required")
	}
	sum, err := pkgrelease.Unpack(archive, out, page.LockInfo())
	if err != nil {
		return fmt.Errorf("package repository: %w", err)
	}
	if _, err := page.New(page.Options{PackagesDir: out}); err != nil {
		return fmt.Errorf("package repository: %w", err)
	}
	fmt.Fprintf(std.out, "%s: %d packages, %.1f MB; use it with --packages-dir %s\n", out, sum.Packages, float64(sum.Bytes)/1e6, out)
	return nil
}
