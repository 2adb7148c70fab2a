// Package audit judges what is risky behind an identified port: a Redis
// that answers without a password, an anonymous FTP, an SSH server that
// offers broken algorithms, an expired certificate. Each judgement is a
// Check in a package of its family under audit/ (audit/noauth, audit/ssh,
// audit/tlsaudit), which registers itself in init; the list of checks
// compiled in is audit/all. The core has no switch over checks.
//
// A check declares the identified services it applies to (Info.Services,
// or any TLS session with Info.TLS), never a port number: a Redis on port
// 80 is still checked, and an HTTP error page on port 21 is never judged
// as FTP. Each check runs with a time and byte budget (Config), and has a
// safety class: Safe checks only read; Intrusive ones run only when the
// caller asks. No check guesses passwords.
//
// A check returns its findings, or ErrNotApplicable when the service is
// not what it judges (a Redis that asks for a password has nothing for
// the no-auth check to say); other errors are real failures, returned
// wrapped with the check's name.
//
// A check's severity is the risk to a port the network can reach. On this
// machine (`ajar audit`), Listeners turns the listening sockets into the
// services to check, and Weigh moves each finding's severity by who can
// reach its socket, and says why (see reach.go).
package audit

import (
	"cmp"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

// ErrNotApplicable is what a check returns when the service is not one it
// judges, or has nothing it can judge: not a finding, not a failure.
var ErrNotApplicable = errors.New("audit: not applicable")

// Safety is a check's safety class.
type Safety uint8

const (
	// Safe checks only read: they never write, delete or change anything
	// on the target. The default.
	Safe Safety = iota
	// Intrusive checks ask the target to do something on a client's
	// behalf (relay a mail, up to but not past DATA): they run only when
	// Config.Intrusive is set.
	Intrusive
)

func (s Safety) String() string {
	if s == Intrusive {
		return "intrusive"
	}
	return "safe"
}

// Info describes a check to the core.
type Info struct {
	// Name is the check's name, lower case ("redis-auth"); the IDs of
	// its findings are its own.
	Name string
	// Services are the identified service names (record.Service.Name)
	// the check applies to.
	Services []string
	// TLS makes the check apply to every service seen in TLS, implicit
	// or by STARTTLS, whatever its name.
	TLS bool
	// Proto is the transport the check speaks over: TCP or UDP.
	Proto  portspec.Proto
	Safety Safety
	// Timeout and MaxBytes are the check's own budget, when it needs less
	// than the Config's; 0 takes the Config's.
	Timeout  time.Duration
	MaxBytes int
}

// Check judges one kind of risk.
type Check interface {
	Info() Info
	// Run judges the service at t. Its connections (t.Dial) carry the
	// check's budget.
	Run(ctx context.Context, t *Target) ([]record.Finding, error)
}

// Registry is a set of checks by name. The zero value is empty and ready.
type Registry struct {
	mu     sync.RWMutex
	byName map[string]Check
}

// Register adds a check. It panics when a check of the same name is
// there, or when Info is incomplete: both are programming errors.
func (r *Registry) Register(c Check) {
	in := c.Info()
	switch {
	case in.Name == "" || in.Name != strings.ToLower(in.Name):
		panic(fmt.Sprintf("audit: check name %q must be non-empty lower case", in.Name))
	case len(in.Services) == 0 && !in.TLS:
		panic("audit: check " + in.Name + " applies to no service")
	case in.Proto != portspec.TCP && in.Proto != portspec.UDP:
		panic("audit: check " + in.Name + " has no protocol")
	case in.Safety != Safe && in.Safety != Intrusive:
		panic("audit: check " + in.Name + " has no safety class")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byName == nil {
		r.byName = map[string]Check{}
	}
	if _, dup := r.byName[in.Name]; dup {
		panic("audit: check registered twice: " + in.Name)
	}
	r.byName[in.Name] = c
}

// Checks returns the registered checks, sorted by name.
func (r *Registry) Checks() []Check {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Check, 0, len(r.byName))
	for _, c := range r.byName {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Check) int { return strings.Compare(a.Info().Name, b.Info().Name) })
	return out
}

// registered holds the checks compiled in, written only by init
// functions through Register.
var registered Registry

// Register adds a check to the checks compiled in; it is called from the
// check package's init, and panics as Registry.Register does.
func Register(c Check) { registered.Register(c) }

// Checks returns the checks compiled in, sorted by name.
func Checks() []Check { return registered.Checks() }

// Applies reports whether a check applies to a service found on proto.
func Applies(in Info, proto portspec.Proto, svc *record.Service) bool {
	if svc == nil || proto != in.Proto {
		return false
	}
	if in.TLS && (svc.TLS != nil || svc.Tunnel == "ssl") {
		return true
	}
	// A name from the port table is a guess, not an identification.
	if svc.Method == "port-table" {
		return false
	}
	return slices.Contains(in.Services, svc.Name)
}

// The default budget of one check.
const (
	DefaultTimeout  = 5 * time.Second
	DefaultMaxBytes = 64 << 10
)

// Config is how ports are audited. The zero value runs every safe check
// compiled in, each within the default budget.
type Config struct {
	// Intrusive runs the intrusive checks too.
	Intrusive bool
	// Timeout bounds one check's time; 0 is DefaultTimeout.
	Timeout time.Duration
	// MaxBytes bounds what one check reads from the target, over all its
	// connections; 0 is DefaultMaxBytes.
	MaxBytes int
	// Checks are the checks to run; nil is every check compiled in.
	Checks []Check
	// Now is the clock that certificate validity is judged by; nil is
	// time.Now.
	Now func() time.Time
	// Roots are the CAs a certificate must chain to; nil is the system's
	// (on Linux, SSL_CERT_FILE and SSL_CERT_DIR override them).
	Roots *x509.CertPool
}

// Audit runs every check that applies to the service t names, one after
// the other, each within its budget, and returns their findings, worst
// first. A check's failure does not stop the others: the failures are
// returned together, each wrapped with its check's name, with the
// findings of the checks that succeeded.
func (cfg Config) Audit(ctx context.Context, t Target) ([]record.Finding, error) {
	checks := cfg.Checks
	if checks == nil {
		checks = Checks()
	}
	var out []record.Finding
	var errs []error
	for _, c := range checks {
		in := c.Info()
		if !Applies(in, t.Proto, t.Service) || in.Safety == Intrusive && !cfg.Intrusive {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		fs, err := cfg.run(ctx, c, in, t)
		if err != nil {
			errs = append(errs, fmt.Errorf("check %s on %s/%s: %w", in.Name, t.Addr, t.Proto, err))
		}
		out = append(out, fs...)
	}
	Sort(out)
	return out, errors.Join(errs...)
}

// run runs one check within its budget and checks what it returned.
func (cfg Config) run(ctx context.Context, c Check, in Info, t Target) ([]record.Finding, error) {
	timeout := cmp.Or(cfg.Timeout, DefaultTimeout)
	if in.Timeout > 0 {
		timeout = min(timeout, in.Timeout)
	}
	maxBytes := cmp.Or(cfg.MaxBytes, DefaultMaxBytes)
	if in.MaxBytes > 0 {
		maxBytes = min(maxBytes, in.MaxBytes)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t.budget = &budget{left: maxBytes}
	t.now = cfg.Now
	t.roots = cfg.Roots
	fs, err := c.Run(ctx, &t)
	if errors.Is(err, ErrNotApplicable) {
		return nil, nil
	}
	for i := range fs {
		if verr := validate(&fs[i]); verr != nil {
			return nil, verr
		}
	}
	return fs, err
}

// validate checks a finding's fields: a check that makes a bad one is a
// programming error, reported, never written.
func validate(f *record.Finding) error {
	switch {
	case f.ID == "" || f.Title == "":
		return fmt.Errorf("finding without id or title: %+v", *f)
	case !f.Category.Valid():
		return fmt.Errorf("finding %s: unknown category %q", f.ID, f.Category)
	case f.Severity < record.Info || f.Severity > record.Critical:
		return fmt.Errorf("finding %s: bad severity %v", f.ID, f.Severity)
	case !f.Confidence.Valid():
		return fmt.Errorf("finding %s: bad confidence %q", f.ID, f.Confidence)
	}
	f.Evidence = Evidence([]byte(f.Evidence))
	return nil
}

// Sort orders findings worst first, then by ID.
func Sort(fs []record.Finding) {
	slices.SortStableFunc(fs, func(a, b record.Finding) int {
		return cmp.Or(cmp.Compare(b.Severity, a.Severity), strings.Compare(a.ID, b.ID))
	})
}

// Evidence makes what a service said fit a finding: printable, control
// characters escaped (\r, \n, \xNN), at most record.MaxEvidence bytes,
// with "…" where it was cut.
func Evidence(b []byte) string {
	const cut = "…"
	var s strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		var piece string
		switch {
		case r == '\r':
			piece = `\r`
		case r == '\n':
			piece = `\n`
		case r == '\t':
			piece = `\t`
		case r == utf8.RuneError && size == 1, r < 0x20, r == 0x7f:
			piece = fmt.Sprintf(`\x%02x`, b[0])
		default:
			piece = string(b[:size])
		}
		if s.Len()+len(piece) > record.MaxEvidence-len(cut) {
			s.WriteString(cut)
			break
		}
		s.WriteString(piece)
		b = b[size:]
	}
	return s.String()
}
