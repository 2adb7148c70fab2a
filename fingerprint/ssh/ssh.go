// Package ssh recognises SSH servers by their identification string
// (RFC 4253 section 4.2): "SSH-protoversion-softwareversion comments".
package ssh

import (
	"bytes"
	"context"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{
		Name:        "ssh",
		Proto:       portspec.TCP,
		Ports:       []uint16{22, 2222},
		ServerFirst: true,
	}
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	return Parse(c.Banner())
}

// products maps the software-version prefix of well-known servers to a
// product name and CPE vendor and product.
var products = []struct{ prefix, product, vendor, cpe string }{
	{"OpenSSH_", "OpenSSH", "openbsd", "openssh"},
	{"dropbear_", "Dropbear sshd", "dropbear_ssh_project", "dropbear_ssh"},
	{"libssh_", "libssh", "libssh", "libssh"},
	{"libssh2_", "libssh2", "libssh2", "libssh2"},
	{"Cisco-", "Cisco SSH", "cisco", "ios"},
	{"RomSShell_", "Allegro RomSShell", "allegrosoft", "romsshell"},
	{"mod_sftp/", "ProFTPD mod_sftp", "proftpd", "proftpd"},
	{"AsyncSSH_", "AsyncSSH", "asyncssh_project", "asyncssh"},
	{"paramiko_", "Paramiko", "paramiko", "paramiko"},
	{"Go", "Go x/crypto/ssh", "golang", "crypto"},
}

// Parse reads the identification line that starts an SSH server's
// banner.
func Parse(b []byte) (*record.Service, error) {
	// Servers may send other lines before the identification string.
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		line = bytes.TrimRight(line, "\r")
		if bytes.HasPrefix(line, []byte("SSH-")) {
			return parseID(string(line))
		}
	}
	return nil, fingerprint.ErrNoMatch
}

func parseID(line string) (*record.Service, error) {
	rest := strings.TrimPrefix(line, "SSH-")
	proto, rest, ok := strings.Cut(rest, "-")
	if !ok || (proto != "2.0" && proto != "1.99" && !strings.HasPrefix(proto, "1.")) {
		return nil, fingerprint.ErrNoMatch
	}
	software, comments, _ := strings.Cut(rest, " ")
	svc := &record.Service{Name: "ssh", Confidence: 10, ExtraInfo: "protocol " + proto}
	for _, p := range products {
		if !strings.HasPrefix(software, p.prefix) {
			continue
		}
		svc.Product = p.product
		if p.prefix != "Go" {
			svc.Version = strings.TrimPrefix(software, p.prefix)
		}
		svc.CPE = []string{fingerprint.CPE(p.vendor, p.cpe, svc.Version)}
		break
	}
	if svc.Product == "" && software != "" {
		svc.Product = software
	}
	if comments != "" {
		// "Debian-2+deb12u3" says the distribution's package.
		if distro, pkg, ok := strings.Cut(comments, "-"); ok && isDistro(distro) {
			svc.ExtraInfo = distro + " " + pkg + "; " + svc.ExtraInfo
			svc.CPE = append(svc.CPE, fingerprint.CPEPart("o", "linux", "linux_kernel", ""))
		} else {
			svc.ExtraInfo = comments + "; " + svc.ExtraInfo
		}
	}
	return svc, nil
}

func isDistro(s string) bool {
	switch s {
	case "Debian", "Ubuntu", "Raspbian", "FreeBSD":
		return true
	}
	return false
}
