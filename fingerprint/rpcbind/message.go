package rpcbind

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

// ONC RPC and portmapper constants.
const (
	progPortmap = 100000
	procDump    = 4
	msgCall     = 0
	msgReply    = 1
	// maxEntries bounds the registrations read from one answer.
	maxEntries = 512
	// maxShown bounds the programs listed in ExtraInfo.
	maxShown = 16
)

var errWrongXID = fmt.Errorf("rpcbind: reply to another call: %w", fingerprint.ErrNoMatch)

// DumpCall is the RPC call PMAPPROC_DUMP of portmapper version 2 with
// AUTH_NULL credentials.
func DumpCall(xid uint32) []byte {
	b := make([]byte, 0, 40)
	for _, v := range []uint32{xid, msgCall, 2, progPortmap, 2, procDump, 0, 0, 0, 0} {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return b
}

// Mapping is one registration: a program, version, transport and port.
type Mapping struct {
	Prog, Vers, Prot, Port uint32
}

// programNames are the usual ONC RPC programs.
var programNames = map[uint32]string{
	100000: "rpcbind", 100003: "nfs", 100005: "mountd", 100011: "rquotad",
	100021: "nlockmgr", 100024: "status", 100227: "nfs_acl", 100004: "ypserv",
	100007: "ypbind", 100009: "yppasswdd", 100001: "rstatd", 100002: "rusersd",
	100008: "walld", 100026: "bootparam", 100083: "ttdbserverd", 150001: "pcnfsd",
	300019: "amd", 391002: "sgi_fam", 100133: "nsm_addrand",
}

// ParseDump reads the reply to DumpCall(xid) (without record marking)
// and describes the portmapper.
func ParseDump(b []byte, xid uint32) (*record.Service, error) {
	maps, err := parseDump(b, xid)
	if err != nil {
		return nil, err
	}
	return describe(maps), nil
}

// reader reads XDR words.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) u32() uint32 {
	if len(r.b) < 4 {
		r.bad = true
		return 0
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

func parseDump(b []byte, xid uint32) ([]Mapping, error) {
	r := &reader{b: b}
	if len(b) < 24 || r.u32() != xid {
		if len(b) >= 8 && binary.BigEndian.Uint32(b[4:]) == msgReply {
			return nil, errWrongXID
		}
		return nil, fingerprint.ErrNoMatch
	}
	if r.u32() != msgReply {
		return nil, fingerprint.ErrNoMatch
	}
	// reply_stat: MSG_ACCEPTED (0) or MSG_DENIED (1).
	switch r.u32() {
	case 0:
	case 1:
		return nil, fmt.Errorf("rpcbind: call denied: %w", fingerprint.ErrNoMatch)
	default:
		return nil, fingerprint.ErrNoMatch
	}
	// The verifier: flavor and opaque body (at most 400 bytes).
	r.u32()
	n := r.u32()
	if n > 400 || int(n+3)&^3 > len(r.b) {
		return nil, fingerprint.ErrNoMatch
	}
	r.b = r.b[(n+3)&^3:]
	// accept_stat: SUCCESS (0); PROG_UNAVAIL and the rest say it is an
	// RPC server, but not a portmapper.
	if st := r.u32(); st != 0 || r.bad {
		return nil, fingerprint.ErrNoMatch
	}
	var maps []Mapping
	for {
		more := r.u32()
		if r.bad || more > 1 {
			return nil, fingerprint.ErrNoMatch
		}
		if more == 0 {
			break
		}
		m := Mapping{Prog: r.u32(), Vers: r.u32(), Prot: r.u32(), Port: r.u32()}
		if r.bad || m.Port > 65535 {
			return nil, fingerprint.ErrNoMatch
		}
		if len(maps) < maxEntries {
			maps = append(maps, m)
		}
	}
	if len(r.b) != 0 {
		return nil, fingerprint.ErrNoMatch
	}
	return maps, nil
}

// describe lists the registered programs: "100000 v2-4 tcp/111 udp/111".
func describe(maps []Mapping) *record.Service {
	svc := &record.Service{Name: "rpcbind", Confidence: 10}
	type prog struct {
		vers  []uint32
		ports []string
	}
	progs := map[uint32]*prog{}
	var order []uint32
	for _, m := range maps {
		p := progs[m.Prog]
		if p == nil {
			p = &prog{}
			progs[m.Prog] = p
			order = append(order, m.Prog)
		}
		if !slices.Contains(p.vers, m.Vers) {
			p.vers = append(p.vers, m.Vers)
		}
		port := protoName(m.Prot) + "/" + strconv.Itoa(int(m.Port))
		if !slices.Contains(p.ports, port) {
			p.ports = append(p.ports, port)
		}
	}
	slices.Sort(order)
	var parts []string
	for i, num := range order {
		if i == maxShown {
			parts = append(parts, fmt.Sprintf("%d more", len(order)-maxShown))
			break
		}
		p := progs[num]
		slices.Sort(p.vers)
		s := strconv.Itoa(int(num))
		if name := programNames[num]; name != "" {
			s += " " + name
		}
		parts = append(parts, s+" "+versions(p.vers)+" "+strings.Join(p.ports, " "))
	}
	if p := progs[progPortmap]; p != nil && slices.ContainsFunc(p.vers, func(v uint32) bool { return v == 3 || v == 4 }) {
		svc.Product = "rpcbind"
		svc.CPE = []string{fingerprint.CPE("rpcbind_project", "rpcbind", "")}
	}
	svc.ExtraInfo = strings.Join(parts, ", ")
	return svc
}

// versions renders sorted versions: "v2-4", "v1,3".
func versions(vs []uint32) string {
	if len(vs) > 1 && vs[len(vs)-1]-vs[0] == uint32(len(vs)-1) {
		return fmt.Sprintf("v%d-%d", vs[0], vs[len(vs)-1])
	}
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = strconv.Itoa(int(v))
	}
	return "v" + strings.Join(s, ",")
}

func protoName(p uint32) string {
	switch p {
	case 6:
		return "tcp"
	case 17:
		return "udp"
	}
	return "proto" + strconv.Itoa(int(p))
}
