// Command pop3 benchmarks downloading a whole POP3 mailbox from a private,
// real Dovecot over loopback TLS: pop3client pipelined and one command at a
// time, pop3client and mpop writing into a Maildir on tmpfs, and, as the
// physical limits of the machine, a plain Go TCP copy and a Go TLS copy of
// the same bytes from memory. Diagnostic rows separate Dovecot's cost from
// the client's: a Go reader that parses nothing, and both it and pop3client
// without TLS. The methods run interleaved round-robin so that noise on a
// shared machine hits them alike; the median of -runs runs is reported, with
// ratios to the TCP copy and to mpop, the CPU time of the client and of
// Dovecot, and the system calls on both sides.
//
//	go run ./bench/pop3 -n 1000,10000 -runs 3
//
// See bench/README.md for what exactly is measured and how to read it.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/apartado/apartado/bench/internal/benchutil"

	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/mailgen"
)

func main() { os.Exit(run()) }

type config struct {
	sizes         []int
	runs          int
	seed          uint64
	timeout       time.Duration
	mpopBin       string
	fsync         bool
	cpuProfile    string
	profileMethod string
	profileRuns   int
}

func run() int {
	var cfg config
	nFlag := flag.String("n", "1000", "comma-separated mailbox sizes (messages)")
	flag.IntVar(&cfg.runs, "runs", 3, "timed runs of every method per mailbox size")
	flag.Uint64Var(&cfg.seed, "seed", 1, "mailgen seed")
	flag.DurationVar(&cfg.timeout, "timeout", 30*time.Minute, "bound on the whole benchmark")
	flag.StringVar(&cfg.mpopBin, "mpop", "mpop", "mpop binary")
	flag.BoolVar(&cfg.fsync, "fsync", true, "pop3client's Maildir writer fsyncs every message file, as mpop does")
	flag.StringVar(&cfg.cpuProfile, "cpuprofile", "", "after the timed runs of the largest size, profile extra runs of -profilemethod into this file")
	flag.StringVar(&cfg.profileMethod, "profilemethod", keyPipelined, "method to profile with -cpuprofile: "+strings.Join(methodKeys(), ", "))
	flag.IntVar(&cfg.profileRuns, "profileruns", 3, "runs to profile with -cpuprofile")
	flag.Parse()
	for _, f := range strings.Split(*nFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bad -n %q\n", f)
			return 2
		}
		cfg.sizes = append(cfg.sizes, n)
	}
	if cfg.runs < 1 {
		fmt.Fprintln(os.Stderr, "-runs must be at least 1")
		return 2
	}

	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	header, err := environment(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	fmt.Print(header)

	failed := false
	for i, n := range cfg.sizes {
		profile := ""
		if i == len(cfg.sizes)-1 {
			profile = cfg.cpuProfile
		}
		out, err := benchSize(ctx, cfg, n, profile)
		fmt.Print(out)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: N=%d: %v\n", n, err)
			fmt.Printf("\n**N = %d FAILED: %v**\n", n, err)
			failed = true
		}
		if ctx.Err() != nil {
			break
		}
	}
	if failed {
		return 1
	}
	return 0
}

// environment returns the header: machine, versions, date.
func environment(ctx context.Context, cfg config) (string, error) {
	mpopVersion, err := benchutil.FirstLine(ctx, cfg.mpopBin, "--version")
	if err != nil {
		return "", fmt.Errorf("mpop: %w", err)
	}
	bin, err := dovecottest.BinaryPath()
	if err != nil {
		return "", err
	}
	dovecotVersion, err := benchutil.FirstLine(ctx, bin, "--version")
	if err != nil {
		return "", fmt.Errorf("dovecot: %w", err)
	}
	model := benchutil.CPUModel()
	kernel, _ := benchutil.FirstLine(ctx, "uname", "-r")
	var b strings.Builder
	fmt.Fprintf(&b, "# POP3 download benchmark\n\n")
	fmt.Fprintf(&b, "- date: %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "- machine: runtime.NumCPU() = %d (%s), GOMAXPROCS %d, Linux %s\n", runtime.NumCPU(), model, runtime.GOMAXPROCS(0), kernel)
	fmt.Fprintf(&b, "- Go: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "- mpop: %s\n", mpopVersion)
	fmt.Fprintf(&b, "- Dovecot: %s\n", dovecotVersion)
	fmt.Fprintf(&b, "- runs: %d per method, interleaved round-robin (the starting method rotates every round) after one untimed warm-up round; median, min and max of wall-clock seconds\n", cfg.runs)
	fmt.Fprintf(&b, "- MB = 10^6 bytes; ×TCP = median time / median time of the plain TCP copy; ×mpop = median time / median time of mpop (below 1: faster than mpop)\n")
	return b.String(), nil
}

// bench is everything one mailbox size needs.
type bench struct {
	n     int
	srv   *dovecottest.Server
	data  []byte  // the messages concatenated, outside the Go heap
	offs  []int64 // message i is data[offs[i]:offs[i+1]]
	total int64   // B
	crlfs int64   // CRLFs in data: mpop stores each as LF
	wire  int64   // bytes of all the RETR replies on the wire

	roots     []*x509.Certificate
	serverTLS *tls.Config
	clientTLS *tls.Config
	tcpLn     net.Listener
	tlsLn     net.Listener
	sampler   *cpuSampler

	work        string // temporary directory: cert, mpop config, UIDLs file
	shm         string // tmpfs directory holding the Maildirs
	goMaildir   string
	mpopMaildir string
	certFile    string
	mpopConf    string
	uidlsFile   string
	mpopBin     string
	mpopTLS     string
	fsync       bool
}

func (b *bench) size(i int) int64     { return b.offs[i+1] - b.offs[i] }
func (b *bench) message(i int) []byte { return b.data[b.offs[i]:b.offs[i+1]] }

// setup starts Dovecot and fills the mailbox. close undoes everything that
// was done, also when setup fails.
func setup(ctx context.Context, cfg config, n int) (b *bench, closeAll func(), err error) {
	b = &bench{n: n, mpopBin: cfg.mpopBin, fsync: cfg.fsync}
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

	if b.work, err = os.MkdirTemp("", "apartado-bench-"); err != nil {
		return nil, closeAll, err
	}
	closers = append(closers, func() { os.RemoveAll(b.work) })
	shmParent := ""
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		shmParent = "/dev/shm"
	}
	if b.shm, err = os.MkdirTemp(shmParent, "apartado-bench-"); err != nil {
		return nil, closeAll, err
	}
	closers = append(closers, func() { os.RemoveAll(b.shm) })
	b.goMaildir = filepath.Join(b.shm, "pop3client")
	b.mpopMaildir = filepath.Join(b.shm, "mpop")
	for _, d := range []string{b.goMaildir, b.mpopMaildir} {
		if err := benchutil.MakeMaildir(d); err != nil {
			return nil, closeAll, err
		}
	}

	t0 := time.Now()
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

	// Fill the Maildir, then read the files back into one buffer outside
	// the Go heap.
	mb := mailgen.Mailbox{Seed: cfg.seed}
	paths := make([]string, n)
	b.offs = make([]int64, n+1)
	for i := 0; i < n; i++ {
		if i%500 == 0 && ctx.Err() != nil {
			return nil, closeAll, ctx.Err()
		}
		m := mb.Message(i)
		if paths[i], err = srv.AddMessage(dovecottest.DefaultUser, m); err != nil {
			return nil, closeAll, err
		}
		b.offs[i+1] = b.offs[i] + int64(len(m))
	}
	b.total = b.offs[n]
	if b.data, err = mapAnon(int(b.total)); err != nil {
		return nil, closeAll, fmt.Errorf("mmap %d bytes: %w", b.total, err)
	}
	closers = append(closers, func() { unmap(b.data) })
	for i, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, closeAll, err
		}
		_, err = io.ReadFull(f, b.message(i))
		f.Close()
		if err != nil {
			return nil, closeAll, fmt.Errorf("reading back %s: %w", p, err)
		}
	}
	b.crlfs = int64(bytes.Count(b.data, []byte("\r\n")))
	b.wire = b.wireSize()
	fmt.Fprintf(os.Stderr, "N=%d: Dovecot started and %d messages (%d bytes) written in %v\n", n, n, b.total, time.Since(t0).Round(time.Millisecond))

	// TLS: the Dovecot certificate and key for the Go TLS copy too.
	if b.roots, b.serverTLS, b.clientTLS, err = benchutil.DovecotTLS(srv); err != nil {
		return nil, closeAll, err
	}
	b.certFile = filepath.Join(b.work, "cert.pem")
	if err := os.WriteFile(b.certFile, srv.CertPEM, 0o644); err != nil {
		return nil, closeAll, err
	}

	for _, ln := range []*net.Listener{&b.tcpLn, &b.tlsLn} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, closeAll, err
		}
		*ln = l
		closers = append(closers, func() { l.Close() })
	}

	master, err := findDovecotMaster(srv.Dir)
	if err != nil {
		return nil, closeAll, err
	}
	b.sampler = newCPUSampler(master)

	b.mpopConf = filepath.Join(b.work, "mpoprc")
	b.uidlsFile = filepath.Join(b.work, "mpop_uidls")
	if err := b.writeMpopConfig(); err != nil {
		return nil, closeAll, err
	}
	return b, closeAll, nil
}

// runs collects the results of one method.
type runs struct {
	m       method
	results []result
	errs    []error
}

func benchSize(ctx context.Context, cfg config, n int, profile string) (string, error) {
	b, closeAll, err := setup(ctx, cfg, n)
	defer closeAll()
	if err != nil {
		return "", err
	}

	// Warm-up, untimed: the first session makes Dovecot build its index and
	// move every file from new/ to cur/, and pulls the files into the page
	// cache. It also checks every message byte for byte. Then one untimed
	// round of every method, so that none pays a first-time cost.
	t0 := time.Now()
	if _, err := b.pop3Run(ctx, false, true, b.verify, nil); err != nil {
		return "", fmt.Errorf("warm-up download: %w", err)
	}
	fmt.Fprintf(os.Stderr, "N=%d: warm-up download (index build, byte-for-byte check) took %v\n", n, time.Since(t0).Round(time.Millisecond))
	b.mpopTLS = benchutil.MpopServerInfo(ctx, b.mpopBin, b.mpopConf, "bench")
	ms := b.methods()
	for _, m := range ms {
		if _, err := m.run(ctx); err != nil {
			return "", fmt.Errorf("warm-up round, %s: %w", m.name, err)
		}
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
				fmt.Fprintf(os.Stderr, "N=%d run %d %-40s FAILED: %v\n", n, r+1, rs.m.name, err)
				if ctx.Err() != nil {
					break
				}
				continue
			}
			rs.results = append(rs.results, res)
			dc := ""
			if res.dovecot != nil {
				dc = fmt.Sprintf(" dovecot CPU %.2fs", res.dovecot.total.Seconds())
			}
			fmt.Fprintf(os.Stderr, "N=%d run %d %-40s %7.3fs %7.1f MB/s  client CPU %.2fs%s\n",
				n, r+1, rs.m.name, res.wall.Seconds(), float64(res.bytes)/1e6/res.wall.Seconds(), res.cpu.Seconds(), dc)
		}
	}
	if ctx.Err() != nil {
		return "", ctx.Err()
	}

	out := report(b, all)
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
	if profile != "" && len(errs) == 0 {
		if err := b.profile(ctx, profile, cfg.profileMethod, cfg.profileRuns); err != nil {
			errs = append(errs, fmt.Errorf("profiling: %w", err))
		}
	}
	return out, errors.Join(errs...)
}

// profile writes a CPU profile of extra, untimed runs of one method.
func (b *bench) profile(ctx context.Context, path, key string, runs int) error {
	var m *method
	for _, x := range b.methods() {
		if x.key == key {
			m = &x
		}
	}
	if m == nil {
		return fmt.Errorf("no method %q", key)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	for i := 0; i < runs; i++ {
		res, err := m.run(ctx)
		if err != nil {
			pprof.StopCPUProfile()
			return err
		}
		fmt.Fprintf(os.Stderr, "N=%d profiled %s, run %d: %.3fs, client CPU %.2fs\n", b.n, m.name, i+1, res.wall.Seconds(), res.cpu.Seconds())
	}
	pprof.StopCPUProfile()
	return f.Close()
}

func methodKeys() []string {
	var keys []string
	for _, m := range (&bench{}).methods() {
		keys = append(keys, m.key)
	}
	return keys
}

func dovecotErrors(log string) string {
	var b strings.Builder
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "Error:") || strings.Contains(l, "Fatal:") || strings.Contains(l, "Panic:") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// ---- the report ----

type summary struct {
	med, min, max time.Duration
	cpu           time.Duration
	dovecot       time.Duration
	hasDovecot    bool
	byComm        map[string]time.Duration
	io            map[string]ioStat
	clientIO      ioStat
	hasClientIO   bool
	rss           int64
	msgs          int
	bytes         int64
	tlsState      string
}

func median[T int64 | time.Duration](v []T) T {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func summarize(rs []result) summary {
	var walls, cpus, dcs, rsss []time.Duration
	var cio [4][]int64
	comms := map[string][]time.Duration{}
	ios := map[string][4][]int64{}
	s := summary{byComm: map[string]time.Duration{}, io: map[string]ioStat{}, rss: -1}
	for _, r := range rs {
		walls = append(walls, r.wall)
		cpus = append(cpus, r.cpu)
		if r.dovecot != nil {
			s.hasDovecot = true
			dcs = append(dcs, r.dovecot.total)
			for c, d := range r.dovecot.byComm {
				comms[c] = append(comms[c], d)
			}
			for c, v := range r.dovecot.io {
				a := ios[c]
				for k, x := range []uint64{v.rchar, v.wchar, v.syscr, v.syscw} {
					a[k] = append(a[k], int64(x))
				}
				ios[c] = a
			}
		}
		if r.rss >= 0 {
			rsss = append(rsss, time.Duration(r.rss))
		}
		if r.hasClientIO {
			s.hasClientIO = true
			for k, x := range []uint64{r.clientIO.rchar, r.clientIO.wchar, r.clientIO.syscr, r.clientIO.syscw} {
				cio[k] = append(cio[k], int64(x))
			}
		}
		s.msgs, s.bytes, s.tlsState = r.msgs, r.bytes, r.tlsState
	}
	s.med, s.min, s.max = median(walls), slices.Min(walls), slices.Max(walls)
	s.cpu = median(cpus)
	if s.hasDovecot {
		s.dovecot = median(dcs)
		for c, v := range comms {
			for len(v) < len(rs) {
				v = append(v, 0) // a process name not seen in some run
			}
			s.byComm[c] = median(v)
		}
		for c, a := range ios {
			s.io[c] = ioStat{uint64(median(a[0])), uint64(median(a[1])), uint64(median(a[2])), uint64(median(a[3]))}
		}
	}
	if len(rsss) > 0 {
		s.rss = int64(median(rsss))
	}
	if s.hasClientIO {
		s.clientIO = ioStat{uint64(median(cio[0])), uint64(median(cio[1])), uint64(median(cio[2])), uint64(median(cio[3]))}
	}
	return s
}

func report(b *bench, all []*runs) string {
	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format, args...) }
	sums := map[string]summary{}
	for _, rs := range all {
		if len(rs.results) > 0 {
			sums[rs.m.key] = summarize(rs.results)
		}
	}
	tcp, hasTCP := sums[keyTCP]
	mpop, hasMpop := sums[keyMpop]

	p("\n## N = %d messages, B = %.1f MB (%d bytes)\n\n", b.n, float64(b.total)/1e6, b.total)
	p("TLS negotiated: pop3client↔Dovecot %s; Go TLS copy %s; mpop↔Dovecot %s.\n\n",
		sums[keyPipelined].tlsState, sums[keyTLS].tlsState, b.mpopTLS)
	p("| method | median s | msgs/s | MB/s | ×TCP copy | ×mpop (maildir) | min s | max s |\n")
	p("|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, rs := range all {
		s, ok := sums[rs.m.key]
		if !ok {
			p("| %s | FAILED | | | | | | |\n", rs.m.name)
			continue
		}
		name := rs.m.name
		if len(rs.errs) > 0 {
			name += fmt.Sprintf(" (%d runs FAILED)", len(rs.errs))
		}
		secs := s.med.Seconds()
		ratio := func(ok bool, ref summary) string {
			if !ok {
				return "—"
			}
			return fmt.Sprintf("%.2f", secs/ref.med.Seconds())
		}
		msgsPerSec, mbPerSec := fmt.Sprintf("%.0f", float64(b.n)/secs), fmt.Sprintf("%.1f", float64(b.total)/1e6/secs)
		if rs.m.noData {
			msgsPerSec, mbPerSec = "—", "—"
		}
		p("| %s | %.3f | %s | %s | %s | %s | %.3f | %.3f |\n", name, secs, msgsPerSec, mbPerSec,
			ratio(hasTCP, tcp), ratio(hasMpop, mpop), s.min.Seconds(), s.max.Seconds())
	}

	p("\nCPU and memory (medians). Client CPU is this Go process (both ends for the copies; the pop3client\n")
	p("rows include the 20 ms /proc sampler) or mpop's rusage; Dovecot CPU is every Dovecot process, exact;\n")
	p("the split by process is from polling. Busy cores = (client + Dovecot CPU) / wall; the machine has %d.\n", runtime.NumCPU())
	p("RSS: growth of this process's peak RSS (VmHWM after resetting it) for pop3client; mpop's VmHWM, polled\n")
	p("every 20 ms (its ru_maxrss is inflated by this process's RSS: Go spawns with vfork semantics).\n\n")
	p("| method | client CPU s | Dovecot CPU s | pop3 s | pop3-login s | other Dovecot s | busy cores | RSS MB |\n")
	p("|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, rs := range all {
		s, ok := sums[rs.m.key]
		if !ok {
			continue
		}
		dc, pop3, login, other := "—", "—", "—", "—"
		busy := s.cpu
		if s.hasDovecot {
			dc = fmt.Sprintf("%.2f", s.dovecot.Seconds())
			pop3 = fmt.Sprintf("%.2f", s.byComm["pop3"].Seconds())
			login = fmt.Sprintf("%.2f", s.byComm["pop3-login"].Seconds())
			o := max(s.dovecot-s.byComm["pop3"]-s.byComm["pop3-login"], 0) // the split is polled
			other = fmt.Sprintf("%.2f", o.Seconds())
			busy += s.dovecot
		}
		rss := "—"
		if s.rss >= 0 {
			rss = fmt.Sprintf("%.1f", float64(s.rss)/1e6)
		}
		p("| %s | %.2f | %s | %s | %s | %s | %.2f | %s |\n", rs.m.name, s.cpu.Seconds(), dc, pop3, login, other,
			busy.Seconds()/s.med.Seconds(), rss)
	}

	p("\nread(2)/write(2)-like system calls per session (medians, from /proc/<pid>/io; KB = 1024 bytes).\n")
	p("Client: this Go process (both ends for the copies; it includes the sampler's few thousand small\n")
	p("/proc reads) or mpop (polled every 20 ms). pop3 reads the message files and writes to pop3-login,\n")
	p("which reads that, encrypts it and writes it to the client's TCP connection. mpop receives with\n")
	p("recv(2), which /proc/<pid>/io does not count (n/a); its writes are its Maildir files.\n\n")
	p("| method | client reads | KB/read | client writes | KB/write | pop3 writes | KB/write | pop3-login reads | KB/read | pop3-login writes | KB/write |\n")
	p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	per := func(n, calls uint64) string {
		if calls == 0 {
			return "—"
		}
		return fmt.Sprintf("%.1f", float64(n)/float64(calls)/1024)
	}
	for _, rs := range all {
		s, ok := sums[rs.m.key]
		if !ok {
			continue
		}
		c := s.clientIO
		cols := []string{"—", "—", "—", "—"}
		if s.hasClientIO {
			cols = []string{fmt.Sprint(c.syscr), per(c.rchar, c.syscr), fmt.Sprint(c.syscw), per(c.wchar, c.syscw)}
			if rs.m.key == keyMpop {
				// mpop receives with recv(2), which /proc/<pid>/io does not count.
				cols[0], cols[1] = "n/a", "n/a"
			}
		}
		dcols := []string{"—", "—", "—", "—", "—", "—"}
		if s.hasDovecot {
			p3, lg := s.io["pop3"], s.io["pop3-login"]
			dcols = []string{fmt.Sprint(p3.syscw), per(p3.wchar, p3.syscw), fmt.Sprint(lg.syscr), per(lg.rchar, lg.syscr),
				fmt.Sprint(lg.syscw), per(lg.wchar, lg.syscw)}
		}
		p("| %s | %s | %s |\n", rs.m.name, strings.Join(cols, " | "), strings.Join(dcols, " | "))
	}

	p("\nEvery run (seconds, in the order run):\n\n")
	p("| method | runs |\n|---|---|\n")
	for _, rs := range all {
		var v []string
		for _, r := range rs.results {
			v = append(v, fmt.Sprintf("%.3f", r.wall.Seconds()))
		}
		for range rs.errs {
			v = append(v, "FAILED")
		}
		p("| %s | %s |\n", rs.m.name, strings.Join(v, ", "))
	}
	return w.String()
}
