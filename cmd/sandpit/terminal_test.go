package main

import "testing"

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
