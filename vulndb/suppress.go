package vulndb

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ajarsec/ajar/record"
)

// Suppression is one accepted risk: a finding (a CVE id or an audit
// finding's id) accepted on the hosts and ports Where matches, for Reason,
// until Expires (the zero time: never). An expired suppression no longer
// hides its finding: the finding comes back, saying the acceptance ran
// out.
type Suppression struct {
	ID      string
	Where   Where
	Expires time.Time // the first instant it no longer holds
	Reason  string
	Line    int
}

// Where is a host and port pattern: any host, an address or a prefix,
// and any port or one.
type Where struct {
	Prefix netip.Prefix // invalid: any host
	Port   uint16       // 0: any port
}

// Matches reports whether the pattern covers host:port.
func (w Where) Matches(host netip.Addr, port uint16) bool {
	return (!w.Prefix.IsValid() || w.Prefix.Contains(host.Unmap())) && (w.Port == 0 || w.Port == port)
}

// ParseWhere reads "*", "10.0.0.5", "10.0.0.0/24:22", "[2001:db8::1]:443",
// "2001:db8::/32", "*:6379".
func ParseWhere(s string) (Where, error) {
	host, port := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 {
			return Where{}, fmt.Errorf("bad host pattern %q: no ]", s)
		}
		host, port = s[1:end], strings.TrimPrefix(s[end+1:], ":")
		if s[end+1:] != "" && !strings.HasPrefix(s[end+1:], ":") {
			return Where{}, fmt.Errorf("bad host pattern %q", s)
		}
	} else if _, err := parseHost(s); err != nil {
		if i := strings.LastIndexByte(s, ':'); i >= 0 {
			host, port = s[:i], s[i+1:]
		}
	}
	var w Where
	var err error
	if w.Prefix, err = parseHost(host); err != nil {
		return Where{}, fmt.Errorf("bad host pattern %q: want *, an address or a prefix, and :PORT", s)
	}
	if port != "" && port != "*" {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || n == 0 {
			return Where{}, fmt.Errorf("bad port in %q", s)
		}
		w.Port = uint16(n)
	}
	return w, nil
}

func parseHost(s string) (netip.Prefix, error) {
	switch {
	case s == "*":
		return netip.Prefix{}, nil
	case strings.Contains(s, "/"):
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// Suppressions is a file of accepted risks, one a line:
//
//	# ID            HOST[:PORT]      EXPIRES     REASON
//	CVE-2023-51385  10.0.0.0/24:22   2027-03-31  no ProxyCommand with %h on these hosts
//	redis-no-auth   127.0.0.1:6379   never       lab machine, loopback only
//
// EXPIRES is a date (the suppression holds through that day, UTC) or
// "never"; the reason is required. The zero value suppresses nothing.
type Suppressions struct {
	List []Suppression
	// hidden counts the findings suppressed.
	hidden atomic.Int64
}

// ReadSuppressions reads a suppressions file; errors name the line.
func ReadSuppressions(r io.Reader) (*Suppressions, error) {
	s := &Suppressions{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 {
			return nil, fmt.Errorf("line %d: want ID HOST[:PORT] EXPIRES REASON", n)
		}
		sup := Suppression{ID: f[0], Reason: strings.Join(f[3:], " "), Line: n}
		if sup.ID == "*" {
			return nil, fmt.Errorf("line %d: a suppression names one finding or CVE, not *", n)
		}
		var err error
		if sup.Where, err = ParseWhere(f[1]); err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
		if f[2] != "never" {
			d, err := time.Parse("2006-01-02", f[2])
			if err != nil {
				return nil, fmt.Errorf("line %d: bad expiry %q: want YYYY-MM-DD or never", n, f[2])
			}
			sup.Expires = d.AddDate(0, 0, 1)
		}
		s.List = append(s.List, sup)
	}
	return s, sc.Err()
}

// Apply drops the findings of host:port that a suppression in force at
// now accepts, and notes on those whose suppression expired that it did.
func (s *Suppressions) Apply(host netip.Addr, port uint16, fs []record.Finding, now time.Time) []record.Finding {
	if s == nil || len(s.List) == 0 {
		return fs
	}
	out := fs[:0]
	for _, f := range fs {
		keep, note := true, ""
		for _, sup := range s.List {
			if !strings.EqualFold(sup.ID, f.ID) || !sup.Where.Matches(host, port) {
				continue
			}
			if sup.Expires.IsZero() || now.Before(sup.Expires) {
				keep = false
				break
			}
			note = fmt.Sprintf("suppression expired on %s (%s)", sup.Expires.AddDate(0, 0, -1).Format("2006-01-02"), sup.Reason)
		}
		if !keep {
			s.hidden.Add(1)
			continue
		}
		if note != "" {
			f.Evidence = strings.TrimPrefix(f.Evidence+"; "+note, "; ")
		}
		out = append(out, f)
	}
	return out
}

// Hidden is how many findings Apply has dropped.
func (s *Suppressions) Hidden() int64 { return s.hidden.Load() }

// PortJudge is what `ajar scan --audit` runs on each audited port (a
// run.VulnMatcher): the known vulnerabilities of its service from the
// database, then the accepted risks taken out.
type PortJudge struct {
	Matcher      *Matcher      // nil: no database
	Suppressions *Suppressions // nil: none
	Now          func() time.Time
}

// Judge adds the port's known vulnerabilities to its findings and drops
// the accepted ones.
func (j *PortJudge) Judge(ctx context.Context, r *record.PortResult) error {
	var err error
	if j.Matcher != nil && r.Service != nil {
		var fs []record.Finding
		fs, err = j.Matcher.Findings(ctx, r.Service)
		r.Findings = append(r.Findings, fs...)
	}
	now := time.Now
	if j.Now != nil {
		now = j.Now
	}
	r.Findings = j.Suppressions.Apply(r.Host, r.Port, r.Findings, now())
	if len(r.Findings) == 0 {
		r.Findings = nil
	}
	return err
}
