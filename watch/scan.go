package watch

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/ajarsec/ajar/diff"
)

// ScanEvent is a change a periodic rescan found since the scan before
// (ajar watch TARGET --every D): diff's change, with the time the scan
// that saw it ended and its round (2 for the first rescan). Its JSON is a
// change of `ajar diff -o json` (host, proto, port, change, before,
// after, ...) with "time" and "round" added.
type ScanEvent struct {
	Time   time.Time
	Round  int
	Change diff.Change
}

// MarshalJSON implements json.Marshaler.
func (e ScanEvent) MarshalJSON() ([]byte, error) {
	c, err := json.Marshal(e.Change)
	if err != nil {
		return nil, err
	}
	head, err := json.Marshal(struct {
		Time  time.Time `json:"time"`
		Round int       `json:"round"`
	}{e.Time, e.Round})
	if err != nil {
		return nil, err
	}
	// {"time":…,"round":…} + {"host":…} → {"time":…,"round":…,"host":…}
	out := bytes.TrimSuffix(head, []byte("}"))
	return append(append(out, ','), bytes.TrimPrefix(c, []byte("{"))...), nil
}
