// Package aerospike recognises Aerospike database servers by the info
// protocol of their service port (Aerospike's "Info protocol": an 8-byte
// header of version 2, type 1 and a 48-bit length, then names, one a
// line): asked for "build" and "edition", the server answers each name
// with a tab and its value.
package aerospike

import (
	"context"
	"encoding/binary"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "aerospike", Proto: portspec.TCP, Ports: []uint16{3000, 3003}, Rarity: 8}
}

const (
	protoVersion = 2
	typeInfo     = 1
	headerLen    = 8
	answerMax    = 4096
)

// names are the info values asked for.
var names = []string{"build", "edition"}

// frame wraps an info body in its header.
func frame(body string) []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(len(body)))
	b[0], b[1] = protoVersion, typeInfo
	return append(b, body...)
}

// Request asks for build and edition.
func Request() []byte { return frame(strings.Join(names, "\n") + "\n") }

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange(Request(), answerDone, answerMax)
	svc, perr := Parse(b)
	if perr != nil && len(b) == 0 && err != nil {
		return nil, err
	}
	return svc, perr
}

// answerDone is a ReadUntil test: the whole answer by its length, or a
// header that is not the info protocol's.
func answerDone(b []byte) bool {
	if len(b) < headerLen {
		return len(b) > 0 && b[0] != protoVersion || len(b) > 1 && b[1] != typeInfo
	}
	n := binary.BigEndian.Uint64(b) & (1<<48 - 1)
	return n > answerMax || uint64(len(b)) >= headerLen+n
}

// Parse reads the answer to Request: the header, then "name\tvalue"
// lines for the names asked.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < headerLen || b[0] != protoVersion || b[1] != typeInfo ||
		binary.BigEndian.Uint64(b)&(1<<48-1) != uint64(len(b)-headerLen) {
		return nil, fingerprint.ErrNoMatch
	}
	body := string(b[headerLen:])
	if !strings.HasSuffix(body, "\n") {
		return nil, fingerprint.ErrNoMatch
	}
	values := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		k, v, ok := strings.Cut(line, "\t")
		if !ok || !banner.IsText(v) {
			return nil, fingerprint.ErrNoMatch
		}
		values[k] = v
	}
	build, okBuild := values["build"]
	edition, okEdition := values["edition"]
	if !okBuild || !okEdition || len(values) != len(names) {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: "aerospike", Product: "Aerospike", Confidence: 10}
	if strings.HasPrefix(edition, "Aerospike ") {
		svc.Product = clean(edition)
	}
	if build != "" && build[0] >= '0' && build[0] <= '9' && !strings.ContainsAny(build, " \\") {
		svc.Version = clean(build)
	}
	svc.CPE = []string{fingerprint.CPE("aerospike", "aerospike_server", svc.Version)}
	return svc, nil
}

func clean(s string) string { return fingerprint.Printable([]byte(s), 60) }
