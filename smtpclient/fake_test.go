package smtpclient

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

// fake is a scripted SMTP server on loopback, for what a real one will not
// do on demand. Replies are scripted per command verb ("MAIL", "RCPT",
// "DATA", "DOT" for the reply to the final ".", "AUTH", "EHLO",
// "STARTTLS"): each use takes the next scripted reply, and the default
// follows when the script runs out. Besides a reply line, a script entry
// may be "DROP" (close the connection at once) or "HANG" (never answer).
type fake struct {
	t         *testing.T
	ln        net.Listener
	addr      string
	greeting  string   // default "220 fake.test ESMTP"
	ext       []string // EHLO lines after the first; default below
	cert      *tls.Certificate
	implicit  bool // TLS from the first byte
	password  string
	onData    func(n int)   // called as DATA bytes arrive, with the total so far
	dropAfter int           // close the connection after this many DATA bytes (0: never)
	dropped   chan struct{} // closed, if set, when dropAfter closed the connection

	mu       sync.Mutex
	script   map[string][]string
	got      []fakeMessage
	commands []string // every command line, AUTH secrets included
	done     chan struct{}
	conns    sync.WaitGroup
}

type fakeMessage struct {
	from  string
	rcpts []string
	body  []byte
}

var defaultExt = []string{"PIPELINING", "SIZE 100000", "8BITMIME", "AUTH PLAIN LOGIN", "SMTPUTF8", "ENHANCEDSTATUSCODES"}

func newFake(t *testing.T, f *fake) *fake {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.t, f.ln, f.addr, f.done = t, ln, ln.Addr().String(), make(chan struct{})
	if f.greeting == "" {
		f.greeting = "220 fake.test ESMTP"
	}
	if f.ext == nil {
		f.ext = defaultExt
	}
	if f.password == "" {
		f.password = "secret"
	}
	if f.script == nil {
		f.script = map[string][]string{}
	}
	go f.serve()
	t.Cleanup(func() {
		close(f.done)
		_ = ln.Close()
		f.conns.Wait()
	})
	return f
}

func (f *fake) on(verb string, replies ...string) *fake {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script[verb] = append(f.script[verb], replies...)
	return f
}

func (f *fake) next(verb, def string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.script[verb]; len(s) > 0 {
		f.script[verb] = s[1:]
		return s[0]
	}
	return def
}

func (f *fake) messages() []fakeMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeMessage(nil), f.got...)
}

func (f *fake) cmds() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.commands...)
}

func (f *fake) sawCommand(prefix string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.commands {
		if strings.HasPrefix(strings.ToUpper(c), strings.ToUpper(prefix)) {
			return true
		}
	}
	return false
}

func (f *fake) serve() {
	for {
		conn, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.conns.Add(1)
		go func() {
			defer f.conns.Done()
			defer conn.Close()
			go func() { <-f.done; _ = conn.Close() }()
			f.session(conn)
		}()
	}
}

type fakeConn struct {
	net.Conn
	br *bufio.Reader
}

func (c *fakeConn) reply(lines ...string) bool {
	_, err := c.Write([]byte(strings.Join(lines, "\r\n") + "\r\n"))
	return err == nil
}

func (c *fakeConn) readLine() (string, bool) {
	line, err := c.br.ReadString('\n')
	if err != nil {
		return "", false
	}
	return strings.TrimRight(line, "\r\n"), true
}

// act sends a scripted reply, or drops or hangs; it reports whether to go on.
func (f *fake) act(c *fakeConn, r string) bool {
	switch r {
	case "DROP":
		return false
	case "HANG":
		<-f.done
		return false
	}
	return c.reply(r)
}

func (f *fake) session(raw net.Conn) {
	c := &fakeConn{Conn: raw, br: bufio.NewReader(raw)}
	if f.implicit {
		tc := tls.Server(raw, &tls.Config{Certificates: []tls.Certificate{*f.cert}})
		if tc.Handshake() != nil {
			return
		}
		c = &fakeConn{Conn: tc, br: bufio.NewReader(tc)}
	}
	if !f.act(c, f.next("GREETING", f.greeting)) {
		return
	}
	var msg fakeMessage
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
			tc := tls.Server(c.Conn, &tls.Config{Certificates: []tls.Certificate{*f.cert}})
			if tc.Handshake() != nil {
				return
			}
			c, cont = &fakeConn{Conn: tc, br: bufio.NewReader(tc)}, true
		case "AUTH":
			cont = f.auth(c, arg)
		case "MAIL":
			msg = fakeMessage{from: between(arg, "<", ">")}
			cont = f.act(c, f.next("MAIL", "250 2.1.0 ok"))
		case "RCPT":
			r := f.next("RCPT", "250 2.1.5 ok")
			if strings.HasPrefix(r, "250") {
				msg.rcpts = append(msg.rcpts, between(arg, "<", ">"))
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

func (f *fake) ehlo(c *fakeConn, arg string) bool {
	if r := f.next("EHLO", ""); r != "" {
		return f.act(c, r)
	}
	ext := f.ext
	if f.cert != nil && !f.implicit {
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

func (f *fake) auth(c *fakeConn, arg string) bool {
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
	if user == "" || pass != f.password {
		return c.reply("535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6")
	}
	return c.reply("235 2.7.0 Authentication successful")
}

func (f *fake) data(c *fakeConn, msg *fakeMessage) bool {
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
		if f.onData != nil {
			f.onData(total)
		}
		if f.dropAfter > 0 && total >= f.dropAfter {
			_ = c.Close()
			if f.dropped != nil {
				close(f.dropped)
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
	msg.body = body.Bytes()
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
