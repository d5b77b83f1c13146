package db

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// mail is a message for the conversation tests: its Message-ID, what it
// answers, its subject as conversations compare it, and when it was sent.
type mail struct {
	msgID   string
	refs    []string
	subject string
	answers bool // its subject began with "Re:"
	at      time.Time
}

func storeMail(t *testing.T, d *DB, u User, a Account, m mail) int64 {
	t.Helper()
	raw := fmt.Appendf(nil, "Message-ID: <%s>\r\nSubject: %s\r\n\r\nbody\r\n", m.msgID, m.subject)
	sum := sha256.Sum256(raw)
	if m.at.IsZero() {
		m.at = time.Unix(1_700_000_000, 0)
	}
	ids, err := d.StoreMessages(ctx, []NewMessage{{AccountID: a.ID, UserID: u.ID, Raw: raw, SHA256: sum[:], ReceivedAt: m.at,
		SortAt: m.at, Subject: m.subject, MessageID: m.msgID, References: m.refs, ThreadSubject: m.subject, SubjectAnswers: m.answers}})
	if err != nil {
		t.Fatal(err)
	}
	return ids[0]
}

// threadID is a message's conversation: its thread_id, or itself when
// it is a conversation of its own.
func (d *DB) threadID(t *testing.T, id int64) int64 {
	t.Helper()
	var th int64
	if err := d.sql.QueryRow(`SELECT coalesce(thread_id, id) FROM messages WHERE id = ?`, id).Scan(&th); err != nil {
		t.Fatal(err)
	}
	return th
}

// sameThread fails unless every message is in one conversation, and
// that conversation is named by the smallest id joined into it.
func sameThread(t *testing.T, d *DB, ids ...int64) {
	t.Helper()
	want := d.threadID(t, ids[0])
	for _, id := range ids {
		if got := d.threadID(t, id); got != want {
			t.Fatalf("message %d is in conversation %d, message %d in %d", id, got, ids[0], want)
		}
	}
	if want > slices.Min(ids) {
		t.Errorf("conversation %d for messages %v", want, ids)
	}
}

func apart(t *testing.T, d *DB, a, b int64) {
	t.Helper()
	if d.threadID(t, a) == d.threadID(t, b) {
		t.Fatalf("messages %d and %d are in one conversation", a, b)
	}
}

func TestThreadingByReferences(t *testing.T) {
	d := openTest(t)
	ana, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	luis, _ := d.CreateUser(ctx, "luis", "h", RoleMember)
	a := newAccount(t, d, ana.ID, "casa")
	b := newAccount(t, d, ana.ID, "trabajo")
	l := newAccount(t, d, luis.ID, "luis")

	// A parent that arrives after its reply joins it.
	reply := storeMail(t, d, ana, a, mail{msgID: "r1@x", refs: []string{"p1@x"}, subject: "cena"})
	parent := storeMail(t, d, ana, a, mail{msgID: "p1@x", subject: "cena"})
	sameThread(t, d, reply, parent)

	// Three-way: a and c are apart until b links them.
	x := storeMail(t, d, ana, a, mail{msgID: "a@x", subject: "uno"})
	z := storeMail(t, d, ana, b, mail{msgID: "c@x", refs: []string{"b@x"}, subject: "tres"})
	apart(t, d, x, z)
	y := storeMail(t, d, ana, a, mail{msgID: "b@x", refs: []string{"a@x"}, subject: "dos"})
	sameThread(t, d, x, y, z)

	// Another user's message with the same ids joins nothing of Ana's.
	other := storeMail(t, d, luis, l, mail{msgID: "p1@x", refs: []string{"a@x"}, subject: "cena"})
	apart(t, d, other, parent)
	apart(t, d, other, x)

	// A reply kept in Sent joins the conversation it answers, and the
	// copy of it received through a Cc to oneself joins too.
	sent, err := d.StoreInMailbox(ctx, NewMessage{AccountID: b.ID, UserID: ana.ID, Raw: []byte("x"), SHA256: []byte{1},
		ReceivedAt: time.Unix(1_700_000_100, 0), SortAt: time.Unix(1_700_000_100, 0), MessageID: "s@x",
		References: []string{"p1@x", "r1@x"}}, MailboxSent, FlagSeen)
	if err != nil {
		t.Fatal(err)
	}
	cc := storeMail(t, d, ana, a, mail{msgID: "s@x", subject: "otra cosa"})
	sameThread(t, d, reply, parent, sent, cc)
	apart(t, d, parent, x)

	// The references are kept, bounded by what the caller passed, and go
	// with their message.
	if n := d.count(t, fmt.Sprintf(`SELECT count(*) FROM message_refs WHERE message_id = %d`, sent)); n != 2 {
		t.Errorf("%d references kept for the sent reply", n)
	}
	if _, err := d.TrashMessages(ctx, ana.ID, []int64{sent}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DeleteMessages(ctx, ana.ID, []int64{sent}); err != nil {
		t.Fatal(err)
	}
	if n := d.count(t, fmt.Sprintf(`SELECT count(*) FROM message_refs WHERE message_id = %d`, sent)); n != 0 {
		t.Errorf("%d references left of a deleted message", n)
	}
}

func TestThreadingBySubject(t *testing.T) {
	d := openTest(t)
	ana, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	luis, _ := d.CreateUser(ctx, "luis", "h", RoleMember)
	a := newAccount(t, d, ana.ID, "casa")
	l := newAccount(t, d, luis.ID, "luis")
	day := 24 * time.Hour
	t0 := time.Unix(1_700_000_000, 0)

	// Inside the window, without references, answers: one conversation,
	// in either order.
	first := storeMail(t, d, ana, a, mail{msgID: "1@x", subject: "cena del viernes", at: t0})
	second := storeMail(t, d, ana, a, mail{msgID: "2@x", subject: "cena del viernes", answers: true, at: t0.Add(6 * day)})
	earlier := storeMail(t, d, ana, a, mail{msgID: "0@x", subject: "cena del viernes", answers: true, at: t0.Add(-3 * day)})
	sameThread(t, d, first, second, earlier)
	// An original stored after its answer joins it.
	answer := storeMail(t, d, ana, a, mail{msgID: "a1@x", subject: "las llaves", answers: true, at: t0.Add(day)})
	original := storeMail(t, d, ana, a, mail{msgID: "a0@x", subject: "las llaves", at: t0})
	sameThread(t, d, answer, original)

	// Outside the window: apart.
	late := storeMail(t, d, ana, a, mail{msgID: "3@x", subject: "cena del viernes", answers: true, at: t0.Add(14 * day)})
	apart(t, d, late, second)

	// Only the same subject, neither answering: apart (a shop's weekly
	// "tu pedido ha salido").
	week1 := storeMail(t, d, ana, a, mail{msgID: "w1@x", subject: "tu pedido ha salido", at: t0})
	week2 := storeMail(t, d, ana, a, mail{msgID: "w2@x", subject: "tu pedido ha salido", at: t0.Add(2 * day)})
	apart(t, d, week1, week2)

	// A message with references never joins by its subject, whichever
	// comes first.
	withRefs := storeMail(t, d, ana, a, mail{msgID: "4@x", refs: []string{"unknown@x"}, subject: "cena del viernes", at: t0.Add(day)})
	apart(t, d, withRefs, first)
	refsFirst := storeMail(t, d, ana, a, mail{msgID: "5@x", refs: []string{"unknown2@x"}, subject: "el tejado", at: t0})
	noRefs := storeMail(t, d, ana, a, mail{msgID: "6@x", subject: "el tejado", answers: true, at: t0.Add(day)})
	apart(t, d, refsFirst, noRefs)

	// An empty subject, or another user's, joins nothing.
	e1 := storeMail(t, d, ana, a, mail{msgID: "7@x", at: t0})
	e2 := storeMail(t, d, ana, a, mail{msgID: "8@x", at: t0})
	apart(t, d, e1, e2)
	lu := storeMail(t, d, luis, l, mail{msgID: "9@x", subject: "cena del viernes", answers: true, at: t0})
	apart(t, d, lu, first)
}

// A list of conversations shows each conversation once, as its newest
// message in the list, with how many of its messages the list holds;
// keyset paging walks conversations; an action's expansion adds the
// conversation's messages in that list and nothing of another list.
func TestConversationList(t *testing.T) {
	d := openTest(t)
	ana, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(t, d, ana.ID, "casa")
	t0 := time.Unix(1_700_000_000, 0)
	var singles []int64
	for i := range 5 {
		singles = append(singles, storeMail(t, d, ana, a, mail{msgID: fmt.Sprintf("s%d@x", i), subject: fmt.Sprintf("s%d", i),
			at: t0.Add(time.Duration(i) * time.Hour)}))
	}
	root := storeMail(t, d, ana, a, mail{msgID: "root@x", subject: "hilo", at: t0.Add(30 * time.Minute)})
	r1 := storeMail(t, d, ana, a, mail{msgID: "r1@x", refs: []string{"root@x"}, subject: "hilo", at: t0.Add(150 * time.Minute)})
	r2 := storeMail(t, d, ana, a, mail{msgID: "r2@x", refs: []string{"r1@x"}, subject: "hilo", at: t0.Add(10 * time.Hour)})
	sent, err := d.StoreInMailbox(ctx, NewMessage{AccountID: a.ID, UserID: ana.ID, Raw: []byte("x"), SHA256: []byte{1},
		ReceivedAt: t0.Add(11 * time.Hour), SortAt: t0.Add(11 * time.Hour), MessageID: "me@x", References: []string{"r2@x"}},
		MailboxSent, FlagSeen)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SetSeen(ctx, ana.ID, []int64{r2}, true); err != nil {
		t.Fatal(err)
	}

	list := func(q ListQuery) []int64 {
		t.Helper()
		q.Conversations = true
		var out []int64
		for {
			p, err := d.ListMessages(ctx, ana.ID, q)
			if err != nil {
				t.Fatal(err)
			}
			if p.Total != 8 && q.Mailbox == "" {
				t.Errorf("total %d, want the 8 messages", p.Total)
			}
			for _, m := range p.Messages {
				out = append(out, m.ID)
			}
			if p.Older == nil {
				return out
			}
			q.Before = p.Older
		}
	}
	got := list(ListQuery{Limit: 2})
	want := []int64{r2, singles[4], singles[3], singles[2], singles[1], singles[0]}
	if !slices.Equal(got, want) {
		t.Fatalf("conversation rows %v, want %v", got, want)
	}
	page, err := d.ListMessages(ctx, ana.ID, ListQuery{Conversations: true, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	convs, err := d.Conversations(ctx, ana.ID, ListQuery{Conversations: true}, page.Messages)
	if err != nil {
		t.Fatal(err)
	}
	if c := convs[r2]; c.Count != 3 || !c.Unread || len(c.Senders) != 1 {
		t.Errorf("the conversation's row: %+v, want 3 messages in the inbox, unread", c)
	}
	// Back from the second page: the first one.
	first, err := d.ListMessages(ctx, ana.ID, ListQuery{Conversations: true, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	second, err := d.ListMessages(ctx, ana.ID, ListQuery{Conversations: true, Limit: 2, Before: first.Older})
	if err != nil {
		t.Fatal(err)
	}
	back, err := d.ListMessages(ctx, ana.ID, ListQuery{Conversations: true, Limit: 2, After: second.Newer})
	if err != nil {
		t.Fatal(err)
	}
	if ids := []int64{back.Messages[0].ID, back.Messages[1].ID}; !slices.Equal(ids, []int64{r2, singles[4]}) {
		t.Errorf("newer page %v", ids)
	}
	// In Sent, the reply is its conversation's only message there.
	if got := list(ListQuery{Mailbox: MailboxSent}); !slices.Equal(got, []int64{sent}) {
		t.Errorf("sent: %v", got)
	}
	// The expansion of the inbox row: the three messages in the inbox,
	// not the reply in Sent.
	ids, err := d.ExpandToThreads(ctx, ana.ID, ListQuery{}, []int64{r2, singles[0]})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	if want := []int64{singles[0], root, r1, r2}; !slices.Equal(ids, sortedIDs(want)) {
		t.Errorf("expanded %v, want %v", ids, sortedIDs(want))
	}
	// The thread page: every message, oldest first; the trash left out
	// unless asked for.
	if _, err := d.TrashMessages(ctx, ana.ID, []int64{r1}); err != nil {
		t.Fatal(err)
	}
	th, err := d.ThreadOf(ctx, ana.ID, r2, ThreadQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if got := summaryIDs(th.Messages); !slices.Equal(got, []int64{root, r2, sent}) || th.Total != 3 {
		t.Errorf("thread %v (%d), want root, r2, sent", got, th.Total)
	}
	th, err = d.ThreadOf(ctx, ana.ID, r2, ThreadQuery{Trash: true, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := summaryIDs(th.Messages); !slices.Equal(got, []int64{r2, sent}) || th.Total != 4 {
		t.Errorf("thread with the trash, the 2 newest %v (%d)", got, th.Total)
	}
	luis, _ := d.CreateUser(ctx, "luis", "h", RoleMember)
	if _, err := d.ThreadOf(ctx, luis.ID, r2, ThreadQuery{}); err != ErrNotFound {
		t.Errorf("another user's conversation: %v", err)
	}
	if ids, err := d.ExpandToThreads(ctx, luis.ID, ListQuery{}, []int64{r2}); err != nil || len(ids) != 1 {
		t.Errorf("another user's expansion: %v %v", ids, err)
	}
}

func sortedIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

func summaryIDs(ms []MessageSummary) []int64 {
	var out []int64
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

// Every page of a list of conversations is read in the order of the
// list's index, each row's newer messages looked up in
// messages_thread_list: no sort, no scan, whatever the mailbox's size.
func TestConversationPlansUseIndexes(t *testing.T) {
	d := openTest(t)
	ana, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(t, d, ana.ID, "one")
	storeN(t, d, ana, a, 3, "x")
	cur := &Cursor{SortAt: 1_700_000_000, ID: 5}
	box, err := d.MailboxByRole(ctx, ana.ID, MailboxInbox)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []ListQuery{{}, {Before: cur}, {After: cur}, {AccountID: a.ID}, {AccountID: a.ID, Before: cur},
		{Starred: true}, {Starred: true, Before: cur}} {
		q.Conversations = true
		if !q.Starred {
			q.MailboxID = box.ID
		}
		where, args, _, _, err := d.listWhere(ctx, ana.ID, q)
		if err != nil {
			t.Fatal(err)
		}
		query, args := listSQL(where, args, q, 50)
		plan := queryPlan(t, d, query, args...)
		index := "messages_mailbox_list"
		switch {
		case q.Starred:
			index = "messages_starred"
		case q.AccountID != 0:
			index = "messages_account_list"
		}
		if !strings.Contains(plan, "USING INDEX "+index) || strings.Contains(plan, "TEMP B-TREE") ||
			!strings.Contains(plan, "messages_thread_list (thread_id=?") || strings.Contains(plan, "SCAN n") {
			t.Errorf("%+v: plan\n%s\nwant it read in the order of %s, each row's conversation by messages_thread_list", q, plan, index)
		}
	}
}

// TestThreadingMigration: a database from before conversations keeps
// every message through migration 0026; each is its own conversation
// until the background job reaches it, newest first, in bounded batches
// whose cursor survives a restart; then the old mail is in its
// conversations, joined with mail stored since.
func TestThreadingMigration(t *testing.T) {
	path := t.TempDir() + "/apartado.db"
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(t, d, u.ID, "casa")
	t0 := time.Unix(1_700_000_000, 0)
	// Old mail: a conversation of three (the parent stored last), one
	// by subject, and two strangers.
	old := []mail{
		{msgID: "r2@x", refs: []string{"r1@x", "root@x"}, subject: "tejado", at: t0.Add(2 * time.Hour)},
		{msgID: "r1@x", refs: []string{"root@x"}, subject: "tejado", at: t0.Add(time.Hour)},
		{msgID: "solo@x", subject: "otra cosa", at: t0},
		{msgID: "root@x", subject: "tejado", at: t0},
		{msgID: "s1@x", subject: "cena", at: t0},
		{msgID: "s2@x", subject: "cena", answers: true, at: t0.Add(48 * time.Hour)},
	}
	var ids []int64
	for _, m := range old {
		ids = append(ids, storeMail(t, d, u, a, m))
	}
	refs := map[int64][]string{}
	subjects := map[int64]string{}
	answers := map[int64]bool{}
	for i, m := range old {
		refs[ids[i]], subjects[ids[i]], answers[ids[i]] = m.refs, m.subject, m.answers
	}
	// Back to before 0026, and open again: the migration runs.
	if _, err := d.sql.Exec(`DELETE FROM schema_migrations WHERE version = 26;
		DROP INDEX messages_thread_list; DROP INDEX messages_thread_subject; DROP TABLE message_refs; DROP TABLE thread_backfill;
		ALTER TABLE messages DROP COLUMN thread_id; ALTER TABLE messages DROP COLUMN thread_subject;
		ALTER TABLE users DROP COLUMN conversations`); err != nil {
		t.Fatal(err)
	}
	before := d.count(t, `SELECT count(*) FROM messages`)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if d, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	if n := d.count(t, `SELECT count(*) FROM messages`); n != before || n != len(old) {
		t.Fatalf("%d messages after the migration, %d before", n, before)
	}
	if n := d.count(t, `SELECT count(*) FROM messages WHERE thread_id IS NULL`); n != len(old) {
		t.Fatalf("%d messages threaded by the migration itself", n)
	}
	// Not threaded yet: each its own row in a list of conversations.
	p, err := d.ListMessages(ctx, u.ID, ListQuery{Conversations: true})
	if err != nil || len(p.Messages) != len(old) {
		t.Fatalf("conversation rows before the job: %d (%v)", len(p.Messages), err)
	}
	// Mail stored meanwhile: a reply to the old root, threaded at once.
	fresh := storeMail(t, d, u, a, mail{msgID: "r3@x", refs: []string{"r2@x"}, subject: "tejado", at: t0.Add(3 * time.Hour)})
	sameThread(t, d, fresh, ids[0])

	run := func(d *DB, batches int) (order []int64, done bool) {
		for range batches {
			b, done, err := d.UnthreadedBatch(ctx, 2, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if done {
				return order, true
			}
			var out []Threaded
			for _, m := range b {
				order = append(order, m.ID)
				if len(m.Raw) == 0 {
					t.Fatalf("message %d read without its raw mail", m.ID)
				}
				out = append(out, Threaded{ID: m.ID, References: refs[m.ID], ThreadSubject: subjects[m.ID], SubjectAnswers: answers[m.ID]})
			}
			if err := d.StoreThreaded(ctx, out); err != nil {
				t.Fatal(err)
			}
		}
		return order, false
	}
	order, _ := run(d, 1)
	// A restart: the job goes on from where it stopped.
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if d, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rest, done := run(d, 10)
	if !done {
		t.Fatal("the job did not finish")
	}
	order = append(order, rest...)
	want := slices.Clone(ids)
	slices.Reverse(want)
	if !slices.Equal(order, want) {
		t.Errorf("threaded %v, want %v (newest first, each once)", order, want)
	}
	if left, err := d.ThreadingLeft(ctx); err != nil || left {
		t.Errorf("threading left after the job: %v %v", left, err)
	}
	sameThread(t, d, ids[0], ids[1], ids[3], fresh)
	sameThread(t, d, ids[4], ids[5])
	apart(t, d, ids[2], ids[0])
	apart(t, d, ids[2], ids[4])
	if n := d.count(t, `SELECT count(*) FROM messages`); n != len(old)+1 {
		t.Errorf("%d messages at the end", n)
	}
	p, err = d.ListMessages(ctx, u.ID, ListQuery{Conversations: true})
	if err != nil || len(p.Messages) != 3 {
		t.Errorf("conversation rows after the job: %d (%v)", len(p.Messages), err)
	}
}

// Putting a message in its conversation, and a conversation's rows and
// page, read along indexes: nothing walks a user's whole mail, whatever
// the mailbox's size.
func TestThreadingPlans(t *testing.T) {
	d := openTest(t)
	ana, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(t, d, ana.ID, "one")
	storeN(t, d, ana, a, 3, "x")
	box, err := d.MailboxByRole(ctx, ana.ID, MailboxInbox)
	if err != nil {
		t.Fatal(err)
	}
	inbox, _, _, _, err := d.listWhere(ctx, ana.ID, ListQuery{MailboxID: box.ID})
	if err != nil {
		t.Fatal(err)
	}
	starred, _, _, _, err := d.listWhere(ctx, ana.ID, ListQuery{Starred: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		query string
		args  []any
		want  []string // each must be in the plan
	}{
		{fmt.Sprintf(threadNamedSQL, "?, ?"), []any{ana.ID, "a", "b", 1}, []string{"messages_account_msgid (account_id=? AND message_id_hdr=?)"}},
		{threadNamingSQL, []any{ana.ID, "a", 1}, []string{"r USING PRIMARY KEY (user_id=? AND ref=?)", "m USING INTEGER PRIMARY KEY"}},
		{threadSubjectSQL, []any{ana.ID, "x", 1, 2, 3, 10, ana.ID, "x", 2, 3, 3, 10}, []string{"messages_thread_subject (user_id=? AND thread_subject=? AND sort_at>? AND sort_at<?)"}},
		{threadOwnSQL, []any{1}, []string{"INTEGER PRIMARY KEY (rowid=?)"}},
		{threadSubjectSetSQL, []any{"x", 1}, []string{"INTEGER PRIMARY KEY (rowid=?)"}},
		{threadJoinSQL(2), []any{1, 1, 2, ana.ID}, []string{"messages_thread_list (thread_id=?)"}},
		{threadAdoptSQL(2), []any{1, 1, 2, ana.ID}, []string{"INTEGER PRIMARY KEY (rowid=?)"}},
		{conversationsSQL(2, inbox), []any{1, 2, ana.ID, box.ID}, []string{"messages_thread_list (thread_id=? AND mailbox_id=?)"}},
		{conversationsSQL(2, starred), []any{1, 2, ana.ID, ana.ID}, []string{"messages_thread_list (thread_id=?)"}},
		{expandSQL(2, inbox), []any{1, 2, ana.ID, box.ID}, []string{"p USING INTEGER PRIMARY KEY", "messages_thread_list (thread_id=? AND mailbox_id=?)"}},
		{expandSQL(2, starred), []any{1, 2, ana.ID, ana.ID}, []string{"p USING INTEGER PRIMARY KEY", "messages_thread_list (thread_id=?)"}},
	} {
		plan := queryPlan(t, d, tc.query, tc.args...)
		for _, w := range tc.want {
			if !strings.Contains(plan, w) {
				t.Errorf("%s\nplan:\n%s\nwant %s", tc.query, plan, w)
			}
		}
		if strings.Contains(plan, "messages_user_sort") || strings.Contains(plan, "SCAN m") || strings.Contains(plan, "SCAN n") {
			t.Errorf("%s\nplan:\n%s\nwalks the user's mail", tc.query, plan)
		}
	}
	// The subject fallback reads the nearest on each side in the index's
	// order: it never sorts the whole window.
	if plan := queryPlan(t, d, threadSubjectSQL, ana.ID, "x", 1, 2, 3, 10, ana.ID, "x", 2, 3, 3, 10); strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("the subject fallback sorts:\n%s", plan)
	}
}

// BenchmarkConversationPage: a list of conversations at 100,000 messages
// in conversations of five, beside the same list of messages, and
// storing a batch of 1,000 replies into it.
func BenchmarkConversationPage(b *testing.B) {
	d := openTest(b)
	u, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(b, d, u.ID, "isp")
	base := time.Unix(1_600_000_000, 0)
	batchOf := func(from, n int) []NewMessage {
		batch := make([]NewMessage, n)
		for j := range batch {
			i := from + j
			m := NewMessage{AccountID: a.ID, UserID: u.ID, Raw: []byte("x"), SHA256: []byte{1}, ReceivedAt: base,
				SortAt: base.Add(time.Duration(i) * time.Minute), Subject: "s", Snippet: "snippet text",
				MessageID: fmt.Sprintf("%d@x", i), FromName: fmt.Sprintf("P%d", i%7)}
			if i%5 != 0 {
				m.References = []string{fmt.Sprintf("%d@x", i-i%5), fmt.Sprintf("%d@x", i-1)}
			}
			batch[j] = m
		}
		return batch
	}
	for i := 0; i < 100_000; i += 1000 {
		if _, err := d.StoreMessages(ctx, batchOf(i, 1000)); err != nil {
			b.Fatal(err)
		}
	}
	deep := &Cursor{SortAt: base.Add(1000 * time.Minute).Unix(), ID: 1001}
	for _, bc := range []struct {
		name string
		q    ListQuery
	}{
		{"messages/first", ListQuery{}},
		{"messages/deep", ListQuery{Before: deep}},
		{"conversations/first", ListQuery{Conversations: true}},
		{"conversations/deep", ListQuery{Conversations: true, Before: deep}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				p, err := d.ListMessages(ctx, u.ID, bc.q)
				if err != nil {
					b.Fatal(err)
				}
				if bc.q.Conversations {
					if _, err := d.Conversations(ctx, u.ID, bc.q, p.Messages); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
	next := 100_000
	b.Run("store-1000", func(b *testing.B) {
		for b.Loop() {
			if _, err := d.StoreMessages(ctx, batchOf(next, 1000)); err != nil {
				b.Fatal(err)
			}
			next += 1000
		}
	})
}
