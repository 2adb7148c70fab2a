// Package ask runs the one exchange of a client-first plugin: its
// request, and the answer read up to a test of completeness.
package ask

import (
	"time"

	"github.com/ajarsec/ajar/fingerprint"
)

// Exchange writes req on c and reads the answer until done accepts it,
// max bytes arrive, the peer closes or the probe's time runs out. What
// arrived comes back for the plugin's parser, which judges whether it is
// whole; when nothing arrived, the error is the read's, or
// fingerprint.ErrNoMatch.
func Exchange(c *fingerprint.Conn, req []byte, done func([]byte) bool, max int) ([]byte, error) {
	b, err := c.Exchange(req, done, max)
	if len(b) == 0 {
		if err == nil {
			err = fingerprint.ErrNoMatch
		}
		return nil, err
	}
	return b, nil
}

// closePause is how long ToClose waits for more of an answer once some
// of it arrived.
const closePause = 300 * time.Millisecond

// ToClose writes req on c and reads the answer of a server that answers
// one request a connection and then closes (finger, lpd): up to the
// close, max bytes, or a pause of closePause once something arrived.
func ToClose(c *fingerprint.Conn, req []byte, max int) ([]byte, error) {
	b, err := Exchange(c, req, nil, max)
	if err != nil {
		return nil, err
	}
	if len(b) >= max {
		return b, nil // ReadUntil takes a max of 0 as no bound
	}
	c.Shorten(closePause)
	rest, _ := c.ReadUntil(func([]byte) bool { return false }, max-len(b))
	return append(b, rest...), nil
}
