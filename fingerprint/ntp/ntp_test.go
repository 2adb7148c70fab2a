package ntp

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const origin = 0x0102030405060708

// Captures of chrony 4.3 (Debian 12) answering ClientRequest(origin):
// unsynchronized, and with "local stratum 10".
const (
	chronyUnsynced = "e40000e7000100000001000000000000000000000000000001020304050607" +
		"08eeac84d22e430391eeac84d22e6830e8"
	chronyLocal = "240a00e700000000000000007f7f0101eeac84c9c5a8fd46" +
		"0102030405060708eeac84cacd8aaeb3eeac84cacd90fbb0"
)

// ntpdVars is the start of what ntpd 4.2.8 says to READVAR on association 0.
const ntpdVars = "version=\"ntpd 4.2.8p15@1.3728-o Wed Sep 23 11:46:38 UTC 2020 (1)\",\r\n" +
	"processor=\"x86_64\", system=\"Linux/6.1.0-18-amd64\", leap=00, stratum=2,\r\n" +
	"precision=-23, rootdelay=1.228, rootdisp=31.297, refid=192.0.2.10"

// controlReply builds mode 6 response fragments of data for seq, at most
// size bytes each.
func controlReply(seq uint16, data string, size int) [][]byte {
	var out [][]byte
	for off := 0; off < len(data) || off == 0; off += size {
		end := min(off+size, len(data))
		b := make([]byte, controlHeaderLen, controlHeaderLen+size+3)
		b[0] = 2<<3 | modeControl
		b[1] = 0x80 | opReadVar
		if end < len(data) {
			b[1] |= 0x20
		}
		binary.BigEndian.PutUint16(b[2:], seq)
		binary.BigEndian.PutUint16(b[8:], uint16(off))
		binary.BigEndian.PutUint16(b[10:], uint16(end-off))
		b = append(b, data[off:end]...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		out = append(out, b)
		if end == len(data) {
			break
		}
	}
	return out
}

func TestParseReply(t *testing.T) {
	ntpd := unhex(t, chronyLocal)
	ntpd[0], ntpd[1] = 0x1c, 2 // NTPv3, stratum 2
	copy(ntpd[12:], []byte{192, 0, 2, 10})
	ntpdInit := unhex(t, chronyLocal)
	ntpdInit[0], ntpdInit[1] = 0xe4, 16
	copy(ntpdInit[12:], "INIT")
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"chrony unsynchronized", unhex(t, chronyUnsynced), "NTPv4, unsynchronized"},
		{"chrony local", unhex(t, chronyLocal), "NTPv4, stratum 10, refid 127.127.1.1"},
		{"stratum 2", ntpd, "NTPv3, stratum 2, refid 192.0.2.10"},
		{"ntpd init", ntpdInit, "NTPv4, stratum 16, refid INIT, unsynchronized"},
	}
	for _, tt := range tests {
		got, err := ParseReply(tt.in, origin)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		want := &record.Service{Name: "ntp", Confidence: 10, ExtraInfo: tt.want}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	bad := map[string][]byte{
		"empty":        nil,
		"our request":  ClientRequest(origin),
		"other origin": unhex(t, chronyLocal[:48]+"0000000000000001"+chronyLocal[64:]),
		"short":        unhex(t, chronyLocal[:90]),
		"http":         []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
		"ssh":          []byte("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\nSSH-2.0-OpenSSH_9.2p1 Debian\r\n"),
		"dns":          unhex(t, "1234848000010001000000000776657273696f6e0462696e640000100003c00c0010000300000000000d0c646e736d6173712d322e3930"),
	}
	for name, in := range bad {
		if got, err := ParseReply(in, origin); !errors.Is(err, fingerprint.ErrNoMatch) {
			t.Errorf("%s: ParseReply = %+v, %v; want ErrNoMatch", name, got, err)
		}
	}
}

func TestControl(t *testing.T) {
	var fs fragments
	frags := controlReply(0x4242, ntpdVars, 100)
	if len(frags) < 2 {
		t.Fatalf("%d fragments", len(frags))
	}
	// They may arrive in any order.
	for i := len(frags) - 1; i >= 0; i-- {
		if fs.complete() {
			t.Fatal("complete before the last fragment")
		}
		f, err := ParseControl(frags[i], 0x4242)
		if err != nil {
			t.Fatalf("fragment %d: %v", i, err)
		}
		fs.add(f)
	}
	if !fs.complete() || fs.data() != ntpdVars {
		t.Fatalf("complete %v, data %q", fs.complete(), fs.data())
	}
	svc := &record.Service{Name: "ntp", ExtraInfo: "NTPv4, stratum 2"}
	addVariables(svc, ParseVariables(fs.data()))
	want := &record.Service{Name: "ntp", Product: "ntpd", Version: "4.2.8p15",
		ExtraInfo: "NTPv4, stratum 2; system Linux/6.1.0-18-amd64",
		CPE:       []string{"cpe:2.3:a:ntp:ntp:4.2.8p15:*:*:*:*:*:*:*"}}
	if diff := cmp.Diff(want, svc); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	vars := ParseVariables(`version="ntpd ntpsec-1.2.2 2023-01-07T00:00:00Z", tai=37, a="x, y"`)
	if vars["a"] != "x, y" || vars["tai"] != "37" {
		t.Errorf("ParseVariables = %q", vars)
	}
	sec := &record.Service{}
	addVariables(sec, vars)
	if sec.Product != "NTPsec" || sec.Version != "1.2.2" {
		t.Errorf("ntpsec: %+v", sec)
	}
	for name, in := range map[string][]byte{
		"request":    ReadVarsRequest(0x4242),
		"other seq":  frags[0][:2:2],
		"wrong seq":  controlReply(0x4243, "x=1", 100)[0],
		"long count": append(frags[0][:10:10], 0x7f, 0xff),
		"client":     unhex(t, chronyLocal),
	} {
		if got, err := ParseControl(in, 0x4242); !errors.Is(err, fingerprint.ErrNoMatch) {
			t.Errorf("%s: ParseControl = %+v, %v; want ErrNoMatch", name, got, err)
		}
	}
}

func FuzzParseReply(f *testing.F) {
	f.Add(unhex(f, chronyUnsynced), uint64(origin))
	f.Add(unhex(f, chronyLocal), uint64(origin))
	f.Fuzz(func(t *testing.T, b []byte, o uint64) {
		svc, err := ParseReply(b, o)
		if (svc == nil) == (err == nil) {
			t.Fatalf("ParseReply: service %v with error %v", svc, err)
		}
	})
}

func FuzzParseControl(f *testing.F) {
	for _, b := range controlReply(7, ntpdVars, 100) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseControl(b, 7)
		if (c == nil) == (err == nil) {
			t.Fatalf("ParseControl: %v with error %v", c, err)
		}
		if c != nil {
			var fs fragments
			fs.add(c)
			fs.complete()
			ParseVariables(fs.data())
		}
	})
}

// serveNTP answers client requests like chrony (from chronyLocal) and,
// when vars is not empty, READVAR requests like ntpd.
func serveNTP(vars string) func([]byte) []byte {
	return func(q []byte) []byte {
		if len(q) >= packetLen && q[0]&7 == modeClient {
			b, _ := hex.DecodeString(chronyLocal)
			copy(b[24:32], q[40:48])
			return b
		}
		if vars != "" && len(q) >= controlHeaderLen && q[0]&7 == modeControl {
			// One datagram per request: the vars fit one fragment.
			return controlReply(binary.BigEndian.Uint16(q[2:]), vars, 468)[0]
		}
		return nil
	}
}

func TestIdentifyLive(t *testing.T) {
	ntpd := fptest.ServeUDP(t, serveNTP(ntpdVars))
	svc := fptest.MustMatch(t, plugin{}, ntpd)
	if svc.Product != "ntpd" || svc.Version != "4.2.8p15" || svc.Confidence != 10 ||
		svc.ExtraInfo != "NTPv4, stratum 10, refid 127.127.1.1; system Linux/6.1.0-18-amd64" {
		t.Errorf("ntpd: got %+v", svc)
	}
	chrony := fptest.ServeUDP(t, serveNTP(""))
	if svc := fptest.MustMatch(t, plugin{}, chrony); svc.Product != "" || svc.ExtraInfo != "NTPv4, stratum 10, refid 127.127.1.1" {
		t.Errorf("chrony: got %+v", svc)
	}
	echo := fptest.ServeUDP(t, func(q []byte) []byte { return q })
	fptest.MustNotMatch(t, plugin{}, echo)
	dns := fptest.ServeUDP(t, func(q []byte) []byte {
		return unhex(t, "1234848000010001000000000776657273696f6e0462696e640000100003")
	})
	fptest.MustNotMatch(t, plugin{}, dns)
}
