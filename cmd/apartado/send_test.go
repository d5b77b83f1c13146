package main

import (
	"bytes"
	"context"
	"encoding/pem"
	"io"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/smtpfake"
	"github.com/apartado/apartado/internal/smtptest"
)

// sendEnv is a data folder with an administrator ana whose account 1 sends
// through smtpAddr without TLS.
func sendEnv(t *testing.T, smtpAddr string) map[string]string {
	t.Helper()
	env := map[string]string{"APARTADO_DATA": t.TempDir()}
	if out, err := runCmd(t, env, "a good password\n", "user", "add", "ana", "--admin"); err != nil {
		t.Fatalf("user add: %q %v", out, err)
	}
	host, port, _ := net.SplitHostPort(smtpAddr)
	out, err := runCmd(t, env, "secret\n", "account", "add", "--user", "ana", "--email", "ana@example.test", "--host", host,
		"--username", "ana", "--smtp-host", host, "--smtp-port", port, "--smtp-security", "none")
	if err != nil {
		t.Fatalf("account add: %q %v", out, err)
	}
	return env
}

func TestSendCommand(t *testing.T) {
	f := smtpfake.Start(t, &smtpfake.Server{})
	env := sendEnv(t, f.Addr)
	body := writeFile(t, "body.txt", "Hola Bea,\n\nte mando la foto.\n")
	photo := writeFile(t, "foto.jpg", "not really a JPEG")
	for _, args := range [][]string{
		{"send", "--user", "ana", "--account", "1", "--to", "bea@example.org", "--body-file", body},                                   // no subject
		{"send", "--user", "ana", "--account", "1", "--to", "bea@example.org", "--subject", "x"},                                      // no text
		{"send", "--user", "ana", "--account", "1", "--to", "bea@example.org", "--subject", "x", "--body-file", body, "--body-stdin"}, // both
		{"send", "--user", "ana", "--account", "7", "--to", "bea@example.org", "--subject", "x", "--body-file", body},
		{"send", "--user", "ana", "--account", "nobody@example.test", "--to", "bea@example.org", "--subject", "x", "--body-file", body},
		{"send", "--user", "ana", "--account", "1", "--to", "bea@@example.org", "--subject", "x", "--body-file", body},
		{"send", "--user", "ana", "--account", "1", "--to", "bea@example.org", "--subject", "x", "--body-file", body, "--attach", "/nonexistent"},
	} {
		if out, err := runCmd(t, env, "", args...); err == nil {
			t.Errorf("%v accepted: %q", args, out)
		}
	}
	if len(f.Commands()) != 0 {
		t.Fatal("a refused command reached the server")
	}
	// No recipient at all is the outbox's rule, reported with its flag.
	_, err := runCmd(t, env, "", "send", "--user", "ana", "--account", "1", "--subject", "x", "--body-file", body)
	if err == nil || !strings.Contains(err.Error(), "--to: Add at least one recipient.") {
		t.Fatalf("no recipient: %v", err)
	}

	out, err := runCmd(t, env, "", "send", "--user", "ana", "--account", "ana@example.test", "--to", "Bea <bea@example.org>",
		"--bcc", "eve@example.org", "--subject", "Foto", "--body-file", body, "--attach", photo, "--wait")
	if err != nil || !strings.Contains(out, "queued message 1") || !strings.Contains(out, "sent message 1: ") {
		t.Fatalf("send --wait: %q %v", out, err)
	}
	got := f.Messages()
	if len(got) != 1 || len(got[0].Rcpts) != 2 || bytes.Contains(got[0].Body, []byte("eve@")) ||
		!bytes.Contains(got[0].Body, []byte(`filename="foto.jpg"`)) || !bytes.Contains(got[0].Body, []byte("Subject: Foto\r\n")) {
		t.Fatalf("received %d: %+v", len(got), got)
	}

	// Without --wait it stays queued; from stdin.
	out, err = runCmd(t, env, "por la entrada\n", "send", "--user", "ana", "--account", "1", "--to", "bea@example.org",
		"--subject", "Queued", "--body-stdin")
	if err != nil || !strings.Contains(out, "queued message 2") {
		t.Fatalf("send: %q %v", out, err)
	}

	// A permanent refusal: exit status, the diagnosis, the state kept.
	f.On("RCPT", "550 5.1.1 <nadie@example.org>: Recipient address rejected: User unknown")
	out, err = runCmd(t, env, "", "send", "--user", "ana", "--account", "1", "--to", "nadie@example.org",
		"--subject", "x", "--body-file", body, "--wait")
	if err == nil || !strings.Contains(err.Error(), "recipient-unknown") || !strings.Contains(out, "queued message 3") {
		t.Fatalf("refused: %q %v", out, err)
	}
	if len(f.Messages()) != 1 {
		t.Fatalf("%d messages received", len(f.Messages()))
	}
	store, err := db.Open(context.Background(), filepath.Join(env["APARTADO_DATA"], "apartado.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	u, _ := store.UserByName(context.Background(), "ana")
	for id, want := range map[int64]db.OutboxState{1: db.OutboxSent, 2: db.OutboxQueued, 3: db.OutboxFailed} {
		if m, err := store.OutboxMessage(context.Background(), u.ID, id); err != nil || m.State != want {
			t.Errorf("message %d: %s (%v), want %s", id, m.State, err, want)
		}
	}
}

// The full round trip through a real Postfix into Dovecot: sent with
// apartado send --wait, read back with apartado sync, the body as written
// and the copy in Sent byte for byte what Postfix delivered, less the
// trace fields Postfix put on top.
func TestSendRoundTripPostfix(t *testing.T) {
	srv := smtptest.Start(t, map[string]string{"alice": "alice secret", "bob": "bob secret"})
	cas := string(srv.Dovecot.CertPEM) + string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Cert.X509.Raw}))
	env := map[string]string{"APARTADO_DATA": t.TempDir(), "APARTADO_EXTRA_CA_FILE": writeFile(t, "ca.pem", cas)}
	if out, err := runCmd(t, env, "a good password\n", "user", "add", "ana", "--admin"); err != nil {
		t.Fatalf("user add: %q %v", out, err)
	}
	popHost, popPort, _ := net.SplitHostPort(srv.Dovecot.TLSAddr)
	smtpHost, smtpPort, _ := net.SplitHostPort(srv.SubmissionAddr)
	for _, a := range [][]string{
		{"alice secret\n", "--email", smtptest.Address("alice"), "--username", "alice", "--smtp-host", smtpHost,
			"--smtp-port", smtpPort, "--smtp-security", "starttls"},
		{"bob secret\n", "--email", smtptest.Address("bob"), "--username", "bob"},
	} {
		args := append([]string{"account", "add", "--user", "ana", "--host", popHost, "--port", popPort}, a[1:]...)
		if out, err := runCmd(t, env, a[0], args...); err != nil {
			t.Fatalf("account add: %q %v", out, err)
		}
	}
	text := "Hola Bob,\n\n¿qué tal? Una línea que empieza con punto:\n.\n..y otra con dos\n\nAlice\n"
	out, err := runCmd(t, env, "", "send", "--user", "ana", "--account", "1", "--to", smtptest.Address("bob"),
		"--subject", "Ida y vuelta", "--body-file", writeFile(t, "body.txt", text), "--wait")
	if err != nil || !strings.Contains(out, "sent message 1") {
		t.Fatalf("send --wait: %q %v", out, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		msgs, _ := srv.Dovecot.Messages("bob")
		if len(msgs) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Postfix did not deliver to bob's Maildir")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if out, err := runCmd(t, env, "", "sync", "--account", "2"); err != nil || !strings.Contains(out, "1 new") {
		t.Fatalf("sync: %q %v", out, err)
	}
	ctx := context.Background()
	store, err := db.Open(ctx, filepath.Join(env["APARTADO_DATA"], "apartado.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	u, _ := store.UserByName(ctx, "ana")
	inbox, err := store.ListMessages(ctx, u.ID, db.ListQuery{AccountID: 2})
	if err != nil || len(inbox.Messages) != 1 || inbox.Messages[0].Subject != "Ida y vuelta" {
		t.Fatalf("bob's inbox: %+v %v", inbox.Messages, err)
	}
	received, _ := store.MessageRaw(ctx, u.ID, inbox.Messages[0].ID)
	sentBox, err := store.ListMessages(ctx, u.ID, db.ListQuery{Mailbox: db.MailboxSent})
	if err != nil || len(sentBox.Messages) != 1 || !sentBox.Messages[0].Flags.Has(db.FlagSeen) {
		t.Fatalf("Sent: %+v %v", sentBox.Messages, err)
	}
	sent, _ := store.MessageRaw(ctx, u.ID, sentBox.Messages[0].ID)
	if !bytes.HasSuffix(received, sent) {
		t.Fatalf("the Sent copy is not what Postfix delivered.\nSent:\n%s\nreceived:\n%s", sent, received)
	}
	// What Postfix added on top is trace fields only.
	for _, line := range strings.Split(strings.TrimSuffix(string(received[:len(received)-len(sent)]), "\r\n"), "\r\n") {
		name, _, _ := strings.Cut(line, ":")
		switch {
		case line == "":
			t.Fatal("an empty line before the message")
		case line[0] == ' ' || line[0] == '\t':
		case strings.EqualFold(name, "Return-Path"), strings.EqualFold(name, "Delivered-To"), strings.EqualFold(name, "Received"),
			strings.EqualFold(name, "X-Original-To"):
		default:
			t.Fatalf("Postfix added %q", line)
		}
	}
	// The body, as written, once its transfer encoding is undone.
	msg, err := mail.ReadMessage(bytes.NewReader(received))
	if err != nil {
		t.Fatal(err)
	}
	var body io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	// (compose ends the part with a line break of its own, after the text's)
	want := strings.ReplaceAll(text, "\n", "\r\n")
	if err != nil || strings.TrimRight(string(b), "\r\n") != strings.TrimRight(want, "\r\n") {
		t.Fatalf("body %q (%v), want %q", b, err, want)
	}
}
