package web

import (
	"context"
	"html/template"
	"io"

	"github.com/a-h/templ"
)

// textBody writes a text body's runs exactly, with no whitespace added
// between them (it is shown with white-space: pre-wrap), its links opening
// in a new tab without a referrer. Linkify only makes http and https links.
func textBody(segs []TextSegment) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		for _, s := range segs {
			var err error
			if s.URL != "" {
				_, err = io.WriteString(w, `<a href="`+template.HTMLEscapeString(s.URL)+`" target="_blank" rel="noopener noreferrer">`+
					template.HTMLEscapeString(s.Text)+`</a>`)
			} else {
				_, err = io.WriteString(w, template.HTMLEscapeString(s.Text))
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}
