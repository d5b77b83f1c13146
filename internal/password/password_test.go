package password

import (
	"strings"
	"testing"
)

var fast = Params{Memory: 64, Time: 1, Threads: 1}

func TestHashVerify(t *testing.T) {
	h, err := Hash("correct horse", fast)
	if err != nil || !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("Hash = %q %v", h, err)
	}
	if h2, _ := Hash("correct horse", fast); h2 == h {
		t.Fatal("no salt")
	}
	if ok, err := Verify(h, "correct horse"); !ok || err != nil {
		t.Fatalf("Verify right password: %v %v", ok, err)
	}
	if ok, _ := Verify(h, "correct horsE"); ok {
		t.Fatal("wrong password accepted")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=64,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA", "plain"} {
		if _, err := Verify(bad, "x"); err != ErrMalformed {
			t.Errorf("Verify(%q): %v", bad, err)
		}
	}
	// The default parameters produce a verifiable hash too.
	h, _ = Hash("pw", Default)
	if ok, _ := Verify(h, "pw"); !ok {
		t.Fatal("default params")
	}
}

func TestCheck(t *testing.T) {
	if Check("short") == "" || Check("ñandúñandú") != "" || Check(strings.Repeat("x", 2000)) == "" {
		t.Fatal("Check")
	}
}
