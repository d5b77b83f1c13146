package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/apartado/apartado/bench/internal/benchutil"
)

// clockTick is Linux's USER_HZ, the unit of the CPU times in /proc/<pid>/stat
// (100 on every architecture Go supports).
const clockTick = 10 * time.Millisecond

// ---- memory of the benchmark process ----

// mapAnon returns size bytes of anonymous memory outside the Go heap, so
// that holding the whole mailbox (hundreds of MB) for the TCP copy neither
// makes the garbage collector's heap goal huge nor shows up as Go heap
// growth during the pop3client runs.
func mapAnon(size int) ([]byte, error) {
	if size == 0 {
		return nil, nil
	}
	return syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
}

func unmap(b []byte) {
	if b != nil {
		_ = syscall.Munmap(b)
	}
}

// resetPeakRSS resets the process's peak RSS (VmHWM) to its current RSS
// (Linux ≥ 4.0, "echo 5 > /proc/self/clear_refs") and returns the current
// RSS in bytes. ok is false when the kernel does not support it.
func resetPeakRSS() (rss int64, ok bool) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return 0, false
	}
	rss, err := statusField("VmRSS")
	return rss, err == nil
}

// peakRSS returns VmHWM, the process's peak resident set size, in bytes.
func peakRSS() (int64, error) { return statusField("VmHWM") }

// statusField reads a "kB" field of /proc/self/status.
func statusField(name string) (int64, error) { return benchutil.StatusField("self", name) }

func rusageCPU(ru *syscall.Rusage) time.Duration {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ---- CPU time of Dovecot's processes ----

// procStat is what /proc/<pid>/stat says about a process's CPU use.
type procStat struct {
	comm     string
	ticks    uint64 // utime + stime
	children uint64 // cutime + cstime: children waited for
	io       ioStat // only for the session's processes (see ioComms)
}

// ioStat is /proc/<pid>/io: bytes and system calls of read(2)- and
// write(2)-like calls, files and sockets alike.
type ioStat struct{ rchar, wchar, syscr, syscw uint64 }

func (a ioStat) sub(b ioStat) ioStat {
	return ioStat{a.rchar - b.rchar, a.wchar - b.wchar, a.syscr - b.syscr, a.syscw - b.syscw}
}

func (a ioStat) add(b ioStat) ioStat {
	return ioStat{a.rchar + b.rchar, a.wchar + b.wchar, a.syscr + b.syscr, a.syscw + b.syscw}
}

// ioComms are the processes whose I/O is recorded: the per-session ones.
var ioComms = map[string]bool{"pop3": true, "pop3-login": true}

func readIO(pid int) (ioStat, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/io")
	if err != nil {
		return ioStat{}, err
	}
	var s ioStat
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "rchar":
			s.rchar = n
		case "wchar":
			s.wchar = n
		case "syscr":
			s.syscr = n
		case "syscw":
			s.syscw = n
		}
	}
	return s, nil
}

func readStat(pid int) (procStat, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	// "pid (comm) state ppid ..."; comm may contain anything, even ")".
	open := bytes.IndexByte(data, '(')
	end := bytes.LastIndexByte(data, ')')
	if open < 0 || end < open {
		return procStat{}, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(data[end+1:]))
	// f[0] is field 3 (state); utime is field 14, stime 15, cutime 16, cstime 17.
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	var v [4]uint64
	for i := range v {
		n, err := strconv.ParseUint(f[11+i], 10, 64)
		if err != nil {
			return procStat{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		v[i] = n
	}
	return procStat{comm: string(data[open+1 : end]), ticks: v[0] + v[1], children: v[2] + v[3]}, nil
}

// childPIDs lists the children of pid, from /proc/<pid>/task/<pid>/children
// when the kernel has it, else by scanning /proc for the parent pid.
func childPIDs(pid int) ([]int, error) {
	p := strconv.Itoa(pid)
	if data, err := os.ReadFile("/proc/" + p + "/task/" + p + "/children"); err == nil {
		var pids []int
		for _, f := range strings.Fields(string(data)) {
			if n, err := strconv.Atoi(f); err == nil {
				pids = append(pids, n)
			}
		}
		return pids, nil
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		end := bytes.LastIndexByte(data, ')')
		if end < 0 {
			continue
		}
		if f := strings.Fields(string(data[end+1:])); len(f) > 1 && f[1] == p {
			pids = append(pids, n)
		}
	}
	return pids, nil
}

// findDovecotMaster returns the pid of the dovecot master process running
// the configuration in dir (its command line names dir/dovecot.conf).
func findDovecotMaster(dir string) (int, error) {
	conf := filepath.Join(dir, "dovecot.conf")
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		args := strings.Split(string(cmdline), "\x00")
		if len(args) > 0 && filepath.Base(args[0]) == "dovecot" {
			for _, a := range args[1:] {
				if a == conf {
					return pid, nil
				}
			}
		}
	}
	return 0, fmt.Errorf("no dovecot master process running %s", conf)
}

// cpuSampler measures the CPU time Dovecot spends during one session.
//
// The total is exact: the master's own CPU plus what its children used,
// counting children that exited (and were reaped) through the master's
// cutime/cstime. The split by process name (pop3, pop3-login, ...) comes
// from polling the live children every pollEvery and once more just before
// QUIT; a process that exits between two polls loses at most that much of
// its last CPU from the split, not from the total.
type cpuSampler struct {
	master int

	mu         sync.Mutex
	base       map[int]procStat // every process of the group at start
	last       map[int]procStat // latest reading of every process seen since
	tracked    int              // a client process whose I/O and memory to poll, or 0
	trackedIO  ioStat
	trackedHWM int64

	stop chan struct{}
	done chan struct{}
}

const pollEvery = 20 * time.Millisecond

// dovecotCPU is the CPU Dovecot used during a session.
type dovecotCPU struct {
	total     time.Duration
	byComm    map[string]time.Duration // approximate split
	io        map[string]ioStat        // of the processes in ioComms, approximate
	trackedIO ioStat                   // of the Track'ed process, last polled
	// trackedHWM is the Track'ed process's VmHWM (peak RSS), last polled.
	// Its rusage ru_maxrss is useless here: Go starts children with
	// CLONE_VM|CLONE_VFORK, and exec(2) then records the parent's peak RSS
	// as the child's.
	trackedHWM int64
}

func newCPUSampler(master int) *cpuSampler { return &cpuSampler{master: master} }

func (s *cpuSampler) snapshot() map[int]procStat {
	m := map[int]procStat{}
	if st, err := readStat(s.master); err == nil {
		m[s.master] = st
	}
	pids, _ := childPIDs(s.master)
	for _, pid := range pids {
		if st, err := readStat(pid); err == nil {
			if ioComms[st.comm] {
				st.io, _ = readIO(pid)
			}
			m[pid] = st
		}
	}
	return m
}

// Start takes the baseline and starts polling.
func (s *cpuSampler) Start() {
	base := s.snapshot()
	s.mu.Lock()
	s.tracked, s.trackedIO, s.trackedHWM = 0, ioStat{}, 0
	s.base = base
	s.last = make(map[int]procStat, len(base))
	for pid, st := range base {
		s.last[pid] = st
	}
	s.mu.Unlock()
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(pollEvery)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.Snap()
			}
		}
	}()
}

// Track makes the sampler poll the I/O counters of pid (a client) too.
func (s *cpuSampler) Track(pid int) {
	s.mu.Lock()
	s.tracked = pid
	s.mu.Unlock()
	s.Snap()
}

// Snap records the current CPU times of the live processes.
func (s *cpuSampler) Snap() {
	snap := s.snapshot()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tracked != 0 {
		if io, err := readIO(s.tracked); err == nil && io.syscr+io.syscw > 0 {
			s.trackedIO = io
		}
		if hwm, err := benchutil.StatusField(strconv.Itoa(s.tracked), "VmHWM"); err == nil && hwm > s.trackedHWM {
			s.trackedHWM = hwm
		}
	}
	for pid, st := range snap {
		if old, ok := s.last[pid]; !ok || st.ticks >= old.ticks {
			s.last[pid] = st
		}
	}
}

// Finish stops polling, waits (up to wait) for the processes born during
// the session to exit and be reaped by the master, and returns the CPU
// Dovecot used since Start.
func (s *cpuSampler) Finish(wait time.Duration) (dovecotCPU, error) {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	var born []int
	for pid := range s.last {
		if _, ok := s.base[pid]; !ok {
			born = append(born, pid)
		}
	}
	s.mu.Unlock()
	deadline := time.Now().Add(wait)
	var lingering []string
	for _, pid := range born {
		for {
			if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); errors.Is(err, os.ErrNotExist) {
				break
			}
			if time.Now().After(deadline) {
				lingering = append(lingering, strconv.Itoa(pid))
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	end := s.snapshot()

	s.mu.Lock()
	defer s.mu.Unlock()
	var r dovecotCPU
	r.byComm = map[string]time.Duration{}
	r.io = map[string]ioStat{}
	r.trackedIO, r.trackedHWM = s.trackedIO, s.trackedHWM
	mb, ok1 := s.base[s.master]
	me, ok2 := end[s.master]
	if !ok1 || !ok2 {
		return r, errors.New("dovecot master gone")
	}
	ticks := int64(me.ticks-mb.ticks) + int64(me.children-mb.children)
	for pid, st := range end {
		if pid == s.master {
			continue
		}
		ticks += int64(st.ticks)
		if b, ok := s.base[pid]; ok {
			ticks -= int64(b.ticks)
		}
	}
	for pid, b := range s.base {
		if _, alive := end[pid]; !alive && pid != s.master {
			ticks -= int64(b.ticks) // counted in the master's children time in full
		}
	}
	r.total = time.Duration(ticks) * clockTick
	for pid, st := range s.last {
		if e, ok := end[pid]; ok && e.ticks >= st.ticks {
			st = e
		}
		d := st.ticks
		io := st.io
		if b, ok := s.base[pid]; ok {
			d -= b.ticks
			io = io.sub(b.io)
		}
		if ioComms[st.comm] {
			r.io[st.comm] = r.io[st.comm].add(io)
		}
		r.byComm[st.comm] += time.Duration(d) * clockTick
	}
	if len(lingering) > 0 {
		return r, fmt.Errorf("dovecot processes %s still running %v after the session", strings.Join(lingering, ","), wait)
	}
	return r, nil
}
