// Package smtpfake is a scripted SMTP server on loopback for tests, for
// what a real one will not do on demand: refuse or drop the connection at a
// chosen step, answer 4xx then 2xx, drop the connection after the final "."
// before its reply, or hang. It records every command and every message
// whose final "." it read. It is a test helper: nothing but tests imports
// it.
package smtpfake

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"net"
	"strings"
	"sync"
	"testing"
)

// Server is the scripted server. Replies are scripted per command verb
// ("GREETING", "EHLO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "DOT"
// for the reply to the final "."): each use takes the next scripted reply,
// and the default follows when the script runs out. Besides a reply line,
// a script entry may be "DROP" (close the connection at once) or "HANG"
// (never answer, until the server stops). A message whose "." was read
// counts as received when the reply is 250, DROP or HANG (a server that
// took the message and was cut off before its reply reached the client).
//
// Set the exported fields before Start.
type Server struct {
	Addr      string           // host:port, set by Start
	Greeting  string           // default "220 fake.test ESMTP"
	Ext       []string         // EHLO lines after the first; default DefaultExt
	Cert      *tls.Certificate // offered with STARTTLS, or from the first byte with Implicit
	Implicit  bool             // TLS from the first byte
	Password  string           // the AUTH password accepted (any user name); default "secret"
	OnData    func(n int)      // called as DATA bytes arrive, with the total so far
	DropAfter int              // close the connection after this many DATA bytes (0: never)
	Dropped   chan struct{}    // closed, if set, when DropAfter closed the connection

	ln       net.Listener
	mu       sync.Mutex
	script   map[string][]string
	got      []Message
	sessions int
	commands []string // every command line, AUTH secrets included
	done     chan struct{}
	conns    sync.WaitGroup
}

// Message is a message the server received.
type Message struct {
	From  string
	Rcpts []string
	Body  []byte // as it arrived, dot-stuffing removed
}

// DefaultExt is what the server offers by default.
var DefaultExt = []string{"PIPELINING", "SIZE 100000", "8BITMIME", "AUTH PLAIN LOGIN", "SMTPUTF8", "ENHANCEDSTATUSCODES"}

// Start starts f on a random loopback port until the test ends.
func Start(t testing.TB, f *Server) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.ln, f.Addr, f.done = ln, ln.Addr().String(), make(chan struct{})
	if f.Greeting == "" {
		f.Greeting = "220 fake.test ESMTP"
	}
	if f.Ext == nil {
		f.Ext = DefaultExt
	}
	if f.Password == "" {
		f.Password = "secret"
	}
	if f.script == nil {
		f.script = map[string][]string{}
	}
	go f.serve()
	t.Cleanup(f.Close)
	return f
}

// Close stops the server: hanging sessions end, and it waits for them.
func (f *Server) Close() {
	f.mu.Lock()
	select {
	case <-f.done:
		f.mu.Unlock()
		return
	default:
	}
	close(f.done)
	f.mu.Unlock()
	_ = f.ln.Close()
	f.conns.Wait()
}

// On scripts the next replies to verb.
func (f *Server) On(verb string, replies ...string) *Server {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script[verb] = append(f.script[verb], replies...)
	return f
}

func (f *Server) next(verb, def string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.script[verb]; len(s) > 0 {
		f.script[verb] = s[1:]
		return s[0]
	}
	return def
}

// SetDropAfter changes DropAfter while the server runs.
func (f *Server) SetDropAfter(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.DropAfter = n
}

// Sessions returns how many connections the server accepted.
func (f *Server) Sessions() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sessions
}

// Messages returns the messages received.
func (f *Server) Messages() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Message(nil), f.got...)
}

// Commands returns every command line received, AUTH secrets included.
func (f *Server) Commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.commands...)
}

// SawCommand reports whether a command line began with prefix.
func (f *Server) SawCommand(prefix string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.commands {
		if strings.HasPrefix(strings.ToUpper(c), strings.ToUpper(prefix)) {
			return true
		}
	}
	return false
}

func (f *Server) serve() {
	for {
		conn, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.sessions++
		f.mu.Unlock()
		f.conns.Add(1)
		go func() {
			defer f.conns.Done()
			defer conn.Close()
			go func() { <-f.done; _ = conn.Close() }()
			f.session(conn)
		}()
	}
}

type conn struct {
	net.Conn
	br *bufio.Reader
}

func (c *conn) reply(lines ...string) bool {
	_, err := c.Write([]byte(strings.Join(lines, "\r\n") + "\r\n"))
	return err == nil
}

func (c *conn) readLine() (string, bool) {
	line, err := c.br.ReadString('\n')
	if err != nil {
		return "", false
	}
	return strings.TrimRight(line, "\r\n"), true
}

// act sends a scripted reply, or drops or hangs; it reports whether to go on.
func (f *Server) act(c *conn, r string) bool {
	switch r {
	case "DROP":
		return false
	case "HANG":
		<-f.done
		return false
	}
	return c.reply(r)
}

func (f *Server) session(raw net.Conn) {
	c := &conn{Conn: raw, br: bufio.NewReader(raw)}
	if f.Implicit {
		tc := tls.Server(raw, &tls.Config{Certificates: []tls.Certificate{*f.Cert}})
		if tc.Handshake() != nil {
			return
		}
		c = &conn{Conn: tc, br: bufio.NewReader(tc)}
	}
	if !f.act(c, f.next("GREETING", f.Greeting)) {
		return
	}
	var msg Message
	for {
		line, ok := c.readLine()
		if !ok {
			return
		}
		f.mu.Lock()
		f.commands = append(f.commands, line)
		f.mu.Unlock()
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		var cont bool
		switch verb {
		case "EHLO":
			cont = f.ehlo(c, arg)
		case "STARTTLS":
			if r := f.next("STARTTLS", "220 2.0.0 go ahead"); !strings.HasPrefix(r, "220") {
				cont = f.act(c, r)
				break
			}
			c.reply("220 2.0.0 go ahead")
			tc := tls.Server(c.Conn, &tls.Config{Certificates: []tls.Certificate{*f.Cert}})
			if tc.Handshake() != nil {
				return
			}
			c, cont = &conn{Conn: tc, br: bufio.NewReader(tc)}, true
		case "AUTH":
			cont = f.auth(c, arg)
		case "MAIL":
			msg = Message{From: between(arg, "<", ">")}
			cont = f.act(c, f.next("MAIL", "250 2.1.0 ok"))
		case "RCPT":
			r := f.next("RCPT", "250 2.1.5 ok")
			if strings.HasPrefix(r, "250") {
				msg.Rcpts = append(msg.Rcpts, between(arg, "<", ">"))
			}
			cont = f.act(c, r)
		case "DATA":
			cont = f.data(c, &msg)
		case "QUIT":
			c.reply("221 2.0.0 bye")
			return
		default:
			cont = c.reply("250 2.0.0 ok")
		}
		if !cont {
			return
		}
	}
}

func (f *Server) ehlo(c *conn, arg string) bool {
	if r := f.next("EHLO", ""); r != "" {
		return f.act(c, r)
	}
	ext := f.Ext
	if f.Cert != nil && !f.Implicit {
		if _, isTLS := c.Conn.(*tls.Conn); !isTLS {
			ext = append([]string{"STARTTLS"}, ext...)
		}
	}
	lines := []string{"250-fake.test greets " + arg}
	for i, e := range ext {
		sep := "-"
		if i == len(ext)-1 {
			sep = " "
		}
		lines = append(lines, "250"+sep+e)
	}
	if len(ext) == 0 {
		lines[0] = "250 fake.test greets " + arg
	}
	return c.reply(lines...)
}

func (f *Server) auth(c *conn, arg string) bool {
	if r := f.next("AUTH", ""); r != "" {
		return f.act(c, r)
	}
	mech, ir, _ := strings.Cut(arg, " ")
	var user, pass string
	switch strings.ToUpper(mech) {
	case "PLAIN":
		if ir == "" {
			c.reply("334 ")
			ir, _ = c.readLine()
		}
		b, _ := base64.StdEncoding.DecodeString(ir)
		parts := strings.Split(string(b), "\x00")
		if len(parts) == 3 {
			user, pass = parts[1], parts[2]
		}
	case "LOGIN":
		c.reply("334 VXNlcm5hbWU6")
		u, _ := c.readLine()
		c.reply("334 UGFzc3dvcmQ6")
		p, _ := c.readLine()
		bu, _ := base64.StdEncoding.DecodeString(u)
		bp, _ := base64.StdEncoding.DecodeString(p)
		user, pass = string(bu), string(bp)
	case "XOAUTH2":
		b, _ := base64.StdEncoding.DecodeString(ir)
		user, pass, _ = strings.Cut(strings.TrimPrefix(string(b), "user="), "\x01auth=Bearer ")
		pass = strings.TrimRight(pass, "\x01")
	default:
		return c.reply("504 5.5.4 unrecognized authentication type")
	}
	f.mu.Lock()
	f.commands = append(f.commands, "AUTH-AS "+user)
	f.mu.Unlock()
	if user == "" || pass != f.Password {
		return c.reply("535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6")
	}
	return c.reply("235 2.7.0 Authentication successful")
}

func (f *Server) data(c *conn, msg *Message) bool {
	if r := f.next("DATA", "354 End data with <CR><LF>.<CR><LF>"); !strings.HasPrefix(r, "354") {
		return f.act(c, r)
	}
	c.reply("354 End data with <CR><LF>.<CR><LF>")
	var body bytes.Buffer
	total := 0
	for {
		line, err := c.br.ReadSlice('\n')
		total += len(line)
		if err == bufio.ErrBufferFull {
			body.Write(line)
			continue
		}
		if err != nil {
			return false
		}
		if f.OnData != nil {
			f.OnData(total)
		}
		f.mu.Lock()
		drop := f.DropAfter
		f.mu.Unlock()
		if drop > 0 && total >= drop {
			_ = c.Close()
			if f.Dropped != nil {
				close(f.Dropped)
			}
			return false
		}
		if string(line) == ".\r\n" {
			break
		}
		if line[0] == '.' {
			line = line[1:]
		}
		body.Write(line)
	}
	msg.Body = body.Bytes()
	r := f.next("DOT", "250 2.0.0 Ok: queued as FAKE1")
	if strings.HasPrefix(r, "250") || r == "DROP" || r == "HANG" {
		// DROP and HANG after the "." model a server that took the message
		// and was cut off before its reply reached the client.
		f.mu.Lock()
		f.got = append(f.got, *msg)
		f.mu.Unlock()
	}
	return f.act(c, r)
}

func between(s, a, b string) string {
	i := strings.Index(s, a)
	j := strings.LastIndex(s, b)
	if i < 0 || j <= i {
		return ""
	}
	return s[i+1 : j]
}
