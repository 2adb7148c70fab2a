package diff

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ajarsec/ajar/record"
)

// readJSON reads a JSON array or JSON Lines of ajar's records, masscan's
// or naabu's, telling them apart by their fields.
func readJSON(b []byte) (*File, error) {
	var objs []json.RawMessage
	if b[0] == '[' {
		// masscan before 1.3 ends its array with a comma: "},\n]".
		fixed := trailingComma.ReplaceAll(b, []byte("]"))
		if err := json.Unmarshal(fixed, &objs); err != nil {
			return nil, fmt.Errorf("JSON: %w", err)
		}
	} else {
		err := lines(b, func(n int, line []byte) error {
			if !json.Valid(line) {
				return fmt.Errorf("JSON Lines, line %d: not a JSON object", n)
			}
			objs = append(objs, append(json.RawMessage(nil), line...))
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	f := &File{}
	bd := newBuilder()
	for i, raw := range objs {
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(raw, &probe); err != nil {
			return nil, fmt.Errorf("JSON item %d: not an object", i+1)
		}
		kind, err := jsonKind(probe)
		if err != nil {
			return nil, fmt.Errorf("JSON item %d: %w", i+1, err)
		}
		if kind == "" {
			continue // masscan's {"finished": 1} and the like
		}
		if f.Format == "" {
			f.Format = kind
		}
		if err := addJSON(f, bd, kind, raw); err != nil {
			return nil, fmt.Errorf("JSON item %d: %w", i+1, err)
		}
	}
	if f.Format == "" {
		f.Format = FormatAjarJSON
	}
	up := record.ReasonUserSet
	if f.Format != FormatAjarJSON {
		up = record.Reason("port-open")
	}
	f.Records = bd.records(up)
	return f, nil
}

var trailingComma = regexp.MustCompile(`,\s*\]\s*$`)

// jsonKind tells what an object is by its fields.
func jsonKind(m map[string]json.RawMessage) (string, error) {
	has := func(k string) bool { _, ok := m[k]; return ok }
	switch {
	case has("ip") && has("ports"):
		return FormatMasscanJSON, nil
	case has("host") && has("port") && has("state"), has("host") && has("status"), has("address") && has("exposure"):
		return FormatAjarJSON, nil
	case has("ip") && has("port"):
		return FormatNaabuJSON, nil
	case has("finished"):
		return "", nil
	}
	return "", errors.New("neither ajar's, masscan's nor naabu's record")
}

func addJSON(f *File, bd *builder, kind string, raw json.RawMessage) error {
	switch kind {
	case FormatMasscanJSON:
		return addMasscanJSON(bd, raw)
	case FormatNaabuJSON:
		return addNaabuJSON(bd, raw)
	}
	return addAjarJSON(f, bd, raw)
}

// ajarJSON is a record as ajar writes it in JSON: a port, a host or a
// socket (report's stable field names).
type ajarJSON struct {
	Host     string           `json:"host"`
	Hostname *string          `json:"hostname"`
	Port     int              `json:"port"`
	Proto    string           `json:"proto"`
	State    string           `json:"state"`
	Status   string           `json:"status"`
	Reason   *string          `json:"reason"`
	Service  *record.Service  `json:"service"`
	Findings []record.Finding `json:"findings"`
	Address  string           `json:"address"`
	Exposure string           `json:"exposure"`
	PID      *int             `json:"pid"`
	Process  *string          `json:"process"`
}

func addAjarJSON(f *File, bd *builder, raw json.RawMessage) error {
	var j ajarJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return err
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	if j.Address != "" { // a socket of ajar sockets
		a, err := netip.ParseAddr(j.Address)
		if err != nil || j.Port < 0 || j.Port > 65535 {
			return fmt.Errorf("bad socket %s port %d", j.Address, j.Port)
		}
		s := &record.Socket{Local: netip.AddrPortFrom(a, uint16(j.Port)), Process: str(j.Process)}
		if err := s.Proto.UnmarshalText([]byte(j.Proto)); err != nil {
			return err
		}
		s.State.UnmarshalText([]byte(j.State))
		s.Exposure.UnmarshalText([]byte(j.Exposure))
		if j.PID != nil {
			s.PID = *j.PID
		}
		bd.sockets = append(bd.sockets, record.Record(s))
		return nil
	}
	a, err := netip.ParseAddr(j.Host)
	if err != nil {
		return fmt.Errorf("bad host %q", j.Host)
	}
	if j.Status != "" {
		h := &record.Host{Addr: a, Name: str(j.Hostname), Reason: record.Reason(str(j.Reason))}
		if err := h.State.UnmarshalText([]byte(j.Status)); err != nil {
			return err
		}
		bd.host(h)
		return nil
	}
	if j.Port <= 0 || j.Port > 65535 {
		return fmt.Errorf("bad port %d", j.Port)
	}
	r := &record.PortResult{Host: a, Hostname: str(j.Hostname), Port: uint16(j.Port), Reason: record.Reason(str(j.Reason)),
		Service: j.Service, Findings: j.Findings}
	if err := r.Proto.UnmarshalText([]byte(j.Proto)); err != nil {
		return err
	}
	if err := r.State.UnmarshalText([]byte(j.State)); err != nil {
		return err
	}
	bd.port(r)
	return nil
}

// masscanJSON is one host of masscan -oJ.
type masscanJSON struct {
	IP        string `json:"ip"`
	Timestamp string `json:"timestamp"`
	Ports     []struct {
		Port    int    `json:"port"`
		Proto   string `json:"proto"`
		Status  string `json:"status"`
		Reason  string `json:"reason"`
		Service *struct {
			Name   string `json:"name"`
			Banner string `json:"banner"`
		} `json:"service"`
	} `json:"ports"`
}

func addMasscanJSON(bd *builder, raw json.RawMessage) error {
	var m masscanJSON
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	a, err := netip.ParseAddr(m.IP)
	if err != nil {
		return fmt.Errorf("bad ip %q", m.IP)
	}
	for _, p := range m.Ports {
		r := &record.PortResult{Host: a, Reason: record.Reason(p.Reason)}
		if p.Port <= 0 || p.Port > 65535 || r.Proto.UnmarshalText([]byte(p.Proto)) != nil {
			continue // masscan's icmp and arp "ports"
		}
		r.Port = uint16(p.Port)
		if r.State.UnmarshalText([]byte(p.Status)) != nil {
			r.State = record.Open
		}
		if p.Service != nil { // a banner line: the port is open
			r.State = record.Open
			r.Service = &record.Service{Name: p.Service.Name, Banner: p.Service.Banner, Method: "probed"}
		}
		bd.port(r)
	}
	return nil
}

// naabuJSON is one line of naabu -json: port is a number (naabu 2.1 and
// later) or an object (before).
type naabuJSON struct {
	Host     string          `json:"host"`
	IP       string          `json:"ip"`
	Port     json.RawMessage `json:"port"`
	Protocol string          `json:"protocol"`
}

func addNaabuJSON(bd *builder, raw json.RawMessage) error {
	var n naabuJSON
	if err := json.Unmarshal(raw, &n); err != nil {
		return err
	}
	a, err := netip.ParseAddr(n.IP)
	if err != nil {
		return fmt.Errorf("bad ip %q", n.IP)
	}
	port, proto := 0, n.Protocol
	if len(n.Port) > 0 && n.Port[0] == '{' {
		var p struct {
			Port     int `json:"Port"`
			Protocol int `json:"Protocol"`
		}
		if err := json.Unmarshal(n.Port, &p); err != nil {
			return err
		}
		port = p.Port
		if p.Protocol == 1 {
			proto = "udp"
		}
	} else if err := json.Unmarshal(n.Port, &port); err != nil {
		return fmt.Errorf("bad port %s", n.Port)
	}
	if proto == "" {
		proto = "tcp"
	}
	r := &record.PortResult{Host: a, State: record.Open, Reason: record.ReasonSynAck}
	if n.Host != "" && n.Host != n.IP {
		r.Hostname = n.Host
	}
	if port <= 0 || port > 65535 || r.Proto.UnmarshalText([]byte(strings.ToLower(proto))) != nil {
		return fmt.Errorf("bad port %d/%s", port, proto)
	}
	r.Port = uint16(port)
	bd.port(r)
	return nil
}

// readMasscanList reads masscan -oL: "open tcp 80 192.0.2.1 1700000000"
// lines, banner lines, and # comments.
func readMasscanList(b []byte) (*File, error) {
	f := &File{Format: FormatMasscanList}
	bd := newBuilder()
	err := lines(b, func(n int, line []byte) error {
		if line[0] == '#' {
			return nil
		}
		fs := strings.Fields(string(line))
		if len(fs) < 5 || (fs[0] != "open" && fs[0] != "closed" && fs[0] != "banner") {
			return fmt.Errorf("masscan list, line %d: want 'open PROTO PORT ADDRESS TIME'", n)
		}
		a, err := netip.ParseAddr(fs[3])
		if err != nil {
			return fmt.Errorf("masscan list, line %d: bad address %q", n, fs[3])
		}
		port, err := strconv.ParseUint(fs[2], 10, 16)
		if err != nil || port == 0 {
			return fmt.Errorf("masscan list, line %d: bad port %q", n, fs[2])
		}
		if ts, err := strconv.ParseInt(fs[4], 10, 64); err == nil && (f.Start.IsZero() || time.Unix(ts, 0).Before(f.Start)) {
			f.Start = time.Unix(ts, 0)
		}
		r := &record.PortResult{Host: a, Port: uint16(port), State: record.Open, Reason: record.ReasonSynAck}
		if r.Proto.UnmarshalText([]byte(fs[1])) != nil {
			return nil // icmp, arp, sctp
		}
		switch fs[0] {
		case "closed":
			r.State, r.Reason = record.Closed, record.ReasonReset
		case "banner":
			if len(fs) < 6 {
				return nil
			}
			r.Service = &record.Service{Name: fs[5], Method: "probed", Banner: strings.Join(fs[6:], " ")}
		}
		bd.port(r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	f.Records = bd.records(record.Reason("port-open"))
	return f, nil
}
