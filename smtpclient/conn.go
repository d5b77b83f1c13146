package smtpclient

import (
	"io"
	"net"

	"github.com/apartado/apartado/internal/idleconn"
)

// deadlineConn is the connection with an idle timeout and an abort
// (package idleconn, shared with the other protocol client).
type deadlineConn = idleconn.Conn

var errAborted = idleconn.ErrAborted

// wire is the connection as the protocol sees it, above TLS: it writes the
// trace and keeps the facts that decide whether a message may have been
// accepted. It is used by one goroutine at a time.
type wire struct {
	net.Conn
	tr *tracer

	// body is set while the message's bytes are being written: they are
	// counted, not traced. The first read after them ends it.
	body      bool
	bodyBytes int64
	// armed is set just before the final "." is flushed. From then on
	// armedWrites counts the writes that went through and armedErr keeps
	// the first write that failed: the "." reached the server's side only
	// if every write after armed succeeded.
	armed       bool
	armedWrites int
	armedErr    error
}

func (w *wire) Write(p []byte) (int, error) {
	n, err := w.Conn.Write(p)
	if w.armed {
		if err != nil && w.armedErr == nil {
			w.armedErr = err
		} else if err == nil {
			w.armedWrites++
		}
	}
	if w.body {
		w.bodyBytes += int64(n)
	} else {
		w.tr.client(p[:n])
	}
	return n, err
}

func (w *wire) Read(p []byte) (int, error) {
	n, err := w.Conn.Read(p)
	if w.body && (n > 0 || w.armed) {
		w.body = false
		w.tr.printf("C: <message: %d bytes with dot-stuffing and the final \".\">", w.bodyBytes)
	}
	w.tr.server(p[:n])
	return n, err
}

// replayConn hands go-smtp the bytes this package already read (the
// greeting) before the rest of the connection.
type replayConn struct {
	net.Conn
	r io.Reader
}

func (c *replayConn) Read(p []byte) (int, error) { return c.r.Read(p) }
