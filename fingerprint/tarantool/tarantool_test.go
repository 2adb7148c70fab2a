package tarantool

import (
	"testing"

	"github.com/ajarsec/ajar/fingerprint"
)

// greeting26 is Tarantool 2.6.0's (Debian 12) greeting.
const greeting26 = "Tarantool 2.6.0 (Binary) 3b300c79-2c4b-4d1c-b1d0-ce5bd479e6a8  \n" +
	"VrYGDFkcfWDmzawESy6IT5m8I6x7/87tswn/tOVAk2k=                    \n"

func TestParse(t *testing.T) {
	svc, err := Parse([]byte(greeting26))
	if err != nil || svc.Version != "2.6.0" || svc.ExtraInfo != "Binary protocol" {
		t.Fatalf("got %+v, %v", svc, err)
	}
	for _, b := range []string{greeting26[:63], "Tarantool x (Binary)" + greeting26[20:],
		"Tarantula 2.6.0 (Binary) 3b300c79-2c4b-4d1c-b1d0-ce5bd479e6a8  \n"} {
		if _, err := Parse([]byte(b)); err != fingerprint.ErrNoMatch {
			t.Errorf("%q: got %v", b, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(greeting26))
	f.Fuzz(func(t *testing.T, b []byte) { Parse(b) })
}
