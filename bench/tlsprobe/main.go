// Command tlsprobe prints what audit/tlsaudit finds on TLS ports, as
// JSON lines, for bench/audit.sh to hold next to testssl.sh and sslscan:
//
//	tlsprobe [-starttls ftp:AUTH\ TLS] HOST:PORT...
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/audit/tlsaudit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

type version struct {
	Version     string   `json:"version"`
	Suites      []string `json:"suites"`
	ServerOrder bool     `json:"server_order"`
}

type out struct {
	Addr       string    `json:"addr"`
	Versions   []version `json:"versions"`
	Grade      string    `json:"grade"`
	Why        []string  `json:"why"`
	Incomplete string    `json:"incomplete,omitempty"`
	Error      string    `json:"error,omitempty"`
}

func main() {
	starttls := flag.String("starttls", "", "`SERVICE:COMMAND` of a STARTTLS port, e.g. 'ftp:AUTH TLS'")
	timeout := flag.Duration("timeout", 30*time.Second, "time for one port")
	flag.Parse()
	enc := json.NewEncoder(os.Stdout)
	for _, a := range flag.Args() {
		ap, err := netip.ParseAddrPort(a)
		if err != nil {
			fmt.Fprintln(os.Stderr, "tlsprobe:", err)
			os.Exit(2)
		}
		svc := &record.Service{Name: "ssl", Tunnel: "ssl"}
		command := ""
		if name, cmd, ok := strings.Cut(*starttls, ":"); ok {
			svc = &record.Service{Name: name, TLS: &record.TLS{StartTLS: cmd}}
			command = cmd
		}
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		t := &audit.Target{Addr: ap, Proto: portspec.TCP, Service: svc}
		r, err := tlsaudit.Probe(ctx, t, command)
		cancel()
		o := out{Addr: a, Incomplete: r.Incomplete}
		if err != nil {
			o.Error = err.Error()
		}
		for _, v := range r.Versions {
			vo := version{Version: tlsaudit.VersionName(v.Version), ServerOrder: v.ServerOrder}
			for _, s := range v.Suites {
				vo.Suites = append(vo.Suites, tlsaudit.SuiteName(s))
			}
			o.Versions = append(o.Versions, vo)
		}
		o.Grade, o.Why = tlsaudit.Grade(&r, tlsaudit.JudgeChain(r.Certs, ap.Addr().String(), time.Now(), nil))
		enc.Encode(o)
	}
}
