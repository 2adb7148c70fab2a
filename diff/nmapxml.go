package diff

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ajarsec/ajar/record"
)

// The parts of nmap's XML output that a diff reads (nmap.dtd).
type xmlHost struct {
	Status struct {
		State  string `xml:"state,attr"`
		Reason string `xml:"reason,attr"`
	} `xml:"status"`
	Addresses []struct {
		Addr string `xml:"addr,attr"`
		Type string `xml:"addrtype,attr"`
	} `xml:"address"`
	Hostnames []struct {
		Name string `xml:"name,attr"`
		Type string `xml:"type,attr"`
	} `xml:"hostnames>hostname"`
	Extra []struct {
		State   string `xml:"state,attr"`
		Count   int    `xml:"count,attr"`
		Reasons []struct {
			Reason string `xml:"reason,attr"`
			Proto  string `xml:"proto,attr"`
			Ports  string `xml:"ports,attr"`
		} `xml:"extrareasons"`
	} `xml:"ports>extraports"`
	Ports []struct {
		Proto string `xml:"protocol,attr"`
		ID    int    `xml:"portid,attr"`
		State struct {
			State  string `xml:"state,attr"`
			Reason string `xml:"reason,attr"`
		} `xml:"state"`
		Service *struct {
			Name      string   `xml:"name,attr"`
			Product   string   `xml:"product,attr"`
			Version   string   `xml:"version,attr"`
			ExtraInfo string   `xml:"extrainfo,attr"`
			Tunnel    string   `xml:"tunnel,attr"`
			Method    string   `xml:"method,attr"`
			Conf      int      `xml:"conf,attr"`
			CPE       []string `xml:"cpe"`
		} `xml:"service"`
	} `xml:"ports>port"`
}

// readNmapXML reads nmap's XML output, also a file cut short by a scan
// that was stopped: the hosts before the cut are kept.
func readNmapXML(b []byte) (*File, error) {
	f := &File{Format: FormatNmapXML, Extra: map[netip.Addr]map[record.Proto]record.State{}}
	bd := newBuilder()
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = false
	seenRun := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if seenRun {
				break // cut short: keep the hosts read
			}
			return nil, fmt.Errorf("nmap XML: %w", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "nmaprun":
			seenRun = true
			for _, a := range se.Attr {
				switch a.Name.Local {
				case "start":
					if n, err := strconv.ParseInt(a.Value, 10, 64); err == nil {
						f.Start = time.Unix(n, 0)
					}
				case "args":
					f.Args = a.Value
				}
			}
		case "host":
			if !seenRun {
				return nil, errors.New("nmap XML: a host outside <nmaprun>")
			}
			var h xmlHost
			if err := d.DecodeElement(&h, &se); err != nil {
				break // cut short in this host: drop it
			}
			if err := addXMLHost(f, bd, &h); err != nil {
				return nil, err
			}
		}
	}
	if !seenRun {
		return nil, errors.New("not nmap XML: no <nmaprun>")
	}
	f.Records = bd.records(record.ReasonUserSet)
	return f, nil
}

func addXMLHost(f *File, bd *builder, h *xmlHost) error {
	var addr netip.Addr
	for _, a := range h.Addresses {
		if a.Type == "ipv4" || a.Type == "ipv6" {
			ip, err := netip.ParseAddr(a.Addr)
			if err != nil {
				return fmt.Errorf("nmap XML: bad address %q", a.Addr)
			}
			addr = ip.Unmap()
			break
		}
	}
	if !addr.IsValid() {
		return nil // a host known only by its MAC: nothing to key on
	}
	rh := &record.Host{Addr: addr, Reason: record.Reason(h.Status.Reason)}
	rh.State.UnmarshalText([]byte(h.Status.State))
	for _, hn := range h.Hostnames {
		if hn.Type == "user" || rh.Name == "" {
			rh.Name = hn.Name
		}
	}
	for _, p := range h.Ports {
		var proto record.Proto
		if proto.UnmarshalText([]byte(p.Proto)) != nil || p.ID <= 0 || p.ID > 65535 {
			continue // sctp, ip protocol scans: not ajar's
		}
		r := &record.PortResult{Host: addr, Hostname: rh.Name, Port: uint16(p.ID), Proto: proto, Reason: record.Reason(p.State.Reason)}
		r.State.UnmarshalText([]byte(p.State.State))
		if s := p.Service; s != nil {
			method := "probed"
			if s.Method == "table" {
				method = "port-table"
			}
			r.Service = &record.Service{Name: s.Name, Product: s.Product, Version: s.Version, ExtraInfo: s.ExtraInfo,
				Tunnel: s.Tunnel, Method: method, Confidence: s.Conf, CPE: s.CPE}
		}
		bd.port(r)
	}
	for _, e := range h.Extra {
		var st record.State
		if st.UnmarshalText([]byte(e.State)) != nil {
			continue
		}
		for _, er := range e.Reasons {
			var proto record.Proto
			if proto.UnmarshalText([]byte(er.Proto)) != nil {
				proto = record.TCP
			}
			if f.Extra[addr] == nil {
				f.Extra[addr] = map[record.Proto]record.State{}
			}
			if old, ok := f.Extra[addr][proto]; ok && old != st {
				f.Extra[addr][proto] = record.StateUnknown // two states: unknown which
			} else {
				f.Extra[addr][proto] = st
			}
			addListedExtra(bd, addr, proto, st, er.Reason, er.Ports)
		}
	}
	bd.host(rh)
	return nil
}

// addListedExtra adds the ports an extrareasons element lists (nmap 7.9x
// writes them), one record each.
func addListedExtra(bd *builder, addr netip.Addr, proto record.Proto, st record.State, reason, ports string) {
	for part := range strings.SplitSeq(ports, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 16); err != nil || b < a {
				continue
			}
		}
		for p := a; p <= b && p > 0; p++ {
			bd.port(&record.PortResult{Host: addr, Port: uint16(p), Proto: proto, State: st, Reason: nmapReason(reason)})
		}
	}
}

// nmapReason turns the plural of an extrareasons reason ("resets",
// "conn-refused", "no-responses") into a port's reason.
func nmapReason(s string) record.Reason {
	switch s {
	case "resets":
		return record.ReasonReset
	case "no-responses":
		return record.ReasonNoResponse
	}
	return record.Reason(strings.TrimSuffix(s, "s"))
}
