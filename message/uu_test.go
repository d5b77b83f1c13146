package message

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestUUInText(t *testing.T) {
	raw := readCorpus(t, "mail-mime-parser/emails/m0018.txt")
	v := Render(raw, RenderOptions{})
	if strings.Contains(v.Text, "begin 666") || strings.Contains(v.Text, "\nend") || strings.Contains(v.Text, "MB5!.1PT") {
		t.Errorf("uuencoded blocks left in the text: %q", v.Text)
	}
	if !strings.HasPrefix(v.Text, "The Hare and the Tortoise") || !strings.HasSuffix(v.Text, "Slow but steady wins the race.") {
		t.Errorf("text = %q", v.Text)
	}
	var names []string
	for _, a := range v.Attachments {
		names = append(names, a.Filename)
		pa, data, err := Part(raw, a.ID)
		if err != nil || pa != a || a.ContentType != "image/png" {
			t.Errorf("Part(%s) = %+v, %v; Render listed %+v", a.ID, pa, err, a)
		}
		if orig := readCorpus(t, "mail-mime-parser/emails/files/"+a.Filename); !bytes.Equal(data, orig) {
			t.Errorf("%s differs from the original (%d vs %d bytes)", a.Filename, len(data), len(orig))
		}
	}
	if !slices.Equal(names, []string{"blueball.png", "greenball.png", "redball.png"}) {
		t.Errorf("attachments = %q", names)
	}
	if ids := []string{v.Attachments[0].ID, v.Attachments[2].ID}; !slices.Equal(ids, []string{"1.u1", "1.u3"}) {
		t.Errorf("ids = %q", ids)
	}
	if s := Summarize(raw); !s.HasAttachments || strings.Contains(s.Snippet, "begin") {
		t.Errorf("summary = %+v", s)
	}
}

func TestUUStrict(t *testing.T) {
	block := "begin 644 hi.txt\r\n%:&5L;&\\*\r\n`\r\nend\r\n"
	tests := []struct {
		name  string
		body  string
		files []string
	}{
		{"block", "Hello\r\n\r\n" + block + "Bye\r\n", []string{"hi.txt"}},
		{"prose", "begin 644 of the new plan\r\nwe will start tomorrow.\r\nend\r\n", nil},
		{"no end", "begin 644 hi.txt\r\n%:&5L;&\\*\r\n`\r\n", nil},
		{"bad length", "begin 644 hi.txt\r\n%:&5L;&\\*AAAAAAAAAAAA\r\nend\r\n", nil},
		{"not at line start", "say begin 644 hi.txt\r\n%:&5L;&\\*\r\nend\r\n", nil},
		{"stripped spaces", "begin 644 z.bin\r\n#     \r\n\r\nend\r\n", []string{"z.bin"}},
	}
	for _, tt := range tests {
		raw := []byte("Subject: uu\r\n\r\n" + tt.body)
		v := Render(raw, RenderOptions{})
		var names []string
		for _, a := range v.Attachments {
			names = append(names, a.Filename)
		}
		if !slices.Equal(names, tt.files) {
			t.Errorf("%s: attachments %q, want %q", tt.name, names, tt.files)
		}
		if tt.files == nil && v.Text != strings.TrimSpace(strings.ReplaceAll(tt.body, "\r\n", "\n")) {
			t.Errorf("%s: text changed: %q", tt.name, v.Text)
		}
	}
	raw := []byte("Subject: uu\r\n\r\nHello\r\n\r\n" + block + "Bye\r\n")
	v := Render(raw, RenderOptions{})
	if v.Text != "Hello\n\nBye" {
		t.Errorf("text = %q", v.Text)
	}
	if _, data, err := Part(raw, "1.u1"); err != nil || string(data) != "hello" {
		t.Errorf("Part(1.u1) = %q, %v", data, err)
	}
	if _, data, err := Part([]byte("Subject: uu\r\n\r\nbegin 644 z.bin\r\n#     \r\n\r\nend\r\n"), "1.u1"); err != nil || string(data) != "\x00\x00\x00" {
		t.Errorf("Part(1.u1) of stripped spaces = %q, %v", data, err)
	}
}

func FuzzSplitUU(f *testing.F) {
	f.Add([]byte("begin 644 hi.txt\r\n%:&5L;&\\*\r\n`\r\nend\r\n"), false)
	f.Add([]byte("x\nbegin 600 a b\n#86)C\n\nend\nbegin 644 y\n"), true)
	f.Add([]byte("begin 644 a\nM"), true) // once looped forever
	f.Fuzz(func(t *testing.T, b []byte, open bool) {
		rest, files := splitUU(b, open)
		if len(rest) > len(b) {
			t.Fatalf("rest longer than the input")
		}
		for _, f := range files {
			if len(f.data) > len(b) {
				t.Fatalf("%d bytes decoded from %d", len(f.data), len(b))
			}
		}
	})
}
