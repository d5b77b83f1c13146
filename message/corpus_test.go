package message

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apartado/apartado/internal/corpus"
)

// corpusDir is the repository's mail corpus, testdata/mail.
func corpusDir(t testing.TB) string {
	t.Helper()
	return corpus.Dir(t)
}

// corpusKinds reads MANIFEST.tsv: path → kind ("message", "html", …).
func corpusKinds(t testing.TB, dir string) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	kinds := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) >= 4 && cols[0] != "path" {
			kinds[cols[0]] = cols[3]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return kinds
}

func readCorpus(t testing.TB, rel string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(corpusDir(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestCorpus runs every message of the shared corpus through Summarize,
// Render (both remote settings) and Part for every attachment: nothing may
// panic, the HTML must pass checkSafeHTML, and Part must agree with Render.
func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	kinds := corpusKinds(t, dir)
	var messages, parseErrors, withDefects, withHTML, withAttachments, skipped int
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		base := strings.ToUpper(d.Name())
		if strings.HasPrefix(base, "LICENSE") || strings.HasPrefix(base, "NOTICE") ||
			strings.HasPrefix(base, "README") || strings.HasPrefix(base, "MANIFEST") {
			return nil
		}
		kind, ok := kinds[rel]
		if !ok {
			t.Logf("%s is not in MANIFEST.tsv; skipped", rel)
			return nil
		}
		if kind != "message" {
			skipped++ // HTML bodies, TNEF streams, expected outputs, …
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		messages++
		s := Summarize(raw)
		v := Render(raw, RenderOptions{PartURL: partURL})
		vr := Render(raw, RenderOptions{PartURL: partURL, AllowRemote: true})
		if s.ParseError != "" || v.ParseError != "" {
			parseErrors++
			t.Logf("%s: parse error: %q / %q", rel, s.ParseError, v.ParseError)
		}
		if s.ParseError != v.ParseError {
			t.Errorf("%s: Summarize and Render disagree: %q vs %q", rel, s.ParseError, v.ParseError)
		}
		if len(v.Defects) > 0 {
			withDefects++
		}
		if s.Subject != v.Subject || !s.Date.Equal(v.Date) || s.MessageID != v.MessageID {
			t.Errorf("%s: Summarize and Render disagree on the header", rel)
		}
		if v.HTML != "" {
			withHTML++
			checkSafeHTML(t, v.HTML, false)
			checkSafeHTML(t, vr.HTML, true)
		}
		if len(v.Attachments) > 0 {
			withAttachments++
		}
		for _, a := range v.Attachments {
			if a.Filename == "" || strings.ContainsAny(a.Filename, "/\\\x00") {
				t.Errorf("%s: unsafe file name %q", rel, a.Filename)
			}
			pa, data, err := Part(raw, a.ID)
			if err != nil {
				t.Errorf("%s: Part(%s): %v", rel, a.ID, err)
				continue
			}
			if pa.ID != a.ID || pa.Filename != a.Filename || pa.ContentType != a.ContentType || pa.Size != int64(len(data)) || a.Size != pa.Size {
				t.Errorf("%s: Part(%s) = %+v (%d bytes), Render listed %+v", rel, a.ID, pa, len(data), a)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("corpus: %d messages, %d with a parse error, %d with recovered defects, %d with HTML, %d with attachments; %d other data files skipped",
		messages, parseErrors, withDefects, withHTML, withAttachments, skipped)
	if messages < 700 {
		t.Errorf("only %d messages found", messages)
	}
}

func TestCorpusKnownMessages(t *testing.T) {
	filenames := func(v *View) []string {
		var names []string
		for _, a := range v.Attachments {
			names = append(names, a.Filename)
		}
		return names
	}

	t.Run("letters gb18030", func(t *testing.T) {
		raw := readCorpus(t, "letters/test_chinese_multipart_mixed_gb18030_over_base64.txt")
		s := Summarize(raw)
		if s.Subject != "📧 Test 施氏食狮史" || s.FromName != "艾莉絲 发件人" || s.FromAddr != "alice.fajianren@example.com" {
			t.Errorf("summary = %+v", s)
		}
		if !strings.HasPrefix(s.Snippet, "石室诗士施氏，嗜狮，誓食十狮。") || !s.HasAttachments {
			t.Errorf("summary = %+v", s)
		}
		if !strings.HasPrefix(s.To, "與鮑伯 收件人 <bob.shoujianren@example.com>, 卡罗尔 收件人 <carol.shoujianren@example.com>") {
			t.Errorf("to = %q", s.To)
		}
		v := Render(raw, RenderOptions{})
		names := filenames(v)
		for _, want := range []string{"attached-pdf-filename.pdf", "inline-jpg-image-filename.jpg", "attached-text-plain-filename.txt"} {
			if !slices.Contains(names, want) {
				t.Errorf("attachments %q lack %q", names, want)
			}
		}
	})

	t.Run("mail-mime-parser RFC 2231 and 2047", func(t *testing.T) {
		raw := readCorpus(t, "mail-mime-parser/emails/m3004.txt")
		s := Summarize(raw)
		if s.Subject != "Die Hasen und die Frösche" || s.To != "Joe Blow <blow@example.com>, Heinz Müller <mueller@example.com>" {
			t.Errorf("summary = %+v", s)
		}
		v := Render(raw, RenderOptions{})
		if names := filenames(v); !slices.Equal(names, []string{"HasenundFrösche.txt"}) {
			t.Errorf("attachments = %q", names)
		}
		a, data, err := Part(raw, v.Attachments[0].ID)
		if err != nil || a.Charset != "iso-8859-1" || !bytes.HasPrefix(data, []byte("Die Hasen und die Fr\xf6sche")) {
			t.Errorf("Part = %+v %q %v", a, data[:min(len(data), 40)], err)
		}
	})

	t.Run("mail-mime-parser inline images match the originals", func(t *testing.T) {
		raw := readCorpus(t, "mail-mime-parser/emails/m0016.txt")
		v := Render(raw, RenderOptions{PartURL: partURL})
		if v.Subject != "Test message from Microsoft Outlook 00" || len(v.From) != 1 || v.From[0].Name != "Doug Sauder" {
			t.Errorf("view header = %q %q", v.Subject, v.From)
		}
		if names := filenames(v); !slices.Equal(names, []string{"blueball.png", "redball.png"}) {
			t.Fatalf("attachments = %q", names)
		}
		for _, a := range v.Attachments {
			if !a.Inline || !strings.Contains(v.HTML, `src="`+partURL(a.ID)+`"`) {
				t.Errorf("%s not shown inline: %+v", a.Filename, a)
			}
			_, data, err := Part(raw, a.ID)
			if err != nil || !bytes.Equal(data, readCorpus(t, "mail-mime-parser/emails/files/"+a.Filename)) {
				t.Errorf("%s differs from the original (%v)", a.Filename, err)
			}
		}
	})

	t.Run("mail-mime-parser attachments byte for byte", func(t *testing.T) {
		// Known differences: m0022's original has a final CRLF that the
		// quoted-printable body does not encode (the CRLF before a boundary
		// belongs to the boundary), and m2011 attaches BinHex, which is
		// not a transfer encoding.
		known := map[string]bool{"m0022.txt/aaa.txt": true, "m2011.txt/blueball.png": true}
		dir := filepath.Join(corpusDir(t), "mail-mime-parser", "emails")
		msgs, err := filepath.Glob(filepath.Join(dir, "*.txt"))
		if err != nil {
			t.Fatal(err)
		}
		compared := 0
		for _, m := range msgs {
			raw, err := os.ReadFile(m)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range Render(raw, RenderOptions{}).Attachments {
				orig, err := os.ReadFile(filepath.Join(dir, "files", a.Filename))
				if err != nil || known[filepath.Base(m)+"/"+a.Filename] {
					continue
				}
				_, data, err := Part(raw, a.ID)
				if err != nil || !bytes.Equal(data, orig) {
					t.Errorf("%s: %s differs from the original (%d vs %d bytes, %v)", filepath.Base(m), a.Filename, len(data), len(orig), err)
				}
				compared++
			}
		}
		if compared < 50 {
			t.Errorf("only %d attachments compared", compared)
		}
	})

	t.Run("mime torture", func(t *testing.T) {
		raw := readCorpus(t, "thunderbird/mailnews/test/data/mime-torture")
		v := Render(raw, RenderOptions{})
		if v.Subject != "Multi-media mail demonstration" || len(v.From) != 1 || v.From[0].Name != "Mark Crispin" || v.ParseError != "" {
			t.Errorf("view = %q %q %q", v.Subject, v.From, v.ParseError)
		}
		if !strings.HasPrefix(v.Text, "This is a demonstration of multi-part mail with encapsulated messages.") {
			t.Errorf("text = %q", v.Text)
		}
		names := filenames(v)
		if len(names) != 11 || names[0] != "Re_ a MIME-Version misfeature.eml" || !slices.Contains(names, "attachment-10.gif") {
			t.Errorf("attachments = %q", names)
		}
	})

	t.Run("135 KB To field", func(t *testing.T) {
		raw := readCorpus(t, "mimekit/messages/stack-overflow.txt")
		s := Summarize(raw)
		if s.ParseError != "" || s.Subject != "Message Subject" || !strings.HasPrefix(s.To, "test <test@test.com>, date>2017-08-20T10:08:28.617</prdate>") {
			t.Errorf("summary = %q %q %.80q", s.ParseError, s.Subject, s.To)
		}
	})

	t.Run("hostile HTML", func(t *testing.T) {
		raw := readCorpus(t, "thunderbird/mail/test/browser/composition/data/evil-meta-msg.eml")
		v := Render(raw, RenderOptions{})
		for _, bad := range []string{"refresh", "localhost", "<object", "onerror"} {
			if strings.Contains(v.HTML, bad) {
				t.Errorf("html contains %q: %s", bad, v.HTML)
			}
		}
		if !strings.Contains(v.HTML, "KABOOM!") {
			t.Errorf("html lost the text: %s", v.HTML)
		}
	})

	t.Run("ISO-8859-2 HTML in base64", func(t *testing.T) {
		raw := readCorpus(t, "thunderbird/mail/test/browser/message-reader/data/bug594646_newline_httpequiv_b64.eml")
		if v := Render(raw, RenderOptions{}); !strings.Contains(v.HTML, "árvíztűrő tükörfúrógép") {
			t.Errorf("html = %s", v.HTML)
		}
	})
}
