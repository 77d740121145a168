package main

import (
	"cmp"
	"strings"
	"testing"

	"github.com/sandpit-dev/sandpit/mcpserver"
)

func TestAPIConfigCheck(t *testing.T) {
	long := strings.Repeat("k", minKeyLength)
	for _, tc := range []struct {
		name, addr, keys string
		insecure         bool
		mcpText          int    // default: mcpserver's
		err              string // a part of the error; "" for none
	}{
		{"loopback without keys", "127.0.0.1:8080", "", false, 0, ""},
		{"localhost without keys", "localhost:8080", "", false, 0, ""},
		{"public without keys", "0.0.0.0:8080", "", false, 0, "without API keys"},
		{"public with only commas for keys", "0.0.0.0:8080", ",, ,", false, 0, "without API keys"},
		{"public with a key", "0.0.0.0:8080", long, false, 0, ""},
		{"public, insecure", "0.0.0.0:8080", "", true, 0, ""},
		{"a short key", "127.0.0.1:8080", long + ",short", false, 0, "key 2 is 5 characters long"},
		{"a bad address", "nowhere", "", false, 0, "--addr"},
		{"an MCP result cap too small", "127.0.0.1:8080", "", false, 100, "--mcp-max-text: 100 is too few"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := apiConfig{addr: tc.addr, keys: tc.keys, insecure: tc.insecure, mcpText: cmp.Or(tc.mcpText, mcpserver.DefaultMaxText)}
			err := c.check()
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("check() = %v, want %q", err, tc.err)
			}
		})
	}
}
