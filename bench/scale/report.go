package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/apartado/apartado/bench/internal/benchutil"
)

// run does every step in order and returns the report, as far as it got.
func (b *bench) run(ctx context.Context) (string, error) {
	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format, args...) }
	if err := b.setup(ctx); err != nil {
		return "", err
	}
	rev, _ := benchutil.FirstLine(ctx, "git", "describe", "--always", "--dirty", "--abbrev=12")
	kernel, _ := benchutil.FirstLine(ctx, "uname", "-r")
	p("# Apartado at scale\n\n")
	p("- date: %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	p("- command: go run ./bench/scale %s\n", strings.Join(os.Args[1:], " "))
	p("- apartado: built from this working tree (git %s)\n", rev)
	p("- machine: runtime.NumCPU() = %d (%s), Linux %s, %s\n", runtime.NumCPU(), benchutil.CPUModel(), kernel, runtime.Version())
	p("- mailbox: %d messages, %.1f MB of mail, in %d accounts of one user (mailgen seed %d, dealt round-robin)\n",
		b.cfg.n, float64(b.rawBytes)/1e6, len(b.users), b.cfg.seed)

	b.logf("first sync of %d messages…", b.cfg.n)
	wall, peak, err := b.firstSync(ctx)
	if err != nil {
		return w.String(), err
	}
	p("\n## First sync\n\n")
	p("`apartado sync` of the %d accounts into an empty database: %.2f s (%.2f s per 10,000 messages, %.1f MB/s), peak RSS %.1f MB.\n",
		len(b.users), wall.Seconds(), wall.Seconds()*10000/float64(b.cfg.n), float64(b.rawBytes)/1e6/wall.Seconds(), float64(peak)/1e6)

	st, err := b.storage(ctx)
	if err != nil {
		return w.String(), err
	}
	p("\n## Storage\n\n")
	p("| | MB | × the mail's bytes |\n|---|---:|---:|\n")
	row := func(name string, v int64) {
		p("| %s | %.1f | %.3f |\n", name, float64(v)/1e6, float64(v)/float64(b.rawBytes))
	}
	row("the mail (raw, as on the servers)", b.rawBytes)
	row("database file and WAL", st.fileBytes)
	row("pages in use", (st.pages-st.freePages)*st.pageSize)
	row("raw bytes as stored (message_raw, message_raw_parts)", st.rawInPages)
	p("\nPage size %d bytes; %d pages, %d free.\n", st.pageSize, st.pages, st.freePages)

	b.logf("a poll that finds nothing new…")
	pc, err := b.idlePoll(ctx)
	if err != nil {
		return w.String(), err
	}
	p("\n## A poll that finds nothing new\n\n")
	p("Every account synced once in this process, on a freshly opened database (SQLite's counters, sqlite3_db_status, summed over the connections):\n\n")
	p("| wall | pages read from the file | pages found in the cache | pages written | WAL written |\n|---:|---:|---:|---:|---:|\n")
	p("| %.3f s | %d | %d | %d | %.1f KB |\n", pc.wall.Seconds(), pc.miss, pc.hit, pc.wrte, float64(pc.walBytes)/1e3)
	p("\n%d messages on the servers; the listing itself (UIDL and LIST) is O(mailbox) on the wire whatever the database does.\n", pc.onServer)

	b.logf("timing pages…")
	srv, err := b.serve(ctx)
	if err != nil {
		return w.String(), err
	}
	c, err := srv.client(ctx, slicesMax(b.cfg.conc))
	if err != nil {
		return w.String(), err
	}
	folder, inbox, bulkIDs, err := b.folder(ctx, c, srv)
	if err != nil {
		return w.String(), err
	}
	pages, depth, err := b.pages(ctx, folder)
	if err != nil {
		return w.String(), err
	}
	if err := b.statics(ctx, c, srv, pages); err != nil {
		return w.String(), err
	}
	stopRSS := watchRSS(srv.pid)
	results := map[[2]int]timing{}
	for _, conc := range b.cfg.conc {
		for i, pg := range pages {
			t, err := timePage(ctx, c, pg, b.cfg.requests, conc)
			if err != nil {
				stopRSS()
				return w.String(), err
			}
			results[[2]int{i, conc}] = t
			b.logf("c=%-3d %-28s p50 %8.2f ms (static %6.2f)  p95 %8.2f ms (static %6.2f)  p99 %8.2f ms (static %6.2f)",
				conc, pg.name, ms(t.p50), ms(t.s50), ms(t.p95), ms(t.s95), ms(t.p99), ms(t.s99))
		}
	}
	bulk := map[int]timing{}
	for _, conc := range b.cfg.conc {
		t, err := timeBulk(ctx, c, srv, pages[0].static, bulkIDs, folder, inbox, b.cfg.requests, conc)
		if err != nil {
			stopRSS()
			return w.String(), err
		}
		bulk[conc] = t
		b.logf("c=%-3d %-28s p50 %8.2f ms (static %6.2f)  p95 %8.2f ms (static %6.2f)", conc, "bulk move",
			ms(t.p50), ms(t.s50), ms(t.p95), ms(t.s95))
	}
	maxRSS, hwm := stopRSS()

	p("\n## Pages\n\n")
	p("`apartado serve` on loopback, signed in; each page and its static twin (the same bytes from http.FileServer in the\n")
	p("benchmark's process) requested %d times at each concurrency, in 4 alternating rounds after a warm-up. p50 and p95 in\n", b.cfg.requests)
	p("ms; ×static = the page's percentile / the twin's same percentile. The deep page is %d pages of 50 into the inbox.\n\n", depth)
	p("| page | bytes |")
	for _, conc := range b.cfg.conc {
		p(" c=%d p50 | static | ×static | c=%d p95 | static | ×static |", conc, conc)
	}
	p("\n|---|---:|")
	for range b.cfg.conc {
		p("---:|---:|---:|---:|---:|---:|")
	}
	p("\n")
	for i, pg := range pages {
		p("| %s | %d |", pg.name, pg.size)
		for _, conc := range b.cfg.conc {
			t := results[[2]int{i, conc}]
			p(" %.2f | %.2f | %.1f | %.2f | %.2f | %.1f |", ms(t.p50), ms(t.s50), ratio(t.p50, t.s50), ms(t.p95), ms(t.s95), ratio(t.p95, t.s95))
		}
		p("\n")
	}
	p("| moving %d messages (a POST of the list's form; static: the inbox's twin) | |", len(bulkIDs))
	for _, conc := range b.cfg.conc {
		t := bulk[conc]
		p(" %.2f | %.2f | %.1f | %.2f | %.2f | %.1f |", ms(t.p50), ms(t.s50), ratio(t.p50, t.s50), ms(t.p95), ms(t.s95), ratio(t.p95, t.s95))
	}
	p("\n")
	p("\np99 of the same requests (nearest rank, as above):\n\n")
	p("| page |")
	for _, conc := range b.cfg.conc {
		p(" c=%d p99 | static | ×static |", conc)
	}
	p("\n|---|")
	for range b.cfg.conc {
		p("---:|---:|---:|")
	}
	p("\n")
	p99Row := func(name string, at func(conc int) timing) {
		p("| %s |", name)
		for _, conc := range b.cfg.conc {
			t := at(conc)
			p(" %.2f | %.2f | %.1f |", ms(t.p99), ms(t.s99), ratio(t.p99, t.s99))
		}
		p("\n")
	}
	for i, pg := range pages {
		p99Row(pg.name, func(conc int) timing { return results[[2]int{i, conc}] })
	}
	p99Row(fmt.Sprintf("moving %d messages", len(bulkIDs)), func(conc int) timing { return bulk[conc] })
	p("\nMemory of `apartado serve` under this load: highest VmRSS seen (polled every 20 ms) %.1f MB, VmHWM %.1f MB.\n",
		float64(maxRSS)/1e6, float64(hwm)/1e6)
	return w.String(), nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func slicesMax(v []int) int {
	m := 0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}
