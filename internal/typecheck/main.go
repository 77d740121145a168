// Command typecheck type-checks every package of the module (not its
// tests) for the operating systems it is given (GOOS values), from source:
// it refuses what `GOOS=... go build ./...` would refuse for the Go code
// (a call to what only a _linux.go file defines, a stub that drifted from
// its Linux twin, an unused import) without compiling the standard library
// and every dependency once more for each system.
//
//	go run ./internal/typecheck darwin windows
package main

import (
	"fmt"
	"os"

	"golang.org/x/tools/go/packages"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: typecheck GOOS...")
		os.Exit(2)
	}
	failed := false
	for _, goos := range os.Args[1:] {
		cfg := &packages.Config{
			Mode: packages.LoadAllSyntax,
			Env:  append(os.Environ(), "GOOS="+goos, "CGO_ENABLED=0"),
		}
		pkgs, err := packages.Load(cfg, "./...")
		if err != nil {
			fmt.Fprintf(os.Stderr, "GOOS=%s: %v\n", goos, err)
			os.Exit(1)
		}
		if packages.PrintErrors(pkgs) > 0 {
			fmt.Fprintf(os.Stderr, "GOOS=%s: the module does not type-check\n", goos)
			failed = true
			continue
		}
		fmt.Printf("GOOS=%s: %d packages type-check\n", goos, len(pkgs))
	}
	if failed {
		os.Exit(1)
	}
}
