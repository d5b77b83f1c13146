package web

// The view models of account set-up: the wizard's first step, the
// connection test, the diagnosis of a failure and the help page. Every
// string in them is already translated.

// AccountStartView is the first step of adding an account: the address and
// the password, from which Apartado proposes the settings.
type AccountStartView struct {
	Chrome
	Name          string
	Email         string
	EmailError    string
	PasswordError string
	FormError     string
	ManualURL     string // the full form, without autodiscovery
	DiscoverURL   string // where the address and password are posted
	CancelURL     string
	// ForMember names the member an administrator adds the account for
	// ("" for the user's own).
	ForMember string
}

// ProviderView is what autodiscovery knows of the provider.
type ProviderView struct {
	Name    string
	Steps   []string // what to do at the provider first
	HelpURL string
	NoPOP   bool
}

// HiddenField is a name and value carried by a form.
type HiddenField struct {
	Name  string
	Value string
}

// FixView is a one-click change of the settings: on the test page a small
// form that posts the whole account form with the change applied and runs
// the test again (Action, Fields); on the settings page a link to the edit
// form with the change filled in (URL).
type FixView struct {
	Label   string
	Warning string
	Action  string
	Fields  []HiddenField
	URL     string
}

// DiagnosisView is a failure explained.
type DiagnosisView struct {
	Kind          string
	Title         string
	Explanation   string
	Hints         []string
	Provider      string // the provider whose steps follow
	ProviderSteps []string
	ProviderURL   string
	Detail        string   // the server's own words, untranslated
	Cert          []string // facts about the certificate the server presented
	HelpURL       string   // the help page's section about it
	Retry         bool     // Apartado tries again by itself
	FailingSince  string   // settings page: since when checks fail
	Fixes         []FixView
}

// TestStepView is one step of a connection test.
type TestStepView struct {
	Step     string // "resolve", "connect", "tls"…
	Label    string
	OK       bool
	Facts    []string
	Warnings []string
}

// TestOutcomeView ends a connection test: what it found, or what failed
// and how to fix it.
type TestOutcomeView struct {
	OK        bool
	Summary   string
	Warnings  []string
	Diagnosis *DiagnosisView
	// SaveAnyway offers to save the failed settings (the account form's
	// "Save anyway" button).
	SaveAnyway bool
}

// TestResultView is a finished connection test shown with the account
// form (after a failed save).
type TestResultView struct {
	Steps   []TestStepView
	Outcome TestOutcomeView
}

// HelpTopicView is a section of the help page about one failure.
type HelpTopicView struct {
	Anchor string
	Title  string
	Body   []string
}

// HelpView is the help page.
type HelpView struct {
	Chrome
	Topics []HelpTopicView
	// OAuthRedirectURI is where providers send the browser back after a
	// sign-in (the public URL's /oauth/callback); "" when the public URL
	// is not set, and the help then shows its pattern.
	OAuthRedirectURI string
}
