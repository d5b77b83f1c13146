package db

import (
	"crypto/sha256"
	"errors"
	"testing"
	"time"
)

func sentCopy(u User, a Account, raw []byte, now time.Time) NewMessage {
	sum := sha256.Sum256(raw)
	return NewMessage{AccountID: a.ID, UserID: u.ID, Raw: raw, SHA256: sum[:], ReceivedAt: now, SortAt: now, Subject: "hi"}
}

// The outbox's transitions: claims are exclusive, a lost claim cannot
// write its ".", recovery splits by the "." mark, and completion stores
// the copy in Sent, read, and flags the original, in one step.
func TestOutboxTransitions(t *testing.T) {
	d := openTest(t)
	now := time.Unix(1_800_000_000, 0)
	d.Now = func() time.Time { return now }
	u, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	other, _ := d.CreateUser(ctx, "bea", "h", RoleMember)
	a := newAccount(t, d, u.ID, "ana")
	orig := storeN(t, d, u, a, 1, "orig")[0]
	raw := []byte("Subject: hi\r\n\r\nhello\r\n")
	if _, err := d.QueueOutbox(ctx, NewOutbox{UserID: other.ID, AccountID: a.ID, Raw: raw, From: "x@example.org",
		Rcpts: []string{"y@example.org"}, NotBefore: now}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("queueing on another user's account: %v, want ErrNotFound", err)
	}
	id, err := d.QueueOutbox(ctx, NewOutbox{UserID: u.ID, AccountID: a.ID, Raw: raw, From: "ana@example.org",
		Rcpts: []string{"b@example.org", "c@example.org"}, MessageID: "1@example.org", NotBefore: now.Add(4500 * time.Millisecond),
		FlagMessageID: orig, FlagBits: FlagAnswered})
	if err != nil {
		t.Fatal(err)
	}
	if ids, _ := d.DueOutbox(ctx, now.Add(4*time.Second), 10); len(ids) != 0 {
		t.Fatalf("due during the undo window: %v", ids)
	}
	later := now.Add(5 * time.Second)
	if ids, _ := d.DueOutbox(ctx, later, 10); len(ids) != 1 || ids[0] != id {
		t.Fatalf("due after the undo window: %v, want [%d]", ids, id)
	}
	m, ok, err := d.ClaimOutbox(ctx, id, "A", later, later.Add(time.Minute))
	if err != nil || !ok || string(m.Raw) != string(raw) || len(m.Rcpts) != 2 || m.Attempts != 1 || m.State != OutboxSending {
		t.Fatalf("claim: %+v %v %v", m, ok, err)
	}
	if _, ok, _ := d.ClaimOutbox(ctx, id, "B", later, later.Add(time.Minute)); ok {
		t.Fatal("claimed twice")
	}
	if err := d.CancelOutbox(ctx, u.ID, id); !errors.Is(err, ErrOutboxState) {
		t.Fatalf("cancel while sending: %v, want ErrOutboxState", err)
	}
	// Lease not over: nothing recovered.
	if q, ms, err := d.RecoverOutbox(ctx, later.Add(30*time.Second)); err != nil || q+ms != 0 {
		t.Fatalf("recovered %d+%d (%v) within the lease", q, ms, err)
	}
	// A's lease runs out before its "."; B takes the message over.
	if q, _, _ := d.RecoverOutbox(ctx, later.Add(2*time.Minute)); q != 1 {
		t.Fatalf("requeued %d, want 1", q)
	}
	after := later.Add(2 * time.Minute)
	if _, ok, _ := d.ClaimOutbox(ctx, id, "B", after, after.Add(time.Minute)); !ok {
		t.Fatal("B could not claim the recovered message")
	}
	if err := d.MarkOutboxDot(ctx, id, "A", after); !errors.Is(err, ErrLostClaim) {
		t.Fatalf("A's dot after losing the claim: %v, want ErrLostClaim", err)
	}
	if err := d.MarkOutboxDot(ctx, id, "B", after); err != nil {
		t.Fatal(err)
	}
	// B is killed after its "."; recovery makes it maybe_sent.
	if q, ms, _ := d.RecoverOutbox(ctx, after.Add(2*time.Minute)); q != 0 || ms != 1 {
		t.Fatalf("recovered %d queued, %d maybe sent; want 0 and 1", q, ms)
	}
	if ids, _ := d.DueOutbox(ctx, after.Add(time.Hour), 10); len(ids) != 0 {
		t.Fatalf("a message maybe sent is due: %v", ids)
	}
	if err := d.ResolveOutboxSent(ctx, other.ID, id, sentCopy(other, a, raw, now)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another user resolving: %v", err)
	}
	if err := d.ResolveOutboxSent(ctx, u.ID, id, sentCopy(u, a, raw, now)); err != nil {
		t.Fatal(err)
	}
	m, _ = d.OutboxMessage(ctx, u.ID, id)
	if m.State != OutboxSent || m.SentMessageID == nil {
		t.Fatalf("after resolving: %+v", m)
	}
	got, err := d.MessageRaw(ctx, u.ID, *m.SentMessageID)
	if err != nil || string(got) != string(raw) {
		t.Fatalf("Sent copy %q (%v)", got, err)
	}
	sent, _ := d.Message(ctx, u.ID, *m.SentMessageID)
	box, _ := d.MailboxByRole(ctx, u.ID, MailboxSent)
	o, _ := d.Message(ctx, u.ID, orig)
	if sent.MailboxID != box.ID || !sent.Flags.Has(FlagSeen) || !o.Flags.Has(FlagAnswered) {
		t.Fatalf("copy in mailbox %d flags %v (Sent is %d); original flags %v", sent.MailboxID, sent.Flags, box.ID, o.Flags)
	}
	if err := d.ResolveOutboxSent(ctx, u.ID, id, sentCopy(u, a, raw, now)); !errors.Is(err, ErrOutboxState) {
		t.Fatalf("resolving twice: %v, want ErrOutboxState", err)
	}
	assertCounts(t, d)
}

func TestOutboxRequeueStopCancelRetry(t *testing.T) {
	d := openTest(t)
	now := time.Unix(1_800_000_000, 0)
	d.Now = func() time.Time { return now }
	u, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(t, d, u.ID, "ana")
	id, err := d.QueueOutbox(ctx, NewOutbox{UserID: u.ID, AccountID: a.ID, Raw: []byte("x\r\n"), From: "ana@example.org",
		Rcpts: []string{"b@example.org"}, NotBefore: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := d.ClaimOutbox(ctx, id, "A", now, now.Add(time.Minute)); !ok {
		t.Fatal("no claim")
	}
	_ = d.MarkOutboxDot(ctx, id, "A", now)
	e := OutboxError{Kind: "temporary-failure", Step: "dot", Code: 451, Text: "try later"}
	if err := d.RequeueOutbox(ctx, id, "A", now.Add(time.Minute), e); err != nil {
		t.Fatal(err)
	}
	m, _ := d.OutboxMessage(ctx, u.ID, id)
	if m.State != OutboxQueued || m.Dot || m.Err != e || !m.NextAttemptAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("requeued: %+v", m)
	}
	if _, ok, _ := d.ClaimOutbox(ctx, id, "A", now, now.Add(time.Minute)); ok {
		t.Fatal("claimed before its next attempt")
	}
	next := now.Add(time.Minute)
	if _, ok, _ := d.ClaimOutbox(ctx, id, "A", next, next.Add(time.Minute)); !ok {
		t.Fatal("no second claim")
	}
	if err := d.StopOutbox(ctx, id, "A", OutboxSent, e); err == nil {
		t.Fatal("StopOutbox accepted sent")
	}
	if err := d.StopOutbox(ctx, id, "A", OutboxFailed, OutboxError{Kind: "recipient-unknown", Code: 550}); err != nil {
		t.Fatal(err)
	}
	if m, _ = d.OutboxMessage(ctx, u.ID, id); m.State != OutboxFailed || m.Attempts != 2 || m.FirstAttemptAt == nil ||
		!m.FirstAttemptAt.Equal(now) {
		t.Fatalf("failed: %+v", m)
	}
	if err := d.RetryOutbox(ctx, u.ID, id); err != nil {
		t.Fatal(err)
	}
	if m, _ = d.OutboxMessage(ctx, u.ID, id); m.State != OutboxQueued || m.Attempts != 0 || m.FirstAttemptAt != nil {
		t.Fatalf("retried: %+v", m)
	}
	if err := d.CancelOutbox(ctx, u.ID, id); err != nil {
		t.Fatal(err)
	}
	if err := d.RetryOutbox(ctx, u.ID, id); !errors.Is(err, ErrOutboxState) {
		t.Fatalf("retrying a cancelled message: %v", err)
	}
	list, err := d.OutboxList(ctx, u.ID, now.Add(-time.Hour))
	if err != nil || len(list) != 1 || list[0].State != OutboxCancelled {
		t.Fatalf("list: %+v %v", list, err)
	}
	if list, _ = d.OutboxList(ctx, u.ID, now.Add(time.Hour)); len(list) != 0 {
		t.Fatalf("an old cancelled message listed: %+v", list)
	}
}
