package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/bench/internal/benchutil"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/secret"
	"github.com/apartado/apartado/message"
	"github.com/apartado/apartado/poller"
	"github.com/apartado/apartado/pop3client"
)

// phases times, once and in this process, the work a first sync does
// besides the download, with the same functions the poller calls: parsing
// (message.Summarize), hashing (SHA-256) and storing (db.StoreDownloaded
// in the poller's batches, into a fresh database on the same disk), then a
// whole poller.SyncAccount. The messages are read from the page cache
// outside the timings.
func (b *bench) phases(ctx context.Context) (string, error) {
	fmt.Fprintln(os.Stderr, "phases: parse and hash")
	f, err := os.Open(b.stream)
	if err != nil {
		return "", err
	}
	defer f.Close()
	summaries := make([]message.Summary, b.count())
	var parse, hash time.Duration
	var bigParseRSS int64
	for i, m := range b.msgs {
		raw := make([]byte, m.size)
		if _, err := io.ReadFull(f, raw); err != nil {
			return "", err
		}
		if i == b.bigAt {
			debug.FreeOSMemory()
			resetPeakRSS()
		}
		rss0, _ := benchutil.StatusField("self", "VmRSS")
		t0 := time.Now()
		summaries[i] = message.Summarize(raw)
		t1 := time.Now()
		_ = sha256.Sum256(raw)
		hash += time.Since(t1)
		parse += t1.Sub(t0)
		if i == b.bigAt {
			hwm, _ := benchutil.StatusField("self", "VmHWM")
			bigParseRSS = hwm - rss0
		}
	}

	stats := make([]storeStats, len(storeVariants))
	for i, v := range storeVariants {
		fmt.Fprintln(os.Stderr, "phases: store,", v.name)
		if stats[i], err = b.storePhase(ctx, summaries, v); err != nil {
			return "", fmt.Errorf("store, %s: %w", v.name, err)
		}
	}

	fmt.Fprintln(os.Stderr, "phases: in-process poller.SyncAccount, stacks sampled")
	// The goroutine running the sync downloads and parses; batches are
	// stored by a committer goroutine it starts (poller/sync.go).
	ws := newWallSampler("poller.(*Poller).SyncAccount(", "created by github.com/apartado/apartado/poller.(*Poller).transfer")
	syncWall, syncRes, err := b.inProcessSync(ctx, ws)
	if err != nil {
		return "", err
	}

	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format, args...) }
	p("\n## Phases of a first sync, timed separately in this process (once)\n\n")
	p("| phase | s | notes |\n|---|---:|---|\n")
	p("| parse: message.Summarize of every message | %.3f | %.0f µs per message |\n", parse.Seconds(), float64(parse.Microseconds())/float64(b.count()))
	p("| hash: SHA-256 of every message | %.3f | %.0f MB/s |\n", hash.Seconds(), float64(b.total)/1e6/hash.Seconds())
	for i, v := range storeVariants {
		st := stats[i]
		p("| store: db.StoreDownloaded, %s | %.3f | %d transactions; %.0f MB written by write(2) (%.2f× B); %.0f ms in the slowest |\n",
			v.name, st.wall.Seconds(), st.batches, float64(st.written)/1e6, float64(st.written)/float64(b.total),
			float64(st.slowest.Milliseconds()))
	}
	p("| whole sync in this process: poller.SyncAccount, empty database | %.3f | %s |\n", syncWall.Seconds(), syncRes)
	p("\nWhere that sync's wall-clock time went: the stacks of the goroutine running it (downloading and\n")
	p("parsing) and of its committer (storing), sampled every %v, by the first matching frame (see the README);\n", wallEvery)
	p("the committer exists only while messages are transferred:\n\n")
	for i, role := range []string{"the sync goroutine", "the committer goroutine"} {
		p("| %s was in (%d samples) | share | ≈ s |\n|---|---:|---:|\n", role, ws.totals[i])
		for _, c := range wallClasses {
			n := ws.counts[i][c.name]
			if n == 0 {
				continue
			}
			p("| %s | %.1f%% | %.2f |\n", c.name, 100*float64(n)/float64(max(ws.totals[0], 1)), syncWall.Seconds()*float64(n)/float64(max(ws.totals[0], 1)))
		}
		p("\n")
	}
	if b.bigAt >= 0 {
		p("\nMemory for the %.0f MB message, growth of this process's peak RSS over its RSS before: message.Summarize %.1f MB;\n",
			float64(b.msgs[b.bigAt].size)/1e6, float64(bigParseRSS)/1e6)
		p("db.StoreDownloaded of the batch holding it (its bytes already in memory) %.1f MB.\n", float64(stats[0].bigRSS)/1e6)
	}
	return w.String(), nil
}

// storeVariant is a way of running the store phase: the first is how
// Apartado stores; the others show what a change to db.Open's pragmas or
// to the poller's batches would buy (on this benchmark's own database).
type storeVariant struct {
	name       string
	pragmas    []string // run on the only connection after db.Open
	batchScale int      // the poller's batch limits times this
}

var storeVariants = []storeVariant{
	{"poller's batches (64 messages or 16 MiB), WAL, synchronous=FULL (as shipped)", nil, 1},
	{"the same with synchronous=OFF (no fsync: what durability costs)", []string{"synchronous=OFF"}, 1},
	{"the same with synchronous=NORMAL (WAL fsynced at checkpoints only)", []string{"synchronous=NORMAL"}, 1},
	{"batches 4x larger (256 messages or 64 MiB), synchronous=FULL", nil, 4},
	{"rollback journal (journal_mode=TRUNCATE) instead of WAL, synchronous=FULL", []string{"journal_mode=TRUNCATE"}, 1},
}

type storeStats struct {
	wall, slowest time.Duration
	batches       int
	written       int64 // bytes passed to write(2)-like calls during the stores
	bigRSS        int64 // peak RSS growth while storing the batch with the big message
}

// storePhase stores every message into a fresh database the way the
// poller's transfer does, timing only the StoreDownloaded calls.
func (b *bench) storePhase(ctx context.Context, sums []message.Summary, v storeVariant) (st storeStats, err error) {
	dir := filepath.Join(b.work, "phase-data")
	if err := os.RemoveAll(dir); err != nil {
		return st, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return st, err
	}
	defer os.RemoveAll(dir)
	d, err := db.Open(ctx, filepath.Join(dir, "apartado.db"))
	if err != nil {
		return st, err
	}
	defer func() {
		if cerr := d.Close(); err == nil {
			err = cerr
		}
	}()
	if len(v.pragmas) > 0 {
		// One connection, so that the pragmas hold for every transaction.
		d.SQL().SetMaxOpenConns(1)
		for _, pr := range v.pragmas {
			if _, err := d.SQL().ExecContext(ctx, "PRAGMA "+pr); err != nil {
				return st, fmt.Errorf("PRAGMA %s: %w", pr, err)
			}
		}
	}
	batchMessages, batchBytes := poller.BatchMessages*v.batchScale, poller.BatchBytes*v.batchScale
	u, err := d.CreateUser(ctx, "bench", "x", db.RoleAdmin) // an administrator: its accounts may reach the loopback test server
	if err != nil {
		return st, err
	}
	acc, err := d.CreateAccount(ctx, u.ID, db.AccountSettings{Name: "a", Email: "alice@example.org", Host: "127.0.0.1",
		Port: 995, Security: "tls", Username: "alice", PasswordSealed: []byte("x"), PollInterval: time.Hour, Enabled: true})
	if err != nil {
		return st, err
	}
	f, err := os.Open(b.stream)
	if err != nil {
		return st, err
	}
	defer f.Close()
	syncDisk()
	now := time.Now()
	var batch []db.Downloaded
	pending, hasBig := 0, false
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if hasBig {
			debug.FreeOSMemory()
			resetPeakRSS()
		}
		rss0, _ := benchutil.StatusField("self", "VmRSS")
		io0, _ := selfIO()
		t0 := time.Now()
		_, _, err := d.StoreDownloaded(ctx, batch)
		el := time.Since(t0)
		io1, _ := selfIO()
		if hasBig {
			hwm, _ := benchutil.StatusField("self", "VmHWM")
			st.bigRSS = hwm - rss0
		}
		st.wall += el
		st.slowest = max(st.slowest, el)
		st.written += io1 - io0
		st.batches++
		batch, pending, hasBig = batch[:0], 0, false
		return err
	}
	for i, m := range b.msgs {
		raw := make([]byte, m.size)
		if _, err := io.ReadFull(f, raw); err != nil {
			return st, err
		}
		s := sums[i]
		sortAt := now
		if !s.Date.IsZero() {
			sortAt = s.Date
		}
		batch = append(batch, db.Downloaded{NewMessage: db.NewMessage{
			AccountID: acc.ID, UserID: u.ID, UIDL: "uidl-" + strconv.Itoa(i), ServerSize: m.size,
			Raw: raw, SHA256: m.sum[:], ReceivedAt: now, SortAt: sortAt,
			FromName: s.FromName, FromAddr: s.FromAddr, To: s.To, Cc: s.Cc, Subject: s.Subject,
			MessageID: s.MessageID, Snippet: s.Snippet, HasAttachments: s.HasAttachments, ParseError: s.ParseError,
		}, SizeOK: true, DedupeByContent: true})
		pending += int(m.size)
		hasBig = hasBig || i == b.bigAt
		if len(batch) >= batchMessages || pending >= batchBytes {
			if err := flush(); err != nil {
				return st, err
			}
		}
	}
	return st, flush()
}

// selfIO returns wchar of /proc/self/io: bytes passed to write(2)-like calls.
func selfIO() (int64, error) {
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "wchar:"); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, errors.New("no wchar in /proc/self/io")
}

// syncDisk flushes earlier writes (untimed), so that their writeback does
// not land in the next timing.
func syncDisk() { syscall.Sync() }

// inProcessSync runs one poller.SyncAccount, as apartado sync does, into a
// fresh database, and checks what it stored.
func (b *bench) inProcessSync(ctx context.Context, ws *wallSampler) (time.Duration, string, error) {
	dir := filepath.Join(b.work, "inprocess-data")
	if err := os.RemoveAll(dir); err != nil {
		return 0, "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, "", err
	}
	defer os.RemoveAll(dir)
	d, err := db.Open(ctx, filepath.Join(dir, "apartado.db"))
	if err != nil {
		return 0, "", err
	}
	defer d.Close()
	key, err := secret.Generate()
	if err != nil {
		return 0, "", err
	}
	u, err := d.CreateUser(ctx, "bench", "x", db.RoleAdmin) // an administrator: its accounts may reach the loopback test server
	if err != nil {
		return 0, "", err
	}
	sealed, err := key.Seal([]byte(dovecottest.DefaultPassword), app.PasswordContext(u.ID))
	if err != nil {
		return 0, "", err
	}
	host, portS, err := net.SplitHostPort(b.srv.TLSAddr)
	if err != nil {
		return 0, "", err
	}
	port, _ := strconv.Atoi(portS)
	acc, err := d.CreateAccount(ctx, u.ID, db.AccountSettings{Name: "a", Email: "alice@example.org", Host: host, Port: port,
		Security: pop3client.SecurityTLS.String(), Username: dovecottest.DefaultUser, PasswordSealed: sealed,
		PollInterval: time.Hour, Enabled: true})
	if err != nil {
		return 0, "", err
	}
	p := &poller.Poller{DB: d, Key: key, ExtraRootCAs: b.roots, Timeout: time.Minute}
	syncDisk()
	if ws != nil {
		ws.start()
	}
	t0 := time.Now()
	res, err := p.SyncAccount(ctx, acc.ID)
	wall := time.Since(t0)
	if ws != nil {
		ws.stop()
	}
	if err == nil {
		err = res.Err
	}
	if err != nil {
		return 0, "", err
	}
	if res.New != b.count() || res.Bytes != b.total {
		return 0, "", fmt.Errorf("in-process sync stored %d messages (%d bytes), want %d (%d)", res.New, res.Bytes, b.count(), b.total)
	}
	return wall, fmt.Sprintf("%d messages, %d bytes stored", res.New, res.Bytes), nil
}

// profile writes a CPU profile of one in-process poller.SyncAccount.
func (b *bench) profile(ctx context.Context, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	wall, what, err := b.inProcessSync(ctx, nil)
	pprof.StopCPUProfile()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "profiled poller.SyncAccount: %.3fs, %s → %s\n", wall.Seconds(), what, path)
	return f.Close()
}

// ---- a wall-clock sampler ----

// wallEvery is how often wallSampler takes the stacks.
const wallEvery = 5 * time.Millisecond

// wallClasses sort a stack into what the goroutine was doing: the first
// class with a frame containing one of its markers wins, tried in order.
var wallClasses = []struct {
	name    string
	markers []string
}{
	{"store: fsync (SQLite's unixSync)", []string{"lib._unixSync", "lib._full_fsync"}},
	{"store: write(2) of WAL frames and checkpoints", []string{"lib._unixWrite", "lib._seekAndWrite"}},
	{"store: the rest of db.StoreDownloaded (SQLite's CPU, copies)", []string{"db.(*DB).StoreDownloaded"}},
	{"parse: message.Summarize", []string{"message.Summarize"}},
	{"hash: SHA-256", []string{"crypto/sha256", "fips140/sha256"}},
	{"handing a batch over: waiting while the committer stores the one before", []string{"[chan send"}},
	{"waiting for the next batch to store", []string{"[chan receive"}},
	{"download: reading and decrypting the stream, waiting for Dovecot", []string{"pop3client."}},
	{"other", []string{""}},
}

// wallSampler is a poor man's wall-clock profiler: every wallEvery it
// takes every goroutine's stack (runtime.Stack, a short stop of the
// world) and counts what the goroutine whose stack contains marker was in.
type wallSampler struct {
	markers []string // one goroutine per marker is sampled
	counts  []map[string]int
	totals  []int
	quit    chan struct{}
	done    chan struct{}
}

func newWallSampler(markers ...string) *wallSampler {
	w := &wallSampler{markers: markers, totals: make([]int, len(markers))}
	for range markers {
		w.counts = append(w.counts, map[string]int{})
	}
	return w
}

func (w *wallSampler) start() {
	w.quit, w.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(w.done)
		buf := make([]byte, 1<<20)
		t := time.NewTicker(wallEvery)
		defer t.Stop()
		for {
			select {
			case <-w.quit:
				return
			case <-t.C:
			}
			n := runtime.Stack(buf, true)
			seen := make([]bool, len(w.markers))
			for _, g := range strings.Split(string(buf[:n]), "\n\n") {
				for i, marker := range w.markers {
					if seen[i] || !strings.Contains(g, marker) {
						continue
					}
					seen[i] = true
					for _, c := range wallClasses {
						if slices.ContainsFunc(c.markers, func(m string) bool { return strings.Contains(g, m) }) {
							w.counts[i][c.name]++
							break
						}
					}
					w.totals[i]++
					break
				}
			}
		}
	}()
}

func (w *wallSampler) stop() {
	close(w.quit)
	<-w.done
}
