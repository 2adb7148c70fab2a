package netsvc

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
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
// served to. It never mounts (MOUNTPROC_MNT would write the scanner into
// the server's rmtab).
//
// An export the list gives to every client is the finding: anyone who
// reaches the server may mount it, and NFS's AUTH_SYS lets a client claim
// any uid. An export list of named clients only is an info-leak at
// severity info: every NFSv3 server answers EXPORT to anyone (Linux
// mountd has no switch to hide it), so it is worth a line, not an alarm;
// it tells a reader which paths and which trusted hosts exist. The
// portmapper's own list of programs (PMAPPROC_DUMP) is no finding:
// identification already shows it, and listing programs is what a
// portmapper is for.
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
	ipprotoTCP      = 6
	maxExports      = 256 // exports read from one list
	maxGroups       = 64  // clients read for one export
	maxExportsReply = 48 << 10
)

func (nfsCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	exports, err := ReadExports(ctx, t)
	if err != nil {
		return nil, err
	}
	return JudgeExports(exports)
}

// ReadExports asks the portmapper at t for MOUNT (version 3, then 1) over
// TCP and that service, on t's host, for its export list. A portmapper
// with no MOUNT registered is audit.ErrNotApplicable.
func ReadExports(ctx context.Context, t *audit.Target) ([]Export, error) {
	c, err := t.DialPlain(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	port, vers, err := mountPort(c)
	if err != nil {
		return nil, fmt.Errorf("asking the portmapper for MOUNT: %w", err)
	}
	if port == 0 {
		return nil, audit.ErrNotApplicable // no MOUNT service: not an NFSv3 server
	}
	// The same host, whatever the portmapper would say of addresses: a
	// copy of the target (and its byte budget) at MOUNT's port.
	mt := *t
	mt.Addr = netip.AddrPortFrom(t.Addr.Addr(), port)
	mc, err := mt.DialPlain(ctx)
	if err != nil {
		return nil, fmt.Errorf("MOUNT v%d: %w", vers, err)
	}
	defer mc.Close()
	res, err := rpcExchange(mc, progMount, vers, procExport, nil, maxExportsReply)
	if err == nil {
		var exports []Export
		if exports, err = ParseExports(res); err == nil {
			return exports, nil
		}
	}
	return nil, fmt.Errorf("MOUNT v%d EXPORT at port %d: %w", vers, port, err)
}

// mountPort asks the portmapper for the TCP port of MOUNT version 3, then
// version 1; port 0 means neither is registered.
func mountPort(c *audit.Conn) (port uint16, vers uint32, err error) {
	for _, vers := range []uint32{3, 1} {
		args := make([]byte, 0, 16)
		for _, v := range []uint32{progMount, vers, ipprotoTCP, 0} {
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

// JudgeExports judges an export list: nfs-export-open (no-auth, high)
// when an export is open to every client, else nfs-exports-listed
// (info-leak, info) for a list of named clients only. An empty list is
// not applicable: nothing is exported.
func JudgeExports(exports []Export) ([]record.Finding, error) {
	if len(exports) == 0 {
		return nil, audit.ErrNotApplicable
	}
	var open, named []string
	for _, e := range exports {
		s := e.Dir + " (" + strings.Join(e.Groups, " ") + ")"
		if len(e.Groups) == 0 {
			s = e.Dir + " (no client named: all)"
		}
		if OpenToAll(e) {
			open = append(open, s)
		} else {
			named = append(named, s)
		}
	}
	if len(open) > 0 {
		ev := fmt.Sprintf("exported to every client: %s", strings.Join(open, ", "))
		if len(named) > 0 {
			ev += fmt.Sprintf("; to named clients: %s", strings.Join(named, ", "))
		}
		return []record.Finding{{
			ID: "nfs-export-open", Category: record.NoAuth, Severity: record.High,
			Title:    "NFS server exports directories to every client: anyone who reaches it may mount them",
			Evidence: audit.Evidence([]byte(ev)),
			Remediation: "name the clients of each export instead of `*` or none: in /etc/exports " +
				"`/srv/share 192.0.2.0/24(ro,root_squash)`, then `exportfs -ra`; in NFS-Ganesha `Access_Type = None` " +
				"in the EXPORT and a `CLIENT { Clients = 192.0.2.0/24; Access_Type = RO; }` block; keep root squashing " +
				"(`root_squash`, Ganesha's `Squash = root_squash`) and let only the clients reach rpcbind, mountd and 2049",
			References: []string{"CWE-284", "RFC 1813 appendix I", "exports(5)", "ganesha-export-config(8)"},
			// The server's own list says so; nothing was mounted.
			Confidence: record.Likely,
		}}, nil
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
