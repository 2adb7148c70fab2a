// Package ask runs the one exchange of a client-first plugin: its
// request, and the answer read up to a test of completeness.
package ask

import "github.com/ajarsec/ajar/fingerprint"

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
