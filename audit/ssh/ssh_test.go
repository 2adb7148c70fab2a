package ssh

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/record"
)

// packet builds an unencrypted KEXINIT packet from ten name-lists, as a
// server sends it (RFC 4253 sections 6 and 7.1).
func packet(lists ...string) []byte {
	p := []byte{msgKexInit}
	p = append(p, []byte("0123456789abcdef")...) // cookie
	for i := 0; i < 10; i++ {
		var l string
		if i < len(lists) {
			l = lists[i]
		}
		p = binary.BigEndian.AppendUint32(p, uint32(len(l)))
		p = append(p, l...)
	}
	p = append(p, 0, 0, 0, 0, 0) // first_kex_packet_follows, reserved
	pad := 8 - (len(p)+5)%8
	if pad < 4 {
		pad += 8
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(len(p)+pad+1))
	out = append(out, byte(pad))
	out = append(out, p...)
	return append(out, make([]byte, pad)...)
}

// The lists of OpenSSH 9.2p1 (Debian 12, 1:9.2p1-2+deb12u10) with its
// default configuration, and of the audit zoo's weak configuration.
const (
	defKex     = "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,kex-strict-s-v00@openssh.com"
	defHostKey = "rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256,ssh-ed25519"
	defCiphers = "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com"
	defMACs    = "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1"
	hardMACs   = "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com"
	comp       = "none,zlib@openssh.com"
)

func ids(fs []record.Finding) string {
	var s []string
	for _, f := range fs {
		s = append(s, f.ID+"/"+f.Severity.String())
	}
	return strings.Join(s, ",")
}

func TestJudge(t *testing.T) {
	preTerrapinKex := strings.TrimSuffix(defKex, ",kex-strict-s-v00@openssh.com")
	for _, tc := range []struct {
		name, ident string
		lists       []string
		want        string
	}{
		{"OpenSSH 9.2 defaults, SHA-1 and 64-bit-tag MACs", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10",
			[]string{defKex, defHostKey, defCiphers, defCiphers, defMACs, defMACs, comp, comp, "", ""},
			"ssh-weak-mac/low"},
		{"hardened", "SSH-2.0-OpenSSH_9.2p1",
			[]string{defKex, "ssh-ed25519", defCiphers, defCiphers, hardMACs, hardMACs, "none", "none", "", ""}, ""},
		{"Terrapin: chacha20 before strict kex", "SSH-2.0-OpenSSH_9.3",
			[]string{preTerrapinKex, "ssh-ed25519", defCiphers, defCiphers, hardMACs, hardMACs, "none", "none", "", ""},
			"ssh-terrapin/medium"},
		{"Terrapin: CBC with EtM", "SSH-2.0-x",
			[]string{"curve25519-sha256", "ssh-ed25519", "aes128-ctr,aes256-cbc", "aes128-ctr,aes256-cbc", hardMACs, hardMACs, "none", "none", "", ""},
			"ssh-weak-cipher/low,ssh-terrapin/medium"},
		{"no Terrapin: CTR with EtM", "SSH-2.0-x",
			[]string{"curve25519-sha256", "ssh-ed25519", "aes128-ctr", "aes128-ctr", hardMACs, hardMACs, "none", "none", "", ""}, ""},
		{"the weak zoo sshd", "SSH-2.0-OpenSSH_9.2p1",
			[]string{defKex + ",diffie-hellman-group1-sha1,diffie-hellman-group14-sha1", "rsa-sha2-512,rsa-sha2-256,ssh-rsa",
				defCiphers + ",aes128-cbc,3des-cbc", defCiphers, hardMACs + ",hmac-sha1,hmac-md5", hardMACs, "none", "none", "", ""},
			"ssh-weak-kex/high,ssh-weak-hostkey/low,ssh-weak-cipher/medium,ssh-weak-mac/medium"},
		{"SSH-1 and 2", "SSH-1.99-OpenSSH_3.9p1",
			[]string{"diffie-hellman-group1-sha1", "ssh-dss", "3des-cbc,arcfour", "3des-cbc", "hmac-md5", "hmac-md5", "none", "none", "", ""},
			"ssh-protocol-1/high,ssh-weak-kex/high,ssh-weak-hostkey/medium,ssh-weak-cipher/high,ssh-weak-mac/medium"},
		{"none cipher and MAC", "SSH-2.0-x",
			[]string{"curve25519-sha256", "ssh-ed25519", "none", "none", "none", "none", "none", "none", "", ""},
			"ssh-weak-cipher/high,ssh-weak-mac/high"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := packet(tc.lists...)
			payload, n, err := ParsePacket(b)
			if err != nil || n != len(b) {
				t.Fatalf("ParsePacket: %d of %d, %v", n, len(b), err)
			}
			k, err := ParseKexInit(payload)
			if err != nil {
				t.Fatal(err)
			}
			fs := Judge(tc.ident, k)
			if got := ids(fs); got != tc.want {
				t.Errorf("findings %s, want %s", got, tc.want)
			}
			for _, f := range fs {
				if !f.Category.Valid() || f.Evidence == "" || f.Remediation == "" {
					t.Errorf("incomplete %+v", f)
				}
			}
		})
	}
}

func TestSSH1Only(t *testing.T) {
	if got := ids(Judge("SSH-1.5-1.2.27", KexInit{})); got != "ssh-protocol-1/high" {
		t.Errorf("SSH-1.5: %s", got)
	}
}

func TestParsePacketHostile(t *testing.T) {
	full := packet(defKex, defHostKey, defCiphers, defCiphers, defMACs, defMACs, comp, comp)
	for name, b := range map[string][]byte{
		"huge length":     {0x7f, 0xff, 0xff, 0xff, 4, 20},
		"padding too big": {0, 0, 0, 8, 200, 20, 0, 0},
		"zero length":     {0, 0, 0, 0, 0},
	} {
		if _, _, err := ParsePacket(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, n, err := ParsePacket(full[:len(full)-1]); n != 0 || err != nil {
		t.Errorf("a packet cut short: %d, %v; want 0, nil (more to read)", n, err)
	}
	payload, _, _ := ParsePacket(full)
	for cut := 0; cut < len(payload)-5; cut++ {
		if _, err := ParseKexInit(payload[:cut]); err == nil {
			t.Fatalf("KEXINIT cut at %d parsed", cut)
		}
	}
	if _, err := ParseKexInit([]byte{21, 0}); err == nil {
		t.Error("NEWKEYS parsed as KEXINIT")
	}
}

func TestIdentLine(t *testing.T) {
	for in, want := range map[string]string{
		"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n": "SSH-2.0-OpenSSH_9.2p1 Debian-2",
		"Welcome\r\nSSH-2.0-x\r\n":           "SSH-2.0-x",
		"SSH-2.0-x":                          "",
		"HTTP/1.1 400 Bad\r\n":               "",
	} {
		if got, _ := identLine([]byte(in)); got != want {
			t.Errorf("identLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzKexInit(f *testing.F) {
	f.Add(packet(defKex, defHostKey, defCiphers, defCiphers, defMACs, defMACs, comp, comp))
	f.Fuzz(func(t *testing.T, b []byte) {
		payload, _, err := ParsePacket(b)
		if err != nil {
			return
		}
		if k, err := ParseKexInit(payload); err == nil {
			Judge("SSH-2.0-x", k)
		}
	})
}
