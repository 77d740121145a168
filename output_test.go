package sandpit

import (
	"encoding/json"
	"testing"
)

func TestOutputKind(t *testing.T) {
	for mime, want := range map[string]string{
		"application/json":                OutputJSON,
		"application/vnd.plotly.v1+json":  OutputJSON,
		"Application/Geo+JSON":            OutputJSON,
		"text/html":                       OutputText,
		"text/plain":                      OutputText,
		"image/svg+xml":                   OutputText,
		"application/xml":                 OutputText,
		"image/png":                       OutputBinary,
		"image/jpeg":                      OutputBinary,
		"application/pdf":                 OutputBinary,
		"application/vnd.plotly.v1+jsonx": OutputBinary,
	} {
		if got := OutputKind(mime); got != want {
			t.Errorf("OutputKind(%q) = %s, want %s", mime, got, want)
		}
	}
	for mime, want := range map[string]bool{"text/html": true, "application/vnd.plotly.v1+json": true, "html": false,
		"text/html; charset=utf-8": false, "text/": false, "/html": false, "a/b/c": false} {
		if ValidMIMEType(mime) != want {
			t.Errorf("ValidMIMEType(%q) = %v", mime, !want)
		}
	}
}

// TestOutputRoundTrip: an output read back from its JSON, as a job is from
// Redis, is written again as it was, JSON data exactly (numbers past
// float64's precision included).
func TestOutputRoundTrip(t *testing.T) {
	in := `{"application/vnd.plotly.v1+json":{"data":[{"y":[12345678901234567890,1.5e300]}]},"image/png":"iVBORw==","text/html":"<b>x</b>"}`
	var o Output
	if err := json.Unmarshal([]byte(in), &o); err != nil {
		t.Fatal(err)
	}
	if o["text/html"] != "<b>x</b>" || o["image/png"] != "iVBORw==" {
		t.Errorf("text data %v", o)
	}
	if s, _ := o.Text("application/vnd.plotly.v1+json"); s != `{"data":[{"y":[12345678901234567890,1.5e300]}]}` {
		t.Errorf("JSON data %s", s)
	}
	out, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"application/vnd.plotly.v1+json":{"data":[{"y":[12345678901234567890,1.5e300]}]},"image/png":"iVBORw==","text/html":"\u003cb\u003ex\u003c/b\u003e"}` {
		t.Errorf("written again as %s", out)
	}
	if err := json.Unmarshal([]byte(`{"text/html": 5}`), &o); err == nil {
		t.Error("text data that is not a string was read")
	}
}
