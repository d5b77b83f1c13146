package db

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestEachMessage(t *testing.T) {
	d := openTest(t)
	ana, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	bob, _ := d.CreateUser(ctx, "bob", "h", RoleMember)
	a1 := newAccount(t, d, ana.ID, "one")
	a2 := newAccount(t, d, ana.ID, "two")
	b1 := newAccount(t, d, bob.ID, "bobs")
	base := time.Unix(1_700_000_000, 0)
	raw := func(owner string, i int) []byte {
		return []byte(fmt.Sprintf("Subject: %s %d\r\n\r\nFrom %s\r\n", owner, i, owner))
	}
	var batch []NewMessage
	for i := 0; i < 7; i++ {
		acc := a1
		if i%3 == 0 {
			acc = a2
		}
		batch = append(batch, NewMessage{AccountID: acc.ID, UserID: ana.ID, Raw: raw("ana", i), SHA256: []byte{byte(i)},
			ReceivedAt: base.Add(time.Duration(i) * time.Minute), SortAt: base, Subject: fmt.Sprint("ana ", i)})
		// Bob's messages interleave with Ana's.
		batch = append(batch, NewMessage{AccountID: b1.ID, UserID: bob.ID, Raw: raw("bob", i), SHA256: []byte{byte(i)},
			ReceivedAt: base, SortAt: base, Subject: fmt.Sprint("bob ", i)})
	}
	ids, err := d.StoreMessages(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	// Ana reads message 1 and trashes message 2.
	if err := d.SetSeen(ctx, ana.ID, []int64{ids[2]}, true); err != nil {
		t.Fatal(err)
	}
	if _, err := d.TrashMessages(ctx, ana.ID, []int64{ids[4]}); err != nil {
		t.Fatal(err)
	}

	old := exportPageSize
	exportPageSize = 2 // cross page boundaries
	t.Cleanup(func() { exportPageSize = old })

	collect := func(userID, accountID int64) []MessageExport {
		t.Helper()
		var out []MessageExport
		if err := d.EachMessage(ctx, userID, accountID, func(m MessageExport) error {
			out = append(out, m)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	check := func(name string, got []MessageExport, wantIdx []int) {
		t.Helper()
		if len(got) != len(wantIdx) {
			t.Fatalf("%s: %d messages, want %d", name, len(got), len(wantIdx))
		}
		for i, bi := range wantIdx {
			m, want := got[i], batch[bi]
			if m.ID != ids[bi] || !bytes.Equal(m.Raw, want.Raw) || m.Subject != want.Subject || !m.ReceivedAt.Equal(want.ReceivedAt) ||
				m.Seen != (bi == 2) {
				t.Errorf("%s: message %d = %+v, want id %d %q", name, i, m, ids[bi], want.Raw)
			}
		}
	}
	// Every account of Ana's, in id order, without the trashed one and
	// without any of Bob's.
	check("ana, all", collect(ana.ID, 0), []int{0, 2, 6, 8, 10, 12})
	check("ana, account one", collect(ana.ID, a1.ID), []int{2, 8, 10})
	check("ana, account two", collect(ana.ID, a2.ID), []int{0, 6, 12})
	// Another user's account yields nothing, not Bob's mail.
	check("ana asking for bob's account", collect(ana.ID, b1.ID), nil)
	check("bob asking for ana's account", collect(bob.ID, a1.ID), nil)
	if got := collect(bob.ID, 0); len(got) != 7 {
		t.Fatalf("bob: %d messages", len(got))
	} else {
		for _, m := range got {
			if !bytes.Contains(m.Raw, []byte("bob")) {
				t.Errorf("bob got %q", m.Raw)
			}
		}
	}

	// fn's error stops the walk and is returned as is.
	stop := errors.New("stop")
	n := 0
	err = d.EachMessage(ctx, ana.ID, 0, func(MessageExport) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 {
		t.Fatalf("after fn's error: %v, %d calls", err, n)
	}

	// A message trashed while the walk runs is skipped.
	var got []int64
	err = d.EachMessage(ctx, ana.ID, 0, func(m MessageExport) error {
		got = append(got, m.ID)
		if m.ID == ids[0] {
			_, err := d.TrashMessages(ctx, ana.ID, []int64{ids[2]})
			return err
		}
		return nil
	})
	if err != nil || fmt.Sprint(got) != fmt.Sprint([]int64{ids[0], ids[6], ids[8], ids[10], ids[12]}) {
		t.Fatalf("trashed during the walk: %v %v", got, err)
	}
}
