package compose

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFileAttachment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, []byte("from a file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := baseDraft()
	d.Attachments = []Attachment{File(path, "", ""), File(path, "renamed.bin", "application/x-thing")}
	s := write(t, d, Options{})
	want := []struct{ name, mt string }{{"notes.txt", "text/plain"}, {"renamed.bin", "application/x-thing"}}
	for i, w := range want {
		p := s.parts[i+1]
		_, params, _ := p.header.ContentDisposition()
		if params["filename"] != w.name || p.mediaType != w.mt || p.body != "from a file\n" {
			t.Errorf("part %d: %q %q %q", i, params["filename"], p.mediaType, p.body)
		}
	}
	d.Attachments = []Attachment{File(filepath.Join(t.TempDir(), "gone.txt"), "", "")}
	if _, err := Write(&strings.Builder{}, d, Options{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestEMLName(t *testing.T) {
	cases := []struct{ subject, want string }{
		{"Año nuevo", "Año nuevo.eml"},
		{"Re: a/b\\c:d*e?f\"g<h>i|j", "Re_ a_b_c_d_e_f_g_h_i_j.eml"},
		{"  \t ", "Forwarded message.eml"},
		{"...", "Forwarded message.eml"},
		{strings.Repeat("x", 300), strings.Repeat("x", 100) + ".eml"},
	}
	for _, c := range cases {
		if got := EMLName(c.subject, "Forwarded message"); got != c.want {
			t.Errorf("EMLName(%q) = %q, want %q", c.subject, got, c.want)
		}
	}
}
