// Package dovecottest runs a private, real Dovecot POP3 server for tests and
// benchmarks.
//
// Start (or New) generates a dovecot.conf in a fresh temporary directory
// (Server.Dir) with its own base_dir, state_dir, instance_name and log file,
// a self-signed certificate, a passwd-file user database and one Maildir per
// user, and runs "dovecot -F -c Dir/dovecot.conf" as a child process in a
// process group of its own. It never reads or touches the system's Dovecot
// configuration or instance. Close stops the master and every process it
// started and removes Dir.
//
//	srv := dovecottest.Start(t, dovecottest.Options{})   // alice / secret
//	srv.AddMessage("alice", []byte("Subject: hi\r\n\r\nhello\r\n"))
//	conn, _ := net.Dial("tcp", srv.PlainAddr)            // +OK Dovecot (Debian) ready.
//	tlsConn, _ := tls.Dial("tcp", srv.TLSAddr,
//		&tls.Config{RootCAs: srv.RootCAs(), ServerName: "localhost"})
//
// Only Dovecot 2.3 (Debian's dovecot-pop3d package) is supported. Without a
// dovecot binary Start fails the test with a hint to run
// "apt-get install -y dovecot-pop3d", or skips it when
// APARTADO_SKIP_DOVECOT=1. APARTADO_DOVECOT_BIN may name the binary.
//
// # The server
//
// Both listeners are on random free loopback ports: PlainAddr speaks plain
// POP3 and offers STLS, TLSAddr is implicit TLS (pop3s). TLS 1.2 is the
// minimum. The certificate, an ECDSA P-256 one valid from an hour ago for a
// day, names localhost, 127.0.0.1, 127.0.0.2 and ::1; use RootCAs with
// ServerName "localhost".
//
// Authentication: USER/PASS, AUTH PLAIN and AUTH LOGIN, plus APOP with
// Options.APOP (the greeting then ends in the APOP timestamp "<...>").
// Passwords are stored in the PLAIN scheme, so any password works.
//
// With Options.OAuth2, XOAUTH2 and OAUTHBEARER too, through Dovecot's
// oauth2 passdb (settings in Dir/oauth2.conf.ext): Dovecot 2.3 POSTs the
// bearer token as the form field "token" to the introspection endpoint
// (RFC 7662, introspection_mode = post), authenticating with HTTP Basic
// from the URL's user information, and accepts the login only if the JSON
// answer has "active": true and its UsernameAttribute ("username" unless
// set) equals the user name the client gave. Nothing is cached: every
// login asks the endpoint. internal/oauthtest runs a provider to ask. The
// passwd-file still answers USER/PASS, PLAIN and LOGIN (it is asked, and
// logs "Password mismatch", before the oauth2 passdb for a token too).
// A token the endpoint rejects fails "nodelay" like a wrong password, but a
// malformed SASL message (an empty token, a missing "auth=") fails in the
// mechanism before any passdb is asked: it is held 0.5 s and starts the
// auth penalty, so the next logins from 127.0.0.1 wait 4 s and more.
//
// Dovecot's login processes count a connection whose remote address equals
// its local address as secured, like TLS, and then allow plaintext
// authentication whatever disable_plaintext_auth says. A client connecting
// to 127.0.0.1 comes from 127.0.0.1, so with Options.DisablePlaintextAuth
// the server listens on 127.0.0.2 instead (PlainAddr and TLSAddr say so),
// where clients arrive from 127.0.0.1 and need STLS before USER/PASS.
// Otherwise it listens on 127.0.0.1.
//
// Failed logins are answered at once and do not slow down later logins:
// auth_failure_delay = 0 alone is not enough in Dovecot 2.3.19, which still
// holds a failure up to 0.5 s and then makes the next login from the same
// IP wait 4 s, more after further failures, up to 15 s (its "auth
// penalty"). A first, static passdb
// with "noauthenticate nodelay=yes" makes every failure "nodelay", which
// skips both.
//
// With Options.LockSession, a second session of a user waits for the
// first one's lock for up to 10 s (hard-coded in Dovecot) before PASS
// answers "-ERR [IN-USE] ..."; clients need a read timeout above that.
//
// Dovecot's own limits stay at their defaults, among them
// mail_max_userip_connections = 10 concurrent sessions per user and IP;
// Options.ExtraConfig can change any setting.
//
// # Messages
//
// AddMessage writes a message file byte for byte (tmp/, then a rename into
// new/). Dovecot numbers the files it finds new in one scan in the order of
// the time stamp in their names ("<secs>.M<usecs>..."), not in the order
// they were written or the order the directory lists them, so AddMessage
// gives every file a strictly later time stamp than the one before: POP3
// message numbers (and UIDs, hence UIDLs) follow the order of AddMessage
// calls, even for thousands of messages added within a millisecond. A
// session sees the messages that were there when it logged in; add them
// before the session that should see them starts. UIDLs are "%08Xu%08Xv":
// the UID and the UIDVALIDITY in hex, so message n of a fresh mailbox has a
// UIDL starting with fmt.Sprintf("%08X", n).
//
// Messages returns the files that are left, in POP3 order, to check what a
// client's DELE/QUIT did. Dovecot moves the files it has seen from new/ to
// cur/ and renames them when flags change (RETR sets \Seen); the content
// stays as written.
//
// # What RETR returns compared with the file
//
// Found with Dovecot 2.3.19 (and pinned by this package's tests):
//
//   - Every LF that is not preceded by CR is sent as CRLF. A bare CR, a
//     CR CR LF, NUL bytes and 8-bit bytes are sent unchanged.
//   - Lines starting with "." are dot-stuffed ("." becomes ".."), as POP3
//     requires, and the response ends with ".\r\n".
//   - A file that does not end in a line break gets a CRLF appended, so its
//     last line is terminated on the wire; an empty file is sent as one
//     empty line.
//   - The sizes in STAT, LIST and "+OK <n> octets" are those of the message
//     with LFs counted as CRLFs, but without that appended final CRLF: for a
//     file lacking a final line break, RETR delivers two bytes more than
//     LIST announces.
//
// So for a file with CRLF line endings that ends in CRLF, the un-dot-stuffed
// RETR body equals the file byte for byte and LIST gives its length.
//
// # Privileges
//
// As root, Dovecot refuses to give mail to uid 0 and its login and internal
// processes drop privileges: logins run as "dovenull", internal processes
// (auth, anvil, stats) as "dovecot", and the mail belongs to the "dovecot"
// user (it owns the Maildirs and every added file). Dir is created under
// os.TempDir() (or /tmp), made traversable, and the passwd-file is readable
// by the dovecot group. As any other user, every process runs as that user
// and there is no chroot.
//
// If the test binary dies without calling Close, the master is killed
// (Pdeathsig) and its children exit on noticing; only Dir is left behind.
package dovecottest
