package handlers

import (
	"net"
	"net/http"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/discover"
	"github.com/apartado/apartado/internal/netguard"
	"github.com/apartado/apartado/pop3client"
)

// The connections a user asks for (autodiscovery, connection tests, the
// test before saving an account) go out through dialers that check each
// address as they connect to it (internal/netguard): a user who is not an
// administrator reaches neither the computer Apartado runs on nor its
// link, nor, unless Config.MemberPrivateServers, its local network.
// Otherwise any user could probe the services behind Apartado and read
// what they answer.

// restrictDials marks the request's context with the policy for a user who
// is not an administrator; every connection made for the request obeys it.
func (h *Handler) restrictDials(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, h.dialsOf(r, currentUser(r)))
	})
}

// dialsOf marks r's context with u's policy when u is not an
// administrator. Connections for a member's account obey the member's
// policy even when an administrator asks for them (memberAccounts): the
// poller will, and a test must not pass where the checks then fail.
func (h *Handler) dialsOf(r *http.Request, u *db.User) *http.Request {
	if u != nil && !u.IsAdmin() {
		r = r.WithContext(netguard.Restrict(r.Context(), netguard.Policy{AllowPrivate: h.memberPrivate}))
	}
	return r
}

// guardDials sets up the checking dialer for connection tests and makes
// autodiscovery use it for its probes, and for its HTTPS requests when the
// configuration gives no HTTP client (a configured one must dial through
// netguard.Dialer itself, as cmd/apartado's does).
func (h *Handler) guardDials(cfg Config) {
	h.memberPrivate = cfg.MemberPrivateServers
	h.dialer = netguard.Dialer(nil)
	var o discover.Options
	if cfg.DiscoverOptions != nil {
		o = *cfg.DiscoverOptions
	}
	if o.DialOptions == nil {
		o.DialOptions = &pop3client.Options{Resolver: h.resolver, ExtraRootCAs: h.extraRootCAs}
	} else {
		d := *o.DialOptions
		o.DialOptions = &d
	}
	if o.DialOptions.Dialer == nil {
		o.DialOptions.Dialer = h.dialer
	}
	if o.HTTPClient == nil {
		d := &net.Dialer{Timeout: 10 * time.Second}
		if res, ok := h.resolver.(*net.Resolver); ok {
			d.Resolver = res
		}
		o.HTTPClient = &http.Client{Transport: GuardedTransport(d), Timeout: 10 * time.Second}
	}
	h.discoverOpts = &o
}

// GuardedTransport is an HTTP transport for autodiscovery's requests that
// dials through netguard with d as the base dialer. It keeps no idle
// connections, so that a connection opened for one user is never reused
// for another whom the policy would not have let open it.
func GuardedTransport(d *net.Dialer) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = netguard.Dialer(d).DialContext
	tr.DisableKeepAlives = true
	return tr
}
