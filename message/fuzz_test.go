package message

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzSeedMessages are corpus messages chosen for their variety.
var fuzzSeedMessages = []string{
	"letters/test_japanese_multipart_mixed_iso-2022-jp_over_base64.txt",
	"mail-mime-parser/emails/m0016.txt",
	"mail-mime-parser/emails/m3004.txt",
	"mail-mime-parser/emails/m0018.txt", // uuencoded blocks in the text
	"mimekit/tnef/ukr.eml",              // winmail.dat
	"cpython-email/msg_35.txt",
	"cpython-email/msg_41.txt",
	"mimekit/messages/bounce.txt",
	"mimekit/dkim/multipart-no-end-boundary.msg",
	"thunderbird/mail/test/browser/composition/data/evil-meta-msg.eml",
	"thunderbird/mailnews/test/data/15-HTML+embedded-image.eml",
}

func FuzzRender(f *testing.F) {
	for _, p := range fuzzSeedMessages {
		f.Add(readCorpus(f, p), false)
	}
	f.Add(crlf(alternativeMsg), true)
	f.Add(crlf(relatedMsg), false)
	f.Add(crlf(mixedMsg), false)
	f.Add([]byte("Subject: =?utf-8?q?x?=\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n\r\n--a--"), false)
	f.Fuzz(func(t *testing.T, raw []byte, allowRemote bool) {
		s := Summarize(raw)
		v := Render(raw, RenderOptions{AllowRemote: allowRemote, PartURL: partURL})
		if s.ParseError == internalError || v.ParseError == internalError {
			t.Fatalf("internal error (a recovered panic)")
		}
		for _, str := range []string{s.Subject, s.FromName, s.FromAddr, s.To, s.Cc, s.Snippet, v.Text, v.HTML} {
			if !utf8.ValidString(str) {
				t.Fatalf("invalid UTF-8: %q", str)
			}
		}
		if strings.ContainsAny(s.Subject, "\r\n") {
			t.Fatalf("subject with a line break: %q", s.Subject)
		}
		if v.HTML != "" {
			checkSafeHTML(t, v.HTML, allowRemote)
		}
		for _, a := range v.Attachments {
			if a.Filename == "" || strings.ContainsAny(a.Filename, "/\\\x00") {
				t.Fatalf("unsafe file name %q", a.Filename)
			}
			pa, data, err := Part(raw, a.ID)
			if err != nil {
				t.Fatalf("Part(%s): %v", a.ID, err)
			}
			if pa.Filename != a.Filename || pa.Size != a.Size || int64(len(data)) != a.Size {
				t.Fatalf("Part(%s) = %+v, Render listed %+v", a.ID, pa, a)
			}
		}
		if _, _, err := Part(raw, "999.999"); !errors.Is(err, ErrNoPart) {
			t.Fatalf("Part of a missing id: %v", err)
		}
	})
}

func FuzzSanitize(f *testing.F) {
	for _, p := range []string{"mimekit/html-bodies/mimekit.net.html", "thunderbird/mail/test/browser/content-policy/html/remoteimage.html"} {
		f.Add(string(readCorpus(f, p)), false)
	}
	for _, s := range []string{
		`<p style="color: red; background: url(http://x/)">x</p><img src="cid:img"><img src="https://x/y.png">`,
		`<a href="javascript:alert(1)">x</a><svg onload=alert(1)><iframe src=//x></iframe>`,
		`<html><head><meta http-equiv=refresh content="0;url=//x"><base href="//x"></head><body bgcolor=red onload=x()>b</body></html>`,
		`<scr<script>ipt>alert(1)</script><!--<img src=x onerror=alert(1)>-->`,
		`<table background="//x/bg.png"><tr><td style="background-image:url(https://x/a.png)">t</td></tr></table>`,
		`<head><style>@import "x.css"; .a{color:red}@media (max-width:600px){.a{width:100%!important;background:url(//x/y.png)}}</style></head><p class=a>x</p>`,
		`<style>p{font-family:"</style><script>alert(1)</script>"}</style><p>x`,
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, src string, allowRemote bool) {
		s := &sanitizer{
			allowRemote: allowRemote,
			partURLs:    true,
			resolveCID: func(cid string) (string, bool) {
				if cid == "img" {
					return "2", true
				}
				return "", false
			},
		}
		frag := s.sanitize([]byte(src))
		doc := wrapDocument(resolvePlaceholders(frag, s.referenced, partURL), s.css.String())
		checkSafeHTML(t, doc, allowRemote)
		if strings.Contains(doc, `"`+partScheme) {
			t.Fatalf("placeholder left in %q", doc)
		}
	})
}
