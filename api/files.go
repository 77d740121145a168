package api

import (
	"encoding/base64"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sandpit-dev/sandpit"
)

// inlineTypes are the media types a browser may show in place; any other
// file is sent as an attachment.
var inlineTypes = map[string]bool{
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true,
	"text/plain": true, "application/json": true, "text/csv": true,
}

// jobFile answers one output file of a job as its bytes. The files come from
// untrusted code, so they are never run as a page of sandpit's origin: the
// Content-Security-Policy puts any document in a sandbox with nothing
// allowed, and only plain types are shown inline.
func (s *server) jobFile(c echo.Context) error {
	p, err := filePath(c)
	if err != nil {
		return err
	}
	job, err := s.jobs.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	for _, f := range job.Files {
		if f.Path != p {
			continue
		}
		data := []byte(f.Content)
		if f.Encoding == sandpit.EncodingBase64 {
			if data, err = base64.StdEncoding.DecodeString(f.Content); err != nil {
				return sandpit.Errorf(sandpit.EINTERNAL, "stored file %q is not valid base64", p)
			}
		}
		typ := f.MimeType
		if typ == "" {
			typ = "application/octet-stream"
		}
		base, _, _ := mime.ParseMediaType(typ)
		disposition := "attachment"
		if inlineTypes[base] {
			disposition = "inline"
		}
		name := p[strings.LastIndex(p, "/")+1:]
		h := c.Response().Header()
		h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": name}))
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		h.Set("X-Content-Type-Options", "nosniff")
		return c.Blob(http.StatusOK, typ, data)
	}
	if job.Status.Terminal() {
		return sandpit.Errorf(sandpit.ENOTFOUND, "job %s has no output file %q", job.ID, p)
	}
	return sandpit.Errorf(sandpit.ENOTFOUND, "job %s has not ended (%s); its files come when it has", job.ID, job.Status)
}

// filePath is the file's path as the request names it, escaped once. The
// router matches on the escaped path only when it differs from the
// canonical escaping of the decoded one (a "%2F" in a name, say); otherwise
// the parameter is decoded already and must not be decoded again, or a name
// holding "%41" would be reached as "A".
func filePath(c echo.Context) (string, error) {
	p := c.Param("*")
	if c.Request().URL.RawPath == "" {
		return p, nil
	}
	p, err := url.PathUnescape(p)
	if err != nil {
		return "", sandpit.Errorf(sandpit.EINVALID, "path: %v", err)
	}
	return p, nil
}
