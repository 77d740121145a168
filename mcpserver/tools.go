package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sandpit-dev/sandpit"
)

// tools are the tool handlers. Each returns its output as the structured
// result (an untyped nil when there is none), so that an error result
// carries no made-up job.
type tools struct {
	b    Backend
	opts Options
}

// once makes each call of tool h count once against its caller's limits
// when b bounds them (Admitter), however many calls of b it makes.
func once[In any](b Backend, h mcp.ToolHandlerFor[In, any]) mcp.ToolHandlerFor[In, any] {
	a, ok := b.(Admitter)
	if !ok {
		return h
	}
	return func(ctx context.Context, req *mcp.CallToolRequest, in In) (*mcp.CallToolResult, any, error) {
		ctx, release, err := a.Admit(ctx)
		if err != nil {
			return failure(err), nil, nil
		}
		defer release()
		return h(ctx, req, in)
	}
}

func (t tools) runPython(ctx context.Context, req *mcp.CallToolRequest, in runInput) (*mcp.CallToolResult, any, error) {
	return t.run(ctx, req, func() (sandpit.Job, error) {
		return t.b.Submit(ctx, sandpit.Spec{Code: in.Code, Files: specFiles(in.Files), Packages: in.Packages, TimeoutMS: in.TimeoutMS})
	})
}

func (t tools) runInSession(ctx context.Context, req *mcp.CallToolRequest, in runInSessionInput) (*mcp.CallToolResult, any, error) {
	if in.SessionID == "" {
		return failure(sandpit.Errorf(sandpit.EINVALID, "session_id: required")), nil, nil
	}
	return t.run(ctx, req, func() (sandpit.Job, error) {
		return t.b.SubmitInSession(ctx, in.SessionID, sandpit.Spec{Code: in.Code, Files: specFiles(in.Files), TimeoutMS: in.TimeoutMS})
	})
}

// run submits a job and follows it to its end, telling the client how it
// goes, and returns its result.
func (t tools) run(ctx context.Context, req *mcp.CallToolRequest, submit func() (sandpit.Job, error)) (*mcp.CallToolResult, any, error) {
	job, err := submit()
	if err != nil {
		return failure(err), nil, nil
	}
	job, err = t.follow(ctx, req, job)
	if err != nil {
		res := failure(err)
		res.Content = append(res.Content, &mcp.TextContent{Text: fmt.Sprintf(
			"The job %s was submitted and may still run; its result will be at %s.", job.ID, t.links(ctx).job(job.ID))})
		return res, nil, nil
	}
	res, out := t.result(ctx, job)
	return res, out, nil
}

func (t tools) createSession(ctx context.Context, req *mcp.CallToolRequest, in createSessionInput) (*mcp.CallToolResult, any, error) {
	s, err := t.b.CreateSession(ctx, sandpit.SessionSpec{
		MemoryMB: in.MemoryMB, Packages: in.Packages, Files: specFiles(in.Files),
	})
	if err != nil {
		return failure(err), nil, nil
	}
	text := fmt.Sprintf("session_id: %s\nstatus: %s\nexpires_at: %s (unless used before; each run extends it)\n\nRun code in it with run_in_session, and end it with close_session.",
		s.ID, s.Status, s.ExpiresAt.UTC().Format(time.RFC3339))
	return textResult(text), sessionOut(s), nil
}

func (t tools) closeSession(ctx context.Context, req *mcp.CallToolRequest, in closeSessionInput) (*mcp.CallToolResult, any, error) {
	if in.SessionID == "" {
		return failure(sandpit.Errorf(sandpit.EINVALID, "session_id: required")), nil, nil
	}
	s, err := t.b.CloseSession(ctx, in.SessionID)
	if err != nil {
		return failure(err), nil, nil
	}
	text := fmt.Sprintf("session_id: %s\nstatus: %s\nruns: %d", s.ID, s.Status, s.Runs)
	if s.Message != "" {
		text += "\nmessage: " + s.Message
	}
	return textResult(text), sessionOut(s), nil
}

func specFiles(in []inputFile) []sandpit.File {
	if len(in) == 0 {
		return nil
	}
	files := make([]sandpit.File, len(in))
	for i, f := range in {
		files[i] = sandpit.File{Path: f.Path, Content: f.Content, Encoding: f.Encoding}
	}
	return files
}

// failure is the tool result of a call sandpit refused or could not answer.
// It is a tool error, not a protocol error, so that the agent reads why and
// can correct its call.
func failure(err error) *mcp.CallToolResult {
	var text string
	if e, ok := errors.AsType[*sandpit.Error](err); ok {
		text = e.Code + ": " + e.Message
	} else {
		text = "sandpit did not answer: " + err.Error()
	}
	res := textResult(text)
	res.IsError = true
	return res
}

func textResult(text string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}
}
