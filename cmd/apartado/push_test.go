package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestPushContact: --push-contact takes a mailto: with an address or an
// https: address, and refuses anything else with a sentence that says what
// it wants; unset, it is empty (the first administrator's address).
func TestPushContact(t *testing.T) {
	for v, ok := range map[string]bool{
		"":                              true,
		"mailto:admin@example.net":      true,
		"https://mail.example.net/info": true,
		"admin@example.net":             false,
		"mailto:":                       false,
		"mailto:a@b, c@d":               false,
		"http://mail.example.net":       false,
		"https://":                      false,
	} {
		env := map[string]string{"APARTADO_PUSH_CONTACT": v}
		cfg, _, err := parseConfig("serve", nil, func(k string) string { return env[k] }, &bytes.Buffer{}, nil)
		switch {
		case ok && (err != nil || cfg.PushContact != v):
			t.Errorf("%q: %v, %+v", v, err, cfg)
		case !ok && (err == nil || !strings.Contains(err.Error(), "--push-contact must be a mailto: or https: address")):
			t.Errorf("%q: error %v", v, err)
		}
	}
}
