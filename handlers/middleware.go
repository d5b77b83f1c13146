package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
)

// The app's Content-Security-Policy: nothing inline, nothing from elsewhere,
// and never framed. Sender content has its own policies (message.go).
var appCSP = appPolicy()

// appPolicy is the app's policy, whose forms may also be sent on to the
// origins formTargets (scheme://host, checked by the caller): a form that
// posts here and is redirected there (a sign-in with the provider), which
// form-action checks too (CSP Level 3 §6.4.1).
func appPolicy(formTargets ...string) string {
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; " +
		"frame-ancestors 'none'; form-action " + strings.Join(append([]string{"'self'"}, formTargets...), " ") +
		"; base-uri 'none'; object-src 'none'"
}

// securityHeaders sets the security headers on every response, before
// anything is written. Handlers serving sender content override some.
func (h *Handler) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", appCSP)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if h.requestIsHTTPS(r) {
			// Browsers heed this only over HTTPS (RFC 6797 §8.1), so it is
			// sent only then; no includeSubDomains, which could break other
			// sites of the household's domain still on plain HTTP.
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// checkHost refuses requests for another host name than the public URL's,
// once one is configured: a page on a name that an attacker rebinds to
// this server's address would otherwise be served, and its scripts could
// read the answers as same-origin. Addresses written as IP literals cannot
// be rebound and are accepted (a household member typing the server's LAN
// address); so is /healthz, which Docker's health check asks by address.
func (h *Handler) checkHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.publicHost == "" || r.URL.Path == "/healthz" {
			next.ServeHTTP(w, r)
			return
		}
		host := r.Host
		if h.trustProxy {
			if fwd := r.Header.Get("X-Forwarded-Host"); fwd != "" {
				host, _, _ = strings.Cut(fwd, ",")
			}
		}
		name := canonicalHost(strings.TrimSpace(host))
		if _, err := netip.ParseAddr(strings.Trim(name, "[]")); err == nil || name == h.publicHost {
			next.ServeHTTP(w, r)
			return
		}
		h.log.Warn("request for an unknown host refused", "host", host, "path", r.URL.Path, "client", h.clientIP(r))
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusMisdirectedRequest)
		_, _ = io.WriteString(w, "This server answers only as "+h.publicHost+".\n")
	})
}

// canonicalHost is a Host header's name, lower case, without its port and
// a trailing dot; an IPv6 literal keeps its brackets.
func canonicalHost(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
	}
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// noStore keeps pages, which show private mail, out of caches.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// maxFormBytes bounds a request body: forms here are small.
const maxFormBytes = 1 << 20

func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			limit := int64(maxFormBytes)
			if r.Method == http.MethodPost && r.URL.Path == composePath {
				limit = maxUpload // attachments, streamed to files as they arrive
			}
			if r.Method == http.MethodPost && r.URL.Path == importPath {
				limit = maxImportUpload // a file to import, streamed to the data folder
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status, for the request log and for knowing
// whether a panicking handler already started its response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (h *Handler) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		h.log.Debug("http", "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"duration", time.Since(start).Round(time.Microsecond), "client", h.clientIP(r))
	})
}

// recoverPanics turns a panic into a logged error and, if nothing was
// written yet, a 500 page.
func (h *Handler) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.log.Error("panic serving a request", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if sw.status == 0 {
				// Drop what the handler meant for its own response.
				for _, k := range []string{"Content-Length", "Content-Disposition", "Content-Type"} {
					w.Header().Del(k)
				}
				h.serverError(w, r)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// crossOrigin rejects cross-site state-changing requests (Go's
// CrossOriginProtection: Sec-Fetch-Site, or Origin against Host). Every
// state change here is a POST, and safe methods change nothing.
func (h *Handler) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.log.Info("cross-origin request refused", "method", r.Method, "path", r.URL.Path,
			"origin", r.Header.Get("Origin"), "sec-fetch-site", r.Header.Get("Sec-Fetch-Site"), "client", h.clientIP(r))
		r = r.WithContext(i18n.WithLocale(r.Context(), i18n.Match("", r.Header.Get("Accept-Language"))))
		h.errorPage(w, r, http.StatusForbidden, i18n.T(r.Context(), "Request refused"),
			i18n.T(r.Context(), "This form was sent from another site, so it was refused to protect your account. Go back to Apartado and try again from there."))
	}))
	return cop.Handler(next)
}

// reqState is what the session middleware learns about a request.
type reqState struct {
	user      *db.User
	tokenHash []byte // the session's, when signed in
	tz        *time.Location
}

type stateKey struct{}

// state returns the request's state; outside loadSession, an empty one.
func state(r *http.Request) *reqState {
	if st, ok := r.Context().Value(stateKey{}).(*reqState); ok {
		return st
	}
	return &reqState{tz: time.Local}
}

// currentUser returns the signed-in user; only for handlers behind requireUser.
func currentUser(r *http.Request) *db.User { return state(r).user }

// loadSession finds the signed-in user from the session cookie and puts
// the user, the user's language and time zone into the request context.
func (h *Handler) loadSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &reqState{tz: time.Local}
		if c, ok := h.readCookie(r); ok {
			u, err := h.db.SessionUser(r.Context(), c.tokenHash, sessionTTL)
			switch {
			case err == nil:
				st.user, st.tokenHash = &u, c.tokenHash
				if h.now().Sub(time.Unix(c.issued, 0)) > cookieRefresh {
					if err := h.writeCookie(w, r, c.token); err != nil {
						h.log.Error("refreshing the session cookie", "err", err)
					}
				}
			case errors.Is(err, db.ErrNotFound):
				// Expired, logged out, or the password changed: the cookie is
				// worthless now.
				h.clearCookie(w, r)
			default:
				ctx := i18n.WithLocale(r.Context(), i18n.Match("", r.Header.Get("Accept-Language")))
				h.fail(w, r.WithContext(ctx), fmt.Errorf("session: %w", err))
				return
			}
		}
		pref := ""
		if st.user != nil {
			pref = st.user.Locale
			st.tz = i18n.Zone(st.user.TimeZone, st.tz)
		}
		ctx := i18n.WithLocale(r.Context(), i18n.Match(pref, r.Header.Get("Accept-Language")))
		ctx = context.WithValue(ctx, stateKey{}, st)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// requireSetup sends every page to /setup until the first user exists.
func (h *Handler) requireSetup(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/setup" || r.URL.Path == offlinePath {
			next.ServeHTTP(w, r)
			return
		}
		ok, err := h.usersExist(r.Context())
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if !ok {
			http.Redirect(w, r, "/setup", http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// usersExist reports whether any user exists; once true it stays true
// without asking the database again.
func (h *Handler) usersExist(ctx context.Context) (bool, error) {
	if h.hasUsers.Load() {
		return true, nil
	}
	n, err := h.db.CountUsers(ctx)
	if err != nil {
		return false, err
	}
	if n > 0 {
		h.hasUsers.Store(true)
	}
	return n > 0, nil
}

// requireUser sends visitors who are not signed in to the login page,
// remembering where they were going.
func (h *Handler) requireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if currentUser(r) != nil {
			next.ServeHTTP(w, r)
			return
		}
		target := "/login"
		if r.Method == http.MethodGet && r.URL.Path != "/" {
			target += "?next=" + url.QueryEscape(r.URL.RequestURI())
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
	})
}

// requireAdmin refuses members with 403.
func (h *Handler) requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := currentUser(r); u == nil || !u.IsAdmin() {
			h.errorPage(w, r, http.StatusForbidden, i18n.T(r.Context(), "Administrators only"),
				i18n.T(r.Context(), "Only an administrator can manage users."))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// clientIP is the client's address: the connection's peer, or, behind a
// trusted reverse proxy, the last address in X-Forwarded-For (the one the
// proxy itself added; earlier ones are whatever the client claimed).
func (h *Handler) clientIP(r *http.Request) string {
	if h.trustProxy {
		if vals := r.Header.Values("X-Forwarded-For"); len(vals) > 0 {
			hops := strings.Split(vals[len(vals)-1], ",")
			if ip, err := netip.ParseAddr(strings.TrimSpace(hops[len(hops)-1])); err == nil {
				return ip.Unmap().String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// requestIsHTTPS reports whether the browser reached us over HTTPS.
func (h *Handler) requestIsHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if h.trustProxy {
		proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
		return strings.EqualFold(strings.TrimSpace(proto), "https")
	}
	return false
}
