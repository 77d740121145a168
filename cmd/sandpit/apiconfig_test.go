package main

import (
	"strings"
	"testing"
)

func TestAPIConfigCheck(t *testing.T) {
	long := strings.Repeat("k", minKeyLength)
	for _, tc := range []struct {
		name, addr, keys string
		insecure         bool
		err              string // a part of the error; "" for none
	}{
		{"loopback without keys", "127.0.0.1:8080", "", false, ""},
		{"localhost without keys", "localhost:8080", "", false, ""},
		{"public without keys", "0.0.0.0:8080", "", false, "without API keys"},
		{"public with only commas for keys", "0.0.0.0:8080", ",, ,", false, "without API keys"},
		{"public with a key", "0.0.0.0:8080", long, false, ""},
		{"public, insecure", "0.0.0.0:8080", "", true, ""},
		{"a short key", "127.0.0.1:8080", long + ",short", false, "key 2 is 5 characters long"},
		{"a bad address", "nowhere", "", false, "--addr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := apiConfig{addr: tc.addr, keys: tc.keys, insecure: tc.insecure}
			err := c.check()
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("check() = %v, want %q", err, tc.err)
			}
		})
	}
}
