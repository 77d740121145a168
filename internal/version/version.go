// Package version tells which sandpit this is, for the server's
// GET /v1/info, the CLI's --version and the Go client's User-Agent.
package version

import (
	"runtime/debug"
	"sync"
)

// Module is sandpit's module path.
const Module = "github.com/sandpit-dev/sandpit"

// version is set at link time by a release build:
//
//	go build -ldflags "-X github.com/sandpit-dev/sandpit/internal/version.version=v1.2.0" ./cmd/sandpit
var version string

var fromBuild = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	return find(bi)
})

// String returns sandpit's version: the one set by -ldflags, else the
// module's version in the build information (a tag, a pseudo-version of
// the commit, or "(devel)" for a build of a work tree without VCS data),
// else "devel".
func String() string {
	if version != "" {
		return version
	}
	return fromBuild()
}

// find reads sandpit's version from bi: the main module's when sandpit is
// the program, the dependency's when a program uses sandpit's packages.
func find(bi *debug.BuildInfo) string {
	mod := &bi.Main
	if mod.Path != Module {
		mod = nil
		for _, d := range bi.Deps {
			if d.Path == Module {
				mod = d
				if d.Replace != nil && d.Replace.Version != "" {
					mod = d.Replace
				}
				break
			}
		}
	}
	if mod == nil || mod.Version == "" {
		return "devel"
	}
	v := mod.Version
	if v == "(devel)" {
		// A build of a work tree: name the commit when the build knows it.
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v = "devel-" + s.Value[:12]
			}
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.modified" && s.Value == "true" && v != "(devel)" {
				v += "-dirty"
			}
		}
		if v == "(devel)" {
			return "devel"
		}
	}
	return v
}
