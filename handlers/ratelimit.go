package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apartado/apartado/i18n"
)

// Failed sign-in attempts allowed per window: per client address and user
// name, and per client address whatever the name.
const (
	loginWindow       = 5 * time.Minute
	loginMaxPerName   = 10
	loginMaxPerClient = 30
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
		if h.connLimit.count(key) >= connMaxPerUser {
			w.Header().Set("Retry-After", strconv.Itoa(h.connLimit.retryAfter(key)))
			ctx := r.Context()
			h.errorPage(w, r, http.StatusTooManyRequests, i18n.T(ctx, "Too many connection tests"),
				i18n.T(ctx, "You asked for many connection tests in the last few minutes. Wait ten minutes, then try again."))
			return
		}
		h.connLimit.add(key)
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

// count returns how many events key had in its current window.
func (l *limiter) count(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c, ok := l.counts[key]; ok && l.now().Sub(c.start) < l.window {
		return c.n
	}
	return 0
}

// add records an event for each key.
func (l *limiter) add(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.lastSweep) > l.window {
		for k, c := range l.counts {
			if now.Sub(c.start) >= l.window {
				delete(l.counts, k)
			}
		}
		l.lastSweep = now
	}
	for _, k := range keys {
		c, ok := l.counts[k]
		if !ok || now.Sub(c.start) >= l.window {
			c = &windowCount{start: now}
			l.counts[k] = c
		}
		c.n++
	}
}

// reset forgets key's events.
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.counts, key)
}

// retryAfter is how long until key's window ends, in whole seconds.
func (l *limiter) retryAfter(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.counts[key]
	if !ok {
		return 0
	}
	d := c.start.Add(l.window).Sub(l.now())
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}

// loginKeys are the limiter keys of a sign-in attempt (or of checking a
// user's current password).
func (h *Handler) loginKeys(r *http.Request, name string) (perName, perClient string) {
	ip := h.clientIP(r)
	return "name\x00" + ip + "\x00" + strings.ToLower(name), "client\x00" + ip
}

// loginLimited reports whether a sign-in attempt must be refused now, and
// for how many seconds.
func (h *Handler) loginLimited(r *http.Request, name string) (bool, int) {
	perName, perClient := h.loginKeys(r, name)
	if h.limiter.count(perName) >= loginMaxPerName {
		return true, h.limiter.retryAfter(perName)
	}
	if h.limiter.count(perClient) >= loginMaxPerClient {
		return true, h.limiter.retryAfter(perClient)
	}
	return false, 0
}

func (h *Handler) loginFailed(r *http.Request, name string) {
	perName, perClient := h.loginKeys(r, name)
	h.limiter.add(perName, perClient)
}

func (h *Handler) loginSucceeded(r *http.Request, name string) {
	perName, _ := h.loginKeys(r, name)
	h.limiter.reset(perName)
}
