// Package kafka recognises Apache Kafka brokers (and brokers speaking its
// protocol) by an ApiVersions request, version 0: the answer must carry
// our correlation id and a well-formed list of API keys with their
// version ranges. Brokers do not say their product or version.
package kafka

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{
		Name:   "kafka",
		Proto:  portspec.TCP,
		Ports:  []uint16{9092},
		Rarity: 8,
	}
}

const (
	apiProduce     = 0
	apiFetch       = 1
	apiVersionsKey = 18
	// correlationID marks our request; the answer must echo it.
	correlationID = 0x616a6172 // "ajar"
	// errUnsupportedVersion is UNSUPPORTED_VERSION: still a Kafka answer.
	errUnsupportedVersion = 35
	// keysMax bounds the API keys a broker may list; Kafka 3.x has ~70.
	keysMax = 1000
)

// Request is an ApiVersions v0 request (header v1, client id "ajar").
func Request() []byte {
	b := make([]byte, 4, 18)
	b = binary.BigEndian.AppendUint16(b, apiVersionsKey)
	b = binary.BigEndian.AppendUint16(b, 0)
	b = binary.BigEndian.AppendUint32(b, correlationID)
	b = binary.BigEndian.AppendUint16(b, 4)
	b = append(b, "ajar"...)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange(Request(), answerDone, 10+6*keysMax+64)
	svc, perr := Parse(b)
	if perr != nil && len(b) == 0 && err != nil {
		return nil, err
	}
	return svc, perr
}

// answerDone is a ReadUntil test: the whole size-prefixed answer, or a
// size or correlation id that cannot be ours.
func answerDone(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	n := int(binary.BigEndian.Uint32(b))
	if n < 10 || n > 10+6*keysMax+64 {
		return true
	}
	if len(b) >= 8 && binary.BigEndian.Uint32(b[4:]) != correlationID {
		return true
	}
	return len(b) >= 4+n
}

// APIRange is the version range a broker supports for one API key.
type APIRange struct {
	Key, Min, Max int16
}

// Parse reads the answer to Request: size, correlation id, error code
// and the array of API key ranges.
func Parse(b []byte) (*record.Service, error) {
	ranges, code, err := parseRanges(b)
	if err != nil {
		return nil, err
	}
	svc := &record.Service{Name: "kafka", Confidence: 10}
	if code == errUnsupportedVersion {
		svc.ExtraInfo = "ApiVersions v0 unsupported"
	}
	var extra []string
	extra = append(extra, fmt.Sprintf("%d API keys", len(ranges)))
	for _, r := range ranges {
		switch r.Key {
		case apiProduce:
			extra = append(extra, fmt.Sprintf("Produce v%d-%d", r.Min, r.Max))
		case apiFetch:
			extra = append(extra, fmt.Sprintf("Fetch v%d-%d", r.Min, r.Max))
		case apiVersionsKey:
			extra = append(extra, fmt.Sprintf("ApiVersions v%d-%d", r.Min, r.Max))
		}
	}
	svc.ExtraInfo = strings.TrimPrefix(svc.ExtraInfo+"; "+strings.Join(extra, ", "), "; ")
	return svc, nil
}

func parseRanges(b []byte) ([]APIRange, int16, error) {
	if len(b) < 14 {
		return nil, 0, fingerprint.ErrNoMatch
	}
	n := int(binary.BigEndian.Uint32(b))
	if n < 10 || len(b) < 4+n || binary.BigEndian.Uint32(b[4:]) != correlationID {
		return nil, 0, fingerprint.ErrNoMatch
	}
	body := b[8 : 4+n]
	code := int16(binary.BigEndian.Uint16(body))
	count := int32(binary.BigEndian.Uint32(body[2:]))
	body = body[6:]
	if (code != 0 && code != errUnsupportedVersion) || count < 0 || count > keysMax ||
		len(body) < 6*int(count) || len(body) > 6*int(count)+4 { // v1+ would add throttle_time_ms
		return nil, 0, fingerprint.ErrNoMatch
	}
	if code == 0 && count == 0 {
		return nil, 0, fingerprint.ErrNoMatch
	}
	ranges := make([]APIRange, count)
	hasVersions := false
	for i := range ranges {
		r := APIRange{
			Key: int16(binary.BigEndian.Uint16(body[6*i:])),
			Min: int16(binary.BigEndian.Uint16(body[6*i+2:])),
			Max: int16(binary.BigEndian.Uint16(body[6*i+4:])),
		}
		if r.Key < 0 || r.Min < 0 || r.Max < r.Min || r.Max > 100 {
			return nil, 0, fingerprint.ErrNoMatch
		}
		hasVersions = hasVersions || r.Key == apiVersionsKey
		ranges[i] = r
	}
	if count > 0 && !hasVersions {
		return nil, 0, fingerprint.ErrNoMatch
	}
	return ranges, code, nil
}
