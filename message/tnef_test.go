package message

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestTNEFLists decodes every TNEF stream of MimeKit's test data and
// compares the file names with its .list files.
//
// MimeKit's own test (UnitTests/Tnef/TnefTests.cs, TestTnefParser) only
// checks that every name of the .list is among the files, and its lists
// are not complete, so each list is checked here as MimeKit does, and the
// full expected result is written out below. Where it differs from the
// list:
//   - long-filename, missing-filenames: the lists hold only body.rtf,
//     although the streams name their files (PR_ATTACH_LONG_FILENAME, the
//     8.3 attAttachTitle).
//   - christmas: the list has "Untitled Attachment" four times because
//     MimeKit's test adds each attached Outlook message twice (once for
//     its attAttachData, a notice that the message cannot be shown, and
//     once for PR_ATTACH_DATA_OBJ). Here each attached message is unpacked
//     in its place: its files, then its body named after it.
func TestTNEFLists(t *testing.T) {
	want := map[string][]string{
		"MAPI_ATTACH_DATA_OBJ":   {"VIA_Nytt_1402.doc", "VIA_Nytt_1402.pdf", "VIA_Nytt_14021.htm", "body.rtf"},
		"MAPI_OBJECT":            {"Untitled_Attachment", "body.rtf"},
		"christmas":              {"kitten-playing-with-a-christmas-tree.jpg", "Untitled Attachment.rtf", "kitten-playing-with-a-christmas-tree.jpg", "Untitled Attachment.rtf", "body.rtf"},
		"data-before-name":       {"AUTOEXEC.BAT", "CONFIG.SYS", "boot.ini", "body.rtf"},
		"garbage-at-end":         nil,
		"long-filename":          {"allproductsmar2000.dat", "body.rtf"},
		"missing-filenames":      {"generpts.src", "TechlibDEC99.doc", "TechlibDEC99-JAN00.doc", "TechlibNOV99.doc", "body.rtf"},
		"multi-name-property":    nil,
		"multi-value-attribute":  {"208225__5_seconds__Voice_Mail.mp3", "body.rtf"},
		"panic":                  {"image001.jpg", "image002.jpg", "image003.png", "body.html"},
		"rtf":                    {"body.rtf"},
		"triples":                {"body.rtf"},
		"two-files":              {"AUTHORS", "README"},
		"unicode-mapi-attr-name": {"spaconsole2.cfg", "image001.png", "image002.png", "image003.png", "body.html"},
		"unicode-mapi-attr":      {"example.dat", "body.html"},
		"winmail":                {"Untitled Attachment", "Untitled Attachment", "body.rtf"},
	}
	// The attached messages of christmas.tnef, as the list names them.
	alias := map[string]string{"Untitled Attachment.rtf": "Untitled Attachment"}

	dir := filepath.Join(corpusDir(t), "mimekit", "tnef")
	streams, err := filepath.Glob(filepath.Join(dir, "*.tnef"))
	if err != nil {
		t.Fatal(err)
	}
	if len(streams) < 16 {
		t.Fatalf("only %d TNEF streams found", len(streams))
	}
	for _, path := range streams {
		name := strings.TrimSuffix(filepath.Base(path), ".tnef")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			files, ok := decodeTNEF(b)
			if !ok {
				t.Fatal("not read as TNEF")
			}
			var got []string
			for _, f := range files {
				got = append(got, f.name)
			}
			exp, known := want[name]
			if !known {
				t.Fatalf("no expected result for %s; files %q", name, got)
			}
			if !slices.Equal(got, exp) {
				t.Errorf("files = %q, want %q", got, exp)
			}
			list, err := os.ReadFile(filepath.Join(dir, name+".list"))
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range strings.Split(strings.ReplaceAll(string(list), "\r\n", "\n"), "\n") {
				if l == "" {
					continue
				}
				found := false
				for _, g := range got {
					if g == l || alias[g] == l {
						found = true
					}
				}
				if !found {
					t.Errorf("%q of the .list not found in %q", l, got)
				}
			}
		})
	}
}

func TestTNEFContents(t *testing.T) {
	read := func(name string) []tnefFile {
		t.Helper()
		files, ok := decodeTNEF(readCorpus(t, "mimekit/tnef/"+name+".tnef"))
		if !ok {
			t.Fatalf("%s: not read as TNEF", name)
		}
		return files
	}
	for _, f := range read("two-files") {
		if f.name == "AUTHORS" && !bytes.Contains(f.data, []byte("Mark Simpson")) && len(f.data) != 244 {
			t.Errorf("AUTHORS = %q", f.data)
		}
	}
	for _, name := range []string{"rtf", "triples", "winmail", "christmas"} {
		files := read(name)
		last := files[len(files)-1]
		if last.name != "body.rtf" || !bytes.HasPrefix(last.data, []byte(`{\rtf1`)) || !bytes.HasSuffix(bytes.TrimRight(last.data, "\x00\r\n"), []byte("}")) {
			t.Errorf("%s: body %q = %.40q … %.40q", name, last.name, last.data, last.data[max(0, len(last.data)-40):])
		}
	}
	files := read("panic")
	if f := files[0]; f.mediaType != "image/jpeg" || f.contentID != "image001.jpg@01D139A1.76DB0C80" || !bytes.HasPrefix(f.data, []byte("\xff\xd8\xff")) {
		t.Errorf("panic image001 = %q %q %q %.4q", f.name, f.mediaType, f.contentID, f.data)
	}
	files = read("christmas")
	if f := files[0]; !bytes.HasPrefix(f.data, []byte("\xff\xd8\xff")) || !bytes.Equal(f.data, files[2].data) {
		t.Errorf("christmas kitten = %d bytes %.4q", len(f.data), f.data)
	}
}

func TestRTFPrebuf(t *testing.T) {
	if len(rtfPrebuf) != 207 {
		t.Fatalf("the RTF dictionary is %d bytes, not 207", len(rtfPrebuf))
	}
	// [MS-OXRTFCP] section 4.1: a compressed "{\rtf1\ansi\ansicpg1252\pard hello world}\r\n".
	comp := []byte{
		0x2d, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xf1, 0xc5, 0xc7, 0xa7,
		0x03, 0x00, 0x0a, 0x00, 0x72, 0x63, 0x70, 0x67, 0x31, 0x32, 0x35, 0x42, 0x32, 0x0a, 0xf3, 0x20,
		0x68, 0x65, 0x6c, 0x09, 0x00, 0x20, 0x62, 0x77, 0x05, 0xb0, 0x6c, 0x64, 0x7d, 0x0a, 0x80, 0x0f,
		0xa0,
	}
	if got, want := string(decompressRTF(comp)), "{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n"; got != want {
		t.Errorf("decompressRTF = %q, want %q", got, want)
	}
}

// TestTNEFMessages renders the corpus messages that carry a winmail.dat.
func TestTNEFMessages(t *testing.T) {
	tests := []struct {
		path  string
		names []string
	}{
		{"mimekit/tnef/rich-text.eml", []string{"kitten-playing-with-a-christmas-tree.jpg", "Untitled Attachment.rtf", "kitten-playing-with-a-christmas-tree.jpg", "Untitled Attachment.rtf", "body.rtf"}},
		{"mimekit/tnef/ukr.eml", []string{"body.html"}},
		// Named winmail.dat, but a PNG: listed as it is.
		{"mail-mime-parser/emails/m4006.txt", []string{"winmail.dat"}},
	}
	for _, tt := range tests {
		raw := readCorpus(t, tt.path)
		v := Render(raw, RenderOptions{})
		var names []string
		for _, a := range v.Attachments {
			names = append(names, a.Filename)
			pa, data, err := Part(raw, a.ID)
			if err != nil || pa != a || int64(len(data)) != a.Size {
				t.Errorf("%s: Part(%s) = %+v, %d bytes, %v; Render listed %+v", tt.path, a.ID, pa, len(data), err, a)
			}
		}
		if !slices.Equal(names, tt.names) {
			t.Errorf("%s: attachments %q, want %q", tt.path, names, tt.names)
		}
	}

	// The HTML body is in KOI8 (PR_INTERNET_CPID 20866, as its meta says
	// too) and reads "шостий" like the text/plain part. MimeKit's
	// TestExtractedCharset expects windows-1251 and gets "ЫПУФЙК", the
	// same bytes read in the wrong charset.
	raw := readCorpus(t, "mimekit/tnef/ukr.eml")
	a, data, err := Part(raw, "2.t1")
	if err != nil || a.ContentType != "text/html" || a.Charset != "koi8-r" {
		t.Fatalf("Part(2.t1) = %+v, %v", a, err)
	}
	if s := decodeCharset(a.Charset, data); !strings.Contains(s, "<p>шостий</p>") {
		t.Errorf("body.html = %s", s)
	}
	for _, id := range []string{"2.t0", "2.t2", "1.t1", "2.u1", "2.t99999999999999999999"} {
		if _, _, err := Part(raw, id); err != ErrNoPart {
			t.Errorf("Part(%s): %v", id, err)
		}
	}
}

// TestTNEFHostile checks that damaged and hostile streams are read
// without panics and without allocating what their lengths claim.
func TestTNEFHostile(t *testing.T) {
	le32 := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	attr := func(level byte, id uint32, data []byte) []byte {
		b := append([]byte{level}, le32(id)...)
		b = append(b, le32(uint32(len(data)))...)
		b = append(b, data...)
		return append(b, 0, 0)
	}
	head := append(le32(tnefSignature), 0x01, 0x00)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

	// A property list that claims 4 billion properties, each value 4 GB.
	hugeProps := cat(le32(0xffffffff), []byte{0x02, 0x01, 0x01, 0x37}, le32(1), le32(0xfffffff0))
	tests := map[string][]byte{
		"empty":              nil,
		"signature only":     le32(tnefSignature),
		"huge attribute":     cat(head, []byte{2}, le32(0x0006800f), le32(0xffffffff), []byte("abc")),
		"huge props":         cat(head, attr(2, 0x00069002, nil), attr(2, 0x00069005, hugeProps)),
		"huge MV count":      cat(head, attr(2, 0x00069005, cat(le32(1), []byte{0x03, 0x10, 0x05, 0x37}, le32(0xffffffff)))),
		"named prop garbage": cat(head, attr(1, 0x00069003, cat(le32(1), []byte{0x1e, 0x00, 0x00, 0x80}, make([]byte, 16), le32(1), le32(0xffffffff)))),
		"bad RTF":            cat(head, attr(1, 0x00069003, cat(le32(1), []byte{0x02, 0x01, 0x09, 0x10}, le32(1), le32(16), le32(0xffffffff), le32(0xffffffff), []byte("LZFu"), le32(0)))),
		"data, no start":     cat(head, attr(2, 0x0006800f, []byte("file")), attr(2, 0x00018010, []byte("a.txt\x00"))),
		"bad level":          cat(head, attr(7, 0x0006800f, []byte("x"))),
	}
	for name, b := range tests {
		files, ok := decodeTNEF(b)
		t.Logf("%s: %v %d files", name, ok, len(files))
	}
	files, _ := decodeTNEF(tests["data, no start"])
	if len(files) != 1 || files[0].name != "a.txt" || string(files[0].data) != "file" {
		t.Errorf("data before the first attAttachRendData: %+v", files)
	}

	// Attached messages nested deeper than maxTNEFDepth are not unpacked.
	inner := cat(head, attr(2, 0x00069002, nil), attr(2, 0x0006800f, []byte("deep")), attr(2, 0x00018010, []byte("deep.txt\x00")))
	for range 10 {
		obj := cat(make([]byte, 16), inner)
		props := cat(le32(2), []byte{0x03, 0x00, 0x05, 0x37}, le32(attachEmbeddedMsg),
			[]byte{0x0d, 0x00, 0x01, 0x37}, le32(1), le32(uint32(len(obj))), obj, make([]byte, int(pad4(uint64(len(obj))))-len(obj)))
		inner = cat(head, attr(2, 0x00069002, nil), attr(2, 0x00069005, props))
	}
	if files, ok := decodeTNEF(inner); !ok || len(files) != 0 {
		t.Errorf("deeply nested: %v %+v", ok, files)
	}
}

func FuzzTNEF(f *testing.F) {
	streams, err := filepath.Glob(filepath.Join(corpusDir(f), "mimekit", "tnef", "*.tnef"))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range streams {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		files, ok := decodeTNEF(b)
		if !ok && len(files) > 0 {
			t.Fatal("files from something that is not TNEF")
		}
		total := 0
		for _, f := range files {
			if f.mediaType != "application/rtf" {
				total += len(f.data)
			}
		}
		if total > len(b)*maxTNEFDepth {
			t.Fatalf("%d bytes of files from %d bytes", total, len(b))
		}
		decompressRTF(b)
	})
}
