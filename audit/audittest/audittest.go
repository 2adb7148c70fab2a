// Package audittest holds what the tests of audit checks share: a
// one-line summary of what a judge returned, and loopback servers that
// speak a protocol written in the test.
package audittest

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/record"
)

// Summary sums up a judge's answer: "id/severity" of each finding,
// comma-separated; "n/a" for audit.ErrNotApplicable; "error: …" for
// another error; "incomplete ID" for a finding without a valid category,
// evidence (within record.MaxEvidence), remediation or references.
func Summary(fs []record.Finding, err error) string {
	if errors.Is(err, audit.ErrNotApplicable) {
		return "n/a"
	}
	if err != nil {
		return "error: " + err.Error()
	}
	var out []string
	for _, f := range fs {
		if !f.Category.Valid() || f.Evidence == "" || len(f.Evidence) > record.MaxEvidence ||
			f.Remediation == "" || len(f.References) == 0 {
			return "incomplete " + f.ID
		}
		out = append(out, f.ID+"/"+f.Severity.String())
	}
	return strings.Join(out, ",")
}

// ServeTCP runs handle on each connection to a loopback listener, with a
// 5-second deadline, until the test ends.
func ServeTCP(t testing.TB, handle func(net.Conn)) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				handle(c)
			}()
		}
	}()
	return netip.MustParseAddrPort(ln.Addr().String())
}
