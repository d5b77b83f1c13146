// Package faultproxy is a TCP proxy for tests that breaks a POP3 session at
// a chosen protocol point: it cuts both connections abruptly, or stalls
// (stops forwarding and waits), when the client sends a given command, in
// or after a given server response, or after a number of raw bytes.
//
// In its normal (plain) mode it reads the client's command lines and the
// server's responses in plain text: it knows which response answers which
// command (the greeting comes first, then one response per command, in
// order, pipelined or not) and which responses are multi-line (a +OK to
// RETR, TOP, CAPA, and to LIST and UIDL without an argument) and where they
// end. SASL exchanges (AUTH) and STLS are not followed: use USER/PASS over
// plain text. In raw mode (Config.Raw, for TLS) it only counts bytes.
//
// A fault is armed on the proxy and applies to the sessions accepted after
// Arm until it has fired once; later sessions are forwarded untouched.
// Close ends every session and waits for all of the proxy's goroutines.
package faultproxy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// Greeting is the verb Fault uses for the server's greeting, the response
// that answers no command.
const Greeting = "GREETING"

// Point is where a fault fires.
type Point int

const (
	// AtCommand fires when the client sends its N-th Verb command: before
	// it is forwarded, or just after when Fault.Forward is set.
	AtCommand Point = iota + 1
	// InResponse fires inside the N-th response to Verb, once Fault.Offset
	// bytes of it (status line included) have reached the client. A
	// negative Offset counts from the response's end: -3 delivers all but
	// the ".\r\n" terminator of a multi-line response. The offset is
	// clamped to the response.
	InResponse
	// AfterResponse fires when the N-th response to Verb has reached the
	// client whole.
	AfterResponse
	// AfterBytes fires once Fault.Offset bytes in all from the server have
	// reached the client; the only point in raw mode.
	AfterBytes
)

// Action is what a fault does.
type Action int

const (
	// Cut closes both connections at once.
	Cut Action = iota
	// Stall stops forwarding in both directions and reads and discards what
	// arrives; the client's connection stays open until the client closes
	// it or the proxy is closed.
	Stall
)

// Fault is one fault to inject.
type Fault struct {
	Point   Point
	Verb    string // upper case: "RETR", "QUIT", or Greeting
	N       int    // which command or response with that verb, from 1; 0 means 1
	Offset  int    // InResponse and AfterBytes, see there
	Forward bool   // AtCommand: forward the command first
	Action  Action
}

func (f Fault) n() int { return max(f.N, 1) }

func (f Fault) String() string {
	act := "cut"
	if f.Action == Stall {
		act = "stall"
	}
	switch f.Point {
	case AtCommand:
		if f.Forward {
			return fmt.Sprintf("%s just after forwarding %s #%d", act, f.Verb, f.n())
		}
		return fmt.Sprintf("%s at %s #%d, not forwarded", act, f.Verb, f.n())
	case InResponse:
		return fmt.Sprintf("%s in response to %s #%d at offset %d", act, f.Verb, f.n(), f.Offset)
	case AfterResponse:
		return fmt.Sprintf("%s after response to %s #%d", act, f.Verb, f.n())
	case AfterBytes:
		return fmt.Sprintf("%s after %d bytes from the server", act, f.Offset)
	}
	return "no fault"
}

// Config configures a proxy.
type Config struct {
	Target string // address forwarded to
	// Raw forwards bytes without reading POP3 (for TLS); only AfterBytes
	// faults fire.
	Raw bool
	// Rewrite, if set, may replace every complete line of a server
	// response (its line end included) before it is forwarded: data is
	// line number line (0 is the status line) of the n-th response (from 1)
	// to a verb command. Returning nil drops the line; a multi-line
	// response's terminator is recognised before Rewrite sees it. Plain
	// mode only. What came before the line has been forwarded when
	// Rewrite is called, so it may block to hold the session at that line.
	Rewrite func(verb string, n, line int, data []byte) []byte
}

// Proxy is a running fault proxy.
type Proxy struct {
	cfg Config
	ln  net.Listener
	wg  sync.WaitGroup

	mu         sync.Mutex
	armed      *Fault
	fired      int
	closed     bool
	sessions   map[*session]struct{}
	transcript []string
}

// New listens on 127.0.0.1:0 and forwards every connection to cfg.Target.
func New(cfg Config) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{cfg: cfg, ln: ln, sessions: make(map[*session]struct{})}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the address to connect to.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Arm sets the fault for the next sessions (until it fires once); nil
// disarms. It also clears the transcript.
func (p *Proxy) Arm(f *Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if f != nil {
		c := *f
		f = &c
	}
	p.armed = f
	p.transcript = nil
}

// Fired reports how many faults have fired since the proxy started.
func (p *Proxy) Fired() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fired
}

// Transcript returns the commands, response status lines and faults seen
// since the last Arm (passwords left out).
func (p *Proxy) Transcript() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.transcript...)
}

func (p *Proxy) note(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.transcript) < 2000 {
		p.transcript = append(p.transcript, fmt.Sprintf(format, args...))
	}
}

// Close stops listening, closes every session and waits for all goroutines.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for s := range p.sessions {
		s.closeBoth()
	}
	p.mu.Unlock()
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		srv, err := net.DialTimeout("tcp", p.cfg.Target, 5*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		s := &session{p: p, client: c, server: srv, sent: make(map[string]int), recv: make(map[string]int),
			queue: []pending{{verb: Greeting}}}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			srv.Close()
			return
		}
		s.fault = p.armed
		p.sessions[s] = struct{}{}
		p.mu.Unlock()
		p.note("-- new session")
		p.wg.Add(2)
		go s.clientToServer()
		go s.serverToClient()
	}
}

// fired records that s's fault fired and disarms the proxy.
func (p *Proxy) fire(s *session) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fired++
	if p.armed != nil && s.fault != nil && *p.armed == *s.fault {
		p.armed = nil
	}
	p.transcript = append(p.transcript, "!! "+s.fault.String())
}

type pending struct {
	verb  string
	multi bool // a +OK answer has a multi-line body
}

type session struct {
	p              *Proxy
	client, server net.Conn
	fault          *Fault // nil: forward untouched; read-only

	closeOnce sync.Once
	mu        sync.Mutex
	queue     []pending      // commands forwarded and not yet answered
	sent      map[string]int // commands seen, by verb
	recv      map[string]int // responses begun, by verb
	fired     bool
	stalled   bool
}

func (s *session) closeBoth() {
	s.closeOnce.Do(func() {
		s.client.Close()
		s.server.Close()
	})
}

func (s *session) end() {
	s.p.mu.Lock()
	delete(s.p.sessions, s)
	s.p.mu.Unlock()
}

// trigger fires the fault if it has not fired yet; it reports whether it
// did. Cut closes both connections.
func (s *session) trigger() bool {
	s.mu.Lock()
	if s.fired {
		s.mu.Unlock()
		return false
	}
	s.fired = true
	if s.fault.Action == Stall {
		s.stalled = true
	}
	s.mu.Unlock()
	s.p.fire(s)
	if s.fault.Action == Cut {
		s.closeBoth()
	}
	return true
}

func (s *session) isStalled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stalled
}

func (s *session) wants(p Point, verb string, n int) bool {
	f := s.fault
	if f == nil || f.Point != p || (p != AfterBytes && (f.Verb != verb || f.n() != n)) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.fired
}

// discard reads r until it fails.
func discard(r io.Reader) {
	_, _ = io.Copy(io.Discard, r)
}

func (s *session) clientToServer() {
	defer s.p.wg.Done()
	// The client giving up ends the session, stalled or not.
	defer s.closeBoth()
	defer s.end()
	if s.p.cfg.Raw {
		buf := make([]byte, 32<<10)
		for {
			n, err := s.client.Read(buf)
			if n > 0 && !s.isStalled() {
				if _, werr := s.server.Write(buf[:n]); werr != nil {
					discard(s.client)
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	br := bufio.NewReaderSize(s.client, 8<<10)
	bw := bufio.NewWriter(s.server)
	lineStart := true
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 && !s.isStalled() {
			if !lineStart {
				if _, werr := bw.Write(line); werr != nil {
					return
				}
			} else {
				verb, multi := parseCommand(line)
				s.mu.Lock()
				s.sent[verb]++
				n := s.sent[verb]
				s.mu.Unlock()
				if verb == "PASS" {
					s.p.note("C: PASS <redacted>")
				} else {
					s.p.note("C: %s", strings.TrimRight(string(line), "\r\n"))
				}
				target := s.wants(AtCommand, verb, n)
				if !target || s.fault.Forward {
					s.mu.Lock()
					s.queue = append(s.queue, pending{verb: verb, multi: multi})
					s.mu.Unlock()
					if _, werr := bw.Write(line); werr != nil {
						return
					}
				}
				if target {
					if bw.Flush() != nil {
						return
					}
					if s.trigger() && s.fault.Action == Cut {
						return
					}
				}
			}
			if br.Buffered() == 0 && !s.isStalled() {
				if bw.Flush() != nil {
					return
				}
			}
		}
		if len(line) > 0 {
			lineStart = line[len(line)-1] == '\n'
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

// parseCommand returns a command line's verb, upper case, and whether a
// +OK answer to it is multi-line.
func parseCommand(line []byte) (verb string, multi bool) {
	fields := strings.Fields(string(line))
	if len(fields) == 0 {
		return "", false
	}
	verb = strings.ToUpper(fields[0])
	switch verb {
	case "RETR", "TOP", "CAPA":
		multi = true
	case "LIST", "UIDL":
		multi = len(fields) == 1
	}
	return verb, multi
}

type response struct {
	verb       string
	n, line    int // which response to verb; lines so far
	multi      bool
	statusDone bool
	hold       bool   // InResponse target: gathered in buf, then cut short
	after      bool   // AfterResponse target
	buf        []byte // held bytes
}

func (s *session) serverToClient() {
	defer s.p.wg.Done()
	stayOpen := false
	defer func() {
		if !stayOpen {
			s.closeBoth()
		}
	}()
	bw := bufio.NewWriterSize(s.client, 64<<10)
	if s.p.cfg.Raw {
		buf := make([]byte, 32<<10)
		total := 0
		for {
			n, err := s.server.Read(buf)
			if n > 0 && !s.isStalled() {
				chunk := buf[:n]
				if s.wants(AfterBytes, "", 0) && total+n >= s.fault.Offset {
					chunk = chunk[:max(s.fault.Offset-total, 0)]
					if _, werr := s.client.Write(chunk); werr != nil {
						return
					}
					if s.trigger() && s.fault.Action == Stall {
						stayOpen = true
						discard(s.server)
					}
					return
				}
				total += n
				if _, werr := s.client.Write(chunk); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	br := bufio.NewReaderSize(s.server, 64<<10)
	var cur *response
	lineStart := true
	total := 0
	for {
		if br.Buffered() == 0 {
			if bw.Flush() != nil {
				return
			}
		}
		chunk, err := br.ReadSlice('\n')
		if s.isStalled() {
			stayOpen = true
			discard(s.server)
			return
		}
		if len(chunk) > 0 {
			complete := chunk[len(chunk)-1] == '\n'
			if cur == nil {
				cur = s.begin(chunk)
			}
			end := false
			switch {
			case !cur.statusDone:
				end = complete && !cur.multi
				cur.statusDone = complete
			case lineStart && complete && (bytes.Equal(chunk, []byte(".\r\n")) || bytes.Equal(chunk, []byte(".\n"))):
				end = true
			}
			lineStart = complete
			if complete && s.p.cfg.Rewrite != nil {
				// Everything before the line reaches the client first,
				// so a Rewrite that blocks holds the session exactly there.
				if bw.Flush() != nil {
					return
				}
				chunk = s.p.cfg.Rewrite(cur.verb, cur.n, cur.line, chunk)
			}
			if complete {
				cur.line++
			}
			if cur.hold {
				cur.buf = append(cur.buf, chunk...)
			} else if s.wants(AfterBytes, "", 0) && total+len(chunk) >= s.fault.Offset {
				cur.buf = append(cur.buf, chunk[:max(s.fault.Offset-total, 0)]...)
				cur.hold, end = true, true
			} else {
				total += len(chunk)
				if _, werr := bw.Write(chunk); werr != nil {
					return
				}
			}
			if end {
				r := cur
				cur = nil
				var act bool
				if r.hold {
					off := len(r.buf)
					if s.fault.Point == InResponse {
						off = s.fault.Offset
						if off < 0 {
							off += len(r.buf)
						}
						off = min(max(off, 0), len(r.buf))
					}
					if _, werr := bw.Write(r.buf[:off]); werr != nil {
						return
					}
					act = true
				}
				act = act || r.after
				if act {
					if bw.Flush() != nil {
						return
					}
					if s.trigger() {
						if s.fault.Action == Stall {
							stayOpen = true
							discard(s.server)
						}
						return
					}
				}
			}
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			_ = bw.Flush()
			return
		}
	}
}

// begin starts the next response, whose first bytes are status.
func (s *session) begin(status []byte) *response {
	s.mu.Lock()
	pend := pending{verb: "?"}
	if len(s.queue) > 0 {
		pend = s.queue[0]
		s.queue = s.queue[1:]
	}
	s.recv[pend.verb]++
	n := s.recv[pend.verb]
	s.mu.Unlock()
	line := strings.TrimRight(string(status), "\r\n")
	if len(line) > 80 {
		line = line[:80] + "..."
	}
	s.p.note("S: %s", line)
	return &response{
		verb:  pend.verb,
		n:     n,
		multi: pend.multi && bytes.HasPrefix(status, []byte("+OK")),
		hold:  s.wants(InResponse, pend.verb, n),
		after: s.wants(AfterResponse, pend.verb, n),
	}
}
