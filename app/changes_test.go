package app

import (
	"reflect"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
)

func TestChangedFields(t *testing.T) {
	stored := db.Account{AccountSettings: db.AccountSettings{Name: "Casa", Email: "ana@example.com", Host: "pop.example.com",
		Port: 995, Security: "tls", Username: "ana", PollInterval: 10 * time.Minute, DeleteWhenDeleted: db.DeleteNever}}
	stored.Signature = "Ana"
	same := AccountInput{Name: "Casa", Email: "ana@example.com", Host: "POP.example.com", Security: "tls", Username: "ana",
		Interval: 10 * time.Minute, Signature: "Ana\r\n\r\n"}
	for _, c := range []struct {
		name string
		edit func(*AccountInput)
		want []string
	}{
		{"nothing", func(*AccountInput) {}, nil},
		{"password", func(in *AccountInput) { in.Password = "new" }, []string{"password"}},
		{"server and user", func(in *AccountInput) { in.Port, in.Security, in.Username, in.Password = 110, "starttls", "ana2", "x" },
			[]string{"server", "username", "password"}},
		{"retention and interval", func(in *AccountInput) { in.DeleteAfterDownload, in.Interval = true, time.Hour },
			[]string{"retention", "interval"}},
		{"outgoing", func(in *AccountInput) {
			in.Outgoing = OutgoingInput{Host: "smtp.example.com", Security: "tls", Auth: "password"}
		}, []string{"outgoing"}},
		{"identity", func(in *AccountInput) { in.DisplayName = "Ana P." }, []string{"identity"}},
		{"signed in", func(in *AccountInput) { in.OAuthGrant = 7 }, []string{"signin"}},
	} {
		in := same
		c.edit(&in)
		settings, _, err := AccountSettings(in, &stored)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := ChangedFields(stored, settings, in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
