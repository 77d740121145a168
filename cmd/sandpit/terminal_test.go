package main

import (
	"strings"
	"testing"
)

func TestEscapeControls(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain text", "hello, wörld ✓\n\ttab\n", "hello, wörld ✓\n\ttab\n"},
		{"colour", "\x1b[31mred\x1b[0m\n", `\x1b[31mred\x1b[0m` + "\n"},
		{"window title", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"carriage return alone", "100%\rdone", `100%\x0ddone`},
		{"carriage return before a newline", "line\r\n", "line\r\n"},
		{"C1 control", "\u009b31m", `\x9b31m`},
		{"bidirectional override", "abc\u202edef", `abc\u202edef`},
		{"not UTF-8", "a\xffb", `a\xffb`},
		{"delete", "a\x7fb", `a\x7fb`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := escapeControls(tc.in); got != tc.want {
				t.Errorf("escapeControls(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// Output comes in pieces as a job writes it: a piece that ends inside a
// character or between a carriage return and its newline is escaped as if
// it had come whole.
func TestEscaperAcrossWrites(t *testing.T) {
	tests := []struct {
		name   string
		pieces []string
		want   string
	}{
		{"a character split", []string{"w\xc3", "\xb6rld\n"}, "wörld\n"},
		{"a four-byte character split thrice", []string{"\xf0\x9f", "\x98", "\x80!"}, "😀!"},
		{"a carriage return before a newline", []string{"line\r", "\nnext\r", "\n"}, "line\r\nnext\r\n"},
		{"a carriage return alone at the end", []string{"100%\r"}, `100%\x0d`},
		{"a sequence split", []string{"\x1b", "[31mred"}, `\x1b[31mred`},
		{"not UTF-8 at the end", []string{"a\xff"}, `a\xff`},
		{"a character cut short for good", []string{"a\xe2\x9c"}, `a\xe2\x9c`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			e := &escaper{w: &b}
			for _, p := range tc.pieces {
				if n, err := e.Write([]byte(p)); n != len(p) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", p, n, err)
				}
			}
			e.Flush()
			if b.String() != tc.want {
				t.Errorf("pieces %q gave %q, want %q", tc.pieces, b.String(), tc.want)
			}
		})
	}
}
