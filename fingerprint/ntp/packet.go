package ntp

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

// NTP packet constants.
const (
	packetLen        = 48
	controlHeaderLen = 12
	modeClient       = 3
	modeServer       = 4
	modeControl      = 6
	opReadVar        = 2
	// maxVarBytes bounds the control data gathered from fragments.
	maxVarBytes = 8 << 10
	// maxFragments bounds the fragments of one control answer.
	maxFragments = 32
)

// ParseReply reads a mode 4 (server) answer to the client request whose
// transmit timestamp was origin. Anything else is ErrNoMatch.
func ParseReply(b []byte, origin uint64) (*record.Service, error) {
	if len(b) < packetLen {
		return nil, fingerprint.ErrNoMatch
	}
	li, vn, mode := b[0]>>6, (b[0]>>3)&7, b[0]&7
	if mode != modeServer || vn < 1 || vn > 4 {
		return nil, fingerprint.ErrNoMatch
	}
	if binary.BigEndian.Uint64(b[24:]) != origin {
		return nil, fingerprint.ErrNoMatch
	}
	stratum := b[1]
	parts := []string{"NTPv" + strconv.Itoa(int(vn))}
	switch {
	case stratum == 0:
		parts = append(parts, "unsynchronized")
		if code := kissCode(b[12:16]); code != "" {
			parts = append(parts, "kiss code "+code)
		}
	default:
		parts = append(parts, "stratum "+strconv.Itoa(int(stratum)))
		if ref := refID(stratum, b[12:16]); ref != "" {
			parts = append(parts, "refid "+ref)
		}
		if li == 3 {
			parts = append(parts, "unsynchronized")
		}
	}
	return &record.Service{Name: "ntp", Confidence: 10, ExtraInfo: strings.Join(parts, ", ")}, nil
}

// kissCode is four printable ASCII characters, trailing NULs dropped, or
// "".
func kissCode(b []byte) string {
	s := strings.TrimRight(string(b), "\x00")
	if s == "" {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return ""
		}
	}
	return s
}

// refID renders the reference identifier: a source name at stratum 1 (and
// at ntpd's stratum 16, "INIT"), an IPv4 address (or IPv6 hash) above.
func refID(stratum byte, b []byte) string {
	if stratum == 1 || stratum >= 16 {
		return kissCode(b)
	}
	if binary.BigEndian.Uint32(b) == 0 {
		return ""
	}
	return netip.AddrFrom4([4]byte(b)).String()
}

// Control is one fragment of a mode 6 answer.
type Control struct {
	Offset, Count int
	More          bool
	Error         bool
	Data          []byte
}

// ParseControl reads one mode 6 response fragment to the READVAR request
// with sequence number seq.
func ParseControl(b []byte, seq uint16) (*Control, error) {
	if len(b) < controlHeaderLen {
		return nil, fingerprint.ErrNoMatch
	}
	vn, mode := (b[0]>>3)&7, b[0]&7
	if mode != modeControl || vn < 1 || vn > 4 || b[1]&0x80 == 0 || b[1]&0x1f != opReadVar {
		return nil, fingerprint.ErrNoMatch
	}
	if binary.BigEndian.Uint16(b[2:]) != seq {
		return nil, fingerprint.ErrNoMatch
	}
	f := &Control{
		Error:  b[1]&0x40 != 0,
		More:   b[1]&0x20 != 0,
		Offset: int(binary.BigEndian.Uint16(b[8:])),
		Count:  int(binary.BigEndian.Uint16(b[10:])),
	}
	if controlHeaderLen+f.Count > len(b) || f.Offset+f.Count > maxVarBytes {
		return nil, fingerprint.ErrNoMatch
	}
	f.Data = b[controlHeaderLen : controlHeaderLen+f.Count]
	return f, nil
}

// fragments gathers the fragments of a control answer.
type fragments struct {
	parts []Control
	last  bool // the fragment without the More bit arrived
}

func (fs *fragments) add(f *Control) {
	if len(fs.parts) >= maxFragments {
		return
	}
	c := *f
	c.Data = append([]byte(nil), f.Data...)
	fs.parts = append(fs.parts, c)
	fs.last = fs.last || !f.More || f.Error
}

func (fs *fragments) received() bool { return len(fs.parts) > 0 }

// complete reports whether every byte up to the last fragment arrived.
func (fs *fragments) complete() bool {
	if !fs.last {
		return false
	}
	fs.sort()
	end := 0
	for _, p := range fs.parts {
		if p.Offset > end {
			return false
		}
		end = max(end, p.Offset+p.Count)
	}
	return true
}

func (fs *fragments) sort() {
	sort.SliceStable(fs.parts, func(i, j int) bool { return fs.parts[i].Offset < fs.parts[j].Offset })
}

// data joins the fragments' bytes in order, as far as they are
// contiguous.
func (fs *fragments) data() string {
	fs.sort()
	var out []byte
	for _, p := range fs.parts {
		if p.Error || p.Offset > len(out) {
			continue
		}
		if end := p.Offset + p.Count; end > len(out) {
			out = append(out, p.Data[len(out)-p.Offset:]...)
		}
	}
	return string(out)
}

// ParseVariables splits control data ("version=\"ntpd 4.2.8p15...\",
// stratum=2, ...") into its variables, quotes removed.
func ParseVariables(s string) map[string]string {
	vars := make(map[string]string)
	var item strings.Builder
	quoted := false
	flush := func() {
		k, v, ok := strings.Cut(strings.TrimSpace(item.String()), "=")
		if k = strings.TrimSpace(k); ok && k != "" && len(vars) < 256 {
			vars[k] = strings.Trim(strings.TrimSpace(v), `"`)
		}
		item.Reset()
	}
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '"':
			quoted = !quoted
			item.WriteByte(ch)
		case ch == ',' && !quoted:
			flush()
		default:
			item.WriteByte(ch)
		}
	}
	flush()
	return vars
}

var (
	ntpdVersion   = regexp.MustCompile(`^ntpd (\d+\.\d+\.\d+(?:p\d+)?)`)
	ntpsecVersion = regexp.MustCompile(`ntpsec-(\d+\.\d+\.\d+)`)
)

// addVariables names the product from the system variables.
func addVariables(svc *record.Service, vars map[string]string) {
	version := fingerprint.Printable([]byte(vars["version"]), 120)
	switch {
	case ntpsecVersion.MatchString(version):
		svc.Product = "NTPsec"
		svc.Version = ntpsecVersion.FindStringSubmatch(version)[1]
		svc.CPE = []string{fingerprint.CPE("ntpsec", "ntpsec", svc.Version)}
	case ntpdVersion.MatchString(version):
		svc.Product = "ntpd"
		svc.Version = ntpdVersion.FindStringSubmatch(version)[1]
		svc.CPE = []string{fingerprint.CPE("ntp", "ntp", svc.Version)}
	case version != "":
		svc.ExtraInfo = joinInfo(svc.ExtraInfo, "version "+version)
	}
	if sys := vars["system"]; sys != "" {
		svc.ExtraInfo = joinInfo(svc.ExtraInfo, "system "+fingerprint.Printable([]byte(sys), 80))
	}
}

func joinInfo(a, b string) string {
	if a == "" {
		return b
	}
	return fmt.Sprintf("%s; %s", a, b)
}
