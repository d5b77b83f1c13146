package compose

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// What Write attached, ReadAttachments gives back: names (RFC 2231
// continuations and all), media types and bytes as they were, a text file
// in its own charset, a forwarded message; the text and its HTML
// alternative are not among them.
func TestReadAttachmentsRoundTrip(t *testing.T) {
	long := "Informe anual de la cooperativa «Señales» — versión definitiva, año 2026.pdf"
	latin1 := "caf\xe9 cr\xe8me\r\n"
	pdf := strings.Repeat("%PDF-1.7 \x00\x01\x02\xff", 5000)
	forwarded := "From: bob@example.org\r\nSubject: Old\r\n\r\nThe old message.\r\n"
	d := baseDraft()
	d.HTML = "<p>Hi <b>Bob</b></p>"
	d.Attachments = []Attachment{
		{Name: long, ContentType: "application/pdf", Open: opener(pdf)},
		{Name: "notes.txt", ContentType: "text/plain; charset=iso-8859-1", Open: opener(latin1)},
		{Name: "plain.bin", Open: opener("")},
	}
	d.Forwarded = []Forwarded{{Name: "Old.eml", Open: opener(forwarded)}}
	s := write(t, d, Options{})
	if !strings.Contains(s.raw, "filename*0*=utf-8''") {
		t.Fatalf("the long name is not in RFC 2231 continuations:\n%s", s.raw[:2000])
	}
	type got struct{ name, ct, body string }
	var parts []got
	err := ReadAttachments(strings.NewReader(s.raw), func(p ReadPart) error {
		b, err := io.ReadAll(p.Body)
		parts = append(parts, got{p.Name, p.ContentType, string(b)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []got{{long, "application/pdf", pdf}, {"notes.txt", "text/plain", latin1},
		{"plain.bin", "application/octet-stream", ""}, {"Old.eml", "message/rfc822", forwarded}}
	if len(parts) != len(want) {
		t.Fatalf("read %d parts, want %d: %+v", len(parts), len(want), parts)
	}
	for i := range want {
		if parts[i].name != want[i].name || parts[i].ct != want[i].ct || parts[i].body != want[i].body {
			t.Errorf("part %d: %q %q (%d octets), want %q %q (%d octets)", i, parts[i].name, parts[i].ct, len(parts[i].body),
				want[i].name, want[i].ct, len(want[i].body))
		}
	}
}

// Parts of received mail: a nameless inline image gets a name from its
// type; quoted-printable is decoded; a message with only text has nothing.
func TestReadAttachmentsInline(t *testing.T) {
	raw := "Content-Type: multipart/related; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<img src=cid:x>\r\n" +
		"--b\r\nContent-Type: image/png\r\nContent-ID: <x>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0K\r\n" +
		"--b\r\nContent-Type: text/plain; name=\"a.txt\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nsoft=\r\nbreak=3D\r\n--b--\r\n"
	var names, bodies []string
	if err := ReadAttachments(strings.NewReader(raw), func(p ReadPart) error {
		b, err := io.ReadAll(p.Body)
		names, bodies = append(names, p.Name), append(bodies, string(b))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "part.png,a.txt" || bodies[0] != "\x89PNG\r\n" || bodies[1] != "softbreak=" {
		t.Fatalf("read %q %q", names, bodies)
	}
	n := 0
	if err := ReadAttachments(bytes.NewReader([]byte("Subject: x\r\n\r\nonly text\r\n")), func(ReadPart) error { n++; return nil }); err != nil || n != 0 {
		t.Fatalf("a text message gave %d parts, %v", n, err)
	}
}
