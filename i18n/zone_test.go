package i18n

import (
	"testing"
	"time"
)

// TestZone: a user's zone by name, the default for none or an unknown
// one, and the same zone again without loading it again.
func TestZone(t *testing.T) {
	def := time.FixedZone("def", 3600)
	if z := Zone("", def); z != def {
		t.Errorf("no zone: %v", z)
	}
	if z := Zone("Mars/Olympus_Mons", def); z != def {
		t.Errorf("an unknown zone: %v", z)
	}
	z := Zone("America/Argentina/Buenos_Aires", def)
	if z.String() != "America/Argentina/Buenos_Aires" {
		t.Fatalf("a known zone: %v", z)
	}
	if again := Zone("America/Argentina/Buenos_Aires", time.UTC); again != z {
		t.Errorf("loaded again: %p, then %p", z, again)
	}
}
