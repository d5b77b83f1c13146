package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"mime"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/apartado/apartado/bench/internal/benchutil"
)

// ---- peak memory of a child process ----

// runChild runs cmd and measures its wall time from start to exit, its CPU
// time and its peak RSS.
//
// The peak RSS comes from two sources. ru_maxrss (ProcessState.SysUsage)
// is exact for the child's own memory, but Go starts children with
// CLONE_VM|CLONE_VFORK, and exec(2) then records the parent's (this
// process's) peak RSS as the child's starting maxrss (bench/pop3 found
// mpop's "ru_maxrss" to be the size of the benchmark process). So this
// process's peak is first reset to its current RSS (kept small), and the
// child's VmHWM is also polled every 10 ms from /proc. peak is ru_maxrss
// when it exceeds this process's own peak (then it can only be the
// child's), else the polled VmHWM.
func runChild(cmd *exec.Cmd) (result, error) {
	debug.FreeOSMemory()
	resetPeakRSS()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	// Start returns once the child has exec'd: its VmHWM is its own.
	pid := strconv.Itoa(cmd.Process.Pid)
	done, polled := make(chan struct{}), make(chan int64, 1)
	go func() {
		var hwm int64
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if v, err := benchutil.StatusField(pid, "VmHWM"); err == nil && v > hwm {
				hwm = v
			}
			select {
			case <-done:
				polled <- hwm
				return
			case <-t.C:
			}
		}
	}()
	err := cmd.Wait()
	wall := time.Since(start)
	close(done)
	res := result{wall: wall, polled: <-polled}
	if err != nil {
		return res, err
	}
	own, _ := benchutil.StatusField("self", "VmHWM")
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		res.maxrss = ru.Maxrss << 10
	}
	res.peak = res.polled
	if res.maxrss > own {
		res.peak = res.maxrss
	}
	return res, nil
}

// resetPeakRSS resets this process's peak RSS (VmHWM) to its current RSS
// (Linux ≥ 4.0).
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// ---- the big message ----

// bigMessage returns a message of about size bytes shaped like a real one
// with a large attachment: trace and RFC 2047 headers, a short text part
// and a base64 PDF in 76-column lines, CRLF line ends.
func bigMessage(size int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0xb16))
	date := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	var b bytes.Buffer
	b.Grow(size + 4096)
	b.WriteString("Return-Path: <jorg@example.net>\r\n")
	fmt.Fprintf(&b, "Received: from mx.example.net (mx.example.net [192.0.2.7])\r\n\tby pop.example.org with ESMTPS id %08x\r\n\tfor <alice@example.org>; %s\r\n",
		r.Uint32(), date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "From: %s <jorg@example.net>\r\n", mime.QEncoding.Encode("utf-8", "Jörg Müller"))
	b.WriteString("To: Alice <alice@example.org>\r\n")
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", "Planos de la reforma — versión final"))
	fmt.Fprintf(&b, "Date: %s\r\n", date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <big.%08x@example.net>\r\n", r.Uint32())
	b.WriteString("MIME-Version: 1.0\r\n")
	boundary := fmt.Sprintf("=_big_%x", r.Uint64())
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", boundary)
	fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n", boundary)
	b.WriteString("Hola Alice,\r\n\r\nte mando los planos escaneados. Son grandes, lo siento.\r\n\r\nJörg\r\n")
	fmt.Fprintf(&b, "--%s\r\nContent-Type: application/pdf; name=\"planos.pdf\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"planos.pdf\"\r\n\r\n", boundary)
	end := fmt.Sprintf("--%s--\r\n", boundary)
	chunk := make([]byte, 57) // one 76-column line of base64
	line := make([]byte, 76)
	for b.Len()+78+len(end) <= size {
		for k := range chunk {
			chunk[k] = byte(r.Uint32())
		}
		base64.StdEncoding.Encode(line, chunk)
		b.Write(line)
		b.WriteString("\r\n")
	}
	b.WriteString(end)
	return b.Bytes()
}
