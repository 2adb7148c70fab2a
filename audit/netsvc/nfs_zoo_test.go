//go:build linux

package netsvc

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/audit/audittest"
	"github.com/ajarsec/ajar/internal/zoo"
	"github.com/ajarsec/ajar/portspec"
)

// TestNFSZoo: on the audit zoo's NFS-Ganesha servers, each with its own
// rpcbind, the check finds MOUNT through the portmapper and reads the
// export list. The planted server's export is open to every client
// (nfs-export-open, high). The hardened twin's is served to 192.0.2.10
// only, and Ganesha lists an export only to a client it serves: MOUNT
// answers the scanner an empty list, and there is no finding. A
// portmapper with nothing behind it (the first zoo's rpcbind) has no
// MOUNT: not applicable.
func TestNFSZoo(t *testing.T) {
	z := zoo.Start(t, zoo.Options{Set: zoo.Audit, Only: []string{"audit-ganesha-open", "audit-ganesha-restricted"}})
	bare := zoo.Start(t, zoo.Options{Only: []string{"rpcbind"}})
	for _, tc := range []struct {
		z               *zoo.Zoo
		port            uint16
		exports, judged string
	}{
		{z, 111, "[{/srv/zoo []}]", "nfs-export-open/high"},
		{z, zoo.AuditNFSTwinPort, "[]", "n/a"},
		{bare, 111, "not applicable", "n/a"},
	} {
		var ex []Export
		err := tc.z.Bed.InScanner(func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var err error
			ex, err = ReadExports(ctx, &audit.Target{Addr: netip.AddrPortFrom(tc.z.Addr(), tc.port), Proto: portspec.TCP})
			return err
		})
		got := fmt.Sprint(ex)
		if errors.Is(err, audit.ErrNotApplicable) {
			got = "not applicable"
		} else if err != nil {
			t.Errorf("port %d: %v", tc.port, err)
			continue
		}
		fs, jerr := JudgeExports(ex)
		judged := audittest.Summary(fs, jerr)
		if got != tc.exports || judged != tc.judged {
			t.Errorf("port %d: exports %s judged %s; want %s judged %s", tc.port, got, judged, tc.exports, tc.judged)
		}
		t.Logf("port %d: exports %s: %s", tc.port, got, judged)
	}
	if err := z.Check(); err != nil {
		t.Error(err)
	}
}
