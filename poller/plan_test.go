package poller

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
)

var planNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// stored is a server row of a stored message.
func stored(size int64, opts ...func(*db.ServerState)) db.ServerState {
	id := int64(100 + size)
	st := db.ServerState{ServerMessage: db.ServerMessage{MessageID: &id, Size: size, FirstSeen: planNow.AddDate(0, 0, -1)}, SizeOK: true}
	for _, o := range opts {
		o(&st)
	}
	return st
}

func badTransfer(st *db.ServerState) { st.SizeOK = false }
func trashed(st *db.ServerState)     { st.Trashed = true }
func deletedHere(st *db.ServerState) { st.MessageID = nil }
func firstSeen(days int) func(*db.ServerState) {
	return func(st *db.ServerState) { st.FirstSeen = planNow.AddDate(0, 0, -days) }
}

var (
	keep          = db.AccountSettings{DeleteWhenDeleted: db.DeleteNever}
	afterDownload = db.AccountSettings{DeleteAfterDownload: true, DeleteWhenDeleted: db.DeleteNever}
	after3Days    = db.AccountSettings{DeleteAfterDays: 3, DeleteWhenDeleted: db.DeleteNever}
	whenTrashed   = db.AccountSettings{DeleteWhenDeleted: db.DeleteImmediately}
	whenEmptied   = db.AccountSettings{DeleteWhenDeleted: db.DeleteTrashEmptied}
)

// uidls is a listing of messages 1…n of size 10·n with these UIDLs,
// marked shared as pop3client marks duplicates.
func uidls(us ...string) listing {
	var l listing
	seen := map[string]int{}
	for _, u := range us {
		seen[u]++
	}
	for i, u := range us {
		l.Msgs = append(l.Msgs, listed{ID: i + 1, Size: int64(10 * (i + 1)), UIDL: u, Shared: u == "" || seen[u] > 1})
	}
	return l
}

func TestPlanTable(t *testing.T) {
	noUIDL := func(n int) listing {
		l := uidls(make([]string, n)...)
		l.NoUIDL = true
		return l
	}
	sized := func(l listing, id int, size int64) listing {
		l.Msgs = slices.Clone(l.Msgs)
		l.Msgs[id-1].Size = size
		return l
	}
	for _, tc := range []struct {
		name       string
		l          listing
		hdr        map[int]string
		remembered map[int]bool
		known      map[string]db.ServerState
		s          db.AccountSettings
		fetch      []int
		match      []int
		del        []int
		verify     []int
		notes      []string
	}{
		{name: "keep: nothing deleted", l: uidls("a", "b"), known: map[string]db.ServerState{"a": stored(10)}, s: keep,
			fetch: []int{2}},
		{name: "delete after download: stored ones", l: uidls("a", "b"), known: map[string]db.ServerState{"a": stored(10)},
			s: afterDownload, fetch: []int{2}, del: []int{1}},
		{name: "not stored: fetched, not deleted", l: uidls("a"), s: afterDownload, fetch: []int{1}},
		{name: "transfer did not match LIST", l: uidls("a"), known: map[string]db.ServerState{"a": stored(10, badTransfer)},
			s: afterDownload, notes: []string{noteTransferMismatch}},
		{name: "size changed since stored", l: uidls("a"), known: map[string]db.ServerState{"a": stored(11)},
			s: afterDownload, notes: []string{noteSizeChanged}},
		{name: "size changed, but keep", l: uidls("a"), known: map[string]db.ServerState{"a": stored(11)}, s: keep},
		{name: "shared UIDL, header keys unique: deleted by header key", l: uidls("x", "x"),
			hdr: map[int]string{1: "hdr:1", 2: "hdr:2"}, known: map[string]db.ServerState{"hdr:1": stored(10), "hdr:2": stored(20)},
			s: afterDownload, del: []int{1, 2}},
		{name: "shared UIDL and shared header key: stays", l: sizes(uidls("x", "x", "y"), 10, 10, 30),
			hdr:   map[int]string{1: "hdr:1", 2: "hdr:1"},
			known: map[string]db.ServerState{"hdr:1": stored(10), "y": stored(30)}, s: afterDownload, del: []int{3},
			notes: []string{noteAmbiguous}},
		{name: "shared UIDL and no header: fetched each time, stays", l: uidls("x", "x"), hdr: map[int]string{2: "hdr:2"},
			known: map[string]db.ServerState{"hdr:2": stored(20)}, s: afterDownload, fetch: []int{1}, del: []int{2},
			notes: []string{noteNoKey}},
		{name: "blank UIDL told apart by header", l: uidls("", "b"), hdr: map[int]string{1: "hdr:1"},
			known: map[string]db.ServerState{"hdr:1": stored(10), "b": stored(20)}, s: afterDownload, del: []int{1, 2}},
		{name: "a header key equal to another message's", l: uidls("x", "x"), hdr: map[int]string{1: "hdr:1", 2: "hdr:1"},
			s: afterDownload, fetch: []int{1, 2}},
		{name: "no UIDL: deleted by unique header key", l: sized(noUIDL(3), 3, 20), hdr: map[int]string{1: "hdr:1", 2: "hdr:2", 3: "hdr:2"},
			known: map[string]db.ServerState{"hdr:1": stored(10), "hdr:2": stored(20)}, s: afterDownload, del: []int{1},
			notes: []string{noteAmbiguous}},
		{name: "no UIDL, after N days: by header key when due", l: noUIDL(2), hdr: map[int]string{1: "hdr:1", 2: "hdr:2"},
			known: map[string]db.ServerState{"hdr:1": stored(10, firstSeen(3)), "hdr:2": stored(20, firstSeen(2))}, s: after3Days,
			del: []int{1}},
		{name: "after N days counts from the first download", l: uidls("a", "b", "c"),
			known: map[string]db.ServerState{"a": stored(10, firstSeen(4)), "b": stored(20, firstSeen(3)), "c": stored(30, firstSeen(2))},
			s:     after3Days, del: []int{1, 2}},
		{name: "when deleted here: trashed or deleted", l: uidls("a", "b", "c"),
			known: map[string]db.ServerState{"a": stored(10, trashed), "b": stored(20, deletedHere), "c": stored(30)},
			s:     whenTrashed, del: []int{1, 2}},
		{name: "when the trash is emptied: deleted only", l: uidls("a", "b", "c"),
			known: map[string]db.ServerState{"a": stored(10, trashed), "b": stored(20, deletedHere), "c": stored(30)},
			s:     whenEmptied, del: []int{2}},
		{name: "over the size limit: left, noted", l: sized(uidls("a", "b"), 2, 5000), known: map[string]db.ServerState{"a": stored(10)},
			s: afterDownload, del: []int{1}, notes: []string{noteTooLarge}},
		{name: "over the size limit even if stored", l: sized(uidls("a"), 1, 5000), known: map[string]db.ServerState{"a": stored(5000)},
			s: afterDownload, notes: []string{noteTooLarge}},
		{name: "most of the listing unknown: matched first", l: uidls("n1", "n2", "a"),
			known: map[string]db.ServerState{"a": stored(30)}, s: keep, fetch: []int{1, 2}, match: []int{1, 2}},
		{name: "nothing stored yet: no matching", l: uidls("n1", "n2"), s: keep, fetch: []int{1, 2}},
		{name: "a remembered key is verified before DELE", l: uidls("x", "x", "y"),
			hdr: map[int]string{1: "hdr:1", 2: "hdr:2"}, remembered: map[int]bool{1: true, 2: true},
			known: map[string]db.ServerState{"hdr:1": stored(10), "hdr:2": stored(20, badTransfer), "y": stored(30)},
			s:     afterDownload, del: []int{1, 3}, verify: []int{1}, notes: []string{noteTransferMismatch}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := planInput{Listing: tc.l, HeaderKeys: tc.hdr, Remembered: tc.remembered, Known: tc.known,
				Settings: tc.s, Now: planNow, MaxSize: 1000}
			p := plan(in)
			if !slices.Equal(p.Fetch, tc.fetch) || !slices.Equal(p.Match, tc.match) || !slices.Equal(p.Delete, tc.del) ||
				!slices.Equal(p.Verify, tc.verify) {
				t.Errorf("fetch %v match %v delete %v verify %v, want %v %v %v %v",
					p.Fetch, p.Match, p.Delete, p.Verify, tc.fetch, tc.match, tc.del, tc.verify)
			}
			var notes []string
			for _, n := range p.Notes {
				notes = append(notes, n.Key)
			}
			if !slices.Equal(notes, tc.notes) {
				t.Errorf("notes %q, want %q", notes, tc.notes)
			}
			checkPlan(t, in, p)
		})
	}
}

// TestPlanNamesMessagesStably: the same message gets the same note in two
// sessions whose numbers differ, so a sync of two sessions notes it once.
func TestPlanNamesMessagesStably(t *testing.T) {
	known := map[string]db.ServerState{"a": stored(10, badTransfer)}
	first := plan(planInput{Listing: sizes(uidls("z", "y", "a"), 50, 60, 10), Known: known, Settings: afterDownload, Now: planNow, MaxSize: 1000})
	l := uidls("a")
	second := plan(planInput{Listing: l, Known: known, Settings: afterDownload, Now: planNow, MaxSize: 1000})
	var notes []db.Note
	for _, n := range append(first.Notes, second.Notes...) {
		notes = addNote(notes, n)
	}
	if len(notes) != 1 || notes[0].Args[0].Message.UIDL != "a" {
		t.Fatalf("notes %+v", notes)
	}
}

func TestHeaderKeys(t *testing.T) {
	row := func(uidl string, size int64, copies int, listed bool) db.ServerState {
		st := stored(size)
		st.HeaderUse, st.Listed = db.HeaderUse{ServerUIDL: uidl, Copies: copies}, listed
		return st
	}
	for _, tc := range []struct {
		name   string
		l      listing
		known  map[string]db.ServerState
		rem    map[int]string
		top    []int
		noUIDL bool
	}{
		{name: "nothing remembered", l: uidls("x", "x", "u"), rem: map[int]string{}, top: []int{1, 2}},
		{name: "remembered once each", l: uidls("x", "x"),
			known: map[string]db.ServerState{"hdr:1": row("x", 10, 1, true), "hdr:2": row("x", 20, 1, true)},
			rem:   map[int]string{1: "hdr:1", 2: "hdr:2"}},
		{name: "not listed last time", l: uidls("x", "x"),
			known: map[string]db.ServerState{"hdr:1": row("x", 10, 1, false), "hdr:2": row("x", 20, 1, true)},
			rem:   map[int]string{2: "hdr:2"}, top: []int{1}},
		{name: "listed more times than last time", l: sizes(uidls("x", "x", "x"), 10, 10, 20),
			known: map[string]db.ServerState{"hdr:1": row("x", 10, 1, true), "hdr:2": row("x", 20, 1, true)},
			rem:   map[int]string{3: "hdr:2"}, top: []int{1, 2}},
		{name: "copies of one message", l: sizes(uidls("x", "x"), 10, 10),
			known: map[string]db.ServerState{"hdr:1": row("x", 10, 2, true)},
			rem:   map[int]string{1: "hdr:1", 2: "hdr:1"}},
		{name: "two messages with the same UIDL and size", l: sizes(uidls("x", "x"), 10, 10),
			known: map[string]db.ServerState{"hdr:1": row("x", 10, 1, true), "hdr:2": row("x", 10, 1, true)},
			rem:   map[int]string{}, top: []int{1, 2}},
		{name: "blank UIDL", l: uidls("", ""), known: map[string]db.ServerState{"hdr:1": row("", 10, 1, true)},
			rem: map[int]string{}, top: []int{1, 2}},
		{name: "over the size limit", l: sizes(uidls("x", "x"), 10, 5000), rem: map[int]string{}, top: []int{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rem, top := headerKeys(tc.l, tc.known, 1000)
			if !mapsEqual(rem, tc.rem) || !slices.Equal(top, tc.top) {
				t.Errorf("remembered %v top %v, want %v %v", rem, top, tc.rem, tc.top)
			}
		})
	}
	l := uidls("x", "x", "x", "u")
	uses := headerUses(l, map[int]string{1: "hdr:1", 2: "hdr:1", 3: "hdr:3", 4: "u"})
	if len(uses) != 2 || uses["hdr:1"] != (db.HeaderUse{ServerUIDL: "x", Copies: 2}) || uses["hdr:3"].Copies != 1 {
		t.Errorf("uses %v", uses)
	}
}

func sizes(l listing, s ...int64) listing {
	for i := range l.Msgs {
		l.Msgs[i].Size = s[i]
	}
	return l
}

func mapsEqual(a, b map[int]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// checkPlan checks the invariants every plan keeps, whatever its input.
func checkPlan(t *testing.T, in planInput, p syncPlan) {
	t.Helper()
	byID := map[int]listed{}
	keyCount := map[string]int{}
	for _, m := range in.Listing.Msgs {
		byID[m.ID] = m
		if k, ok := p.Keys[m.ID]; ok {
			keyCount[k]++
		}
	}
	s := in.Settings
	keepAll := !s.DeleteAfterDownload && s.DeleteAfterDays == 0 && s.DeleteWhenDeleted == db.DeleteNever
	seen := map[int]bool{}
	for _, id := range p.Delete {
		m, ok := byID[id]
		key := p.Keys[id]
		st, isStored := in.Known[key]
		switch {
		case !ok || seen[id]:
			t.Fatalf("DELE %d: not listed, or twice", id)
		case keepAll:
			t.Fatalf("DELE %d under keep a copy", id)
		case key == "" || !isStored:
			t.Fatalf("DELE %d: not stored", id)
		case !st.SizeOK || st.Size != m.Size:
			t.Fatalf("DELE %d: stored %d bytes (size ok %v), listed %d", id, st.Size, st.SizeOK, m.Size)
		case keyCount[key] != 1:
			t.Fatalf("DELE %d: its key %q is not its own", id, key)
		case in.Listing.byUIDL(m) && key != m.UIDL, !in.Listing.byUIDL(m) && key != in.HeaderKeys[id]:
			t.Fatalf("DELE %d: by key %q, which is neither its UIDL nor its header key", id, key)
		case m.Size > in.MaxSize:
			t.Fatalf("DELE %d: over the size limit", id)
		}
		seen[id] = true
		due := s.DeleteAfterDownload ||
			s.DeleteAfterDays > 0 && !in.Now.Before(st.FirstSeen.AddDate(0, 0, s.DeleteAfterDays)) ||
			s.DeleteWhenDeleted == db.DeleteImmediately && (st.MessageID == nil || st.Trashed) ||
			s.DeleteWhenDeleted == db.DeleteTrashEmptied && st.MessageID == nil
		if !due {
			t.Fatalf("DELE %d: not due (%+v, %+v)", id, st, s)
		}
		if in.Remembered[id] != slices.Contains(p.Verify, id) {
			t.Fatalf("DELE %d: remembered %v, verified %v", id, in.Remembered[id], p.Verify)
		}
	}
	if len(p.Verify) > len(p.Delete) {
		t.Fatalf("verify %v beyond delete %v", p.Verify, p.Delete)
	}
	for _, m := range in.Listing.Msgs {
		_, isStored := in.Known[p.Keys[m.ID]]
		isStored = isStored && p.Keys[m.ID] != ""
		fetched := slices.Contains(p.Fetch, m.ID)
		switch {
		case m.Size > in.MaxSize && fetched:
			t.Fatalf("fetch %d: over the size limit", m.ID)
		case m.Size <= in.MaxSize && !isStored && !fetched:
			t.Fatalf("message %d neither stored nor fetched", m.ID)
		case isStored && fetched:
			t.Fatalf("fetch %d: stored already", m.ID)
		case fetched && seen[m.ID]:
			t.Fatalf("message %d both fetched and deleted", m.ID)
		}
	}
}

// randomPlanInput draws a small session: few UIDLs, header keys and sizes,
// so that collisions of every kind are frequent.
func randomPlanInput(r *rand.Rand) planInput {
	in := planInput{Now: planNow, MaxSize: 1000, HeaderKeys: map[int]string{}, Remembered: map[int]bool{},
		Known: map[string]db.ServerState{}}
	n := r.IntN(8)
	us := make([]string, n)
	for i := range us {
		us[i] = []string{"", "a", "b", "c", "d", "e"}[r.IntN(6)]
	}
	in.Listing = uidls(us...)
	in.Listing.NoUIDL = r.IntN(5) == 0
	for i := range in.Listing.Msgs {
		m := &in.Listing.Msgs[i]
		m.Size = []int64{10, 20, 30, 5000}[r.IntN(4)]
		if !in.Listing.byUIDL(*m) && r.IntN(5) != 0 {
			in.HeaderKeys[m.ID] = []string{"hdr:1", "hdr:2", "hdr:3", "a"}[r.IntN(4)]
			in.Remembered[m.ID] = r.IntN(3) == 0
		}
	}
	for _, key := range []string{"a", "b", "c", "d", "e", "hdr:1", "hdr:2", "hdr:3"} {
		if r.IntN(2) == 0 {
			continue
		}
		st := stored([]int64{10, 20, 30, 5000}[r.IntN(4)], firstSeen(r.IntN(6)))
		st.SizeOK, st.Trashed = r.IntN(4) != 0, r.IntN(3) == 0
		if r.IntN(3) == 0 {
			st.MessageID = nil
		}
		in.Known[key] = st
	}
	in.Settings = db.AccountSettings{DeleteAfterDownload: r.IntN(3) == 0, DeleteAfterDays: []int{0, 0, 1, 3}[r.IntN(4)],
		DeleteWhenDeleted: []db.DeleteWhenDeleted{db.DeleteNever, db.DeleteImmediately, db.DeleteTrashEmptied}[r.IntN(3)]}
	return in
}

func TestPlanProperties(t *testing.T) {
	for seed := range uint64(20000) {
		in := randomPlanInput(rand.New(rand.NewPCG(seed, 1)))
		checkPlan(t, in, plan(in))
	}
}

func FuzzPlan(f *testing.F) {
	for _, s := range []uint64{0, 1, 2, 42, 1 << 40} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seed uint64) {
		in := randomPlanInput(rand.New(rand.NewPCG(seed, 2)))
		checkPlan(t, in, plan(in))
	})
}
