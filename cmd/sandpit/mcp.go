package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sandpit-dev/sandpit/client"
	"github.com/sandpit-dev/sandpit/mcpserver"
)

// runMCP serves the MCP tools over stdin and stdout, as a desktop agent
// starts a local MCP server, and runs their code on a sandpit server. The
// tools' descriptions state that server's limits and packages, asked of it
// at start.
func runMCP(ctx context.Context, args []string, std stdio) error {
	f := newFlags("mcp", "mcp [flags]", std.err)
	var server, apiKey string
	var maxText int
	f.StringVar(&server, "server", "http://127.0.0.1:8080", "URL of the sandpit server the tools run code on")
	f.envVar("server", "SANDPIT_URL")
	f.StringVar(&apiKey, "api-key", "", "API key sent as a bearer token")
	f.envVar("api-key", "SANDPIT_API_KEY")
	f.IntVar(&maxText, "mcp-max-text", mcpserver.DefaultMaxText, "the most characters of text in one tool result (output and text files); what is cut is said, with where the whole is")
	f.envVar("mcp-max-text", "SANDPIT_MCP_MAX_TEXT")
	if err := f.parseNoArgs(args); err != nil {
		return err
	}
	if maxText < mcpserver.MinMaxText {
		fmt.Fprintf(std.err, "--mcp-max-text: %d is too few characters for a result; give at least %d\n", maxText, mcpserver.MinMaxText)
		return errUsage
	}
	c, err := client.New(server, client.WithAPIKey(apiKey))
	if err != nil {
		return err
	}
	opts := mcpserver.Options{MaxText: maxText, PublicURL: server}
	ictx, cancel := context.WithTimeout(ctx, 10*time.Second)
	info, err := c.Info(ictx)
	cancel()
	if err != nil {
		// The agent still gets its tools; their descriptions lack what
		// only the server knows.
		fmt.Fprintf(std.err, "sandpit mcp: the server's limits and packages are unknown (GET /v1/info: %v)\n", err)
	} else {
		opts.Info = &info
	}
	t := &mcp.IOTransport{Reader: io.NopCloser(std.in), Writer: nopWriteCloser{std.out}}
	err = mcpserver.New(c, opts).Run(ctx, t)
	if ctx.Err() != nil {
		return nil // stopped by a signal
	}
	return err
}

// nopWriteCloser is stdout as the transport's writer, which it must not
// close.
type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
