package sandpit

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

func TestErrorIsMatchesByCode(t *testing.T) {
	// An error decoded from an API answer is a fresh *Error, never the
	// sentinel itself.
	var decoded Error
	if err := json.Unmarshal([]byte(`{"code": "not_found", "message": "no such session"}`), &decoded); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"the sentinel itself", ErrNotFound, ErrNotFound, true},
		{"decoded, other message", &decoded, ErrNotFound, true},
		{"wrapped", fmt.Errorf("get job: %w", Errorf(ENOTFOUND, "job x not found")), ErrNotFound, true},
		{"another code", Errorf(ECONFLICT, "job not found"), ErrNotFound, false},
		{"a code given as a target", Errorf(ERATELIMITED, "slow down"), &Error{Code: ERATELIMITED}, true},
		{"not an *Error", errors.New("not_found: job not found"), ErrNotFound, false},
		{"a nil *Error target", Errorf(ENOTFOUND, "x"), (*Error)(nil), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := errors.Is(tc.err, tc.target); got != tc.want {
				t.Errorf("errors.Is(%v, %v) = %v, want %v", tc.err, tc.target, got, tc.want)
			}
		})
	}
}
