package i18n

import (
	"sync"
	"time"
)

// zones keeps the time zones users have chosen, by name: every signed-in
// request needs its user's, and time.LoadLocation reads and parses the
// zone's file each time. Names come from the preferences form, which
// accepts only zones that load, so it holds as many as the users chose.
var zones sync.Map

// Zone is the time zone a user chose (an IANA name), or def when they
// chose none or the server does not know it.
func Zone(name string, def *time.Location) *time.Location {
	if name == "" {
		return def
	}
	if z, ok := zones.Load(name); ok {
		return z.(*time.Location)
	}
	z, err := time.LoadLocation(name)
	if err != nil {
		return def
	}
	zones.Store(name, z)
	return z
}
