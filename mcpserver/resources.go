package mcpserver

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sandpit-dev/sandpit"
)

// The output files of a caller's jobs are resources: the URIs a result
// names (sandpit://jobs/ID/files/PATH) can be read, by the caller who ran
// the job and nobody else, as long as the server keeps the job.

var fileTemplate = &mcp.ResourceTemplate{
	Name:        "job-file",
	Title:       "Output file of a job",
	URITemplate: "sandpit://jobs/{id}/files/{+path}",
	Description: "A file a run of yours created or changed in its working directory, by the job's id and the file's path in it.",
}

// readFile reads an output file of a job of the caller.
func (t tools) readFile(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	uri := req.Params.URI
	id, path, ok := parseFileURI(uri)
	if !ok {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	job, err := t.b.Get(ctx, id)
	if errors.Is(err, sandpit.ErrNotFound) {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	if err != nil {
		return nil, err
	}
	for _, f := range job.Files {
		if f.Path != path {
			continue
		}
		data, err := fileData(f)
		if err != nil {
			return nil, err
		}
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{resourceContents(uri, f.MimeType, data)}}, nil
	}
	return nil, mcp.ResourceNotFoundError(uri)
}

// parseFileURI reads sandpit://jobs/ID/files/PATH.
func parseFileURI(uri string) (id, path string, ok bool) {
	rest, ok := strings.CutPrefix(uri, "sandpit://jobs/")
	if !ok {
		return "", "", false
	}
	rawID, rawPath, ok := strings.Cut(rest, "/files/")
	if !ok || rawID == "" || rawPath == "" {
		return "", "", false
	}
	id, err := url.PathUnescape(rawID)
	if err != nil {
		return "", "", false
	}
	parts := strings.Split(rawPath, "/")
	for i, p := range parts {
		if parts[i], err = url.PathUnescape(p); err != nil || parts[i] == "" {
			return "", "", false
		}
	}
	return id, strings.Join(parts, "/"), true
}
