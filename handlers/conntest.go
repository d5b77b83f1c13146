package handlers

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"

	"github.com/a-h/templ"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/diagnose"
	"github.com/apartado/apartado/web"
)

// The connection test page streams: the page head and the account form are
// sent at once, then one list item per step as the test gets there, then
// the outcome. The steps cannot wait for a buffer, so unlike every other
// page this one is written as it renders; nothing in it can fail after the
// first byte but the connection to the browser.

// testNewAccount tests the settings of the account being added.
func (h *Handler) testNewAccount(w http.ResponseWriter, r *http.Request) {
	h.testForm(w, r, nil, nil)
}

// testAccount tests the changed settings of a stored account.
func (h *Handler) testAccount(w http.ResponseWriter, r *http.Request) {
	a, accounts, err := h.loadAccount(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.testForm(w, r, &a, accounts)
}

func (h *Handler) testForm(w http.ResponseWriter, r *http.Request, a *db.Account, accounts []db.Account) {
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return
	}
	in := readAccountForm(r)
	h.openToken(r, &in)
	settings, errs, ok := h.validateAccount(r, in, a)
	if !ok {
		h.renderAccountForm(w, r, http.StatusUnprocessableEntity, in, a, accounts, func(v *web.AccountFormView) { v.Errors = errs })
		return
	}
	// Planned first: getting a sign-in's token may find the provider
	// refuses it, which the form then shows.
	plan := h.planTest(r, in, settings, a)
	v, err := h.accountFormView(r, in, a, accounts)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.log.Info("connection test", "user", currentUser(r).ID, "host", settings.Host, "port", settings.Port, "security", settings.Security)

	var res diagnose.Result
	ran := false
	steps := templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		flush(w) // the head and the form, before the test starts
		res = h.runStreaming(ctx, plan, func(s diagnose.StepResult) {
			if err := web.TestStepItem(h.stepView(r, s)).Render(ctx, w); err != nil {
				h.log.Debug("writing a test step", "err", err)
			}
			flush(w)
		})
		ran = true
		if a != nil {
			// Kept only if the server tested is the stored one.
			h.keepOffers(r, a.ID, settings.Outgoing, res.SMTP)
		}
		return nil
	})
	outcome := templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		if !ran {
			return nil
		}
		if err := web.TestOutcome(h.outcomeView(r, res, in, a)).Render(ctx, w); err != nil {
			h.log.Debug("writing a test outcome", "err", err)
		}
		return nil
	})

	// The security headers are already set (securityHeaders); the page
	// must not sit in a proxy's buffer.
	allowSignInForm(w, v.SignIn)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fw := &flushWriter{w: w, rc: http.NewResponseController(w)}
	if err := web.TestPage(v, steps, outcome).Render(r.Context(), fw); err != nil {
		h.log.Debug("writing the test page", "path", r.URL.Path, "err", err)
	}
}

// runStreaming runs the test; a panic in it becomes an internal failure,
// so that the page still ends properly.
func (h *Handler) runStreaming(ctx context.Context, p testPlan, report func(diagnose.StepResult)) (res diagnose.Result) {
	defer func() {
		if v := recover(); v != nil {
			h.log.Error("panic in a connection test", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			d := diagnose.Explain(fmt.Errorf("connection test: panic: %v", v), diagnose.Input{})
			res = diagnose.Result{Diagnosis: &d, Err: fmt.Errorf("panic: %v", v)}
		}
	}()
	return h.run(ctx, p, report)
}

// flushWriter sends what was written so far to the browser on Flush; templ's
// buffer calls it.
type flushWriter struct {
	w  io.Writer
	rc *http.ResponseController
}

func (f *flushWriter) Write(p []byte) (int, error) { return f.w.Write(p) }

func (f *flushWriter) Flush() {
	_ = f.rc.Flush() // a writer that cannot flush just sends it all at the end
}

// flush flushes templ's buffer (and with it the response) if w is one.
func flush(w io.Writer) {
	if f, ok := w.(interface{ Flush() error }); ok {
		_ = f.Flush()
	}
}
