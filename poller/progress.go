package poller

import (
	"io"
	"sync/atomic"
	"time"
)

// The phases of a running sync, for Progress.Phase.
const (
	PhaseConnecting  = "connecting"  // resolving, connecting, logging in
	PhaseListing     = "listing"     // reading the listing, matching it with what is stored
	PhaseDownloading = "downloading" // RETR
	PhaseDeleting    = "deleting"    // DELE and QUIT
)

// Progress is a snapshot of a running sync.
type Progress struct {
	AccountID int64
	Started   time.Time
	Phase     string
	Session   int // 1 for the first session of the sync

	// What the sync has to download so far (later sessions of a server
	// that lists part of the mailbox at a time add to it), and how much of
	// it has arrived. Bytes are as the server's LIST announced them.
	Messages, MessagesDone int
	Bytes, BytesDone       int64
	// DownloadStarted is when the first RETR was sent (zero before).
	DownloadStarted time.Time
	Now             time.Time // when the snapshot was taken
}

// Rate is the download speed so far in bytes per second (0 when unknown).
func (p Progress) Rate() float64 {
	if p.DownloadStarted.IsZero() {
		return 0
	}
	d := p.Now.Sub(p.DownloadStarted).Seconds()
	if d < 0.5 || p.BytesDone == 0 {
		return 0
	}
	return float64(p.BytesDone) / d
}

// Remaining estimates the time left to download the rest at the rate so
// far; ok is false while there is not enough to go on.
func (p Progress) Remaining() (d time.Duration, ok bool) {
	rate := p.Rate()
	if rate <= 0 || p.Bytes <= 0 || p.Now.Sub(p.DownloadStarted) < 2*time.Second {
		return 0, false
	}
	left := max(p.Bytes-p.BytesDone, 0)
	return time.Duration(float64(left) / rate * float64(time.Second)), true
}

// Fraction is how much of the download is done, from 0 to 1, by bytes.
func (p Progress) Fraction() float64 {
	if p.Bytes <= 0 {
		return 0
	}
	return min(float64(p.BytesDone)/float64(p.Bytes), 1)
}

// tracker is the live state behind Progress; the sync goroutine writes it
// and page requests read it.
type tracker struct {
	accountID int64
	started   time.Time
	now       func() time.Time

	phase        atomic.Value // string
	session      atomic.Int32
	messages     atomic.Int64
	messagesDone atomic.Int64
	bytes        atomic.Int64
	bytesDone    atomic.Int64
	downloadAt   atomic.Int64 // UnixNano; 0 before the first RETR
}

func (t *tracker) setPhase(s string) { t.phase.Store(s) }

// plan adds n messages of size bytes to what the sync has to download.
func (t *tracker) plan(n int, size int64) {
	t.messages.Add(int64(n))
	t.bytes.Add(size)
}

func (t *tracker) downloading() {
	t.setPhase(PhaseDownloading)
	t.downloadAt.CompareAndSwap(0, t.now().UnixNano())
}

// done counts one message as downloaded (or refused): its bytes count
// as LIST announced them, whatever arrived.
func (t *tracker) done(announced, counted int64) {
	t.messagesDone.Add(1)
	t.bytesDone.Add(announced - counted)
}

func (t *tracker) snapshot() Progress {
	p := Progress{AccountID: t.accountID, Started: t.started, Session: int(t.session.Load()),
		Messages: int(t.messages.Load()), MessagesDone: int(t.messagesDone.Load()),
		Bytes: t.bytes.Load(), BytesDone: t.bytesDone.Load(), Now: t.now()}
	p.Phase, _ = t.phase.Load().(string)
	if at := t.downloadAt.Load(); at != 0 {
		p.DownloadStarted = time.Unix(0, at)
	}
	p.BytesDone = min(p.BytesDone, p.Bytes)
	return p
}

// countingReader adds what it reads to a tracker's bytes done, so a large
// message moves the bar while it arrives. n is what it has counted.
type countingReader struct {
	r io.Reader
	t *tracker
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	// The message's reader may fill all of b before returning, and b can
	// be the whole message: read in steps so the count moves as it arrives.
	if len(b) > 64<<10 {
		b = b[:64<<10]
	}
	n, err := c.r.Read(b)
	c.n += int64(n)
	c.t.bytesDone.Add(int64(n))
	return n, err
}

// Progress returns the progress of the account's running sync; ok is false
// when none is running in this process.
func (p *Poller) Progress(accountID int64) (Progress, bool) {
	p.init()
	p.mu.Lock()
	t := p.trackers[accountID]
	p.mu.Unlock()
	if t == nil {
		return Progress{}, false
	}
	return t.snapshot(), true
}

func (p *Poller) track(accountID int64, started time.Time) *tracker {
	t := &tracker{accountID: accountID, started: started, now: p.Now}
	t.setPhase(PhaseConnecting)
	p.mu.Lock()
	p.trackers[accountID] = t
	p.mu.Unlock()
	return t
}

func (p *Poller) untrack(accountID int64) {
	p.mu.Lock()
	delete(p.trackers, accountID)
	p.mu.Unlock()
}
