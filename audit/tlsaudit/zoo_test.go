//go:build linux

package tlsaudit_test

import (
	"context"
	"encoding/xml"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/audit/tlsaudit"
	"github.com/ajarsec/ajar/internal/zoo"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

// TestAgreesWithSSLScan: on the audit zoo's nginx, weak (TLS 1.0 and 1.1,
// NULL and anonymous suites; static RSA only) and hardened, the versions
// and the suites at each that the hand-built hellos find are those
// Debian's sslscan finds.
func TestAgreesWithSSLScan(t *testing.T) {
	if _, err := exec.LookPath("sslscan"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("needs sslscan (scripts/test-deps.sh); under CI=true this test must run")
		}
		t.Skip("needs sslscan (scripts/test-deps.sh)")
	}
	z := zoo.Start(t, zoo.Options{Set: zoo.Audit, Only: []string{"audit-nginx-weak", "audit-nginx-hard"}})
	for _, port := range []uint16{443, 4443, 8443} {
		addr := netip.AddrPortFrom(z.Addr(), port)
		out, err := z.Bed.Scanner.Command("sslscan", "--no-colour", "--xml=-", addr.String()).Output()
		if err != nil {
			t.Fatalf("sslscan %v: %v", addr, err)
		}
		theirs := sslscanSuites(t, out)
		var r tlsaudit.Report
		err = z.Bed.InScanner(func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			var err error
			tg := &audit.Target{Addr: addr, Proto: portspec.TCP, Service: &record.Service{Name: "http", Tunnel: "ssl"}}
			r, err = tlsaudit.Probe(ctx, tg, "")
			return err
		})
		if err != nil {
			t.Fatalf("Probe %v: %v", addr, err)
		}
		ours := map[string][]string{}
		for _, a := range r.Versions {
			for _, s := range a.Suites {
				ours[tlsaudit.VersionName(a.Version)] = append(ours[tlsaudit.VersionName(a.Version)], tlsaudit.SuiteName(s))
			}
			slices.Sort(ours[tlsaudit.VersionName(a.Version)])
		}
		if len(ours) == 0 || len(ours) != len(theirs) {
			t.Errorf("%d: versions %v, sslscan's %v", port, keys(ours), keys(theirs))
		}
		for v, s := range theirs {
			if !slices.Equal(s, ours[v]) {
				t.Errorf("%d %s:\n ajar    %v\n sslscan %v", port, v, ours[v], s)
			}
		}
	}
}

func sslscanSuites(t *testing.T, out []byte) map[string][]string {
	t.Helper()
	var doc struct {
		Ciphers []struct {
			Version string `xml:"sslversion,attr"`
			ID      string `xml:"id,attr"`
		} `xml:"ssltest>cipher"`
	}
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("sslscan XML: %v\n%s", err, out)
	}
	m := map[string][]string{}
	for _, c := range doc.Ciphers {
		n, err := strconv.ParseUint(strings.TrimPrefix(c.ID, "0x"), 16, 16)
		if err != nil {
			t.Fatalf("sslscan cipher id %q", c.ID)
		}
		m[c.Version] = append(m[c.Version], tlsaudit.SuiteName(uint16(n)))
	}
	for v := range m {
		slices.Sort(m[v])
	}
	return m
}

func keys(m map[string][]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
