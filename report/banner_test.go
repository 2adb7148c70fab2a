package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/record"
)

// TestBannerJSON (issue 11): a banner reaches JSON with the characters
// the service sent, escaped once: a JSON reader (jq -r) gets CR LF and
// "é" back, not \r\n and \xc3\xa9; a byte that is not UTF-8 becomes
// U+FFFD.
func TestBannerJSON(t *testing.T) {
	// What fingerprint.Printable keeps of "220 café ready\r\n\tC:\\dir\x00\xff".
	kept := `220 caf\xc3\xa9 ready\r\n\tC:\\dir\x00\xff`
	r := record.PortResult{Host: netip.MustParseAddr("192.0.2.1"), Port: 21, Proto: record.TCP, State: record.Open,
		Service: &record.Service{Name: "ftp", Method: "probed", Banner: kept}}
	for _, f := range []Format{JSON, JSONL} {
		out := writeStream(t, f, Options{}, RunInfo{}, []record.Record{&r}, RunStats{})
		out = bytes.Trim(bytes.TrimSpace(out), "[]")
		var got struct {
			Service struct {
				Banner string `json:"banner"`
			} `json:"service"`
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%s: %v\n%s", f, err, out)
		}
		if want := "220 café ready\r\n\tC:\\dir\x00\ufffd"; got.Service.Banner != want {
			t.Errorf("%s: banner %q, want %q\n%s", f, got.Service.Banner, want, out)
		}
	}
}

func TestUnescapeBanner(t *testing.T) {
	for in, want := range map[string]string{
		"":                          "",
		"SSH-2.0-OpenSSH_9.2\\r\\n": "SSH-2.0-OpenSSH_9.2\r\n",
		"caf\\xc3\\xa9":             "café",
		"a\\\\b":                    "a\\b",
		"\\t\\x00\\xff":             "\t\x00\xff",
		// Not Printable's: kept as they are.
		"\\":      "\\",
		"\\q":     "\\q",
		"\\x4":    "\\x4",
		"\\xzz":   "\\xzz",
		"end\\x":  "end\\x",
		"plain é": "plain é",
	} {
		if got := string(unescapeBanner(nil, in)); got != want {
			t.Errorf("unescapeBanner(%q) = %q, want %q", in, got, want)
		}
	}
}

// printableRef escapes as fingerprint.Printable does (its documented
// form, kept here so that report's tests do not build fingerprint).
func printableRef(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		switch {
		case c == '\r':
			sb.WriteString(`\r`)
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\t':
			sb.WriteString(`\t`)
		case c == '\\':
			sb.WriteString(`\\`)
		case c >= 0x20 && c < 0x7f:
			sb.WriteByte(c)
		default:
			fmt.Fprintf(&sb, `\x%02x`, c)
		}
	}
	return sb.String()
}

// FuzzUnescapeBanner: whatever bytes a service sends, the banner
// identification keeps is undone exactly.
func FuzzUnescapeBanner(f *testing.F) {
	for _, s := range []string{"220 ready\r\n", "caf\xc3\xa9", "\\x41\\", "\x00\xff\x7f\\\\"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := printableRef(b)
		if got := unescapeBanner(nil, p); !bytes.Equal(got, b) {
			t.Errorf("%q: printable %q came back as %q", b, p, got)
		}
		if strings.ContainsAny(p, "\r\n") {
			t.Errorf("printable %q", p)
		}
	})
}
