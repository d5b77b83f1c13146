package pop3client

import "github.com/apartado/apartado/internal/idleconn"

// deadlineConn is the connection with an idle timeout and an abort
// (package idleconn, shared with the other protocol client).
type deadlineConn = idleconn.Conn

var errAborted = idleconn.ErrAborted
