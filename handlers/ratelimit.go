package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apartado/apartado/i18n"
)

// Sign-in attempts allowed per window: per client address and user name,
// per client address whatever the name, and per name whatever the address
// (so that many addresses cannot share out the guessing of one password).
// An attempt counts before its password is checked, so attempts sent in
// parallel cannot all slip in under the limit; one that succeeds is taken
// back.
const (
	loginWindow           = 5 * time.Minute
	loginMaxPerClientName = 10
	loginMaxPerClient     = 30
	loginMaxPerName       = 30
)

// First-run set-up attempts (a wrong set-up code) allowed per window, per
// client address and from everywhere.
const (
	setupMaxPerClient = 10
	setupMaxAll       = 50
)

// Discovery and connection tests make the server connect wherever a user
// says, and a provider may block an address that logs in too often: a user
// may ask for this many per window.
const (
	connWindow     = 10 * time.Minute
	connMaxPerUser = 60
)

// limitConnections answers 429 once a user has asked for too many
// discoveries or connection tests in the window.
func (h *Handler) limitConnections(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := currentUser(r)
		if u == nil {
			next.ServeHTTP(w, r)
			return
		}
		key := "conn:" + strconv.FormatInt(u.ID, 10)
		if ok, retry := h.connLimit.take(rule{key, connMaxPerUser}); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(retry))
			ctx := r.Context()
			h.errorPage(w, r, http.StatusTooManyRequests, i18n.T(ctx, "Too many connection tests"),
				i18n.T(ctx, "You asked for many connection tests in the last few minutes. Wait ten minutes, then try again."))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limiter counts events per key in fixed windows, in memory.
type limiter struct {
	mu        sync.Mutex
	window    time.Duration
	now       func() time.Time
	counts    map[string]*windowCount
	lastSweep time.Time
}

type windowCount struct {
	start time.Time
	n     int
}

func newLimiter(window time.Duration, now func() time.Time) *limiter {
	return &limiter{window: window, now: now, counts: make(map[string]*windowCount)}
}

// rule is a key and how many events it may have in one window.
type rule struct {
	key string
	max int
}

// take records an event under every rule's key, if none of them has
// reached its limit, and reports whether it did. Checking and counting
// happen under one lock, so concurrent callers cannot all pass a limit
// that only one of them had room under. When it refuses, retry is how
// long until the first full key's window ends, in whole seconds.
func (l *limiter) take(rules ...rule) (ok bool, retry int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)
	for _, ru := range rules {
		if c, ok := l.counts[ru.key]; ok && now.Sub(c.start) < l.window && c.n >= ru.max {
			return false, secondsUntil(c.start.Add(l.window).Sub(now))
		}
	}
	for _, ru := range rules {
		c, ok := l.counts[ru.key]
		if !ok || now.Sub(c.start) >= l.window {
			c = &windowCount{start: now}
			l.counts[ru.key] = c
		}
		c.n++
	}
	return true, 0
}

// give takes back one event under each key, as for an attempt that turned
// out not to be a failure.
func (l *limiter) give(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, k := range keys {
		if c, ok := l.counts[k]; ok && now.Sub(c.start) < l.window && c.n > 0 {
			c.n--
		}
	}
}

// sweep drops ended windows, at most once a window; l.mu is held.
func (l *limiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) <= l.window {
		return
	}
	for k, c := range l.counts {
		if now.Sub(c.start) >= l.window {
			delete(l.counts, k)
		}
	}
	l.lastSweep = now
}

// secondsUntil rounds d up to whole seconds, at least 1.
func secondsUntil(d time.Duration) int {
	if d <= 0 {
		return 1
	}
	return int((d + time.Second - 1) / time.Second)
}

// reset forgets key's events.
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.counts, key)
}

// loginRules are the limits a sign-in attempt (or a check of a user's
// current password) counts against.
func (h *Handler) loginRules(r *http.Request, name string) []rule {
	ip, n := h.clientIP(r), strings.ToLower(name)
	return []rule{
		{"name\x00" + ip + "\x00" + n, loginMaxPerClientName},
		{"client\x00" + ip, loginMaxPerClient},
		{"user\x00" + n, loginMaxPerName},
	}
}

// loginAttempt counts a sign-in attempt for name before its password is
// checked; false means it is refused, for retry seconds.
func (h *Handler) loginAttempt(r *http.Request, name string) (ok bool, retry int) {
	return h.limiter.take(h.loginRules(r, name)...)
}

// loginNotChecked takes back an attempt whose password was never checked
// (the server was too busy): nothing was guessed.
func (h *Handler) loginNotChecked(r *http.Request, name string) {
	rules := h.loginRules(r, name)
	for _, ru := range rules {
		h.limiter.give(ru.key)
	}
}

// loginSucceeded forgets this client's failures for name and takes back
// the attempt from the other counts.
func (h *Handler) loginSucceeded(r *http.Request, name string) {
	rules := h.loginRules(r, name)
	h.limiter.reset(rules[0].key)
	h.limiter.give(rules[1].key, rules[2].key)
}

// setupAttempt counts an attempt at the first-run set-up before its code is
// checked.
func (h *Handler) setupAttempt(r *http.Request) (ok bool, retry int) {
	keys := setupKeys(h.clientIP(r))
	return h.limiter.take(rule{keys[0], setupMaxPerClient}, rule{keys[1], setupMaxAll})
}

// setupKeys are the limiter keys of a first-run attempt from ip.
func setupKeys(ip string) []string { return []string{"setup\x00" + ip, "setup"} }
