package message

import "errors"

// Limits on the work done for one message. When one is reached, parsing
// stops where it is and ParseError says which limit was hit, so that the
// page can fall back to showing the raw source.
const (
	// maxDepth is how deeply multiparts may nest.
	maxDepth = 20
	// maxParts is how many MIME entities (the message included) are parsed.
	maxParts = 1000
	// maxHeaderBytes bounds a single header block (the top-level one or a
	// part's). Real messages stay far below it; the largest in the test
	// corpus is a 135 KB To: field.
	maxHeaderBytes = 1 << 20
	// maxRenderBytes bounds the decoded text and the decoded HTML that are
	// rendered for the message page (each).
	maxRenderBytes = 10 << 20
	// maxSnippetInput bounds how many bytes of a body are decoded to make
	// a list snippet.
	maxSnippetInput = 64 << 10
	// snippetRunes is the target length of a snippet.
	snippetRunes = 200
)

// ErrNoPart is returned by Part when the message has no leaf part with the
// requested id.
var ErrNoPart = errors.New("message: no such part")
