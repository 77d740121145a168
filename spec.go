package sandpit

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits bound what a spec may ask for. The zero value of a field means its
// default (see DefaultLimits).
type Limits struct {
	MaxSpecBytes    int           // size of the whole JSON spec
	MaxCodeBytes    int           // size of code
	DefaultTimeout  time.Duration // timeout of a spec that gives none
	MaxTimeout      time.Duration // largest timeout_ms accepted
	MaxFiles        int           // input files per spec, and output files per job
	MaxFileBytes    int           // total decoded bytes of a spec's input files, and of a job's output files
	MaxOutputBytes  int           // bytes kept of stdout and of stderr each
	MaxStdinBytes   int           // size of stdin
	MaxPathBytes    int           // length of one file path
	DefaultMemoryMB int           // memory cap of a spec that gives none
	MaxMemoryMB     int           // largest memory_mb accepted
}

// MinMemoryMB is the smallest memory_mb accepted: a fresh interpreter
// already holds about 35 MB.
const MinMemoryMB = 64

// DefaultLimits are the limits of a server that sets none.
var DefaultLimits = Limits{
	MaxSpecBytes:    16 << 20,
	MaxCodeBytes:    1 << 20,
	DefaultTimeout:  10 * time.Second,
	MaxTimeout:      5 * time.Minute,
	MaxFiles:        100,
	MaxFileBytes:    10 << 20,
	MaxOutputBytes:  1 << 20,
	MaxStdinBytes:   1 << 20,
	MaxPathBytes:    255,
	DefaultMemoryMB: 512,
	MaxMemoryMB:     2048,
}

// WithDefaults returns l with every zero field set from DefaultLimits.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits
	set := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&l.MaxSpecBytes, d.MaxSpecBytes)
	set(&l.MaxCodeBytes, d.MaxCodeBytes)
	set(&l.MaxFiles, d.MaxFiles)
	set(&l.MaxFileBytes, d.MaxFileBytes)
	set(&l.MaxOutputBytes, d.MaxOutputBytes)
	set(&l.MaxStdinBytes, d.MaxStdinBytes)
	set(&l.MaxPathBytes, d.MaxPathBytes)
	set(&l.MaxMemoryMB, d.MaxMemoryMB)
	set(&l.DefaultMemoryMB, d.DefaultMemoryMB)
	l.DefaultMemoryMB = min(l.DefaultMemoryMB, l.MaxMemoryMB)
	if l.DefaultTimeout <= 0 {
		l.DefaultTimeout = d.DefaultTimeout
	}
	if l.MaxTimeout <= 0 {
		l.MaxTimeout = d.MaxTimeout
	}
	if l.DefaultTimeout > l.MaxTimeout {
		l.DefaultTimeout = l.MaxTimeout
	}
	return l
}

// Timeout returns the spec's timeout, or the default when it gives none.
func (l Limits) Timeout(s Spec) time.Duration {
	if s.TimeoutMS == 0 {
		return l.WithDefaults().DefaultTimeout
	}
	return time.Duration(s.TimeoutMS) * time.Millisecond
}

// MemoryMB returns the spec's memory cap in MiB, or the default when it
// gives none.
func (l Limits) MemoryMB(s Spec) int {
	if s.MemoryMB == 0 {
		return l.WithDefaults().DefaultMemoryMB
	}
	return s.MemoryMB
}

// Resolve returns s with the limits it runs under made explicit: the
// server's default timeout and memory cap where s gives none. A spec is
// resolved once, when it is accepted, so that the stored spec says what
// the job ran under and every worker runs it alike.
func (l Limits) Resolve(s Spec) Spec {
	s.TimeoutMS = int(l.Timeout(s).Milliseconds())
	s.MemoryMB = l.MemoryMB(s)
	return s
}

// DecodeSpec reads one JSON spec from r and validates it against l. Every
// error is an *Error with code EINVALID or ETOOLARGE whose message names the
// offending field.
func DecodeSpec(r io.Reader, l Limits) (Spec, error) {
	l = l.WithDefaults()
	data, err := io.ReadAll(io.LimitReader(r, int64(l.MaxSpecBytes)+1))
	if err != nil {
		return Spec{}, Errorf(EINVALID, "read request body: %v", err)
	}
	if len(data) > l.MaxSpecBytes {
		return Spec{}, Errorf(ETOOLARGE, "job spec is larger than %d bytes", l.MaxSpecBytes)
	}
	return ParseSpec(data, l)
}

// ParseSpec decodes and validates one JSON spec held in data.
func ParseSpec(data []byte, l Limits) (Spec, error) {
	l = l.WithDefaults()
	if len(data) > l.MaxSpecBytes {
		return Spec{}, Errorf(ETOOLARGE, "job spec is larger than %d bytes", l.MaxSpecBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return Spec{}, Errorf(EINVALID, "request body is empty: send a JSON job spec such as {\"code\": \"print(1)\"}")
	}
	var raw struct {
		Spec
		Code *string `json:"code"`
	}
	if err := decodeStrict(data, &raw, "request body holds more than one JSON value"); err != nil {
		return Spec{}, err
	}
	if raw.Code == nil {
		return Spec{}, Errorf(EINVALID, "code: required")
	}
	s := raw.Spec
	s.Code = *raw.Code
	return s, s.Validate(l)
}

// ParseItem decodes and validates one batch item: a job spec that may also
// carry "id", the caller's own id for the item.
func ParseItem(data []byte, l Limits) (Item, error) {
	s, id, err := parseItem(data, l)
	return Item{ID: id, Spec: s}, err
}

func parseItem(data []byte, l Limits) (Spec, string, error) {
	l = l.WithDefaults()
	if len(data) > l.MaxSpecBytes {
		return Spec{}, "", Errorf(ETOOLARGE, "item is larger than %d bytes", l.MaxSpecBytes)
	}
	var raw struct {
		Spec
		Code *string `json:"code"`
		ID   any     `json:"id"`
	}
	if err := decodeStrict(data, &raw, "more than one JSON value"); err != nil {
		return Spec{}, "", err
	}
	if raw.Code == nil {
		return Spec{}, "", Errorf(EINVALID, "code: required")
	}
	var id string
	switch v := raw.ID.(type) {
	case nil:
	case string:
		id = v
	case float64:
		id = strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return Spec{}, "", Errorf(EINVALID, "id: must be a string or a number")
	}
	if len(id) > 256 {
		return Spec{}, "", Errorf(EINVALID, "id: longer than 256 bytes")
	}
	s := raw.Spec
	s.Code = *raw.Code
	return s, id, s.Validate(l)
}

// decodeStrict decodes the one JSON value in data into v, refusing unknown
// fields; more says what a second value is called.
func decodeStrict(data []byte, v any, more string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return Errorf(EINVALID, "%s", more)
	}
	return nil
}

// jsonError turns a decoding error into an *Error naming the field.
func jsonError(err error) error {
	if typeErr, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		field := typeErr.Field
		if field == "" {
			return Errorf(EINVALID, "job spec must be a JSON object, not %s", typeErr.Value)
		}
		return Errorf(EINVALID, "%s: must be %s, not %s", field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
	}
	if syn, ok := errors.AsType[*json.SyntaxError](err); ok {
		return Errorf(EINVALID, "request body is not valid JSON: %v (at byte %d)", syn, syn.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return Errorf(EINVALID, "request body is not valid JSON: unexpected end of input")
	}
	msg := err.Error()
	if field, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return Errorf(EINVALID, "%s: unknown field", strings.Trim(field, `"`))
	}
	return Errorf(EINVALID, "request body is not a valid job spec: %s", strings.TrimPrefix(msg, "json: "))
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "int", "int64":
		return "an integer"
	case "slice":
		return "an array"
	case "struct":
		return "an object"
	}
	return k
}

// Validate checks s against l (with its defaults). The error names the field.
func (s Spec) Validate(l Limits) error {
	l = l.WithDefaults()
	if strings.TrimSpace(s.Code) == "" {
		return Errorf(EINVALID, "code: must not be empty")
	}
	if len(s.Code) > l.MaxCodeBytes {
		return Errorf(EINVALID, "code: longer than %d bytes", l.MaxCodeBytes)
	}
	if !utf8.ValidString(s.Code) {
		return Errorf(EINVALID, "code: not valid UTF-8")
	}
	if len(s.Test) > l.MaxCodeBytes {
		return Errorf(EINVALID, "test: longer than %d bytes", l.MaxCodeBytes)
	}
	if !utf8.ValidString(s.Test) {
		return Errorf(EINVALID, "test: not valid UTF-8")
	}
	if len(s.Stdin) > l.MaxStdinBytes {
		return Errorf(EINVALID, "stdin: longer than %d bytes", l.MaxStdinBytes)
	}
	if s.TimeoutMS < 0 {
		return Errorf(EINVALID, "timeout_ms: must not be negative")
	}
	if max := l.MaxTimeout.Milliseconds(); int64(s.TimeoutMS) > max {
		return Errorf(EINVALID, "timeout_ms: must be at most %d", max)
	}
	if s.MemoryMB != 0 && (s.MemoryMB < MinMemoryMB || s.MemoryMB > l.MaxMemoryMB) {
		return Errorf(EINVALID, "memory_mb: must be between %d and %d", MinMemoryMB, l.MaxMemoryMB)
	}
	if err := validPackages(s.Packages); err != nil {
		return err
	}
	return validFiles(s.Files, l)
}

// MaxPackages is the most packages one spec may name.
const MaxPackages = 64

// validPackages checks that names holds at most MaxPackages distinct
// package names, each a name a Python package index could hold.
func validPackages(names []string) error {
	if len(names) > MaxPackages {
		return Errorf(EINVALID, "packages: more than %d packages", MaxPackages)
	}
	for i, n := range names {
		if n == "" || len(n) > 100 || strings.IndexFunc(n, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
		}) >= 0 {
			return Errorf(EINVALID, "packages[%d]: %q is not a package name (letters, digits, '-', '_' and '.', at most 100)", i, n)
		}
	}
	return nil
}

// validFiles checks a spec's input files against l.
func validFiles(files []File, l Limits) error {
	if len(files) > l.MaxFiles {
		return Errorf(EINVALID, "files: more than %d files", l.MaxFiles)
	}
	seen := make(map[string]bool, len(files))
	total := 0
	for i, f := range files {
		field := fmt.Sprintf("files[%d]", i)
		if err := validPath(f.Path, l.MaxPathBytes); err != nil {
			return Errorf(EINVALID, "%s.path: %v", field, err)
		}
		if seen[f.Path] {
			return Errorf(EINVALID, "%s.path: %q given twice", field, f.Path)
		}
		seen[f.Path] = true
		n, err := decodedSize(f)
		if err != nil {
			return Errorf(EINVALID, "%s.%v", field, err)
		}
		if total += n; total > l.MaxFileBytes {
			return Errorf(EINVALID, "files: more than %d bytes in all", l.MaxFileBytes)
		}
	}
	return nil
}

// validPath accepts a relative, clean, slash-separated path inside the
// working directory.
func validPath(p string, max int) error {
	switch {
	case p == "":
		return errors.New("must not be empty")
	case len(p) > max:
		return fmt.Errorf("longer than %d bytes", max)
	case !utf8.ValidString(p) || strings.ContainsAny(p, "\x00\\"):
		return errors.New("must be valid UTF-8 without NUL or backslash")
	case strings.HasPrefix(p, "/"):
		return errors.New("must be relative to the working directory")
	case path.Clean(p) != p || p == "." || p == ".." || strings.HasPrefix(p, "../"):
		return errors.New("must be a clean path inside the working directory (no '.', '..' or '//')")
	}
	return nil
}

// decodedSize returns the byte size of f's content once decoded.
func decodedSize(f File) (int, error) {
	switch f.Encoding {
	case "", EncodingUTF8:
		if !utf8.ValidString(f.Content) {
			return 0, errors.New("content: not valid UTF-8 (send binary content with \"encoding\": \"base64\")")
		}
		return len(f.Content), nil
	case EncodingBase64:
		n, err := base64.StdEncoding.DecodeString(f.Content)
		if err != nil {
			return 0, fmt.Errorf("content: not valid base64: %v", err)
		}
		return len(n), nil
	}
	return 0, fmt.Errorf("encoding: must be %q or %q, not %q", EncodingUTF8, EncodingBase64, f.Encoding)
}

// ParseSessionSpec decodes and validates the spec of a new session; an
// empty body asks for a session with the defaults.
func ParseSessionSpec(data []byte, l Limits) (SessionSpec, error) {
	l = l.WithDefaults()
	if len(data) > l.MaxSpecBytes {
		return SessionSpec{}, Errorf(ETOOLARGE, "session spec is larger than %d bytes", l.MaxSpecBytes)
	}
	var s SessionSpec
	if len(bytes.TrimSpace(data)) == 0 {
		return s, nil
	}
	if err := decodeStrict(data, &s, "request body holds more than one JSON value"); err != nil {
		return SessionSpec{}, err
	}
	return s, s.Validate(l)
}

// Validate checks s against l (with its defaults). The error names the field.
func (s SessionSpec) Validate(l Limits) error {
	l = l.WithDefaults()
	if s.MemoryMB != 0 && (s.MemoryMB < MinMemoryMB || s.MemoryMB > l.MaxMemoryMB) {
		return Errorf(EINVALID, "memory_mb: must be between %d and %d", MinMemoryMB, l.MaxMemoryMB)
	}
	if err := validPackages(s.Packages); err != nil {
		return err
	}
	return validFiles(s.Files, l)
}
