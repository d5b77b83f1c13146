// Command app benchmarks Apartado's first sync of a large POP3 mailbox, end
// to end: the real apartado binary downloads, parses, stores and indexes a
// private Dovecot's mailbox into an empty database on disk. In the same run
// and against the same Dovecot it times mpop downloading the mailbox into a
// Maildir on the same disk, pop3client downloading it into nothing (what
// Dovecot can deliver), and a plain TCP and a TLS copy of the same bytes
// (what loopback can carry). The methods run interleaved round-robin so that
// noise on a shared machine hits them alike; the median of -runs runs is
// reported with ratios to mpop and to the TCP copy, and the peak RSS of
// apartado and mpop. Every Apartado run is checked: the database holds every
// message byte for byte (through apartado export) and the server still holds
// every message (keep a copy). The exit status is 1 if any check fails.
//
//	go run ./bench/app -n 10000 -runs 3
//
// See bench/README.md for what exactly is measured and how to read it.
package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/apartado/apartado/bench/internal/benchutil"

	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/mailgen"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout)) }

type config struct {
	n          int
	runs       int
	big        int
	seed       uint64
	keep       bool
	dir        string
	timeout    time.Duration
	mpopBin    string
	phases     bool
	cpuProfile string
	syncEnv    []string
}

// run runs the benchmark with the command line's arguments, writes the
// report to stdout and progress to stderr, and returns the exit status.
func run(args []string, stdout io.Writer) int {
	var cfg config
	fs := flag.NewFlagSet("app", flag.ContinueOnError)
	fs.IntVar(&cfg.n, "n", 10000, "messages in the mailbox, besides the big one")
	fs.IntVar(&cfg.runs, "runs", 3, "timed runs of every method")
	fs.IntVar(&cfg.big, "big", 50_000_000, "size in bytes of one big message put in the middle of the mailbox (0: none)")
	fs.Uint64Var(&cfg.seed, "seed", 1, "mailgen seed")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the working directory (binary, databases, Dovecot's logs are removed with Dovecot)")
	fs.StringVar(&cfg.dir, "dir", "", "parent of the working directory, on the disk to measure (default: $TMPDIR or /tmp)")
	fs.DurationVar(&cfg.timeout, "timeout", 90*time.Minute, "bound on the whole benchmark")
	fs.StringVar(&cfg.mpopBin, "mpop", "mpop", "mpop binary")
	fs.BoolVar(&cfg.phases, "phases", true, "after the timed rounds, time the phases of a sync in this process (parse, store) once")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "after the timed rounds, write a CPU profile of one in-process poller.SyncAccount to this file")
	envFlag := fs.String("env", "", "comma-separated KEY=VALUE settings added to apartado sync's environment (e.g. GOMEMLIMIT=100MiB)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	for _, kv := range strings.Split(*envFlag, ",") {
		if kv = strings.TrimSpace(kv); kv != "" {
			if !strings.Contains(kv, "=") {
				fmt.Fprintf(os.Stderr, "bad -env %q: want KEY=VALUE\n", kv)
				return 2
			}
			cfg.syncEnv = append(cfg.syncEnv, kv)
		}
	}
	if cfg.n < 1 || cfg.runs < 1 || cfg.big < 0 {
		fmt.Fprintln(os.Stderr, "-n and -runs must be at least 1, -big at least 0")
		return 2
	}

	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	b, closeAll, err := setup(ctx, cfg)
	defer closeAll()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	out, err := b.bench(ctx, cfg)
	fmt.Fprint(stdout, out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		fmt.Fprintf(stdout, "\n**FAILED: %v**\n", err)
		return 1
	}
	return 0
}

// msgInfo is what is known of one message put in the mailbox.
type msgInfo struct {
	size int64
	sum  [sha256.Size]byte
}

// bench is everything the runs share.
type bench struct {
	cfg    config
	srv    *dovecottest.Server
	msgs   []msgInfo // in POP3 order
	bigAt  int       // index of the big message, or -1
	total  int64     // B: bytes of all messages
	crlfs  int64     // CRLFs in them: mpop stores each as LF
	sums   map[[sha256.Size]byte]int
	header string

	roots     []*x509.Certificate
	serverTLS *tls.Config
	clientTLS *tls.Config
	tcpLn     net.Listener
	tlsLn     net.Listener

	work        string // the working directory, on disk
	bin         string // the apartado binary
	stream      string // every message concatenated, for the copies
	certFile    string
	userPWFile  string // the Apartado user's password
	pop3PWFile  string // the POP3 password
	dataDir     string // Apartado's data folder, fresh for every run
	exportDir   string
	mpopMaildir string
	mpopConf    string
	uidlsFile   string
	mpopTLS     string
	pop3TLS     string
}

func (b *bench) count() int { return len(b.msgs) }

// setup builds apartado, starts Dovecot and fills the mailbox. closeAll
// undoes everything that was done, also when setup fails.
func setup(ctx context.Context, cfg config) (b *bench, closeAll func(), err error) {
	b = &bench{cfg: cfg, bigAt: -1, sums: map[[sha256.Size]byte]int{}}
	var closers []func()
	closeAll = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	defer func() {
		if err != nil {
			closeAll()
		}
	}()

	if b.work, err = os.MkdirTemp(cfg.dir, "apartado-bench-app-"); err != nil {
		return nil, closeAll, err
	}
	if cfg.keep {
		fmt.Fprintln(os.Stderr, "keeping", b.work)
	} else {
		work := b.work // not b.work in the closure: b is nil when setup fails
		closers = append(closers, func() { os.RemoveAll(work) })
	}
	fs, err := fsType(b.work)
	if err != nil {
		return nil, closeAll, err
	}
	if fs == "tmpfs" {
		fmt.Fprintf(os.Stderr, "warning: %s is on tmpfs; durable commits cost nothing there (use -dir)\n", b.work)
	}
	b.dataDir = filepath.Join(b.work, "apartado-data")
	b.exportDir = filepath.Join(b.work, "export")
	b.mpopMaildir = filepath.Join(b.work, "mpop-maildir")
	b.mpopConf = filepath.Join(b.work, "mpoprc")
	b.uidlsFile = filepath.Join(b.work, "mpop_uidls")
	b.stream = filepath.Join(b.work, "mailbox.bin")
	b.certFile = filepath.Join(b.work, "cert.pem")
	b.userPWFile = filepath.Join(b.work, "user-password")
	b.pop3PWFile = filepath.Join(b.work, "pop3-password")
	if err := benchutil.MakeMaildir(b.mpopMaildir); err != nil {
		return nil, closeAll, err
	}

	t0 := time.Now()
	if err := b.build(ctx); err != nil {
		return nil, closeAll, err
	}
	fmt.Fprintf(os.Stderr, "built %s in %v\n", b.bin, time.Since(t0).Round(time.Millisecond))

	t0 = time.Now()
	srv, err := dovecottest.New(dovecottest.Options{})
	if err != nil {
		return nil, closeAll, err
	}
	b.srv = srv
	closers = append(closers, func() {
		if err := srv.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "bench: closing Dovecot:", err)
		}
	})
	if err := b.fill(ctx); err != nil {
		return nil, closeAll, err
	}
	fmt.Fprintf(os.Stderr, "Dovecot started and %d messages (%d bytes) written in %v\n", b.count(), b.total, time.Since(t0).Round(time.Millisecond))

	if b.roots, b.serverTLS, b.clientTLS, err = benchutil.DovecotTLS(srv); err != nil {
		return nil, closeAll, err
	}
	for path, data := range map[string]string{b.certFile: string(srv.CertPEM),
		b.userPWFile: "bench-password-1\n", b.pop3PWFile: dovecottest.DefaultPassword + "\n"} {
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			return nil, closeAll, err
		}
	}
	for _, ln := range []*net.Listener{&b.tcpLn, &b.tlsLn} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, closeAll, err
		}
		*ln = l
		closers = append(closers, func() { l.Close() })
	}
	if err := b.writeMpopConfig(); err != nil {
		return nil, closeAll, err
	}
	if b.header, err = b.environment(ctx, fs); err != nil {
		return nil, closeAll, err
	}
	return b, closeAll, nil
}

// build compiles the apartado command of this working tree.
func (b *bench) build(ctx context.Context) error {
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	b.bin = filepath.Join(b.work, "apartado")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", b.bin, "./cmd/apartado")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/apartado: %w\n%s", err, out)
	}
	return nil
}

func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run this from inside the apartado module")
	}
	return filepath.Dir(mod), nil
}

// fill puts the mailgen messages, and the big one in the middle, into
// alice's Maildir, and concatenates them into b.stream for the copies.
func (b *bench) fill(ctx context.Context) error {
	n := b.cfg.n
	if b.cfg.big > 0 {
		b.bigAt = n / 2
		n++
	}
	f, err := os.Create(b.stream)
	if err != nil {
		return err
	}
	defer f.Close()
	mb := mailgen.Mailbox{Seed: b.cfg.seed}
	for i, j := 0, 0; i < n; i++ {
		if i%500 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		var m []byte
		if i == b.bigAt {
			m = bigMessage(b.cfg.big, b.cfg.seed)
		} else {
			m = mb.Message(j)
			j++
		}
		if _, err := b.srv.AddMessage(dovecottest.DefaultUser, m); err != nil {
			return err
		}
		if _, err := f.Write(m); err != nil {
			return err
		}
		info := msgInfo{size: int64(len(m)), sum: sha256.Sum256(m)}
		b.msgs = append(b.msgs, info)
		b.sums[info.sum]++
		b.total += info.size
		b.crlfs += int64(strings.Count(string(m), "\r\n"))
	}
	if err := f.Close(); err != nil {
		return err
	}
	debug.FreeOSMemory() // the big message's buffers: keep this process small
	return nil
}

// environment returns the report's header.
func (b *bench) environment(ctx context.Context, fs string) (string, error) {
	mpopVersion, err := benchutil.FirstLine(ctx, b.cfg.mpopBin, "--version")
	if err != nil {
		return "", fmt.Errorf("mpop: %w", err)
	}
	dbin, err := dovecottest.BinaryPath()
	if err != nil {
		return "", err
	}
	dovecotVersion, err := benchutil.FirstLine(ctx, dbin, "--version")
	if err != nil {
		return "", fmt.Errorf("dovecot: %w", err)
	}
	model := benchutil.CPUModel()
	kernel, _ := benchutil.FirstLine(ctx, "uname", "-r")
	rev, _ := benchutil.FirstLine(ctx, "git", "describe", "--always", "--dirty", "--abbrev=12")
	var w strings.Builder
	fmt.Fprintf(&w, "# Apartado first-sync benchmark\n\n")
	fmt.Fprintf(&w, "- date: %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&w, "- command: go run ./bench/app %s\n", strings.Join(os.Args[1:], " "))
	fmt.Fprintf(&w, "- apartado: built from this working tree (git %s)\n", rev)
	if len(b.cfg.syncEnv) > 0 {
		fmt.Fprintf(&w, "- apartado sync's extra environment: %s\n", strings.Join(b.cfg.syncEnv, " "))
	}
	fmt.Fprintf(&w, "- machine: runtime.NumCPU() = %d (%s), Linux %s\n", runtime.NumCPU(), model, kernel)
	fmt.Fprintf(&w, "- Go: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&w, "- mpop: %s\n", mpopVersion)
	fmt.Fprintf(&w, "- Dovecot: %s\n", dovecotVersion)
	fmt.Fprintf(&w, "- machine load before the runs: %s\n", loadLine())
	fmt.Fprintf(&w, "- disk: Apartado's data folder and mpop's Maildir in %s (%s)\n", b.work, fs)
	big := "none"
	if b.bigAt >= 0 {
		big = fmt.Sprintf("message %d of %d, %d bytes", b.bigAt+1, b.count(), b.msgs[b.bigAt].size)
	}
	fmt.Fprintf(&w, "- mailbox: %d messages, B = %.1f MB (%d bytes); mailgen seed %d; big message: %s\n",
		b.count(), float64(b.total)/1e6, b.total, b.cfg.seed, big)
	fmt.Fprintf(&w, "- runs: %d per method, interleaved round-robin (the first method rotates every round) after one untimed warm-up round; median, min and max of wall-clock seconds\n", b.cfg.runs)
	fmt.Fprintf(&w, "- MB = 10^6 bytes; ×mpop = median / mpop's median (0.50 or less: the goal); ×TCP = median / the TCP copy's median\n")
	return w.String(), nil
}

// loadLine says how busy the machine is: the load averages and the share
// of time some task waited for a CPU (Linux PSI), over 10 s, 60 s, 300 s.
func loadLine() string {
	s := "loadavg unknown"
	if data, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(data)); len(f) >= 3 {
			s = "loadavg " + strings.Join(f[:3], " ")
		}
	}
	if data, err := os.ReadFile("/proc/pressure/cpu"); err == nil {
		line, _, _ := strings.Cut(string(data), "\n")
		if f := strings.Fields(line); len(f) >= 4 && f[0] == "some" {
			s += "; CPU pressure (some) " + strings.Join(f[1:4], " ")
		}
	}
	return s
}

func fsType(path string) (string, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return "", err
	}
	switch st.Type {
	case 0x01021994:
		return "tmpfs", nil
	case 0xEF53:
		return "ext4", nil
	case 0x58465342:
		return "xfs", nil
	case 0x9123683E:
		return "btrfs", nil
	}
	return fmt.Sprintf("filesystem 0x%x", st.Type), nil
}

// runs collects the results of one method.
type runs struct {
	m       method
	results []result
	errs    []error
}

func (b *bench) bench(ctx context.Context, cfg config) (string, error) {
	// The first session makes Dovecot build its index and move every file
	// from new/ to cur/, and pulls the files into the page cache; it also
	// checks every message byte for byte (by SHA-256). Then one untimed
	// round of every method, so that none pays a first-time cost.
	t0 := time.Now()
	if _, err := b.pop3Run(ctx, true); err != nil {
		return "", fmt.Errorf("warm-up download: %w", err)
	}
	fmt.Fprintf(os.Stderr, "warm-up download (index build, SHA-256 of every message) took %v\n", time.Since(t0).Round(time.Millisecond))
	b.mpopTLS = benchutil.MpopServerInfo(ctx, b.cfg.mpopBin, b.mpopConf, "bench")
	ms := b.methods()
	for _, m := range ms {
		res, err := m.run(ctx)
		if err != nil {
			return "", fmt.Errorf("warm-up round, %s: %w", m.name, err)
		}
		fmt.Fprintf(os.Stderr, "warm-up %-50s %8.3fs\n", m.name, res.wall.Seconds())
	}

	all := make([]*runs, len(ms))
	for i, m := range ms {
		all[i] = &runs{m: m}
	}
	for r := 0; r < cfg.runs && ctx.Err() == nil; r++ {
		for k := range ms {
			rs := all[(r+k)%len(ms)]
			res, err := rs.m.run(ctx)
			if err != nil {
				rs.errs = append(rs.errs, err)
				fmt.Fprintf(os.Stderr, "run %d %-50s FAILED: %v\n", r+1, rs.m.name, err)
				if ctx.Err() != nil {
					break
				}
				continue
			}
			rs.results = append(rs.results, res)
			rss := ""
			if res.peak > 0 {
				rss = fmt.Sprintf("  peak RSS %.1f MB", float64(res.peak)/1e6)
			}
			fmt.Fprintf(os.Stderr, "run %d %-50s %8.3fs %7.1f MB/s  CPU %.2fs%s\n",
				r+1, rs.m.name, res.wall.Seconds(), float64(b.total)/1e6/res.wall.Seconds(), res.cpu.Seconds(), rss)
		}
	}
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	out := b.header + fmt.Sprintf("- machine load after the runs: %s\n", loadLine()) + b.report(all)
	var errs []error
	for _, rs := range all {
		for _, e := range rs.errs {
			errs = append(errs, fmt.Errorf("%s: %w", rs.m.name, e))
		}
	}
	if msg := dovecotErrors(b.srv.Log()); msg != "" {
		out += "\nDovecot logged errors:\n\n```\n" + msg + "```\n"
		errs = append(errs, errors.New("Dovecot logged errors"))
	}
	if len(errs) == 0 && cfg.phases {
		ph, err := b.phases(ctx)
		out += ph
		if err != nil {
			errs = append(errs, fmt.Errorf("phases: %w", err))
		}
	}
	if len(errs) == 0 && cfg.cpuProfile != "" {
		if err := b.profile(ctx, cfg.cpuProfile); err != nil {
			errs = append(errs, fmt.Errorf("profile: %w", err))
		}
	}
	return out, errors.Join(errs...)
}

func dovecotErrors(log string) string {
	var w strings.Builder
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "Error:") || strings.Contains(l, "Fatal:") || strings.Contains(l, "Panic:") {
			w.WriteString(l + "\n")
		}
	}
	return w.String()
}

// ---- the report ----

func median(v []time.Duration) time.Duration {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

type summary struct {
	med, min, max time.Duration
	cpu           time.Duration
	peak          int64 // the highest of the runs; 0: not measured
}

func summarize(rs []result) summary {
	var walls, cpus []time.Duration
	var s summary
	for _, r := range rs {
		walls = append(walls, r.wall)
		cpus = append(cpus, r.cpu)
		s.peak = max(s.peak, r.peak)
	}
	s.med, s.min, s.max = median(walls), slices.Min(walls), slices.Max(walls)
	s.cpu = median(cpus)
	return s
}

func (b *bench) report(all []*runs) string {
	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format, args...) }
	sums := map[string]summary{}
	for _, rs := range all {
		if len(rs.results) > 0 {
			sums[rs.m.key] = summarize(rs.results)
		}
	}
	mpop, hasMpop := sums[keyMpop]
	tcp, hasTCP := sums[keyTCP]
	p("\nTLS: pop3client (as in apartado) ↔ Dovecot %s; mpop ↔ Dovecot %s.\n\n", b.pop3TLS, b.mpopTLS)
	p("| method | median s | min s | max s | MB/s | ×mpop | ×TCP copy | peak RSS MB | CPU s |\n")
	p("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, rs := range all {
		s, ok := sums[rs.m.key]
		if !ok {
			p("| %s | FAILED | | | | | | | |\n", rs.m.name)
			continue
		}
		name := rs.m.name
		if len(rs.errs) > 0 {
			name += fmt.Sprintf(" (%d runs FAILED)", len(rs.errs))
		}
		ratio := func(ok bool, ref summary) string {
			if !ok {
				return "—"
			}
			return fmt.Sprintf("%.2f", s.med.Seconds()/ref.med.Seconds())
		}
		peak := "—"
		if s.peak > 0 {
			peak = fmt.Sprintf("%.1f", float64(s.peak)/1e6)
		}
		p("| %s | %.3f | %.3f | %.3f | %.1f | %s | %s | %s | %.2f |\n", name, s.med.Seconds(), s.min.Seconds(), s.max.Seconds(),
			float64(b.total)/1e6/s.med.Seconds(), ratio(hasMpop, mpop), ratio(hasTCP, tcp), peak, s.cpu.Seconds())
	}
	p("\nPeak RSS: the highest of the runs. CPU: the client's user+system time (the child's rusage for\n")
	p("apartado and mpop; this whole process, both ends, for the copies and pop3client).\n")

	p("\nEvery run (seconds, in the order run; apartado and mpop: peak RSS in MB from ru_maxrss and from\n")
	p("polling VmHWM every 10 ms, see the README):\n\n")
	p("| method | runs |\n|---|---|\n")
	for _, rs := range all {
		var v []string
		for _, r := range rs.results {
			s := fmt.Sprintf("%.3f", r.wall.Seconds())
			if r.maxrss > 0 || r.polled > 0 {
				s += fmt.Sprintf(" (%.1f / %.1f MB)", float64(r.maxrss)/1e6, float64(r.polled)/1e6)
			}
			v = append(v, s)
		}
		for range rs.errs {
			v = append(v, "FAILED")
		}
		p("| %s | %s |\n", rs.m.name, strings.Join(v, ", "))
	}
	if rs, ok := sums[keyApartado]; hasMpop && ok {
		nruns := 0
		for _, r := range all {
			if r.m.key == keyApartado {
				nruns = len(r.results)
				last := r.results[nruns-1]
				p("\nApartado's data folder after a sync: %.1f MB (database and WAL).\n", float64(last.diskBytes)/1e6)
			}
		}
		ratio := rs.med.Seconds() / mpop.med.Seconds()
		speed := "holds"
		if ratio > 0.5 {
			speed = "does NOT hold"
		}
		mem := "holds"
		if rs.peak >= 150e6 {
			mem = "does NOT hold"
		}
		p("\n**Goals.** At least 2x faster than mpop: %s (Apartado takes %.2fx mpop's time, i.e. it is %.2fx as fast). Peak RSS under 150 MB: %s (%.1f MB at most, %d runs).\n",
			speed, ratio, 1/ratio, mem, float64(rs.peak)/1e6, nruns)
	}
	return w.String()
}

// copyChunk is the read size of the copies' receivers.
const copyChunk = 64 << 10

// readAll reads r to EOF with a copyChunk buffer and returns the byte count.
func readAll(r io.Reader) (int64, error) {
	buf := make([]byte, copyChunk)
	var n int64
	for {
		m, err := r.Read(buf)
		n += int64(m)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("after %d bytes: %w", n, err)
		}
	}
}
