package pop3client

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"
)

// replayConn is a net.Conn whose server side is a fixed byte string: reads
// return it and then EOF, writes are discarded.
type replayConn struct{ r *bytes.Reader }

func (c *replayConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *replayConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *replayConn) Close() error                     { return nil }
func (c *replayConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *replayConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *replayConn) SetDeadline(time.Time) error      { return nil }
func (c *replayConn) SetReadDeadline(time.Time) error  { return nil }
func (c *replayConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzClient feeds arbitrary server bytes to a whole session: nothing the
// server sends may make the client panic or hang.
func FuzzClient(f *testing.F) {
	f.Add([]byte("+OK hi <1.2@x>\r\n+OK\r\nUSER\r\nPIPELINING\r\n.\r\n+OK\r\n+OK\r\n+OK\r\n.\r\n+OK 2 10\r\n" +
		"+OK\r\n1 5\r\n2 5\r\n.\r\n+OK\r\n1 a\r\n2 a\r\n.\r\n+OK\r\nab\r\n.\r\n-ERR no\r\n+OK\r\n..x\r\n.\r\n" +
		"+OK\r\nhead\r\n.\r\n+OK\r\n-ERR\r\n+OK\r\n+OK bye\r\n"))
	f.Add([]byte("+OK\r\n+OK\r\nSASL PLAIN\r\n.\r\n+ \r\n+OK\r\n-ERR\r\n"))
	f.Add([]byte("+OK\r\n-ERR\r\n+OK\r\n-ERR [IN-USE] x\r\n"))
	f.Add([]byte("* OK IMAP\r\n"))
	f.Add([]byte("\x16\x03\x01"))
	f.Fuzz(func(t *testing.T, server []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := NewClient(ctx, &replayConn{r: bytes.NewReader(server)}, "pop.example.com",
			&Options{Security: SecurityNone, MaxMessageSize: 1 << 16})
		if err != nil {
			if KindOf(err) == "" {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		_ = c.Login(ctx, "alice", "secret")
		_, _, _ = c.Stat(ctx)
		_, _ = c.List(ctx)
		_, _ = c.Uidl(ctx)
		_ = c.RetrMany(ctx, []int{1, 2, 3}, func(id int, r io.Reader, err error) error {
			if r != nil {
				_, err = io.Copy(io.Discard, r)
			}
			return err
		})
		_ = c.Top(ctx, 1, 0, func(r io.Reader) error { _, err := io.ReadAll(r); return err })
		_, _ = c.DeleMany(ctx, []int{1, 2})
		_ = c.Auth(ctx, LoginAuth("a", "b"))
		_ = c.Quit(ctx)
	})
}
