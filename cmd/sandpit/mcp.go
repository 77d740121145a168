package main

import (
	"context"
	"io"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sandpit-dev/sandpit/client"
	"github.com/sandpit-dev/sandpit/mcpserver"
)

// runMCP serves the MCP tools over stdin and stdout, as a desktop agent
// starts a local MCP server, and runs their code on a sandpit server.
func runMCP(ctx context.Context, args []string, std stdio) error {
	f := newFlags("mcp", "mcp [flags]", std.err)
	var server, apiKey string
	f.StringVar(&server, "server", "http://127.0.0.1:8080", "URL of the sandpit server the tools run code on")
	f.envVar("server", "SANDPIT_URL")
	f.StringVar(&apiKey, "api-key", "", "API key sent as a bearer token")
	f.envVar("api-key", "SANDPIT_API_KEY")
	if err := f.parseNoArgs(args); err != nil {
		return err
	}
	c, err := client.New(server, client.WithAPIKey(apiKey))
	if err != nil {
		return err
	}
	t := &mcp.IOTransport{Reader: io.NopCloser(std.in), Writer: nopWriteCloser{std.out}}
	err = mcpserver.New(c, mcpserver.Options{}).Run(ctx, t)
	if ctx.Err() != nil {
		return nil // stopped by a signal
	}
	return err
}

// nopWriteCloser is stdout as the transport's writer, which it must not
// close.
type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
