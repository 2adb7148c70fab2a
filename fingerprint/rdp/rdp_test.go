package rdp

import (
	"crypto/tls"
	"encoding/hex"
	"errors"
	"net"
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

// Captures of xrdp 0.9.21 (Debian 12) answering ConnectionRequest(TLS|
// CredSSP) with security_layer=negotiate and =rdp, and a request without
// RDP_NEG_REQ; then Connection Confirms laid out as [MS-RDPBCGR] 4.1.2
// shows Windows's.
const (
	xrdpTLS      = "030000130ed000001234000201080001000000"
	xrdpRDP      = "030000130ed000001234000201080000000000"
	xrdpNoNeg    = "0300000b06d00000123400"
	windowsNLA   = "030000130ed0000012340002" + "1f080002000000"
	windowsFails = "030000130ed0000012340003" + "00080005000000"
)

func TestConnectionRequest(t *testing.T) {
	if got, want := hex.EncodeToString(ConnectionRequest(requested)), "030000130ee000000000000100080003000000"; got != want {
		t.Errorf("ConnectionRequest = %s, want %s", got, want)
	}
}

func TestParse(t *testing.T) {
	xrdp := []string{"cpe:2.3:a:neutrinolabs:xrdp:*:*:*:*:*:*:*:*"}
	tests := []struct {
		name string
		in   string
		want *record.Service
	}{
		{"xrdp tls", xrdpTLS, &record.Service{Name: "rdp", Product: "xrdp", CPE: xrdp, ExtraInfo: "security: TLS", Confidence: 10}},
		{"xrdp rdp", xrdpRDP, &record.Service{Name: "rdp", Product: "xrdp", CPE: xrdp, ExtraInfo: "security: standard RDP", Confidence: 10}},
		{"no negotiation", xrdpNoNeg, &record.Service{Name: "rdp", ExtraInfo: "standard RDP security, no negotiation", Confidence: 10}},
		{"windows nla", windowsNLA, &record.Service{Name: "rdp", ExtraInfo: "security: CredSSP", Confidence: 10}},
		{"windows failure", windowsFails, &record.Service{Name: "rdp", ExtraInfo: "negotiation failure: HYBRID_REQUIRED_BY_SERVER", Confidence: 10}},
		{"windows tls", "030000130ed00000123400021f080001000000", &record.Service{Name: "rdp", ExtraInfo: "security: TLS", Confidence: 10}},
	}
	for _, tt := range tests {
		got, err := Parse(unhex(t, tt.in))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	bad := map[string][]byte{
		"empty":       nil,
		"request":     ConnectionRequest(requested),
		"truncated":   unhex(t, xrdpTLS[:len(xrdpTLS)-2]),
		"bad li":      unhex(t, "030000130fd000001234000201080001000000"),
		"neg type":    unhex(t, "030000130ed000001234000901080001000000"),
		"neg length":  unhex(t, "030000130ed000001234000201090001000000"),
		"disconnect":  unhex(t, "0300000b0680000000000000"),
		"http":        []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
		"ssh":         []byte("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"),
		"tls alert":   {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28},
		"tls record3": {0x03, 0x00, 0x00, 0x13, 0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28},
	}
	for name, in := range bad {
		if got, err := Parse(in); !errors.Is(err, fingerprint.ErrNoMatch) {
			t.Errorf("%s: Parse = %+v, %v; want ErrNoMatch", name, got, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{xrdpTLS, xrdpRDP, xrdpNoNeg, windowsNLA, windowsFails} {
		f.Add(unhex(f, s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		tpktComplete(b)
	})
}

// serveRDP plays an RDP server that answers the Connection Request with
// confirm and then, when withTLS, runs a TLS server handshake.
func serveRDP(t *testing.T, confirm string, withTLS bool) func(net.Conn) {
	cert := fptest.Cert(t, "rdp.test")
	cc := unhex(t, confirm)
	return func(c net.Conn) {
		req := make([]byte, 19)
		for n := 0; n < len(req); {
			m, err := c.Read(req[n:])
			if err != nil {
				return
			}
			n += m
		}
		c.Write(cc)
		if withTLS {
			tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
			if tc.Handshake() == nil {
				tc.Read(req)
			}
			return
		}
		c.Read(req)
	}
}

func TestIdentifyLive(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, serveRDP(t, xrdpTLS, true)))
	if svc.Product != "xrdp" || svc.ExtraInfo != "security: TLS" {
		t.Errorf("got %+v", svc)
	}
	if svc.TLS == nil || svc.TLS.StartTLS != "RDP" || svc.TLS.Cert == nil || svc.TLS.Cert.Subject != "CN=rdp.test" {
		t.Errorf("TLS = %+v", svc.TLS)
	}
	// A server that breaks off after the confirm is still RDP.
	noTLS := fptest.MustMatch(t, plugin{}, fptest.Serve(t, serveRDP(t, windowsNLA, false)))
	if noTLS.ExtraInfo != "security: CredSSP" || noTLS.TLS != nil {
		t.Errorf("no TLS: got %+v", noTLS)
	}
	http := fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"), 1))
	fptest.MustNotMatch(t, plugin{}, http)
	silent := fptest.HangUp(t)
	fptest.MustNotMatch(t, plugin{}, silent)
}
