// Package clickhouse recognises ClickHouse servers by their native TCP
// protocol: a client Hello (packet 0: client name, version, protocol
// revision, database, user, password) gets the server's Hello (packet 0:
// its name, version, revision and, by revision, time zone, display name
// and patch version), or an Exception (packet 2: code, "DB::Exception",
// message, stack trace) when the default user may not log in.
package clickhouse

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "clickhouse", Proto: portspec.TCP, Ports: []uint16{9000}, TLSPorts: []uint16{9440}, Rarity: 8}
}

const (
	packetHello     = 0
	packetException = 2
	// revision is the protocol revision we speak: the server's Hello
	// then carries the time zone (54058), display name (54372) and
	// patch version (54401), and nothing later.
	revision        = 54401
	revTimezone     = 54058
	revDisplayName  = 54372
	revVersionPatch = 54401
	answerMax       = 8192
	stringMax       = 4096
)

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// Hello is the client Hello of "ajar" 1.0, user "default" without a
// password, default database.
func Hello() []byte {
	b := binary.AppendUvarint(nil, packetHello)
	b = appendString(b, "ajar")
	b = binary.AppendUvarint(b, 1)
	b = binary.AppendUvarint(b, 0)
	b = binary.AppendUvarint(b, revision)
	for _, s := range []string{"", "default", ""} {
		b = appendString(b, s)
	}
	return b
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange(Hello(), answerDone, answerMax)
	svc, perr := Parse(b)
	if perr != nil && len(b) == 0 && err != nil {
		return nil, err
	}
	return svc, perr
}

// answerDone is a ReadUntil test: a whole Hello or Exception, or bytes
// that start neither.
func answerDone(b []byte) bool {
	if len(b) > 0 && b[0] != packetHello && b[0] != packetException {
		return true
	}
	_, err := Parse(b)
	return err == nil
}

// reader reads the native protocol's varints and strings.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if r.bad || n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) str() string {
	n := r.uvarint()
	if r.bad || n > stringMax || n > uint64(len(r.b)) {
		r.bad = true
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// Parse reads the answer to Hello.
func Parse(b []byte) (*record.Service, error) {
	r := &reader{b: b}
	switch r.uvarint() {
	case packetHello:
		return parseHello(r)
	case packetException:
		return parseException(r)
	}
	return nil, fingerprint.ErrNoMatch
}

func parseHello(r *reader) (*record.Service, error) {
	name := r.str()
	major, minor, rev := r.uvarint(), r.uvarint(), r.uvarint()
	var tz, display string
	var patch uint64
	hasPatch := false
	if rev >= revTimezone {
		tz = r.str()
	}
	if rev >= revDisplayName {
		display = r.str()
	}
	if rev >= revVersionPatch {
		patch, hasPatch = r.uvarint(), true
	}
	// A server always names its time zone: an echo of Hello has none.
	if r.bad || len(r.b) != 0 || name == "" || rev >= revTimezone && tz == "" || !banner.IsText(name) || !banner.IsText(tz) || !banner.IsText(display) ||
		major > 1000 || minor > 1000 || rev < 50000 || rev > 100000 {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: "clickhouse", Product: clean(name), Confidence: 10}
	svc.Version = fmt.Sprintf("%d.%d", major, minor)
	if hasPatch {
		svc.Version += fmt.Sprintf(".%d", patch)
	}
	extra := []string{fmt.Sprintf("revision %d", rev)}
	if display != "" {
		extra = append(extra, "name "+clean(display))
	}
	if tz != "" {
		extra = append(extra, "time zone "+clean(tz))
	}
	svc.ExtraInfo = strings.Join(extra, "; ")
	if strings.EqualFold(name, "ClickHouse") {
		svc.Product = "ClickHouse"
		svc.CPE = []string{fingerprint.CPE("clickhouse", "clickhouse", svc.Version)}
	}
	return svc, nil
}

// parseException reads an exception: code (int32, little-endian), name,
// message, stack trace, and whether a nested exception follows (which
// is not read).
func parseException(r *reader) (*record.Service, error) {
	if len(r.b) < 4 {
		return nil, fingerprint.ErrNoMatch
	}
	code := int32(binary.LittleEndian.Uint32(r.b))
	r.b = r.b[4:]
	name, msg := r.str(), r.str()
	r.str() // stack trace
	if r.bad || len(r.b) < 1 || r.b[0] > 1 || !strings.HasPrefix(name, "DB::") || code < 0 {
		return nil, fingerprint.ErrNoMatch
	}
	msg = strings.TrimPrefix(msg, name+": ")
	return &record.Service{Name: "clickhouse", Product: "ClickHouse", Confidence: 10,
		CPE:       []string{fingerprint.CPE("clickhouse", "clickhouse", "")},
		ExtraInfo: fmt.Sprintf("error %d: %s", code, fingerprint.Printable([]byte(msg), 100))}, nil
}

func clean(s string) string { return fingerprint.Printable([]byte(s), 60) }
