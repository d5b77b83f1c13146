package message

import "testing"

// benchMessage is a mid-size (28 KB) corpus message: a delivery report
// with multipart/alternative, HTML, encoded-words and an attached message.
const benchMessage = "mimekit/messages/bounce.txt"

func BenchmarkSummarize(b *testing.B) {
	raw := readCorpus(b, benchMessage)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if s := Summarize(raw); s.Subject == "" {
			b.Fatal("no subject")
		}
	}
}

func BenchmarkRender(b *testing.B) {
	raw := readCorpus(b, benchMessage)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if v := Render(raw, RenderOptions{PartURL: partURL}); v.Text == "" {
			b.Fatal("no text")
		}
	}
}
