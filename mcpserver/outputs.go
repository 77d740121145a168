package mcpserver

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sandpit-dev/sandpit"
)

// A job's rich outputs (display() calls, a last value with a rich repr,
// matplotlib figures) come after its files: each a text block that names
// its MIME types and holds the one shown as text, and an image block for
// a PNG or JPEG. Their text takes at most a third of the result's cap;
// each output's text gets an equal share of it, cut in its middle with a
// note of how much and where the whole is, as stdout is.

// shownTypes are the MIME types an output's text block shows, the first
// the output has: what reads best to a model first.
var shownTypes = []string{"text/markdown", "application/vnd.plotly.v1+json", "application/json", "text/html",
	"text/latex", "image/svg+xml", "text/plain"}

// outputImages are the image types an output's image block carries.
var outputImages = []string{"image/png", "image/jpeg"}

// structuredPlainMax caps the plain text of an output in the structured
// output, in bytes: a hundred outputs stay well under a megabyte.
const structuredPlainMax = 500

// outBlock is a rich output as a result carries it.
type outBlock struct {
	n, of  int
	types  []string
	shown  string // the MIME type shown as text, "" when none
	sec    *section
	image  *mcp.ImageContent
	figure string // the output file that holds the same image, when one does
	placed bool   // whether the result holds the output's blocks
}

// readOutputs is the job's outputs as blocks, not yet placed.
func readOutputs(job sandpit.Job) []*outBlock {
	blocks := make([]*outBlock, len(job.Outputs))
	for i, o := range job.Outputs {
		b := &outBlock{n: i + 1, of: len(job.Outputs)}
		for t := range o {
			b.types = append(b.types, t)
		}
		slices.Sort(b.types)
		for _, t := range outputImages {
			s, ok := o.Text(t)
			if !ok {
				continue
			}
			if f := fileHolding(job, s); f != "" {
				b.figure = f
			} else if data, err := base64.StdEncoding.DecodeString(s); err == nil {
				b.image = &mcp.ImageContent{Data: data, MIMEType: t}
			}
			break
		}
		for _, t := range shownTypes {
			if s, ok := o.Text(t); ok {
				b.shown = t
				b.sec = &section{name: fmt.Sprintf("output %d (%s)", b.n, t), body: s}
				break
			}
		}
		blocks[i] = b
	}
	return blocks
}

// fileHolding is the path of the output file whose content is the base64
// data, as a matplotlib figure's is both a file and an output; "" when
// none is.
func fileHolding(job sandpit.Job, data string) string {
	for _, f := range job.Files {
		if f.Encoding == sandpit.EncodingBase64 && f.Content == data {
			return f.Path
		}
	}
	return ""
}

// header is the first line of an output's text block.
func (b *outBlock) header() string {
	h := fmt.Sprintf("output %d of %d (%s)", b.n, b.of, strings.Join(b.types, ", "))
	switch {
	case b.image != nil:
		h += "; its " + b.image.MIMEType + " follows as an image"
	case b.figure != "":
		h += "; its image is the output file " + b.figure
	}
	if b.shown != "" {
		h += "; shown as " + b.shown
	}
	return h + ":\n"
}

// text is the output's text block, its body cut to its share.
func (b *outBlock) text(jobID string, l links) string {
	if b.sec == nil {
		return b.header()
	}
	body, _ := b.sec.cut(jobID, l)
	return b.header() + body
}

// placeOutputs decides which outputs the result holds within a third of
// maxText, cuts their text to fit, and returns their content blocks and
// the characters of text they take.
func placeOutputs(job sandpit.Job, blocks []*outBlock, l links, maxText int) ([]mcp.Content, int) {
	if len(blocks) == 0 && !job.OutputsTruncated {
		return nil, 0
	}
	tail := outputsTail(job, len(blocks), l)
	// Room for the line that says how many more there are, too.
	room := maxText/3 - runeCount(tail) - 50
	// The headers first, in order, as many as fit with a little text each
	// (and the note of a cut, when it is cut).
	var placed []*outBlock
	var secs []*section
	headers, least := 0, 0
	for _, b := range blocks {
		need := runeCount(b.header())
		if b.sec != nil {
			if n := runeCount(b.sec.body); n <= 100 {
				need += n
			} else {
				need += 100 + 160 + len(l.base)
			}
		}
		if headers+least+need > room {
			break
		}
		headers += runeCount(b.header())
		least += need - runeCount(b.header())
		b.placed = true
		placed = append(placed, b)
		if b.sec != nil {
			secs = append(secs, b.sec)
		}
	}
	// The text in what is left: each try that comes out too long (the
	// notes of what was cut take room too) gives the bodies less.
	budget := room - headers
	var content []mcp.Content
	used := 0
	for {
		shareOut(secs, max(budget, 0))
		content, used = content[:0], 0
		for _, b := range placed {
			t := b.text(job.ID, l)
			used += runeCount(t)
			content = append(content, &mcp.TextContent{Text: t})
			if b.image != nil {
				content = append(content, b.image)
			}
		}
		over := used - room
		if over <= 0 || budget <= 0 {
			break
		}
		budget -= over
	}
	if n := len(blocks) - len(placed); n > 0 || job.OutputsTruncated {
		t := fmt.Sprintf("%d more outputs, not in this result\n", n)
		if n == 0 {
			t = ""
		}
		content = append(content, &mcp.TextContent{Text: t + tail})
		used += runeCount(t + tail)
	}
	return content, used
}

// outputsTail says where outputs left out are, and that the server left
// some out.
func outputsTail(job sandpit.Job, n int, l links) string {
	t := fmt.Sprintf("The job's %d outputs whole: GET %s (outputs).\n", n, l.job(job.ID))
	if job.OutputsTruncated {
		t = "More outputs were made than the server returns; the rest are left out.\n" + t
	}
	return t
}

// outputInfos are the outputs in the structured output: their MIME types
// and their plain text, capped, never their data.
func outputInfos(job sandpit.Job, blocks []*outBlock) []outputInfo {
	infos := make([]outputInfo, len(blocks))
	for i, b := range blocks {
		plain, _ := job.Outputs[i].Text("text/plain")
		infos[i] = outputInfo{MimeTypes: b.types, Text: capText(plain, structuredPlainMax), Included: b.placed}
		if b.placed && b.sec != nil {
			_, infos[i].Omitted = b.sec.cut(job.ID, links{})
		}
	}
	return infos
}
