package smb

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Captures of Samba 4.17.12 (Debian 12; netbios name FPTEST, workgroup
// FPGROUP, host name "vm", standalone) answering the plugin's messages,
// without the NetBIOS header: with its default protocols (SMB2 and up)
// and with "server max protocol = NT1".
const (
	// In order: the answer to negotiate1 (SMB2, wildcard dialect 0x02ff),
	// to negotiate2 (3.1.1 with negotiate contexts), to sessionSetup2
	// (STATUS_MORE_PROCESSING_REQUIRED and the NTLMSSP CHALLENGE in a
	// SPNEGO NegTokenResp); then over SMB1 the NEGOTIATE and
	// SESSION_SETUP_ANDX answers.
	samba2Wildcard = "fe534d424000000000000000000001000100000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000041000100ff020000667074657374000000000000000000000700000000008000" +
		"000080000000800094fc63c9fc79dd01000000000000000080004a0000000000604806062b0601050502a03e303ca00e" +
		"300c060a2b06010401823702020aa32a3028a0261b246e6f745f646566696e65645f696e5f5246433431373840706c65" +
		"6173655f69676e6f7265"
	samba2Negotiate = "fe534d4240000000000000000000010001000000000000000100000000000000fffe0000000000000000000000000000" +
		"000000000000000000000000000000004100010011030200667074657374000000000000000000000f00000000008000" +
		"00008000000080001c6f64c9fc79dd01000000000000000080004a00d0000000604806062b0601050502a03e303ca00e" +
		"300c060a2b06010401823702020aa32a3028a0261b246e6f745f646566696e65645f696e5f5246433431373840706c65" +
		"6173655f69676e6f72650000000000000100260000000000010020000100ddce5f46bd3b7905109c946daf21ff7a0687" +
		"024e5c93fb0f34f1e65f040223890000020004000000000001000200"
	samba2Setup = "fe534d4240000000160000c00100010001000000000000000200000000000000fffe000000000000147b733e00000000" +
		"000000000000000000000000000000000900000048009f00a1819c308199a0030a0101a10c060a2b0601040182370202" +
		"0aa281830481804e544c4d53535000020000000c000c003800000015828ae2a9698f72dbbc541400000000000000003c" +
		"003c0044000000060100000000000f46005000540045005300540002000c0046005000540045005300540001000c0046" +
		"0050005400450053005400040000000300040076006d0007000800529d64c9fc79dd0100000000"
	samba1Negotiate = "ff534d4272000000008801c80000000000000000000000000000fffe0000000011000003320001000441000000000100" +
		"9d150000fdf38080de6538cbfc79dd010000005a0066707465737400000000000000000000604806062b0601050502a0" +
		"3e303ca00e300c060a2b06010401823702020aa32a3028a0261b246e6f745f646566696e65645f696e5f524643343137" +
		"3840706c656173655f69676e6f7265"
	samba1Setup = "ff534d4273160000c08803c80000000000000000000000000000fffea17b010004ff00000000009f00f100a1819c3081" +
		"99a0030a0101a10c060a2b06010401823702020aa281830481804e544c4d53535000020000000c000c00380000001582" +
		"8ae25c9af408aa8104f500000000000000003c003c0044000000060100000000000f4600500054004500530054000200" +
		"0c0046005000540045005300540001000c00460050005400450053005400040000000300040076006d000700080094da" +
		"38cbfc79dd0100000000570069006e0064006f0077007300200036002e0031000000530061006d006200610020003400" +
		"2e00310037002e00310032002d00440065006200690061006e00000046005000470052004f00550050000000"
	sambaGUID = "server GUID 65747066-7473-0000-0000-000000000000"
)

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// challengeMsg builds an NTLMSSP CHALLENGE as Windows Server 2022 sends
// it: Unicode, target information and version 10.0 build 20348.
func challengeMsg(target string, av map[uint16]string) []byte {
	var info []byte
	for _, id := range []uint16{avNbDomainName, avNbComputerName, avDNSDomainName, avDNSComputerName} {
		v := utf16le(av[id])
		info = binary.LittleEndian.AppendUint16(info, id)
		info = binary.LittleEndian.AppendUint16(info, uint16(len(v)))
		info = append(info, v...)
	}
	info = append(info, 7, 0, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0)
	name := utf16le(target)
	m := []byte(ntlmSignature)
	m = binary.LittleEndian.AppendUint32(m, ntlmChallenge)
	field := func(l, off int) {
		m = binary.LittleEndian.AppendUint16(m, uint16(l))
		m = binary.LittleEndian.AppendUint16(m, uint16(l))
		m = binary.LittleEndian.AppendUint32(m, uint32(off))
	}
	field(len(name), challengeWithVersion)
	m = binary.LittleEndian.AppendUint32(m, flagUnicode|flagTargetInfo|flagVersion|flagNTLM)
	m = append(m, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0)
	field(len(info), challengeWithVersion+len(name))
	m = append(m, 10, 0, 0x7c, 0x4f, 0, 0, 0, 15) // 10.0.20348
	return append(append(m, name...), info...)
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *record.Service
	}{
		{"samba wildcard", samba2Wildcard, &record.Service{Name: "smb", Confidence: 10,
			ExtraInfo: "SMB 2.x; signing enabled; capabilities DFS,leasing,large MTU; " + sambaGUID}},
		{"samba 3.1.1", samba2Negotiate, &record.Service{Name: "smb", Confidence: 10,
			ExtraInfo: "SMB 3.1.1; signing enabled; capabilities DFS,leasing,large MTU,multi-channel; " + sambaGUID}},
		{"samba smb1", samba1Negotiate, &record.Service{Name: "smb", Confidence: 10,
			ExtraInfo: "SMB1 NT LM 0.12; signing disabled; " + sambaGUID}},
	}
	for _, tt := range tests {
		got, err := Parse(unhex(t, tt.in))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	bad := map[string][]byte{
		"empty":      nil,
		"negotiate1": negotiate1(),
		"negotiate2": negotiate2(1, [16]byte{}, [32]byte{}),
		"setup":      unhex(t, samba2Setup),
		"smb1 setup": unhex(t, samba1Setup),
		"truncated":  unhex(t, samba2Negotiate[:200]),
		"http":       []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
		"ssh":        []byte("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"),
		"tls alert":  {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28},
		"smb2 error": append(unhex(t, samba2Wildcard[:16]+"220000c0"+samba2Wildcard[24:128]), 9, 0, 0, 0, 0, 0, 0, 0, 0),
		"smb1 magic": unhex(t, "fe"+samba1Negotiate[2:]),
	}
	for name, in := range bad {
		if got, err := Parse(in); !errors.Is(err, fingerprint.ErrNoMatch) {
			t.Errorf("%s: Parse = %+v, %v; want ErrNoMatch", name, got, err)
		}
	}
}

func TestDescribeSamba(t *testing.T) {
	n2, err := ParseNegotiate2(unhex(t, samba2Negotiate))
	if err != nil {
		t.Fatal(err)
	}
	blob, err := parseSessionSetup2(unhex(t, samba2Setup))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := findChallenge(blob)
	if err != nil {
		t.Fatal(err)
	}
	want := &Challenge{Flags: 0xe28a8215, TargetName: "FPTEST", NbComputer: "FPTEST", NbDomain: "FPTEST",
		DNSComputer: "vm", HasVersion: true, Major: 6, Minor: 1, Revision: 15,
		Timestamp: ch.Timestamp}
	if diff := cmp.Diff(want, ch); diff != "" || ch.Timestamp.Year() != 2026 || !ch.IsSamba() {
		t.Errorf("challenge (-want +got):\n%s (timestamp %v)", diff, ch.Timestamp)
	}
	got := Describe(&Result{SMB2: n2, Challenge: ch})
	wantSvc := &record.Service{Name: "smb", Product: "Samba smbd", Confidence: 10,
		CPE:       []string{"cpe:2.3:a:samba:samba:*:*:*:*:*:*:*:*"},
		ExtraInfo: "SMB 3.1.1; signing enabled; capabilities DFS,leasing,large MTU,multi-channel; " + sambaGUID + "; NetBIOS name FPTEST; domain FPTEST; DNS name vm"}
	if diff := cmp.Diff(wantSvc, got); diff != "" {
		t.Errorf("Describe SMB2 (-want +got):\n%s", diff)
	}

	n1, err := ParseNegotiate1(unhex(t, samba1Negotiate))
	if err != nil {
		t.Fatal(err)
	}
	s1, err := ParseSessionSetup1(unhex(t, samba1Setup))
	if err != nil {
		t.Fatal(err)
	}
	if s1.NativeOS != "Windows 6.1" || s1.NativeLanMan != "Samba 4.17.12-Debian" || s1.PrimaryDomain != "FPGROUP" {
		t.Errorf("session setup strings %q %q %q", s1.NativeOS, s1.NativeLanMan, s1.PrimaryDomain)
	}
	ch1, err := findChallenge(s1.SecurityBlob)
	if err != nil {
		t.Fatal(err)
	}
	got = Describe(&Result{SMB1: n1, Setup1: s1, Challenge: ch1})
	if got.Product != "Samba smbd" || got.Version != "4.17.12" ||
		got.CPE[0] != "cpe:2.3:a:samba:samba:4.17.12:*:*:*:*:*:*:*" ||
		!strings.HasSuffix(got.ExtraInfo, "native OS Windows 6.1; native LAN manager Samba 4.17.12-Debian") {
		t.Errorf("Describe SMB1 = %+v", got)
	}
}

func TestWindowsChallenge(t *testing.T) {
	msg := challengeMsg("CORP", map[uint16]string{avNbDomainName: "CORP", avNbComputerName: "FS01",
		avDNSDomainName: "corp.example", avDNSComputerName: "fs01.corp.example"})
	ch, err := findChallenge(spnegoInit(msg))
	if err != nil {
		t.Fatal(err)
	}
	if ch.IsSamba() || ch.Build != 20348 {
		t.Errorf("challenge %+v", ch)
	}
	n2, _ := ParseNegotiate2(unhex(t, samba2Negotiate))
	got := Describe(&Result{SMB2: n2, Challenge: ch})
	if got.Product != "" || !strings.HasSuffix(got.ExtraInfo,
		"NetBIOS name FS01; domain CORP; DNS name fs01.corp.example; DNS domain corp.example; OS version 10.0 build 20348") {
		t.Errorf("Describe = %+v", got)
	}
	for name, in := range map[string][]byte{
		"short":       msg[:40],
		"name beyond": append(append([]byte(nil), msg[:12]...), append([]byte{0xff, 0, 0xff, 0, 0x38, 0, 0, 0}, msg[20:]...)...),
		"negotiate":   ntlmNegotiateMessage(),
	} {
		if _, err := ParseChallenge(in); !errors.Is(err, fingerprint.ErrNoMatch) {
			t.Errorf("%s: ParseChallenge error %v, want ErrNoMatch", name, err)
		}
	}
}

func TestNetBIOS(t *testing.T) {
	req := sessionRequest()
	// "*SMBSERVER" padded, suffix 0x20: "CKFDENECFDEFFCFGEFFCCACACACACACA".
	if !bytes.Contains(req, []byte("CKFDENECFDEFFCFGEFFCCACACACACACA")) || req[0] != nbSessionRequest ||
		int(binary.BigEndian.Uint16(req[2:])) != len(req)-4 {
		t.Errorf("sessionRequest = %q", req)
	}
	f := frame([]byte("abc"))
	for i := range len(f) {
		if frameComplete(f[:i]) {
			t.Errorf("complete after %d bytes", i)
		}
	}
	if typ, p, ok := unframe(f); !ok || typ != 0 || string(p) != "abc" || !frameComplete(f) {
		t.Errorf("unframe = %d %q %v", typ, p, ok)
	}
	if !frameComplete([]byte("HTTP/1.1")) {
		t.Error("HTTP is read to the budget")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{samba2Wildcard, samba2Negotiate, samba1Negotiate} {
		f.Add(unhex(f, s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
	})
}

func FuzzSessionSetup(f *testing.F) {
	f.Add(unhex(f, samba2Setup))
	f.Add(unhex(f, samba1Setup))
	f.Add(challengeMsg("X", map[uint16]string{avNbComputerName: "Y"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if blob, err := parseSessionSetup2(b); err == nil {
			findChallenge(blob)
		}
		if s, err := ParseSessionSetup1(b); err == nil {
			findChallenge(s.SecurityBlob)
		}
		fptest.CheckParse(t, "findChallenge", findChallenge, b)
		unframe(b)
	})
}

// serveSamba replays the captures: each request read is answered with
// the next reply, NetBIOS-framed. With netbios, it first takes a session
// request.
func serveSamba(netbios bool, replies ...string) func(net.Conn) {
	return func(c net.Conn) {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 4096)
		if netbios {
			if n, _ := c.Read(buf); n == 0 || buf[0] != nbSessionRequest {
				return
			}
			c.Write([]byte{nbPositive, 0, 0, 0})
		}
		for _, r := range replies {
			if n, _ := c.Read(buf); n == 0 {
				return
			}
			msg, _ := hex.DecodeString(r)
			c.Write(frame(msg))
		}
		c.Read(buf)
	}
}

func TestIdentifyLive(t *testing.T) {
	smb2 := fptest.Serve(t, serveSamba(false, samba2Wildcard, samba2Negotiate, samba2Setup))
	svc := fptest.MustMatch(t, plugin{}, smb2)
	if svc.Product != "Samba smbd" || !strings.HasPrefix(svc.ExtraInfo, "SMB 3.1.1; signing enabled;") {
		t.Errorf("SMB2: got %+v", svc)
	}
	smb1 := fptest.Serve(t, serveSamba(false, samba1Negotiate, samba1Setup))
	if svc := fptest.MustMatch(t, plugin{}, smb1); svc.Product != "Samba smbd" || svc.Version != "4.17.12" {
		t.Errorf("SMB1: got %+v", svc)
	}
	// A server that stops after the first answer is still SMB.
	short := fptest.Serve(t, serveSamba(false, samba2Wildcard))
	if svc := fptest.MustMatch(t, plugin{}, short); svc.Product != "" || !strings.HasPrefix(svc.ExtraInfo, "SMB 2.x") {
		t.Errorf("short: got %+v", svc)
	}
	http := fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"), 1))
	fptest.MustNotMatch(t, plugin{}, http)
	echo := fptest.Serve(t, func(c net.Conn) {
		buf := make([]byte, 4096)
		n, _ := c.Read(buf)
		c.Write(buf[:n])
		c.Read(buf)
	})
	fptest.MustNotMatch(t, plugin{}, echo)
	silent := fptest.HangUp(t)
	fptest.MustNotMatch(t, plugin{}, silent)
}

// TestNetBIOSSessionLive runs the port 139 path (a session request
// first) against loopback servers on other ports.
func TestNetBIOSSessionLive(t *testing.T) {
	run := func(handle func(net.Conn)) (*record.Service, error) {
		addr := fptest.Serve(t, handle)
		nc, err := net.Dial("tcp", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		return identify(fingerprint.NewConn(nc, portspec.TCP, "", 0), true)
	}
	svc, err := run(serveSamba(true, samba2Wildcard, samba2Negotiate, samba2Setup))
	if err != nil || svc.Product != "Samba smbd" {
		t.Errorf("netbios: %+v, %v", svc, err)
	}
	refused, err := run(fptest.Reply([]byte{nbNegative, 0, 0, 1, 0x82}, 1))
	if err != nil || refused.ExtraInfo != "NetBIOS session refused" || refused.Confidence != 7 {
		t.Errorf("refused: %+v, %v", refused, err)
	}
	if svc, err := run(fptest.Reply([]byte("SSH-2.0-OpenSSH_9.2p1\r\n"), 1)); err == nil {
		t.Errorf("ssh claimed: %+v", svc)
	}
}
