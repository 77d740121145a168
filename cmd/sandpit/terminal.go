package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/term"
)

// isTerminal reports whether the stream s is a terminal.
func isTerminal(s any) bool {
	f, ok := s.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// terminalSafe returns w, or, when w is a terminal, a writer that escapes
// what could drive it: a job's output is untrusted, and escape sequences
// can retitle a window, rewrite what was printed before, or, in some
// terminals, answer back as typed input. Call flushOutput when the output
// ends.
func terminalSafe(w io.Writer) io.Writer {
	if !isTerminal(w) {
		return w
	}
	return &escaper{w: w}
}

// flushOutput writes what a writer of terminalSafe holds back.
func flushOutput(w io.Writer) error {
	if e, ok := w.(*escaper); ok {
		return e.Flush()
	}
	return nil
}

// escaper writes text with its control characters escaped. Output comes in
// pieces as the job writes it, and a piece may end inside a character, or
// with a carriage return whose newline comes in the next: those last bytes
// wait for the next write (or Flush), so that they are escaped as a whole.
type escaper struct {
	w    io.Writer
	held []byte
}

func (e *escaper) Write(p []byte) (int, error) {
	s := append(e.held, p...)
	cut := len(s)
	// An incomplete UTF-8 sequence at the end: at most 3 bytes.
	for i := len(s) - 1; i >= 0 && i >= len(s)-3; i-- {
		if utf8.RuneStart(s[i]) {
			if !utf8.FullRune(s[i:]) {
				cut = i
			}
			break
		}
	}
	if cut > 0 && s[cut-1] == '\r' {
		cut--
	}
	e.held = append([]byte(nil), s[cut:]...)
	if _, err := io.WriteString(e.w, escapeControls(string(s[:cut]))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes, escaped, what the last write held back.
func (e *escaper) Flush() error {
	s := e.held
	e.held = nil
	if len(s) == 0 {
		return nil
	}
	_, err := io.WriteString(e.w, escapeControls(string(s)))
	return err
}

// escapeControls returns s with every control character but newline and
// tab (and a carriage return before a newline), every bidirectional
// formatting character, and every byte that is not UTF-8 written as a Go
// escape: "\x1b[31m" becomes `\x1b[31m`.
func escapeControls(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n' || r == '\t' || r == '\r' && strings.HasPrefix(s[i+1:], "\n"):
			b.WriteRune(r)
		case r < 0x100 && unicode.IsControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.Is(unicode.Bidi_Control, r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
