package discover

import (
	"github.com/apartado/apartado/i18n"
	"slices"
	"strings"

	"github.com/apartado/apartado/pop3client"
)

// Provider is what Apartado knows about a mail provider: its POP3 and
// outgoing (SMTP submission) servers and what a person must do at the
// provider before a mail program may connect.
type Provider struct {
	ID   string // stable identifier: "gmail", "outlook", …
	Name string // shown to people: "Gmail"

	// Domains are the mail domains the provider serves, in ASCII (A-label)
	// form. A provider found only through MX records (Google Workspace,
	// Microsoft 365) has none.
	Domains []string
	// MXSuffixes identify the provider from a custom domain's MX hosts: an
	// MX host equal to a suffix, or ending in "." and the suffix, matches.
	MXSuffixes []string

	// POP lists its POP3 servers, best first; empty when NoPOP.
	POP []Candidate
	// NoPOP is set when the provider offers no POP3 at all.
	NoPOP bool
	// SMTP lists its outgoing (submission) servers, best first: implicit
	// TLS on 465 (RFC 8314) before STARTTLS on 587. The login name is the
	// same as for POP3 (Username).
	SMTP []Candidate

	// Username says what the login name is: UsernameEmail (the whole
	// address) or UsernameLocalPart (the part before the "@").
	Username string

	// Steps are what the user must do at the provider first, as English
	// message keys that the interface translates.
	Steps []string
	// HelpURL is the provider's own help page for mail program settings.
	HelpURL string

	// AppPassword is set when the account password does not work in mail
	// programs and an app password (or authorization code) is needed.
	AppPassword bool
	// OAuthOnly is set when the provider accepts only OAuth sign-in for
	// POP3 and SMTP: no password works.
	OAuthOnly bool
	// OAuth is the issuer (see Issuers) its accounts may sign in with
	// instead of a password; "" when it offers none to mail programs.
	OAuth string
}

// The values of Provider.Username.
const (
	UsernameEmail     = "email"
	UsernameLocalPart = "localpart"
)

// Steps shared by several providers. They are message keys: keep them
// short, and change them only together with the translations.
var (
	StepOAuthOnly          = i18n.Key("This provider only allows signing in through its website (OAuth): use “Sign in with …” on the account form. If it is missing, the administrator must first register Apartado (see Help).")
	stepGmailEnablePOP     = i18n.Key("Enable POP in Gmail: Settings → See all settings → Forwarding and POP/IMAP → POP download → Enable POP, then Save Changes.")
	stepGoogleAppPassword  = i18n.Key("Turn on 2-Step Verification for your Google Account, then create an app password at myaccount.google.com/apppasswords and use it here instead of your Google password.")
	stepTwoFactorAppPass   = i18n.Key("If two-factor authentication is on for your account, create an application-specific password and use it here instead of your password.")
	stepGMXEnablePOP       = i18n.Key("Allow POP3 access once in your mailbox: Settings → POP3 & IMAP → allow access via POP3 and IMAP.")
	stepZohoEnablePOP      = i18n.Key("Enable POP access in Zoho Mail: Settings → Mail Accounts → POP Access.")
	stepNetEaseAuthCode    = i18n.Key("Turn on the POP3/SMTP service in your NetEase mailbox settings (POP3/SMTP/IMAP) and create a client authorization code; use that code here instead of your password.")
	stepMicrosoftEnablePOP = i18n.Key("Allow POP in Outlook.com: Settings → Mail → Forwarding and IMAP → POP and IMAP → Let devices and apps use POP → Yes.")
)

func tls995(host string) Candidate {
	return Candidate{Host: host, Port: 995, Security: pop3client.SecurityTLS, Source: SourceProvider}
}

func starttls110(host string) Candidate {
	return Candidate{Host: host, Port: 110, Security: pop3client.SecuritySTARTTLS, Source: SourceProvider}
}

// smtp465 is an outgoing server with implicit TLS on port 465 (RFC 8314).
func smtp465(host string) Candidate {
	return Candidate{Host: host, Port: 465, Security: pop3client.SecurityTLS, Source: SourceProvider}
}

// smtp587 is an outgoing server with STARTTLS on port 587 (RFC 6409).
func smtp587(host string) Candidate {
	return Candidate{Host: host, Port: 587, Security: pop3client.SecuritySTARTTLS, Source: SourceProvider}
}

// providers is the built-in table. It is read-only: Providers and
// LookupProvider hand out copies.
//
// Sources, checked in 2026: the Thunderbird ISPDB (github.com/thunderbird/
// autoconfig, ispdb/*.xml) and the providers' own help pages. Entries
// marked UNCONFIRMED could not be checked against a provider page or the
// ISPDB; Discover still probes them, and ranks them below a server that
// answered.
//
// The outgoing servers (SMTP) are the ISPDB's <outgoingServer> entries as
// of March 2026 (commit c6ad796), each named in the entry's comment; a
// provider with no confirmed outgoing server has none, and Discover probes
// smtp.DOMAIN and mail.DOMAIN for it instead.
var providers = []Provider{
	{
		// ISPDB googlemail.com.xml; support.google.com/mail/answer/7104828.
		// Google ended password ("less secure app") sign-in for mail
		// programs; app passwords need 2-Step Verification.
		ID: "gmail", Name: "Gmail",
		OAuth:   IssuerGoogle,
		Domains: []string{"gmail.com", "googlemail.com"},
		POP:     []Candidate{tls995("pop.gmail.com")},
		// ISPDB googlemail.com.xml: smtp.gmail.com 465 SSL; Google's IMAP/SMTP
		// page: "Use port 465, or port 587 if your client begins with plain
		// text before issuing the STARTTLS command".
		SMTP:        []Candidate{smtp465("smtp.gmail.com"), smtp587("smtp.gmail.com")},
		Username:    UsernameEmail,
		AppPassword: true,
		Steps:       []string{stepGmailEnablePOP, stepGoogleAppPassword},
		HelpURL:     "https://support.google.com/mail/answer/7104828",
	},
	{
		// Custom domains on Google: MX aspmx.l.google.com, smtp.google.com,
		// *.googlemail.com. Same servers as Gmail.
		ID: "google-workspace", Name: "Google Workspace",
		OAuth:      IssuerGoogle,
		MXSuffixes: []string{"google.com", "googlemail.com"},
		POP:        []Candidate{tls995("pop.gmail.com")},
		// Same outgoing servers as Gmail.
		SMTP:        []Candidate{smtp465("smtp.gmail.com"), smtp587("smtp.gmail.com")},
		Username:    UsernameEmail,
		AppPassword: true,
		Steps: []string{
			i18n.Key("Your Google Workspace administrator must allow POP access and app passwords for your account."),
			stepGmailEnablePOP, stepGoogleAppPassword,
		},
		HelpURL: "https://support.google.com/mail/answer/7104828",
	},
	{
		// ISPDB hotmail.com.xml (server outlook.office365.com:995, OAuth2
		// only). Microsoft turned off password sign-in for POP/IMAP on
		// personal accounts on 16 September 2024.
		ID: "outlook", Name: "Outlook.com",
		OAuth: IssuerMicrosoft,
		Domains: []string{
			"outlook.com", "hotmail.com", "live.com", "msn.com", "windowslive.com",
			"outlook.at", "outlook.be", "outlook.cl", "outlook.cz", "outlook.de", "outlook.dk",
			"outlook.es", "outlook.fr", "outlook.hu", "outlook.ie", "outlook.in", "outlook.it",
			"outlook.jp", "outlook.kr", "outlook.lv", "outlook.my", "outlook.ph", "outlook.pt",
			"outlook.sa", "outlook.sg", "outlook.sk", "outlook.co.id", "outlook.co.il",
			"outlook.co.th", "outlook.com.ar", "outlook.com.au", "outlook.com.br",
			"outlook.com.gr", "outlook.com.tr", "outlook.com.vn",
			"hotmail.be", "hotmail.ca", "hotmail.cl", "hotmail.cz", "hotmail.de", "hotmail.dk",
			"hotmail.es", "hotmail.fi", "hotmail.fr", "hotmail.gr", "hotmail.hu", "hotmail.it",
			"hotmail.lt", "hotmail.lv", "hotmail.my", "hotmail.nl", "hotmail.no", "hotmail.ph",
			"hotmail.rs", "hotmail.se", "hotmail.sg", "hotmail.sk", "hotmail.co.id",
			"hotmail.co.il", "hotmail.co.in", "hotmail.co.jp", "hotmail.co.kr", "hotmail.co.th",
			"hotmail.co.uk", "hotmail.co.za", "hotmail.com.ar", "hotmail.com.au",
			"hotmail.com.br", "hotmail.com.hk", "hotmail.com.tr", "hotmail.com.tw",
			"hotmail.com.vn",
			"live.at", "live.be", "live.ca", "live.cl", "live.cn", "live.de", "live.dk",
			"live.fi", "live.fr", "live.hk", "live.ie", "live.in", "live.it", "live.jp",
			"live.nl", "live.no", "live.ru", "live.se", "live.co.jp", "live.co.kr",
			"live.co.uk", "live.co.za", "live.com.ar", "live.com.au", "live.com.mx",
			"live.com.my", "live.com.ph", "live.com.pt", "live.com.sg", "livemail.tw",
		},
		// Custom domains on a personal Microsoft account (ISPDB).
		MXSuffixes: []string{"olc.protection.outlook.com"},
		POP:        []Candidate{tls995("outlook.office365.com")},
		// ISPDB hotmail.com.xml: smtp-mail.outlook.com 587 STARTTLS.
		SMTP:      []Candidate{smtp587("smtp-mail.outlook.com")},
		Username:  UsernameEmail,
		OAuthOnly: true,
		Steps:     []string{stepMicrosoftEnablePOP, StepOAuthOnly},
		HelpURL:   "https://support.microsoft.com/office/pop-imap-and-smtp-settings-for-outlook-com-d088b986-291d-42b8-9564-9c414e2aa040",
	},
	{
		// Exchange Online: MX <tenant>.mail.protection.outlook.com. Basic
		// authentication for POP was turned off in Exchange Online in 2022.
		ID: "microsoft365", Name: "Microsoft 365",
		OAuth:      IssuerMicrosoftWork,
		MXSuffixes: []string{"mail.protection.outlook.com"},
		POP:        []Candidate{tls995("outlook.office365.com")},
		// ISPDB office365.com.xml: smtp.office365.com 587 STARTTLS.
		SMTP:      []Candidate{smtp587("smtp.office365.com")},
		Username:  UsernameEmail,
		OAuthOnly: true,
		Steps: []string{
			i18n.Key("Your Microsoft 365 administrator must enable POP for your mailbox."),
			StepOAuthOnly,
		},
		HelpURL: "https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/pop3-and-imap4/pop3-and-imap4",
	},
	{
		// ISPDB yahoo.com.xml; help.yahoo.com SLN4724. Yahoo requires an app
		// password for mail programs. Its MX (yahoodns.net) is shared with
		// AOL, so it identifies neither.
		ID: "yahoo", Name: "Yahoo Mail",
		OAuth: IssuerYahoo,
		Domains: []string{
			"yahoo.com", "yahoo.de", "yahoo.it", "yahoo.fr", "yahoo.es", "yahoo.se",
			"yahoo.co.in", "yahoo.co.uk", "yahoo.co.nz", "yahoo.com.au", "yahoo.com.ar",
			"yahoo.com.br", "yahoo.com.mx", "ymail.com", "myyahoo.com", "rocketmail.com",
			"cox.net", // Cox mail moved to Yahoo (ISPDB)
		},
		POP: []Candidate{tls995("pop.mail.yahoo.com")},
		// ISPDB yahoo.com.xml: smtp.mail.yahoo.com 465 SSL.
		SMTP:        []Candidate{smtp465("smtp.mail.yahoo.com")},
		Username:    UsernameEmail,
		AppPassword: true,
		Steps:       []string{i18n.Key("Create an app password: Yahoo Account info → Account security → Generate app password, and use it here instead of your Yahoo password.")},
		HelpURL:     "https://help.yahoo.com/kb/SLN4724.html",
	},
	{
		// ISPDB aol.com.xml. Same platform as Yahoo: app password.
		ID: "aol", Name: "AOL Mail",
		OAuth: IssuerAOL,
		Domains: []string{
			"aol.com", "aim.com", "netscape.net", "netscape.com", "compuserve.com", "cs.com",
			"wmconnect.com", "aol.de", "aol.it", "aol.fr", "aol.es", "aol.se", "aol.co.uk",
			"aol.co.nz", "aol.com.au", "aol.com.ar", "aol.com.br", "aol.com.mx",
		},
		POP: []Candidate{tls995("pop.aol.com")},
		// ISPDB aol.com.xml: smtp.aol.com 465 SSL.
		SMTP:        []Candidate{smtp465("smtp.aol.com")},
		Username:    UsernameEmail,
		AppPassword: true,
		Steps:       []string{i18n.Key("Create an app password: AOL Account info → Account security → Generate app password, and use it here instead of your AOL password.")},
		HelpURL:     "https://help.aol.com/articles/how-do-i-use-other-email-applications-to-send-and-receive-my-aol-mail",
	},
	{
		// ISPDB gmx.net.xml (995 SSL and 110 STARTTLS; "allow access via
		// POP3 & IMAP once"); hilfe.gmx.net/pop-imap/einschalten.html.
		ID: "gmx", Name: "GMX",
		Domains: []string{
			"gmx.net", "gmx.de", "gmx.at", "gmx.ch", "gmx.eu", "gmx.biz", "gmx.org", "gmx.info",
			"mein.gmx", "mail.gmx", "email.gmx",
		},
		POP: []Candidate{tls995("pop.gmx.net"), starttls110("pop.gmx.net")},
		// ISPDB gmx.net.xml: mail.gmx.net 465 SSL and 587 STARTTLS.
		SMTP:     []Candidate{smtp465("mail.gmx.net"), smtp587("mail.gmx.net")},
		Username: UsernameEmail,
		Steps:    []string{stepGMXEnablePOP, stepTwoFactorAppPass},
		HelpURL:  "https://hilfe.gmx.net/pop-imap/einschalten.html",
	},
	{
		// ISPDB gmx.com.xml: the international GMX, with its own servers.
		// The help URL is UNCONFIRMED (the gmx.com counterpart of the
		// hilfe.gmx.net page).
		ID: "gmx-com", Name: "GMX",
		Domains: []string{
			"gmx.com", "gmx.tm", "gmx.us", "gmx.co.uk", "gmx.es", "gmx.fr", "gmx.ca", "gmx.cn",
			"gmx.co.in", "gmx.com.br", "gmx.com.my", "gmx.hk", "gmx.ie", "gmx.ph", "gmx.pt",
			"gmx.ru", "gmx.se", "gmx.sg", "gmx.tw", "gmx.com.tr", "gmx.it", "gmx.li",
		},
		POP: []Candidate{tls995("pop.gmx.com"), starttls110("pop.gmx.com")},
		// ISPDB gmx.com.xml: mail.gmx.com 465 SSL and 587 STARTTLS.
		SMTP:     []Candidate{smtp465("mail.gmx.com"), smtp587("mail.gmx.com")},
		Username: UsernameEmail,
		Steps:    []string{stepGMXEnablePOP, stepTwoFactorAppPass},
		HelpURL:  "https://support.gmx.com/pop-imap/toggle.html",
	},
	{
		// ISPDB web.de.xml (pop3.web.de, 995 SSL and 110 STARTTLS; "allow
		// access via POP3 & IMAP once"). The ISPDB gives the local part as
		// the user name; WEB.DE's help names the e-mail address. UNCONFIRMED
		// which one WEB.DE prefers: the full address is proposed. The ISPDB
		// also notes that WEB.DE refuses POP3 logins more often than every
		// 15 minutes.
		ID: "webde", Name: "WEB.DE",
		Domains: []string{"web.de"},
		POP:     []Candidate{tls995("pop3.web.de"), starttls110("pop3.web.de")},
		// ISPDB web.de.xml: smtp.web.de 465 SSL and 587 STARTTLS.
		SMTP:     []Candidate{smtp465("smtp.web.de"), smtp587("smtp.web.de")},
		Username: UsernameEmail,
		Steps:    []string{stepGMXEnablePOP, stepTwoFactorAppPass},
		HelpURL:  "https://hilfe.web.de/pop-imap/einschalten.html",
	},
	{
		// ISPDB zoho.com.xml; zoho.com/mail/help/pop-access.html: personal
		// accounts pop.zoho.com, POP access must be enabled first.
		ID: "zoho", Name: "Zoho Mail",
		Domains: []string{"zoho.com", "zohomail.com"},
		POP:     []Candidate{tls995("pop.zoho.com")},
		// ISPDB zoho.com.xml: smtp.zoho.com 465 SSL and 587 STARTTLS.
		SMTP:     []Candidate{smtp465("smtp.zoho.com"), smtp587("smtp.zoho.com")},
		Username: UsernameEmail,
		Steps:    []string{stepZohoEnablePOP, stepTwoFactorAppPass},
		HelpURL:  "https://www.zoho.com/mail/help/pop-access.html",
	},
	{
		// Zoho's EU data centre (zoho.eu). UNCONFIRMED: by analogy with the
		// .com and .in data centres documented on Zoho's POP page.
		ID: "zoho-eu", Name: "Zoho Mail (EU)",
		Domains:  []string{"zohomail.eu"},
		POP:      []Candidate{tls995("pop.zoho.eu")},
		Username: UsernameEmail,
		Steps:    []string{stepZohoEnablePOP, stepTwoFactorAppPass},
		HelpURL:  "https://www.zoho.com/mail/help/pop-access.html",
	},
	{
		// Organisation (custom domain) accounts: poppro.zoho.com, per
		// Zoho's POP page. MX mx.zoho.com, mx2.zoho.com, mx3.zoho.com.
		ID: "zoho-workplace", Name: "Zoho Mail (your organisation)",
		MXSuffixes: []string{"zoho.com"},
		POP:        []Candidate{tls995("poppro.zoho.com")},
		Username:   UsernameEmail,
		Steps:      []string{stepZohoEnablePOP, stepTwoFactorAppPass},
		HelpURL:    "https://www.zoho.com/mail/help/pop-access.html",
	},
	{
		// UNCONFIRMED: poppro.zoho.eu by analogy (MX mx.zoho.eu).
		ID: "zoho-workplace-eu", Name: "Zoho Mail (your organisation, EU)",
		MXSuffixes: []string{"zoho.eu"},
		POP:        []Candidate{tls995("poppro.zoho.eu")},
		Username:   UsernameEmail,
		Steps:      []string{stepZohoEnablePOP, stepTwoFactorAppPass},
		HelpURL:    "https://www.zoho.com/mail/help/pop-access.html",
	},
	{
		// ISPDB yandex.ru.xml (pop.yandex.com:995 SSL); Yandex ID help:
		// mail programs need an app password. Help URL UNCONFIRMED (Yandex
		// has moved its help pages).
		ID: "yandex", Name: "Yandex Mail",
		Domains: []string{"yandex.ru", "yandex.com", "yandex.net", "yandex.by", "yandex.kz", "yandex.ua", "ya.ru", "narod.ru"},
		POP:     []Candidate{tls995("pop.yandex.com")},
		// ISPDB yandex.ru.xml: smtp.yandex.com 465 SSL.
		SMTP:        []Candidate{smtp465("smtp.yandex.com")},
		Username:    UsernameEmail,
		AppPassword: true,
		Steps: []string{
			i18n.Key("Allow mail programs in Yandex Mail: Settings → Email clients → allow access by POP3."),
			i18n.Key("Create an app password for mail in your Yandex ID (Security → App passwords) and use it here instead of your Yandex password."),
		},
		HelpURL: "https://yandex.com/support/mail/mail-clients/others.html",
	},
	{
		// ISPDB mail.ru (pop.mail.ru, 995 SSL and 110 STARTTLS). Mail.ru
		// requires a "password for external apps". internet.ru is a Mail.ru
		// domain not in the ISPDB entry. Help URL UNCONFIRMED.
		ID: "mailru", Name: "Mail.ru",
		Domains: []string{"mail.ru", "inbox.ru", "list.ru", "bk.ru", "internet.ru"},
		POP:     []Candidate{tls995("pop.mail.ru"), starttls110("pop.mail.ru")},
		// ISPDB mail.ru.xml: smtp.mail.ru 465 SSL and 587 STARTTLS.
		SMTP:        []Candidate{smtp465("smtp.mail.ru"), smtp587("smtp.mail.ru")},
		Username:    UsernameEmail,
		AppPassword: true,
		Steps:       []string{i18n.Key("Create a password for external apps in Mail.ru: Settings → Security → Passwords for external apps, and use it here instead of your password.")},
		HelpURL:     "https://help.mail.ru/mail/mailer/popsmtp",
	},
	{
		// ISPDB messagingengine.com.xml (pop.fastmail.com:995 SSL).
		// Fastmail requires app passwords for mail programs. MX
		// in1-smtp.messagingengine.com.
		ID: "fastmail", Name: "Fastmail",
		Domains: []string{
			"fastmail.com", "fastmail.fm", "fastmail.net", "fastmail.org", "fastmail.to",
			"fastmail.us", "fastmail.co.uk", "fastmail.de", "fastmail.es", "fastmail.in",
			"fastmail.jp", "fastmail.mx", "fastmail.nl", "fastmail.se", "messagingengine.com",
		},
		MXSuffixes: []string{"messagingengine.com"},
		POP:        []Candidate{tls995("pop.fastmail.com")},
		// ISPDB messagingengine.com.xml: smtp.fastmail.com 465 SSL.
		SMTP:        []Candidate{smtp465("smtp.fastmail.com")},
		Username:    UsernameEmail,
		AppPassword: true,
		Steps:       []string{i18n.Key("Create an app password in Fastmail (Settings → Privacy & Security → App passwords) that allows mail access, and use it here instead of your Fastmail password.")},
		HelpURL:     "https://www.fastmail.help/hc/en-us/articles/1500000278342-Server-names-and-ports",
	},
	{
		// ISPDB me.com.xml lists IMAP only; Apple's iCloud Mail settings
		// page lists IMAP and SMTP, no POP.
		ID: "icloud", Name: "iCloud Mail",
		Domains: []string{"icloud.com", "me.com", "mac.com"},
		NoPOP:   true,
		// ISPDB me.com.xml and Apple's settings page: smtp.mail.me.com 587
		// STARTTLS.
		SMTP:     []Candidate{smtp587("smtp.mail.me.com")},
		Username: UsernameEmail,
		Steps:    []string{i18n.Key("iCloud Mail does not offer POP3; it can only be reached with IMAP.")},
		HelpURL:  "https://support.apple.com/en-us/102525",
	},
	{
		// ISPDB francetelecom.fr (pop.orange.fr:995 SSL, full address).
		ID: "orange", Name: "Orange",
		Domains: []string{"orange.fr", "wanadoo.fr"},
		POP:     []Candidate{tls995("pop.orange.fr")},
		// ISPDB orange.fr.xml: smtp.orange.fr 465 SSL.
		SMTP:     []Candidate{smtp465("smtp.orange.fr")},
		Username: UsernameEmail,
		HelpURL:  "https://assistance.orange.fr/ordinateurs-peripheriques/installer-et-utiliser/l-utilisation-du-mail-et-du-cloud/mail/les-logiciels-de-messagerie/thunderbird/thunderbird-pc-creer-un-compte-de-messagerie_65963-66803",
	},
	{
		// ISPDB free.fr.xml (pop.free.fr:995 SSL; the login is the local
		// part); assistance.free.fr article 609.
		ID: "free", Name: "Free",
		Domains: []string{"free.fr"},
		POP:     []Candidate{tls995("pop.free.fr")},
		// ISPDB free.fr.xml: smtp.free.fr 465 SSL.
		SMTP:     []Candidate{smtp465("smtp.free.fr")},
		Username: UsernameLocalPart,
		HelpURL:  "https://assistance.free.fr/articles/configurer-de-maniere-avancee-mon-logiciel-de-messagerie-609",
	},
	{
		// ISPDB libero.it (popmail.libero.it:995 SSL).
		ID: "libero", Name: "Libero Mail",
		Domains: []string{"libero.it", "iol.it", "blu.it", "inwind.it", "giallo.it"},
		POP:     []Candidate{tls995("popmail.libero.it")},
		// ISPDB libero.it.xml: smtp.libero.it 465 SSL.
		SMTP:     []Candidate{smtp465("smtp.libero.it")},
		Username: UsernameEmail,
		HelpURL:  "https://aiuto.libero.it/articolo/mail/parametri-di-configurazione-per-il-client-di-posta/",
	},
	{
		// ISPDB virgilio.it.xml (in.virgilio.it:995 SSL).
		ID: "virgilio", Name: "Virgilio Mail",
		Domains: []string{"virgilio.it"},
		POP:     []Candidate{tls995("in.virgilio.it")},
		// ISPDB virgilio.it.xml: out.virgilio.it 465 SSL.
		SMTP:     []Candidate{smtp465("out.virgilio.it")},
		Username: UsernameEmail,
		HelpURL:  "https://aiuto.virgilio.it/articolo/mail/configurare-virgilio-mail-con-client-di-posta-imap-e-smtp/",
	},
	{
		// ISPDB t-online.de.xml (securepop.t-online.de:995 SSL): mail
		// programs need the separate "E-Mail-Passwort".
		ID: "t-online", Name: "T-Online (Telekom)",
		Domains: []string{"t-online.de", "magenta.de"},
		POP:     []Candidate{tls995("securepop.t-online.de")},
		// ISPDB t-online.de.xml: securesmtp.t-online.de 465 SSL and 587
		// STARTTLS.
		SMTP:        []Candidate{smtp465("securesmtp.t-online.de"), smtp587("securesmtp.t-online.de")},
		Username:    UsernameEmail,
		AppPassword: true,
		Steps:       []string{i18n.Key("Set up an e-mail password (E-Mail-Passwort) in the Telekom E-Mail Center and use it here; your Telekom login password does not work in mail programs.")},
		HelpURL:     "https://www.telekom.de/hilfe/apps-dienste/e-mail/programme/passwort-verwalten",
	},
	{
		// QQ Mail help (pop.qq.com:995 SSL). Since November 2022 mail
		// programs may sign in only with an authorization code.
		ID: "qq", Name: "QQ Mail",
		Domains: []string{"qq.com", "vip.qq.com", "foxmail.com"},
		POP:     []Candidate{tls995("pop.qq.com")},
		// ISPDB qq.com.xml: smtp.qq.com 465 SSL.
		SMTP:        []Candidate{smtp465("smtp.qq.com")},
		Username:    UsernameEmail,
		AppPassword: true,
		Steps:       []string{i18n.Key("Turn on the POP3/SMTP service in QQ Mail (Settings → Account) and generate an authorization code; use that code here instead of your QQ password.")},
		HelpURL:     "https://service.mail.qq.com/",
	},
	{
		// NetEase: pop.163.com / pop.126.com / pop.yeah.net, 995 SSL (NetEase
		// help and many client guides; not in the ISPDB). That mail programs
		// need the client authorization code is UNCONFIRMED for every
		// account (older guides say the password works).
		ID: "163", Name: "NetEase 163 Mail",
		Domains: []string{"163.com"},
		POP:     []Candidate{tls995("pop.163.com")},
		// ISPDB 163.com.xml: smtp.163.com 465 SSL.
		SMTP:        []Candidate{smtp465("smtp.163.com")},
		Username:    UsernameEmail,
		AppPassword: true,
		Steps:       []string{stepNetEaseAuthCode},
		HelpURL:     "https://help.mail.163.com/",
	},
	{
		ID: "126", Name: "NetEase 126 Mail",
		Domains: []string{"126.com"},
		POP:     []Candidate{tls995("pop.126.com")},
		// ISPDB 126.com.xml: smtp.126.com 465 SSL.
		SMTP:        []Candidate{smtp465("smtp.126.com")},
		Username:    UsernameEmail,
		AppPassword: true,
		Steps:       []string{stepNetEaseAuthCode},
		HelpURL:     "https://help.mail.163.com/",
	},
	{
		ID: "yeah", Name: "NetEase Yeah Mail",
		Domains: []string{"yeah.net"},
		POP:     []Candidate{tls995("pop.yeah.net")},
		// ISPDB yeah.net.xml: smtp.yeah.net 465 SSL.
		SMTP:        []Candidate{smtp465("smtp.yeah.net")},
		Username:    UsernameEmail,
		AppPassword: true,
		Steps:       []string{stepNetEaseAuthCode},
		HelpURL:     "https://help.mail.163.com/",
	},
	{
		// UNCONFIRMED. pop3.telefonica.net is Telefónica's long-standing POP3
		// host (historically port 110); that it serves 995 with TLS, that
		// movistar.es uses it, and that terra.es (Terra Spain, now part of
		// Telefónica) does too could not be checked against Movistar's help.
		// Discover probes these, and falls back to pop.DOMAIN/mail.DOMAIN
		// when neither answers.
		ID: "movistar", Name: "Movistar (Telefónica)",
		Domains:  []string{"movistar.es", "telefonica.net", "terra.es"},
		POP:      []Candidate{tls995("pop3.telefonica.net"), starttls110("pop3.telefonica.net")},
		Username: UsernameEmail,
		HelpURL:  "https://www.movistar.es/particulares/atencion-cliente/",
	},
	{
		// Terra (Brazil). UNCONFIRMED: pop.terra.com.br appears in client
		// code with both 110 and 995; 995 with TLS is proposed.
		ID: "terra", Name: "Terra",
		Domains:  []string{"terra.com.br"},
		POP:      []Candidate{tls995("pop.terra.com.br")},
		Username: UsernameEmail,
		HelpURL:  "https://www.terra.com.br/",
	},
}

// Providers returns a copy of the built-in table.
func Providers() []Provider {
	out := make([]Provider, len(providers))
	for i := range providers {
		out[i] = providers[i].clone()
	}
	return out
}

func (p *Provider) clone() Provider {
	c := *p
	c.Domains = slices.Clone(p.Domains)
	c.MXSuffixes = slices.Clone(p.MXSuffixes)
	c.POP = slices.Clone(p.POP)
	c.SMTP = slices.Clone(p.SMTP)
	c.Steps = slices.Clone(p.Steps)
	return c
}

// LookupProvider finds the provider serving an email address (or a bare
// domain) in the built-in table. The domain is matched case-insensitively
// after IDNA normalisation; a subdomain matches only when it is listed
// itself.
func LookupProvider(email string) (*Provider, bool) {
	domain := email
	if i := strings.LastIndexByte(email, '@'); i >= 0 {
		domain = email[i+1:]
	}
	d, err := normalizeDomain(domain)
	if err != nil {
		return nil, false
	}
	return providerForDomain(d)
}

// LookupProviderID finds the provider of the built-in table with that ID.
func LookupProviderID(id string) (*Provider, bool) {
	i := slices.IndexFunc(providers, func(p Provider) bool { return p.ID == id && id != "" })
	if i < 0 {
		return nil, false
	}
	p := providers[i].clone()
	return &p, true
}

// ProviderFor is the provider an address belongs to (LookupProvider), or
// else the one discovery named by its ID (from its MX hosts, for a custom
// domain), when either is known.
func ProviderFor(email, id string) (*Provider, bool) {
	if p, ok := LookupProvider(email); ok {
		return p, true
	}
	return LookupProviderID(id)
}

// OneProvider reports whether one provider of the table has incoming
// server pop and outgoing server smtp (Outlook.com: POP3 at
// outlook.office365.com, SMTP at smtp-mail.outlook.com), host names in
// lower case.
func OneProvider(pop, smtp string) bool {
	for i := range providers {
		p := &providers[i]
		if slices.ContainsFunc(p.POP, func(c Candidate) bool { return c.Host == pop }) &&
			slices.ContainsFunc(p.SMTP, func(c Candidate) bool { return c.Host == smtp }) {
			return true
		}
	}
	return false
}

// providerForDomain looks up an already normalised domain.
func providerForDomain(domain string) (*Provider, bool) {
	for i := range providers {
		if slices.Contains(providers[i].Domains, domain) {
			p := providers[i].clone()
			return &p, true
		}
	}
	return nil, false
}

// providerForMX finds the provider whose MX suffix matches host, a
// normalised MX host name.
func providerForMX(host string) (*Provider, bool) {
	for i := range providers {
		for _, s := range providers[i].MXSuffixes {
			if host == s || strings.HasSuffix(host, "."+s) {
				p := providers[i].clone()
				return &p, true
			}
		}
	}
	return nil, false
}
