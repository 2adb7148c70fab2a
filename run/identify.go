package run

import (
	"context"
	"errors"
	"net/netip"

	"github.com/ajarsec/ajar/fingerprint"
	_ "github.com/ajarsec/ajar/fingerprint/all" // the plugins compiled in
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

// nameFromTable gives an open (or open|filtered) port the port table's
// guess of its service, which identification may replace.
func nameFromTable(r *record.PortResult) {
	if r.State != record.Open && r.State != record.OpenFiltered {
		return
	}
	if name := portspec.ServiceName(r.Port, r.Proto); name != "" {
		r.Service = &record.Service{Name: name, Method: "port-table", Confidence: 3}
	}
}

// wantsIdentify reports whether a port is worth identifying: an open
// one, or a silent UDP one, which a service's own probe can make answer,
// as nmap -sV does.
func wantsIdentify(r *record.PortResult) bool {
	return r.State == record.Open || r.State == record.OpenFiltered && r.Proto == record.UDP
}

// identify fills r.Service with what identification found, and keeps the
// port table's guess when it found nothing. It returns the error that
// kept it from reaching the port, for a warning; not "no match", nor an
// error after ctx was cancelled.
func identify(ctx context.Context, cfg *fingerprint.Config, r *record.PortResult) error {
	t := fingerprint.Target{Addr: netip.AddrPortFrom(r.Host, r.Port), Proto: r.Proto, Host: r.Hostname}
	svc, err := cfg.Identify(ctx, t)
	switch {
	case ctx.Err() != nil && (svc == nil || svc.Name == "unknown"):
		// Stopped before the service was known: say so, and keep the
		// port table's guess, never a confident "unknown".
		if r.Service == nil {
			r.Service = &record.Service{Name: "unknown", Method: "port-table"}
		}
		r.Service.ExtraInfo = "not identified: interrupted"
	case err == nil && svc != nil:
		r.Service = svc
		if r.State == record.OpenFiltered {
			r.State, r.Reason = record.Open, record.ReasonUDPResponse
		}
	case err != nil && !errors.Is(err, fingerprint.ErrNoMatch) && ctx.Err() == nil:
		return err
	}
	return nil
}
