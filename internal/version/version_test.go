package version

import (
	"runtime/debug"
	"testing"
)

func TestFind(t *testing.T) {
	tests := []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"the program, tagged", debug.BuildInfo{Main: debug.Module{Path: Module, Version: "v1.2.0"}}, "v1.2.0"},
		{"the program, a work tree with VCS data", debug.BuildInfo{Main: debug.Module{Path: Module, Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}},
			"devel-0123456789ab-dirty"},
		{"the program, no VCS data", debug.BuildInfo{Main: debug.Module{Path: Module, Version: "(devel)"}}, "devel"},
		{"a dependency", debug.BuildInfo{Main: debug.Module{Path: "example.com/app", Version: "v0.1.0"},
			Deps: []*debug.Module{{Path: "golang.org/x/term", Version: "v0.46.0"}, {Path: Module, Version: "v1.3.1"}}}, "v1.3.1"},
		{"a replaced dependency", debug.BuildInfo{Main: debug.Module{Path: "example.com/app"},
			Deps: []*debug.Module{{Path: Module, Version: "v1.3.1", Replace: &debug.Module{Path: "example.com/fork", Version: "v1.3.2"}}}}, "v1.3.2"},
		{"not there", debug.BuildInfo{Main: debug.Module{Path: "example.com/app", Version: "v0.1.0"}}, "devel"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := find(&tc.bi); got != tc.want {
				t.Errorf("find = %q, want %q", got, tc.want)
			}
		})
	}
}
