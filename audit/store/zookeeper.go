package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { audit.Register(zookeeperCheck{}) }

type zookeeperCheck struct{}

func (zookeeperCheck) Info() audit.Info {
	return audit.Info{Name: "zookeeper-auth", Services: []string{"zookeeper"}, Proto: portspec.TCP}
}

// ZooKeeper's request types and the error a node's ACL gives.
const (
	zkGetChildren  = 8
	zkCloseSession = -11
	zkMaxChildren  = 4096
)

// zkFrame prefixes a request with its length.
func zkFrame(body []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

// ZKConnect is a ConnectRequest for a new session: protocol 0, no zxid
// seen, a 10 s timeout, session 0, an empty 16-byte password, not
// read-only. No credentials: ZooKeeper has none in the connect.
func ZKConnect() []byte {
	b := binary.BigEndian.AppendUint32(nil, 0)
	b = binary.BigEndian.AppendUint64(b, 0)
	b = binary.BigEndian.AppendUint32(b, 10000)
	b = binary.BigEndian.AppendUint64(b, 0)
	b = binary.BigEndian.AppendUint32(b, 16)
	b = append(b, make([]byte, 16)...)
	return zkFrame(append(b, 0))
}

// zkRequest is a request header (xid, type) and a body.
func zkRequest(xid, typ int32, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(xid))
	b = binary.BigEndian.AppendUint32(b, uint32(typ))
	return zkFrame(append(b, body...))
}

// ZKGetChildren asks for the children of path, without a watch.
func ZKGetChildren(path string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(path)))
	return zkRequest(1, zkGetChildren, append(append(b, path...), 0))
}

// zkRead reads one length-prefixed packet.
func zkRead(r io.Reader) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(h[:])
	if n > replyMax {
		return nil, fmt.Errorf("packet of %d bytes: %w", n, audit.ErrNotApplicable)
	}
	b := make([]byte, n)
	_, err := io.ReadFull(r, b)
	return b, err
}

func (zookeeperCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	fs, err := zkChildren(ctx, t)
	if err != nil && !errors.Is(err, audit.ErrNotApplicable) {
		return nil, err
	}
	// The four-letter word envi, on its own connection: allowed only
	// where 4lw.commands.whitelist names it (or is *).
	if leak, lerr := zkEnvi(ctx, t); lerr == nil {
		fs = append(fs, leak...)
	}
	if len(fs) == 0 {
		return nil, audit.ErrNotApplicable
	}
	return fs, nil
}

func zkChildren(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	c, err := t.Dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if _, err := c.Write(ZKConnect()); err != nil {
		return nil, err
	}
	resp, err := zkRead(c)
	if err != nil {
		return nil, audit.ErrNotApplicable // refused, or not ZooKeeper's framing
	}
	if len(resp) < 16+4 {
		return nil, audit.ErrNotApplicable
	}
	if _, err := c.Write(ZKGetChildren("/")); err != nil {
		return nil, err
	}
	reply, err := zkRead(c)
	if err != nil {
		// Enforced authentication closes the session here.
		return nil, audit.ErrNotApplicable
	}
	c.Write(zkRequest(2, zkCloseSession, nil))
	return JudgeZKChildren(reply)
}

// JudgeZKChildren judges the reply to getChildren("/") in a session
// that gave no credentials: error 0 and the list of children means
// anyone can browse the tree (and, under the default world:anyone ACL,
// write it). NoAuth (-102), AuthFailed (-115) and other errors are not
// applicable.
func JudgeZKChildren(b []byte) ([]record.Finding, error) {
	if len(b) < 16+4 || int32(binary.BigEndian.Uint32(b)) != 1 || binary.BigEndian.Uint32(b[12:]) != 0 {
		return nil, audit.ErrNotApplicable
	}
	n := binary.BigEndian.Uint32(b[16:])
	if n > zkMaxChildren {
		return nil, audit.ErrNotApplicable
	}
	p := b[20:]
	var names []string
	for range n {
		if len(p) < 4 {
			return nil, audit.ErrNotApplicable
		}
		l := binary.BigEndian.Uint32(p)
		if uint32(len(p)-4) < l {
			return nil, audit.ErrNotApplicable
		}
		names = append(names, "/"+string(p[4:4+l]))
		p = p[4+l:]
	}
	if len(names) > 8 {
		names = append(names[:8], "…")
	}
	return []record.Finding{{
		ID: "zookeeper-no-auth", Category: record.NoAuth, Severity: record.High,
		Title: "ZooKeeper serves its tree to sessions without credentials",
		Evidence: audit.Evidence([]byte(fmt.Sprintf("a session without credentials: getChildren(\"/\") answered with %d children: %s",
			n, strings.Join(names, " ")))),
		Remediation: "require authentication (`enforce.auth.enabled=true` and `enforce.auth.schemes=sasl` in zoo.cfg, " +
			"with a JAAS Server section) and set ACLs on / and your znodes (`setAcl / sasl:<admin>:cdrwa`); " +
			"bind `clientPortAddress` to an internal address",
		References: []string{"CWE-306", "https://zookeeper.apache.org/doc/current/zookeeperAdmin.html#sc_authOptions"},
		Confidence: record.Confirmed,
	}}, nil
}

func zkEnvi(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	c, err := t.Dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	// The server closes after answering: EOF ends the answer.
	b, err := audit.Exchange(c, []byte("envi"), func([]byte) bool { return false }, 8<<10)
	if len(b) == 0 {
		return nil, err
	}
	return JudgeZKEnvi(b)
}

// JudgeZKEnvi judges the answer to the four-letter word "envi": an
// Environment listing gives anyone the server's host name, Java
// version, class path, directories and user. "envi is not executed
// because it is not in the whitelist." is not applicable.
func JudgeZKEnvi(b []byte) ([]record.Finding, error) {
	if !bytes.HasPrefix(b, []byte("Environment:\n")) || !bytes.Contains(b, []byte("zookeeper.version=")) {
		return nil, audit.ErrNotApplicable
	}
	var keep []string
	for _, line := range strings.Split(string(b), "\n") {
		for _, k := range []string{"zookeeper.version=", "host.name=", "java.version=", "user.name=", "os.name="} {
			if strings.HasPrefix(line, k) {
				keep = append(keep, line)
			}
		}
	}
	return []record.Finding{{
		ID: "zookeeper-envi-exposed", Category: record.InfoLeak, Severity: record.Low,
		Title:    "ZooKeeper answers the four-letter word envi to anyone",
		Evidence: audit.Evidence([]byte("envi: " + strings.Join(keep, "; "))),
		Remediation: "allow only what monitoring needs: `4lw.commands.whitelist=srvr, ruok` in zoo.cfg (the default is srvr), " +
			"or the AdminServer behind authentication",
		References: []string{"CWE-200", "https://zookeeper.apache.org/doc/current/zookeeperAdmin.html#sc_4lw"},
		Confidence: record.Confirmed,
	}}, nil
}
