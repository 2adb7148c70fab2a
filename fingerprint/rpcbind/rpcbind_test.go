package rpcbind

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net"
	"testing"
	"time"

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

// Captures of rpcbind 1.2.6 (Debian 12) answering DumpCall(0x1235) over
// UDP, and a call to program 100099, which it does not serve.
const (
	rpcbindDump = "00001235000000010000000000000000000000000000000000000001" +
		"000186a000000004000000060000006f00000001000186a000000003000000060000006f" +
		"00000001000186a000000002000000060000006f00000001000186a000000004000000110000006f" +
		"00000001000186a000000003000000110000006f00000001000186a000000002000000110000006f00000000"
	progUnavail = "000012360000000100000000000000000000000000000001"
)

// dumpReply builds a DUMP answer listing maps.
func dumpReply(xid uint32, maps []Mapping) []byte {
	b := make([]byte, 0, 28+20*len(maps))
	for _, v := range []uint32{xid, msgReply, 0, 0, 0, 0} {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	for _, m := range maps {
		for _, v := range []uint32{1, m.Prog, m.Vers, m.Prot, m.Port} {
			b = binary.BigEndian.AppendUint32(b, v)
		}
	}
	return binary.BigEndian.AppendUint32(b, 0)
}

var nfsServer = []Mapping{
	{100000, 4, 6, 111}, {100000, 3, 6, 111}, {100000, 2, 6, 111}, {100000, 2, 17, 111},
	{100024, 1, 17, 45871}, {100024, 1, 6, 38545},
	{100003, 3, 6, 2049}, {100003, 4, 6, 2049}, {100227, 3, 6, 2049},
	{100021, 1, 17, 40123}, {100021, 3, 17, 40123}, {100021, 4, 17, 40123},
	{100005, 1, 6, 20048}, {100005, 2, 6, 20048}, {100005, 3, 6, 20048},
}

func TestParseDump(t *testing.T) {
	rpcbindCPE := []string{"cpe:2.3:a:rpcbind_project:rpcbind:*:*:*:*:*:*:*:*"}
	tests := []struct {
		name string
		in   []byte
		want *record.Service
	}{
		{"rpcbind", unhex(t, rpcbindDump), &record.Service{Name: "rpcbind", Product: "rpcbind", CPE: rpcbindCPE, Confidence: 10,
			ExtraInfo: "100000 rpcbind v2-4 tcp/111 udp/111"}},
		{"nfs server", dumpReply(0x1235, nfsServer), &record.Service{Name: "rpcbind", Product: "rpcbind", CPE: rpcbindCPE, Confidence: 10,
			ExtraInfo: "100000 rpcbind v2-4 tcp/111 udp/111, 100003 nfs v3-4 tcp/2049, 100005 mountd v1-3 tcp/20048, " +
				"100021 nlockmgr v1,3,4 udp/40123, 100024 status v1 udp/45871 tcp/38545, 100227 nfs_acl v3 tcp/2049"}},
		{"portmap", dumpReply(0x1235, []Mapping{{100000, 2, 6, 111}, {100000, 2, 17, 111}}), &record.Service{
			Name: "rpcbind", Confidence: 10, ExtraInfo: "100000 rpcbind v2 tcp/111 udp/111"}},
		{"empty", dumpReply(0x1235, nil), &record.Service{Name: "rpcbind", Confidence: 10}},
	}
	for _, tt := range tests {
		got, err := ParseDump(tt.in, 0x1235)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	dump := unhex(t, rpcbindDump)
	denied := unhex(t, "000012350000000100000001000000000000000200000002")
	bad := map[string][]byte{
		"empty":        nil,
		"prog unavail": unhex(t, "00001235"+progUnavail[8:]),
		"denied":       denied,
		"wrong xid":    unhex(t, "00001236"+rpcbindDump[8:]),
		"call":         DumpCall(0x1235),
		"truncated":    dump[:len(dump)-4],
		"trailing":     append(append([]byte(nil), dump...), 0, 0, 0, 0),
		"http":         []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
		"ssh":          []byte("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"),
		"tls alert":    {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28},
		"dns":          unhex(t, "1235848000010001000000000776657273696f6e0462696e640000100003"),
	}
	for name, in := range bad {
		if got, err := ParseDump(in, 0x1235); !errors.Is(err, fingerprint.ErrNoMatch) {
			t.Errorf("%s: ParseDump = %+v, %v; want ErrNoMatch", name, got, err)
		}
	}
}

func TestRecordMarking(t *testing.T) {
	msg := unhex(t, rpcbindDump)
	// Two fragments, the last marked.
	framed := binary.BigEndian.AppendUint32(nil, 10)
	framed = append(framed, msg[:10]...)
	framed = append(framed, RecordMark(msg[10:])...)
	for i := range len(framed) {
		if recordComplete(framed[:i]) {
			t.Fatalf("complete after %d of %d bytes", i, len(framed))
		}
	}
	got, ok := Unmark(framed)
	if !ok || !recordComplete(framed) || string(got) != string(msg) {
		t.Fatalf("Unmark: %v %x", ok, got)
	}
	// "HTTP" as a fragment header is far too long: no need to wait.
	if !recordComplete([]byte("HTTP/1.1 400")) {
		t.Error("an HTTP answer is read until the budget")
	}
}

func FuzzParseDump(f *testing.F) {
	f.Add(unhex(f, rpcbindDump))
	f.Add(dumpReply(0x1235, nfsServer))
	f.Add(unhex(f, progUnavail))
	f.Fuzz(func(t *testing.T, b []byte) {
		svc, err := ParseDump(b, 0x1235)
		if (svc == nil) == (err == nil) {
			t.Fatalf("ParseDump: service %v with error %v", svc, err)
		}
		Unmark(b)
	})
}

// serveTCP plays a portmapper over TCP: it reads one record and answers
// in two fragments, written apart.
func serveTCP(c net.Conn) {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 44)
	n := 0
	for n < len(buf) {
		m, err := c.Read(buf[n:])
		n += m
		if err != nil {
			return
		}
	}
	reply := dumpReply(binary.BigEndian.Uint32(buf[4:]), nfsServer)
	c.Write(binary.BigEndian.AppendUint32(nil, 16))
	time.Sleep(20 * time.Millisecond)
	c.Write(reply[:16])
	time.Sleep(20 * time.Millisecond)
	c.Write(RecordMark(reply[16:]))
	c.Read(buf)
}

func TestIdentifyLiveTCP(t *testing.T) {
	tcp := plugin{proto: portspec.TCP}
	svc := fptest.MustMatch(t, tcp, fptest.Serve(t, serveTCP))
	if svc.Product != "rpcbind" || svc.Confidence != 10 || svc.Method != "probed" {
		t.Errorf("got %+v", svc)
	}
	http := fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"), 1))
	fptest.MustNotMatch(t, tcp, http)
	silent := fptest.HangUp(t)
	fptest.MustNotMatch(t, tcp, silent)
}

func TestIdentifyLiveUDP(t *testing.T) {
	udp := plugin{proto: portspec.UDP}
	addr := fptest.ServeUDP(t, func(q []byte) []byte {
		if len(q) < 4 {
			return nil
		}
		r, _ := hex.DecodeString(rpcbindDump)
		copy(r, q[:4])
		return r
	})
	if svc := fptest.MustMatch(t, udp, addr); svc.Product != "rpcbind" || svc.ExtraInfo != "100000 rpcbind v2-4 tcp/111 udp/111" {
		t.Errorf("got %+v", svc)
	}
	nfs := fptest.ServeUDP(t, func(q []byte) []byte {
		r, _ := hex.DecodeString(progUnavail)
		copy(r, q[:4])
		return r
	})
	fptest.MustNotMatch(t, udp, nfs)
	echo := fptest.ServeUDP(t, func(q []byte) []byte { return q })
	fptest.MustNotMatch(t, udp, echo)
}
