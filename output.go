package sandpit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Output is one rich output of a job, as Jupyter's display data: the same
// thing in one or more MIME types, {type: data}. The code makes one with
// display(obj), and its last line's value makes one when it shows as more
// than its repr(); matplotlib's figures make one each. The data of a JSON
// type (application/json, and */*+json such as
// application/vnd.plotly.v1+json) is JSON, held as a json.RawMessage; of a
// text type (text/*, image/svg+xml, */*+xml) a string as it is; of any
// other (image/png, image/jpeg) a string of base64. OutputKind says which.
type Output map[string]any

// The kinds of an output's data, by MIME type.
const (
	OutputJSON   = "json"
	OutputText   = "text"
	OutputBinary = "binary"
)

// OutputKind returns how data of the MIME type is carried in an Output:
// OutputJSON, OutputText or OutputBinary. The harness (page/static/
// harness.py) and the browser (page/web/job.js) apply the same rule.
func OutputKind(mimeType string) string {
	t := strings.ToLower(mimeType)
	switch {
	case t == "application/json" || strings.HasSuffix(t, "+json"):
		return OutputJSON
	case strings.HasPrefix(t, "text/") || strings.HasSuffix(t, "+xml") || t == "application/xml" || t == "application/javascript":
		return OutputText
	}
	return OutputBinary
}

// mimeTypePattern is a MIME type without parameters, as RFC 6838 names
// them: type/subtype, each up to 127 characters.
var mimeTypePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$`)

// ValidMIMEType reports whether t may name the data of an Output.
func ValidMIMEType(t string) bool {
	return mimeTypePattern.MatchString(t)
}

// Text returns the data of MIME type t as a string: text as it is, binary
// data in base64, JSON as its text.
func (o Output) Text(t string) (string, bool) {
	switch v := o[t].(type) {
	case string:
		return v, true
	case json.RawMessage:
		return string(v), true
	case nil:
		return "", false
	default:
		b, err := json.Marshal(v)
		return string(b), err == nil
	}
}

// UnmarshalJSON decodes an output keeping JSON data as it is written, as
// a json.RawMessage, and the others as strings.
func (o *Output) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(Output, len(raw))
	for t, v := range raw {
		if len(v) > 0 && v[0] == '"' && OutputKind(t) != OutputJSON {
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("output %s: %w", t, err)
			}
			out[t] = s
			continue
		}
		if OutputKind(t) != OutputJSON {
			return fmt.Errorf("output %s: want a string", t)
		}
		out[t] = json.RawMessage(bytes.Clone(v))
	}
	*o = out
	return nil
}
