//go:build linux

package zoo

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
)

// auditTruthNFS is the truth of catalogAuditNFS.
func auditTruthNFS() []Risk {
	return []Risk{
		{"audit-ganesha-open", 111, "nfs-export-open", "no-auth", "high"},
		// Its list names one client; its default access lets every other in.
		{"audit-ganesha-default", 2111, "nfs-export-open", "no-auth", "high"},
		// Its export is served to 192.0.2.10 (TEST-NET-1, never
		// contacted) only, and Ganesha lists an export only to the
		// clients it serves: the scanner gets an empty list.
		{"audit-ganesha-restricted", AuditNFSTwinPort, "", "no-auth", ""},
	}
}

// AuditNFSTwinPort is the port of the hardened NFS twin's portmapper:
// one network namespace has one port 111, and each NFS-Ganesha needs a
// portmapper of its own (MOUNT version 3 over TCP is registered once per
// portmapper), so the rpcbinds but the first are told another port for
// "sunrpc" (an /etc/services of their own, bind-mounted in their mount
// namespace).
const AuditNFSTwinPort = 1111

// catalogAuditNFS: NFS-Ganesha (FSAL_MEM: an in-memory file system, no
// kernel nfsd) with an rpcbind of its own in one process group: one
// planted server exports to every client, another names one client and
// lets every other in by its default access, the twin serves a TEST-NET
// address only. Each pair has its own /run (rpcbind's socket, by which
// Ganesha registers) and its own /etc/services (rpcbind's port).
func catalogAuditNFS() []*daemon {
	ganesha := func(name string, portmap, nfs, mount uint16) *daemon {
		return &daemon{
			name: name, pkg: "nfs-ganesha-mem", truthPkg: "rpcbind", product: "rpcbind",
			services: []svcDef{tcp("rpcbind", "rpcbind", portmap),
				// Not scanned (identification names no nfs or mountd):
				// the check finds MOUNT through the portmapper.
				localTCP("nfs", nfs), localTCP("mount", mount)},
			tmpfs: []string{"/run"}, mkdirs: []string{"/run/rpcbind", "/run/ganesha"},
			prepare: func(_ context.Context, in *instance) error { return in.mkdirs("recovery") },
			argv: func(in *instance) []string {
				return []string{"sh", "-c", ganeshaScript, "sh", in.dir}
			},
			ready: func(ctx context.Context, addr netip.Addr) error {
				return mountRegistered(ctx, netip.AddrPortFrom(addr, portmap), mount)
			},
		}
	}
	return []*daemon{
		ganesha("audit-ganesha-open", 111, 2049, 20048),
		ganesha("audit-ganesha-default", 2111, 22049, 20050),
		ganesha("audit-ganesha-restricted", AuditNFSTwinPort, 12049, 20049),
	}
}

// ganeshaScript runs rpcbind in the background and Ganesha in the
// foreground, once rpcbind's socket is there (10 s at most); $1 is the
// daemon's directory.
const ganeshaScript = `set -e
mount --bind "$1/services" /etc/services
rpcbind -f &
i=0
until [ -S /run/rpcbind.sock ]; do
	i=$((i+1)); [ "$i" -le 100 ] || { echo "rpcbind made no socket" >&2; exit 1; }
	sleep 0.1
done
exec ganesha.nfsd -F -L "$1/ganesha.log" -f "$1/ganesha.conf" -p /run/ganesha/ganesha.pid`

// mountRegistered asks the portmapper at ap for MOUNT version 3 over TCP
// (PMAPPROC_GETPORT, RFC 1833 section 3.2) and wants port: Ganesha has
// registered.
func mountRegistered(ctx context.Context, ap netip.AddrPort, port uint16) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", ap.String())
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	const xid = 0x7a6f6f05
	var call []byte
	// xid, CALL, RPC 2, portmapper 2, GETPORT, AUTH_NONE twice, then
	// MOUNT 3 over TCP, port 0.
	for _, v := range []uint32{1<<31 | 56, xid, 0, 2, 100000, 2, 3, 0, 0, 0, 0, 100005, 3, 6, 0} {
		call = binary.BigEndian.AppendUint32(call, v)
	}
	if _, err := c.Write(call); err != nil {
		return err
	}
	// The record mark, then xid, REPLY, MSG_ACCEPTED, AUTH_NONE, SUCCESS
	// and the port.
	reply := make([]byte, 4+28)
	if _, err := io.ReadFull(c, reply); err != nil {
		return err
	}
	got := binary.BigEndian.Uint32(reply[4+24:])
	if binary.BigEndian.Uint32(reply[4:]) != xid || binary.BigEndian.Uint32(reply[4+20:]) != 0 || got != uint32(port) {
		return fmt.Errorf("portmapper at %v: MOUNT v3/tcp at port %d, want %d", ap, got, port)
	}
	return nil
}
