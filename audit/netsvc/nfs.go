package netsvc

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { audit.Register(nfsCheck{}) }

// nfsCheck asks a portmapper where the NFS MOUNT service listens
// (PMAPPROC_GETPORT, RFC 1833 section 3.2) and asks that service, on the
// same host and nowhere else, for its export list (MOUNTPROC_EXPORT, RFC
// 1813 appendix I): the directories served and the clients each is
// served to. Where NFSv4 is registered too, it asks for each export's
// file handle (nfs4.go), which tells whether the server serves it to the
// scanner. It never mounts (MOUNTPROC_MNT would write the scanner into
// the server's rmtab) and makes no NFSv4 state.
//
// An export the list gives to every client, or one served to the
// scanner beyond the clients its list names, is the finding (no-auth,
// high): anyone who reaches the server may mount it, and NFS's AUTH_SYS
// lets a client claim any uid. A list of named clients only is an
// info-leak at severity info: Linux mountd answers EXPORT to anyone and
// has no switch to hide it, so it is worth a line, not an alarm; it tells
// a reader which paths and which trusted hosts exist. The portmapper's
// own list of programs (PMAPPROC_DUMP) is no finding: identification
// already shows it, and listing programs is what a portmapper is for.
type nfsCheck struct{}

func (nfsCheck) Info() audit.Info {
	return audit.Info{Name: "nfs-exports", Services: []string{"rpcbind"}, Proto: portspec.TCP}
}

// ONC RPC programs and procedures of the check.
const (
	progPortmap     = 100000
	procGetPort     = 3 // PMAPPROC_GETPORT, portmapper version 2
	progMount       = 100005
	procExport      = 5 // MOUNTPROC_EXPORT, versions 1 and 3
	progNFS         = 100003
	ipprotoTCP      = 6
	maxExports      = 256 // exports read from one list
	maxGroups       = 64  // clients read for one export
	maxExportsReply = 48 << 10
)

func (nfsCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	exports, self, err := ReadExports(ctx, t)
	if len(exports) == 0 && err != nil {
		return nil, err
	}
	fs, jerr := JudgeExports(exports, self)
	if jerr != nil {
		return nil, jerr
	}
	// An NFSv4 failure leaves the list's findings standing, and is said.
	return fs, err
}

// ReadExports asks the portmapper at t for MOUNT (version 3, then 1) over
// TCP and that service, on t's host, for its export list; self is the
// scanner's address as the server saw it. When NFSv4 is registered too,
// it asks which exports the server serves to the scanner (Served); an
// error there comes with the list. A portmapper with no MOUNT registered
// is audit.ErrNotApplicable.
func ReadExports(ctx context.Context, t *audit.Target) (exports []Export, self netip.Addr, err error) {
	c, err := t.DialPlain(ctx)
	if err != nil {
		return nil, self, err
	}
	defer c.Close()
	port, vers, err := getPort(c, progMount, 3, 1)
	if err != nil {
		return nil, self, fmt.Errorf("asking the portmapper for MOUNT: %w", err)
	}
	if port == 0 {
		return nil, self, audit.ErrNotApplicable // no MOUNT service: not an NFSv3 server
	}
	nfsPort, _, err := getPort(c, progNFS, 4)
	if err != nil {
		return nil, self, fmt.Errorf("asking the portmapper for NFSv4: %w", err)
	}
	mc, err := sameHost(t, port).DialPlain(ctx)
	if err != nil {
		return nil, self, fmt.Errorf("MOUNT v%d: %w", vers, err)
	}
	defer mc.Close()
	if la, ok := mc.LocalAddr().(*net.TCPAddr); ok {
		self = la.AddrPort().Addr().Unmap()
	}
	res, err := rpcExchange(mc, progMount, vers, procExport, nil, maxExportsReply)
	if err == nil {
		exports, err = ParseExports(res)
	}
	if err != nil {
		return nil, self, fmt.Errorf("MOUNT v%d EXPORT at port %d: %w", vers, port, err)
	}
	if nfsPort != 0 && len(exports) > 0 {
		if err := served(ctx, sameHost(t, nfsPort), exports); err != nil {
			return exports, self, fmt.Errorf("NFSv4 at port %d: %w", nfsPort, err)
		}
	}
	return exports, self, nil
}

// sameHost is a copy of t, with its byte budget, at another port of the
// same address, whatever a portmapper would say of addresses.
func sameHost(t *audit.Target, port uint16) *audit.Target {
	mt := *t
	mt.Addr = netip.AddrPortFrom(t.Addr.Addr(), port)
	return &mt
}

// getPort asks the portmapper for the TCP port of program prog, in the
// versions given, first registered first; port 0 means none is.
func getPort(c *audit.Conn, prog uint32, versions ...uint32) (port uint16, vers uint32, err error) {
	for _, vers := range versions {
		args := make([]byte, 0, 16)
		for _, v := range []uint32{prog, vers, ipprotoTCP, 0} {
			args = binary.BigEndian.AppendUint32(args, v)
		}
		res, err := rpcExchange(c, progPortmap, 2, procGetPort, args, 512)
		if err != nil {
			return 0, 0, err
		}
		if len(res) != 4 || binary.BigEndian.Uint32(res) > 65535 {
			return 0, 0, fmt.Errorf("GETPORT answered % x", res)
		}
		if p := binary.BigEndian.Uint32(res); p != 0 {
			return uint16(p), vers, nil
		}
	}
	return 0, 0, nil
}

// Export is one entry of an NFS server's export list: a directory and
// the client names (hosts, networks, netgroups, wildcards) it is
// exported to, as the server wrote them.
type Export struct {
	Dir    string
	Groups []string
	// Served: an NFSv4 LOOKUP of Dir from the server's root gave the
	// scanner a file handle (see served): the server serves it to us.
	Served bool
}

// ParseExports reads the results of MOUNTPROC_EXPORT: an XDR optional
// list of exportnode (ex_dir, an optional list of groupnode, ex_next).
// At most maxExports exports and maxGroups groups each are kept; a list
// cut short, longer than a path or name may be, or followed by more
// bytes is an error.
func ParseExports(b []byte) ([]Export, error) {
	r := &xdrReader{b: b}
	var out []Export
	for r.more() {
		e := Export{Dir: string(r.opaque(1024))} // MNTPATHLEN
		for r.more() {
			name := string(r.opaque(255)) // MNTNAMLEN
			if len(e.Groups) < maxGroups {
				e.Groups = append(e.Groups, name)
			}
		}
		if len(out) < maxExports {
			out = append(out, e)
		}
	}
	if r.bad || len(r.b) != 0 {
		return nil, errors.New("malformed export list")
	}
	return out, nil
}

// everyone are the client names that stand for every client: the
// wildcard "*" (exports(5), Ganesha's CLIENT blocks), and networks of
// prefix 0, which hold every address.
var everyone = []string{"*", "0.0.0.0/0", "::/0", "0.0.0.0/0.0.0.0"}

// OpenToAll reports whether an export is served to every client: it
// names none (the protocol's way of saying all), or one of everyone's.
func OpenToAll(e Export) bool {
	if len(e.Groups) == 0 {
		return true
	}
	return slices.ContainsFunc(e.Groups, func(g string) bool {
		return slices.Contains(everyone, strings.ToLower(strings.TrimSpace(g)))
	})
}

// JudgeExports judges an export list, as seen from self: nfs-export-open
// (no-auth, high) when an export is open to every client, or is served
// to the scanner although every client it names is an address or network
// without self (NFS-Ganesha's EXPORT Access_Type is the access of every
// client no CLIENT block names, and only the CLIENT blocks are listed);
// else nfs-exports-listed (info-leak, info). An empty list is not
// applicable: nothing is exported, or nothing to us (Ganesha lists an
// export only to the clients it serves).
func JudgeExports(exports []Export, self netip.Addr) ([]record.Finding, error) {
	if len(exports) == 0 {
		return nil, audit.ErrNotApplicable
	}
	var open, beyond, named []string
	confirmed := false
	for _, e := range exports {
		s := e.Dir + " (" + strings.Join(e.Groups, " ") + ")"
		switch {
		case OpenToAll(e):
			if len(e.Groups) == 0 {
				s = e.Dir + " (no client named: all)"
			}
			open = append(open, s)
			confirmed = confirmed || e.Served
		case e.Served && self.IsValid() && !mayName(e.Groups, self):
			beyond = append(beyond, s)
			confirmed = true
		default:
			named = append(named, s)
		}
	}
	if len(open)+len(beyond) > 0 {
		return []record.Finding{openFinding(open, beyond, named, self, confirmed)}, nil
	}
	return []record.Finding{{
		ID: "nfs-exports-listed", Category: record.InfoLeak, Severity: record.Info,
		Title:    "NFS server lists its exports and their clients to anyone",
		Evidence: audit.Evidence([]byte(fmt.Sprintf("%d export(s): %s", len(named), strings.Join(named, ", ")))),
		Remediation: "let only the NFS clients reach rpcbind and mountd (a firewall), or serve NFSv4 only, " +
			"which has no MOUNT protocol (`vers3=n` in /etc/nfs.conf; Ganesha's `Protocols = 4`)",
		References: []string{"CWE-200", "RFC 1813 appendix I"},
		Confidence: record.Confirmed,
	}}, nil
}

func openFinding(open, beyond, named []string, self netip.Addr, confirmed bool) record.Finding {
	var ev []string
	if len(open) > 0 {
		ev = append(ev, "exported to every client: "+strings.Join(open, ", "))
	}
	if len(beyond) > 0 {
		ev = append(ev, fmt.Sprintf("served to this scanner (%v), which its clients do not name: %s", self, strings.Join(beyond, ", ")))
	}
	if len(named) > 0 {
		ev = append(ev, "to named clients: "+strings.Join(named, ", "))
	}
	conf := record.Likely // the server's own list says so
	if confirmed {
		conf = record.Confirmed // and NFSv4 gave us a file handle
	}
	return record.Finding{
		ID: "nfs-export-open", Category: record.NoAuth, Severity: record.High,
		Title:    "NFS server exports directories to every client: anyone who reaches it may mount them",
		Evidence: audit.Evidence([]byte(strings.Join(ev, "; "))),
		Remediation: "name the clients of each export instead of `*` or none: in /etc/exports " +
			"`/srv/share 192.0.2.0/24(ro,root_squash)`, then `exportfs -ra`; in NFS-Ganesha `Access_Type = None` " +
			"in the EXPORT itself (it is every unnamed client's) and a `CLIENT { Clients = 192.0.2.0/24; Access_Type = RO; }` " +
			"block; keep root squashing (`root_squash`, Ganesha's `Squash = root_squash`) and let only the clients " +
			"reach rpcbind, mountd and 2049",
		References: []string{"CWE-284", "RFC 1813 appendix I", "RFC 7530", "exports(5)", "ganesha-export-config(8)"},
		Confidence: conf,
	}
}
