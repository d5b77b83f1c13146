package handlers

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/static"
)

// routes lists every route and the middleware, in the order it runs.
//
//	securityHeaders   strict CSP, nosniff, no-referrer, DENY framing, HSTS over HTTPS: first, so every response has them
//	checkHost         with a public URL configured, other host names (DNS rebinding) get 421
//	recoverPanics     a panic becomes a 500 page and a log line
//	logRequests       one debug line per request
//	crossOrigin       http.CrossOriginProtection: cross-site POSTs get 403
//	limitBody         form bodies are bounded (the composer's, with its attachments, more loosely)
//	(static files and /healthz need no session)
//	loadSession       the signed-in user, the locale and the time zone, into the context
//	requireSetup      until the administrator exists, every page leads to /setup
//	requireUser       the mail and settings pages need a signed-in user…
//	restrictDials     …whose outbound connections, unless an administrator's, avoid this computer and its network
//	requireAdmin      …and the user pages an administrator
//	limitConnections  (on discovery, tests and saves) bounds the outbound connections a user can ask for
func (h *Handler) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(h.securityHeaders, h.checkHost, h.recoverPanics, h.logRequests, h.crossOrigin, limitBody)

	r.Get("/healthz", h.healthz)
	r.Head("/healthz", h.healthz)
	r.Method(http.MethodGet, static.Prefix+"*", h.assets)
	r.Method(http.MethodHead, static.Prefix+"*", h.assets)
	r.Get("/sw.js", h.serviceWorker)

	r.Group(func(r chi.Router) {
		r.Use(noStore, h.loadSession, h.requireSetup)
		// Set in this group so that error pages for unknown paths know the
		// user and the language too.
		r.NotFound(h.notFoundHandler)
		r.MethodNotAllowed(h.methodNotAllowed)

		r.Get("/setup", h.setupForm)
		r.Post("/setup", h.setup)
		r.Get("/login", h.loginForm)
		r.Post("/login", h.login)
		r.Post("/logout", h.logout)
		r.Get("/help", h.help)
		r.Get(offlinePath, h.offline)

		// Inline images of a message body: the sandboxed iframe's requests
		// carry no cookie, so these are authorized by a signed URL (or a
		// session).
		r.Get("/mail/{id}/part/{part}", h.messagePart)

		r.Group(func(r chi.Router) {
			r.Use(h.requireUser, h.restrictDials)
			r.Get("/", h.home)
			r.Get(oauthCallbackPath, h.oauthCallback)
			r.Get("/mail", h.inbox)
			r.Get(sentPath, h.sent)
			r.Get(trashPath, h.trash)
			r.Get(archivePath, h.archive)
			r.Get(junkPath, h.junk)
			r.Get(starredPath, h.starred)
			r.Get(foldersPath, h.foldersPage)
			r.Post(foldersPath, h.createFolder)
			r.Get(foldersPath+"/{id}", h.folder)
			r.Post(foldersPath+"/{id}", h.updateFolder)
			r.Post(foldersPath+"/{id}/delete", h.deleteFolder)
			r.Post("/mail/actions", h.messageActions)
			r.Get(searchPath, h.searchPage)
			r.Get(searchPath+"/count", h.searchCount)
			r.Post(searchPath+"/actions", h.searchActions)
			r.Post(undoPath, h.undo)
			r.Get(livePath, h.live)
			r.Post(checkPath, h.checkMail)
			r.Get("/mail/{id}", h.message)
			r.Get("/mail/{id}/body", h.messageBody)
			r.Get("/mail/{id}/raw", h.messageRaw)
			r.Get("/mail/{id}/reply", h.replyForm(app.Reply))
			r.Get("/mail/{id}/reply-all", h.replyForm(app.ReplyAll))
			r.Get("/mail/{id}/forward", h.replyForm(app.Forward))
			r.Get("/mail/{id}/forward-attached", h.replyForm(app.ForwardAttached))
			r.Get(composePath, h.composeForm)
			r.Post(composePath, h.sendMessage)
			r.Post(composePath+"/draft", h.saveDraft)
			r.Get(composePath+"/addresses", h.suggestAddresses)
			r.Get(draftsPath, h.draftsPage)
			r.Get("/contacts", h.contactsPage)
			r.Post("/contacts", h.saveContact)
			r.Post("/contacts/hide", h.hideContact)
			r.Post("/drafts/{id}/delete", h.deleteDraft)
			r.Get("/outbox", h.outboxPage)
			r.Post("/outbox/{id}/undo", h.undoSend)
			r.Post("/outbox/{id}/resolve", h.resolveSend)
			r.Post("/mail/{id}/sender/trust", h.trustSender)
			r.Post("/mail/{id}/sender/untrust", h.untrustSender)
			r.Post("/account-changes/dismiss", h.dismissChanges)

			r.Get("/settings", h.settings)
			r.Post("/settings/password", h.changePassword)
			r.Post("/settings/preferences", h.savePreferences)
			r.Post(notificationsPath, h.saveNotifyAccounts)
			r.Post(subscribePath, h.subscribePush)
			r.Post(unsubscribePath, h.unsubscribePush)
			r.Post(notificationsPath+"/devices/{id}/delete", h.removePushDevice)
			r.Get(rulesPath, h.rules)
			r.Post(rulesPath, h.createRule)
			r.Post(rulesPath+"/apply", h.applyAllRules)
			r.Get(rulesPath+"/{id}", h.editRuleForm)
			r.Post(rulesPath+"/{id}", h.updateRule)
			r.Post(rulesPath+"/{id}/delete", h.deleteRule)
			r.Post(rulesPath+"/{id}/up", h.moveRule(true))
			r.Post(rulesPath+"/{id}/down", h.moveRule(false))
			r.Post(rulesPath+"/{id}/apply", h.applyRule)
			r.Get(sendersPath, h.senders)
			r.Post(sendersPath+"/remove", h.removeSender)
			r.Route(settingsAccounts, func(r chi.Router) {
				h.accountRoutes(r)
				r.Get("/{id}/export", h.exportAccount) // the owner's alone: it is their mail
			})
			r.Get(importPath, h.importPage)
			r.Post(importPath, h.importUpload)
			r.Get(importPath+"/status", h.importStatus)

			r.Group(func(r chi.Router) {
				r.Use(h.requireAdmin)
				r.Get("/admin/users", h.adminUsers)
				r.Post("/settings/alerts", h.saveAlerts)
				r.Post("/admin/users", h.createUser)
				r.Post("/admin/users/{id}/disable", h.disableUser)
				r.Post("/admin/users/{id}/enable", h.enableUser)
				r.Post("/admin/users/{id}/reset-password", h.resetPassword)
				r.Post("/admin/users/{id}/role", h.changeRole)
				r.Post("/admin/users/{id}/delete", h.deleteUser)
				r.Get(signInAdminPath, h.signInAdmin)
				r.Post(signInAdminPath, h.saveSignIn)
				r.Post(signInAdminPath+"/remove", h.removeSignIn)
				r.Route("/admin/members/{member}/accounts", func(r chi.Router) {
					r.Use(h.memberAccounts)
					h.accountRoutes(r)
				})
			})
		})
	})
	return r
}

// accountRoutes are the pages that add, test, fix, remove and check mail
// accounts: a user's own under /settings/accounts, a member's for an
// administrator (see accountScope).
func (h *Handler) accountRoutes(r chi.Router) {
	r.Get("/new", h.newAccountForm)
	r.With(h.limitConnections).Post("/new", h.createAccount)
	r.With(h.limitConnections).Post("/new/discover", h.discoverAccount)
	r.With(h.limitConnections).Post("/test", h.testNewAccount)
	r.With(h.limitConnections).Post("/signin", h.startSignIn)
	r.Get("/signin/{flow}", h.deviceSignIn)
	r.Get("/{id}", h.editAccountForm)
	r.With(h.limitConnections).Post("/{id}", h.updateAccount)
	r.With(h.limitConnections).Post("/{id}/test", h.testAccount)
	r.With(h.limitConnections).Post("/{id}/signin", h.startSignIn)
	r.Post("/{id}/delete", h.deleteAccount)
	r.Post("/{id}/check", h.checkAccount)
	r.Get("/{id}/progress", h.accountProgress)
}
