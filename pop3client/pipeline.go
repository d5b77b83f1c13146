package pop3client

import (
	"context"
	"io"
	"strconv"
)

// RetrMany retrieves the messages ids in order, calling fn for each with a
// reader of its bytes (as for Retr). When the server advertises PIPELINING
// (RFC 2449 §6.6), up to Options.PipelineWindow RETR commands are kept in
// flight, written by a separate goroutine while this one reads, so that no
// number of messages can deadlock on full socket buffers.
//
// A -ERR for one message does not stop the others: fn is called with a nil
// reader and that *Error, and may return nil to go on. When fn returns an
// error, no further command is sent, the replies already asked for are read
// and discarded, and RetrMany returns fn's error with the session usable. A
// transfer failure ends the session and is returned.
func (c *Client) RetrMany(ctx context.Context, ids []int, fn func(id int, r io.Reader, err error) error) (err error) {
	end, err := c.begin(ctx, StepCommand, "RETR")
	if err != nil {
		return err
	}
	defer end(&err)
	cmds := make([]string, len(ids))
	for i, id := range ids {
		cmds[i] = "RETR " + strconv.Itoa(id)
	}
	return c.pipeline("RETR", cmds, true, func(i int, r reply) error {
		if !r.ok {
			return fn(ids[i], nil, c.replyErr(StepCommand, "RETR", r))
		}
		return c.readBody("RETR", func(body io.Reader) error { return fn(ids[i], body, nil) })
	})
}

// DeleMany marks the messages ids as deleted, pipelined like RetrMany. It
// returns the *Error of each message the server refused (keyed by id); err
// is a failure of the session itself. As with Dele, nothing is deleted until
// Quit returns nil.
func (c *Client) DeleMany(ctx context.Context, ids []int) (refused map[int]error, err error) {
	end, err := c.begin(ctx, StepCommand, "DELE")
	if err != nil {
		return nil, err
	}
	defer end(&err)
	cmds := make([]string, len(ids))
	for i, id := range ids {
		cmds[i] = "DELE " + strconv.Itoa(id)
	}
	err = c.pipeline("DELE", cmds, false, func(i int, r reply) error {
		if !r.ok {
			if refused == nil {
				refused = make(map[int]error)
			}
			refused[ids[i]] = c.replyErr(StepCommand, "DELE", r)
		}
		return nil
	})
	return refused, err
}

// pipeline sends cmds and calls handle with each reply in order. With
// PIPELINING a writer goroutine keeps up to the window of commands in
// flight; otherwise each command waits for the previous reply. multiline
// says a +OK reply is followed by a body, which handle must consume (and
// which is discarded when stopping early).
func (c *Client) pipeline(verb string, cmds []string, multiline bool, handle func(i int, r reply) error) error {
	if !c.caps.Pipelining() || c.opts.DisablePipelining || len(cmds) < 2 {
		for i, cmd := range cmds {
			r, err := c.cmd(StepCommand, verb, cmd)
			if err != nil {
				return err
			}
			if err := handle(i, r); err != nil {
				return err
			}
		}
		return nil
	}

	w := &pipeWriter{c: c, cmds: cmds, tokens: make(chan struct{}, c.opts.PipelineWindow),
		quit: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	stopped := false
	stop := func() int {
		if !stopped {
			stopped = true
			close(w.quit)
		}
		<-w.done
		return w.sent
	}
	defer stop()

	for i := range cmds {
		r, err := c.readReply(StepCommand, verb)
		if err != nil {
			return w.cause(err)
		}
		herr := handle(i, r)
		if c.broken != nil {
			return w.cause(herr)
		}
		<-w.tokens
		if herr != nil {
			// Ask for nothing more, and read what was already asked for.
			sent := stop()
			if w.err != nil {
				return w.cause(w.err)
			}
			for j := i + 1; j < sent; j++ {
				r, err := c.readReply(StepCommand, verb)
				if err != nil {
					return err
				}
				if multiline && r.ok {
					if err := c.readBody(verb, func(io.Reader) error { return nil }); err != nil {
						return err
					}
				}
			}
			return herr
		}
	}
	return nil
}

// pipeWriter writes pipelined commands while the caller reads replies. A
// token is taken for every command written and given back for every reply
// read, so at most the window is ever unanswered.
type pipeWriter struct {
	c      *Client
	cmds   []string
	tokens chan struct{}
	quit   chan struct{}
	done   chan struct{}
	sent   int   // commands written (and flushed by the time done is closed)
	err    error // a write failure; the connection is aborted with it
}

func (w *pipeWriter) run() {
	defer close(w.done)
	c := w.c
	defer func() {
		if err := c.bw.Flush(); err != nil && w.err == nil {
			w.fail(err)
		}
	}()
	for _, cmd := range w.cmds {
		select {
		case w.tokens <- struct{}{}:
		default:
			// The window is full: send what is buffered, then wait for a reply.
			if err := c.bw.Flush(); err != nil {
				w.fail(err)
				return
			}
			select {
			case w.tokens <- struct{}{}:
			case <-w.quit:
				return
			}
		}
		select {
		case <-w.quit:
			<-w.tokens
			return
		default:
		}
		c.trace.client(cmd)
		if _, err := c.bw.WriteString(cmd + "\r\n"); err != nil {
			w.fail(err)
			return
		}
		w.sent++
	}
}

func (w *pipeWriter) fail(err error) {
	w.err = err
	// Wake the reader, which would otherwise wait for replies to commands
	// that were never sent.
	w.c.dc.Abort(err)
}

// cause returns the session error, preferring a write failure that caused it.
func (w *pipeWriter) cause(err error) error {
	select {
	case <-w.done:
		if w.err != nil {
			return w.c.netErr(StepCommand, "", w.err)
		}
	default:
	}
	return err
}
