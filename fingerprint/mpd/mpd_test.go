package mpd

import (
	"testing"

	"github.com/ajarsec/ajar/fingerprint"
)

func TestParse(t *testing.T) {
	// MPD 0.23.12's (Debian 12) greeting.
	svc, err := Parse([]byte("OK MPD 0.23.5\n"))
	if err != nil || svc.Product != "Music Player Daemon" || svc.ExtraInfo != "protocol 0.23.5" || svc.Version != "" {
		t.Fatalf("got %+v, %v", svc, err)
	}
	for _, b := range []string{"OK MPD 0.23.5", "OK MPD x.y\n", "OK MPD 1\n", "+OK MPD 0.23.5\n", "OK\n"} {
		if _, err := Parse([]byte(b)); err != fingerprint.ErrNoMatch {
			t.Errorf("%q: got %v", b, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("OK MPD 0.23.5\n"))
	f.Fuzz(func(t *testing.T, b []byte) { Parse(b) })
}
