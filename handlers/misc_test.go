package handlers

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "/def",
		"/mail":                  "/mail",
		"/mail?before=1.2&x=%20": "/mail?before=1.2&x=%20",
		"//evil.example/x":       "/def",
		"/\\evil.example":        "/def",
		"https://evil.example/":  "/def",
		"mail":                   "/def",
		"/mail\r\nSet-Cookie: x": "/def",
		"javascript:alert(1)":    "/def",
	} {
		if got := localPath(in, "/def"); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
	if got := withQuery("/mail?before=1.2&done=x", "done", "read"); got != "/mail?before=1.2&done=read" {
		t.Errorf("withQuery: %q", got)
	}
	if got := withQuery("/mail?done=x", "done", ""); got != "/mail" {
		t.Errorf("withQuery removing: %q", got)
	}
}

func TestContentDisposition(t *testing.T) {
	for _, tc := range []struct{ kind, name, want string }{
		{"attachment", "report.pdf", `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`},
		{"inline", "año.png", `inline; filename="a_o.png"; filename*=UTF-8''a%C3%B1o.png`},
		{"attachment", `a"b;c%d\e/f` + "\r\n.txt", `attachment; filename="a_b_c_d_e_f__.txt"; filename*=UTF-8''a%22b%3Bc%25d_e_f__.txt`},
		{"attachment", "", `attachment; filename="attachment"; filename*=UTF-8''attachment`},
		{"attachment", "日本語.txt", `attachment; filename="___.txt"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E.txt`},
	} {
		if got := contentDisposition(tc.kind, tc.name); got != tc.want {
			t.Errorf("contentDisposition(%q)\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

func TestPanicBecomesErrorPage(t *testing.T) {
	app := newApp(t)
	h, err := newHandler(Config{DB: app.db, Key: app.key})
	if err != nil {
		t.Fatal(err)
	}
	boom := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Disposition", "attachment")
		panic("boom")
	})
	rec := httptest.NewRecorder()
	h.securityHeaders(h.recoverPanics(boom)).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
	if rec.Code != http.StatusInternalServerError || rec.Header().Get("Content-Security-Policy") != appCSP ||
		rec.Header().Get("Content-Disposition") != "" || !strings.Contains(rec.Body.String(), `data-testid="error"`) {
		t.Fatalf("status %d, headers %v", rec.Code, rec.Header())
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	app := newApp(t)
	if _, err := newHandler(Config{DB: app.db, Key: app.key, CookieSecure: "sometimes"}); err == nil {
		t.Error("accepted CookieSecure \"sometimes\"")
	}
	if _, err := newHandler(Config{Key: app.key}); err == nil {
		t.Error("accepted a config without a database")
	}
	for _, v := range []string{"", "auto", "always", "never"} {
		if !ValidCookieSecure(v) {
			t.Errorf("ValidCookieSecure(%q) = false", v)
		}
	}
}
