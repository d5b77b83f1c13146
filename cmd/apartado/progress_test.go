package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/language"

	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/poller"
)

type fakeProgress struct {
	mu sync.Mutex
	p  *poller.Progress
}

func (f *fakeProgress) Progress(int64) (poller.Progress, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.p == nil {
		return poller.Progress{}, false
	}
	return *f.p, true
}

// syncBuffer is a bytes.Buffer safe for the watcher's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWatchProgress: in a terminal, "apartado sync" redraws one line with
// the sync's progress, in the terminal's language, and clears it at the end.
func TestWatchProgress(t *testing.T) {
	now := time.Now()
	src := &fakeProgress{}
	var out syncBuffer
	ctx := i18n.WithLocale(context.Background(), i18n.New(language.Spanish))
	stop := watchProgress(ctx, &out, src, 7, 5*time.Millisecond)
	time.Sleep(20 * time.Millisecond) // nothing running yet: nothing drawn
	if s := out.String(); s != "" {
		t.Fatalf("drew %q before the sync started", s)
	}
	src.mu.Lock()
	src.p = &poller.Progress{Phase: poller.PhaseDownloading, Messages: 6, MessagesDone: 2, Bytes: 1_000_000, BytesDone: 300_000,
		DownloadStarted: now.Add(-3 * time.Second), Now: now}
	src.mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "2 de 6 mensajes") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	s := out.String()
	if !strings.HasPrefix(s, "\r\033[Kaccount 7: 2 de 6 mensajes · 300\u00a0KB de 1,0\u00a0MB") {
		t.Errorf("progress line %q", s)
	}
	if !strings.HasSuffix(s, "\r\033[K") {
		t.Errorf("the line is not cleared at the end: %q", s)
	}
	if isTerminal(&out) {
		t.Error("a buffer taken for a terminal")
	}
}

// TestClearLine: a log line written while the progress line is shown
// replaces it rather than running on after it.
func TestClearLine(t *testing.T) {
	var b bytes.Buffer
	if _, err := (clearLine{&b}).Write([]byte("level=INFO msg=\"sync done\"\n")); err != nil {
		t.Fatal(err)
	}
	if b.String() != "\r\033[Klevel=INFO msg=\"sync done\"\n" {
		t.Errorf("wrote %q", b.String())
	}
}
