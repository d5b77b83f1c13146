package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apartado/apartado/bench/internal/benchutil"
)

// page is one page the benchmark times, with its static twin: the same
// bytes served by http.FileServer.
type page struct {
	name, path string
	url        string // path on the server
	size       int    // bytes of the page's body
	static     string // the twin's URL
}

// server is a running "apartado serve".
type server struct {
	cmd    interface{ Wait() error }
	pid    int
	base   string
	stderr bytes.Buffer
}

// serve starts apartado serve on a free loopback port and waits for it.
func (b *bench) serve(ctx context.Context) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return nil, err
	}
	s := &server{base: "http://" + addr}
	// No daily backup: a new server makes its first one at once, a VACUUM
	// INTO of the whole database, which ran during the timings (and took
	// the server's RSS from about 100 MB to 203 MB at 30,000 messages).
	cmd := b.command(ctx, "serve", "--addr="+addr, "--data="+b.dataDir, "--extra-ca-file="+b.certFile, "--log-level=warn",
		"--backups=0")
	cmd.Stderr = &s.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s.cmd, s.pid = cmd, cmd.Process.Pid
	b.closers = append(b.closers, func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := http.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("apartado serve did not answer in 30 s: %v: %s", err, s.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// client signs in and returns a client carrying the session cookie.
func (s *server) client(ctx context.Context, conc int) (*http.Client, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	c := &http.Client{Jar: jar, Transport: &http.Transport{MaxIdleConnsPerHost: conc + 1, DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := url.Values{"name": {benchUser}, "password": {benchPassword}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
		return nil, fmt.Errorf("sign-in answered %s", resp.Status)
	}
	return c, nil
}

// pages finds the URLs to time from the database: an account, a cursor
// deep in the inbox, a plain message in the middle, a rare word; folder
// is the folder whose list is timed.
func (b *bench) pages(ctx context.Context, folder int64) ([]page, int, error) {
	conn, err := sql.Open("sqlite", "file:"+b.dbPath+"?mode=ro")
	if err != nil {
		return nil, 0, err
	}
	defer conn.Close()
	var inbox, account, msg int64
	if err := conn.QueryRowContext(ctx, `SELECT b.id FROM mailboxes b JOIN users u ON u.id = b.user_id
		WHERE u.name = ? AND b.role = 'inbox'`, benchUser).Scan(&inbox); err != nil {
		return nil, 0, fmt.Errorf("inbox: %w", err)
	}
	if err := conn.QueryRowContext(ctx, `SELECT min(id) FROM accounts`).Scan(&account); err != nil {
		return nil, 0, fmt.Errorf("account: %w", err)
	}
	// 500 pages of 50 deep, or halfway down a smaller inbox.
	depth := min(500, b.cfg.n/50/2)
	var sortAt, id int64
	if err := conn.QueryRowContext(ctx, `SELECT sort_at, id FROM messages WHERE mailbox_id = ?
		ORDER BY sort_at DESC, id DESC LIMIT 1 OFFSET ?`, inbox, max(depth*50-1, 0)).Scan(&sortAt, &id); err != nil {
		return nil, 0, fmt.Errorf("deep cursor: %w", err)
	}
	// Messages from the middle of the mailbox, by their Message-ID
	// (mailgen's "<i.…@example.net>"): a plain text one, and one in HTML.
	mb := b.mailbox()
	plain, html, large := b.cfg.n/2, b.cfg.n/2, b.cfg.n/2
	for mb.IsHTML(plain) || mb.IsLarge(plain) {
		plain++
	}
	for !mb.IsHTML(html) {
		html++
	}
	for !mb.IsLarge(large) && large < b.cfg.n-1 {
		large++
	}
	var htmlMsg int64
	for i, dst := range map[int]*int64{plain: &msg, html: &htmlMsg} {
		if err := conn.QueryRowContext(ctx, `SELECT id FROM messages WHERE message_id_hdr LIKE ?`,
			strconv.Itoa(i)+".%@example.net").Scan(dst); err != nil {
			return nil, 0, fmt.Errorf("message %d of the mailbox: %w", i, err)
		}
	}
	m, h := strconv.FormatInt(msg, 10), strconv.FormatInt(htmlMsg, 10)
	return []page{
		{name: "inbox", path: "/mail"},
		{name: "an account's view", path: "/mail?account=" + strconv.FormatInt(account, 10)},
		{name: fmt.Sprintf("inbox, %d pages deep", depth), path: fmt.Sprintf("/mail?before=%d.%d", sortAt, id)},
		{name: "a message (plain)", path: "/mail/" + m},
		{name: "settings", path: "/settings"},
		{name: "HTML body frame", path: "/mail/" + h + "/body"},
		{name: "a folder", path: "/mail/folders/" + strconv.FormatInt(folder, 10)},
		// mailgen's text draws every word from 20, so each is in nearly
		// every message; a message's number is only in its own subject
		// or attachment's name ("informe-N.pdf"); one in 97 messages is
		// from each sender.
		{name: "search: a common word", path: "/search?q=invoice"},
		{name: "search: a rare word", path: "/search?q=" + strconv.Itoa(large)},
		{name: "search: a phrase", path: "/search?q=" + url.QueryEscape(`"garden please"`)},
		{name: "search: from:", path: "/search?q=" + url.QueryEscape("from:sender42@example.net")},
	}, depth, nil
}

// statics writes each page's body into a folder served by http.FileServer
// on a loopback listener of this process, and sets the pages' twins.
func (b *bench) statics(ctx context.Context, c *http.Client, s *server, pages []page) error {
	dir := filepath.Join(b.work, "static")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: http.FileServer(http.Dir(dir)), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	b.closers = append(b.closers, func() { hs.Close() })
	for i := range pages {
		pages[i].url = s.base + pages[i].path
		body, err := get(ctx, c, pages[i].url)
		if err != nil {
			return fmt.Errorf("%s: %w", pages[i].name, err)
		}
		name := fmt.Sprintf("page%d.html", i)
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o600); err != nil {
			return err
		}
		pages[i].size = len(body)
		pages[i].static = "http://" + ln.Addr().String() + "/" + name
	}
	return nil
}

// get fetches a URL and fails on any status but 200.
func get(ctx context.Context, c *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return body, nil
}

// latencies runs n GETs of u from conc workers and returns each one's time.
func latencies(ctx context.Context, c *http.Client, u string, n, conc int) ([]time.Duration, error) {
	out := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, conc)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				if _, err := get(ctx, c, u); err != nil {
					errs <- err
					return
				}
				out[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := errors.Join(<-errs, ctx.Err()); err != nil {
		return nil, err
	}
	return out, nil
}

// timing is one page at one concurrency, with its twin's.
type timing struct {
	p50, p95, p99, s50, s95, s99 time.Duration
}

// newTiming gives the percentiles of a page's times and its twin's.
func newTiming(dyn, stat []time.Duration) timing {
	return timing{p50: pct(dyn, 50), p95: pct(dyn, 95), p99: pct(dyn, 99), s50: pct(stat, 50), s95: pct(stat, 95), s99: pct(stat, 99)}
}

// timePage alternates rounds of the page and of its static twin, so that
// noise on a shared machine hits both alike.
func timePage(ctx context.Context, c *http.Client, p page, n, conc int) (timing, error) {
	const rounds = 4
	// Warm-up: connections, caches.
	for _, u := range []string{p.url, p.static} {
		if _, err := latencies(ctx, c, u, conc, conc); err != nil {
			return timing{}, err
		}
	}
	var dyn, stat []time.Duration
	for r := range rounds {
		k := n / rounds
		if r == rounds-1 {
			k = n - k*(rounds-1)
		}
		if k == 0 {
			continue
		}
		d, err := latencies(ctx, c, p.url, k, conc)
		if err != nil {
			return timing{}, fmt.Errorf("%s: %w", p.name, err)
		}
		s, err := latencies(ctx, c, p.static, k, conc)
		if err != nil {
			return timing{}, fmt.Errorf("%s, static: %w", p.name, err)
		}
		dyn, stat = append(dyn, d...), append(stat, s...)
	}
	return newTiming(dyn, stat), nil
}

// pct is the p-th percentile (nearest rank).
func pct(v []time.Duration, p int) time.Duration {
	s := slices.Clone(v)
	slices.Sort(s)
	i := (len(s)*p+99)/100 - 1
	return s[max(i, 0)]
}

// watchRSS polls a process's resident memory every 20 ms until the
// returned function is called, which returns the highest VmRSS seen and
// the last VmHWM read.
func watchRSS(pid int) func() (maxRSS, hwm int64) {
	p := strconv.Itoa(pid)
	done := make(chan struct{})
	var rss, peak int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if v, err := benchutil.StatusField(p, "VmRSS"); err == nil && v > rss {
				rss = v
			}
			if v, err := benchutil.StatusField(p, "VmHWM"); err == nil && v > peak {
				peak = v
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() (int64, int64) {
		close(done)
		wg.Wait()
		return rss, peak
	}
}
