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
// rpcbind, the check finds MOUNT and NFSv4 through the portmapper, reads
// the export list and asks NFSv4 for each export's file handle. The
// planted server's export is open to every client (nfs-export-open,
// high, confirmed). The second planted server's list names 192.0.2.10
// only, yet NFSv4 serves the scanner (the EXPORT's default access). The
// hardened twin serves 192.0.2.10 only, and Ganesha lists an export only
// to a client it serves: MOUNT answers the scanner an empty list, and
// there is no finding. A portmapper with nothing behind it (the first
// zoo's rpcbind) has no MOUNT: not applicable.
func TestNFSZoo(t *testing.T) {
	z := zoo.Start(t, zoo.Options{Set: zoo.Audit,
		Only: []string{"audit-ganesha-open", "audit-ganesha-default", "audit-ganesha-restricted"}})
	bare := zoo.Start(t, zoo.Options{Only: []string{"rpcbind"}})
	for _, tc := range []struct {
		z               *zoo.Zoo
		port            uint16
		exports, judged string
	}{
		{z, 111, "[{/srv/zoo [] true}]", "nfs-export-open/high confirmed"},
		{z, 2111, "[{/srv/zoo [192.0.2.10/32] true}]", "nfs-export-open/high confirmed"},
		{z, zoo.AuditNFSTwinPort, "[]", "n/a"},
		{bare, 111, "not applicable", "n/a"},
	} {
		var ex []Export
		var self netip.Addr
		err := tc.z.Bed.InScanner(func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var err error
			ex, self, err = ReadExports(ctx, &audit.Target{Addr: netip.AddrPortFrom(tc.z.Addr(), tc.port), Proto: portspec.TCP})
			return err
		})
		got := fmt.Sprint(ex)
		if errors.Is(err, audit.ErrNotApplicable) {
			got = "not applicable"
		} else if err != nil {
			t.Errorf("port %d: %v", tc.port, err)
			continue
		}
		fs, jerr := JudgeExports(ex, self)
		judged := audittest.Summary(fs, jerr)
		if len(fs) == 1 {
			judged += " " + string(fs[0].Confidence)
		}
		if got != tc.exports || judged != tc.judged {
			t.Errorf("port %d: exports %s judged %s; want %s judged %s", tc.port, got, judged, tc.exports, tc.judged)
		}
		if len(fs) == 1 {
			t.Logf("port %d: %s: %s", tc.port, judged, fs[0].Evidence)
		}
	}
	// The NFSv4 question is no yes to everything: the twin gives the
	// scanner no file handle for the export it does not list to it.
	err := z.Bed.InScanner(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		tg := &audit.Target{Addr: netip.AddrPortFrom(z.Addr(), zoo.AuditNFSTwinPort), Proto: portspec.TCP}
		c, err := tg.DialPlain(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		port, _, err := getPort(c, progNFS, 4)
		if err != nil || port == 0 {
			return fmt.Errorf("NFSv4 at port %d: %v", port, err)
		}
		ex := []Export{{Dir: "/srv/zoo"}}
		if err := served(ctx, sameHost(tg, port), ex); err != nil {
			return err
		}
		if ex[0].Served {
			return errors.New("the twin served /srv/zoo to the scanner")
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	if err := z.Check(); err != nil {
		t.Error(err)
	}
}
