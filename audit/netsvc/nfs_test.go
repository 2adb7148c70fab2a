package netsvc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/audit/audittest"
	"github.com/ajarsec/ajar/fingerprint/rpcbind"
)

// Export lists as servers send them (the results of MOUNTPROC_EXPORT,
// after the RPC reply header).
var (
	// NFS-Ganesha 4.3, the audit zoo's audit-ganesha-open: one export,
	// no CLIENT block.
	exportsNone = []byte("\x00\x00\x00\x01" + "\x00\x00\x00\x08/srv/zoo" + "\x00\x00\x00\x00" + "\x00\x00\x00\x00")
	// Two exports: /home to "*", /srv/a (5 bytes, padded) to two clients.
	exportsTwo = []byte("\x00\x00\x00\x01" + "\x00\x00\x00\x05/home\x00\x00\x00" +
		"\x00\x00\x00\x01" + "\x00\x00\x00\x01*\x00\x00\x00" + "\x00\x00\x00\x00" +
		"\x00\x00\x00\x01" + "\x00\x00\x00\x06/srv/a\x00\x00" +
		"\x00\x00\x00\x01" + "\x00\x00\x00\x0a192.0.2.10\x00\x00" +
		"\x00\x00\x00\x01" + "\x00\x00\x00\x0f198.51.100.0/24\x00" + "\x00\x00\x00\x00" +
		"\x00\x00\x00\x00")
	// NFS-Ganesha 4.3 to a client it serves (it lists an export only to
	// those): /srv/zoo to two clients, CLIENT { Clients = 192.0.2.10,
	// 127.0.0.1; }, asked from 127.0.0.1.
	exportsNamed = []byte("\x00\x00\x00\x01" + "\x00\x00\x00\x08/srv/zoo" +
		"\x00\x00\x00\x01" + "\x00\x00\x00\x0d192.0.2.10/32\x00\x00\x00" +
		"\x00\x00\x00\x01" + "\x00\x00\x00\x0c127.0.0.1/32" + "\x00\x00\x00\x00" + "\x00\x00\x00\x00")
	// NFS-Ganesha 4.3, Access_Type = RW on the EXPORT and CLIENT {
	// Clients = 192.0.2.10; }: every client may mount, the list names
	// one.
	exportsGanesha = []byte("\x00\x00\x00\x01" + "\x00\x00\x00\x08/srv/zoo" +
		"\x00\x00\x00\x01" + "\x00\x00\x00\x0d192.0.2.10/32\x00\x00\x00" + "\x00\x00\x00\x00" + "\x00\x00\x00\x00")
	// NFS-Ganesha 4.3, CLIENT { Clients = *; }.
	exportsStar = []byte("\x00\x00\x00\x01" + "\x00\x00\x00\x08/srv/zoo" +
		"\x00\x00\x00\x01" + "\x00\x00\x00\x01*\x00\x00\x00" + "\x00\x00\x00\x00" + "\x00\x00\x00\x00")
)

func TestParseExports(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
		want []Export
		bad  bool
	}{
		{"empty list", []byte("\x00\x00\x00\x00"), nil, false},
		{"no groups", exportsNone, []Export{{Dir: "/srv/zoo"}}, false},
		{"two", exportsTwo, []Export{{Dir: "/home", Groups: []string{"*"}}, {Dir: "/srv/a", Groups: []string{"192.0.2.10", "198.51.100.0/24"}}}, false},
		{"nothing", nil, nil, true},
		{"cut in a name", exportsTwo[:30], nil, true},
		{"no end", exportsNone[:len(exportsNone)-4], nil, true},
		{"trailing bytes", append(bytes.Clone(exportsNone), 0, 0, 0, 0), nil, true},
		{"bad optional", []byte("\x00\x00\x00\x02"), nil, true},
		{"path over MNTPATHLEN", []byte("\x00\x00\x00\x01\x00\x00\x04\x01"), nil, true},
		{"length past the end", []byte("\x00\x00\x00\x01\xff\xff\xff\xff"), nil, true},
	} {
		got, err := ParseExports(tc.b)
		if (err != nil) != tc.bad || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, %v; want %+v, error %v", tc.name, got, err, tc.want, tc.bad)
		}
	}
}

func TestParseExportsBounds(t *testing.T) {
	var b []byte
	for range maxExports + 10 {
		b = binary.BigEndian.AppendUint32(b, 1)
		b = append(b, "\x00\x00\x00\x02/x\x00\x00"...)
		for range maxGroups + 3 {
			b = append(b, "\x00\x00\x00\x01\x00\x00\x00\x01*\x00\x00\x00"...)
		}
		b = binary.BigEndian.AppendUint32(b, 0)
	}
	b = binary.BigEndian.AppendUint32(b, 0)
	got, err := ParseExports(b)
	if err != nil || len(got) != maxExports || len(got[0].Groups) != maxGroups {
		t.Errorf("%d exports, %d groups, %v; want %d and %d", len(got), len(got[0].Groups), err, maxExports, maxGroups)
	}
}

func TestJudgeExports(t *testing.T) {
	scanner := netip.MustParseAddr("10.0.202.1")
	for _, tc := range []struct {
		name     string
		b        []byte
		served   bool       // NFSv4 gave the scanner a handle for every export
		self     netip.Addr // the scanner's address
		want     string
		evidence string
	}{
		{"nothing exported", []byte("\x00\x00\x00\x00"), false, scanner, "n/a", ""},
		{"no client named", exportsNone, false, scanner, "nfs-export-open/high likely", "/srv/zoo (no client named: all)"},
		{"no client named, served", exportsNone, true, scanner, "nfs-export-open/high confirmed", "/srv/zoo (no client named: all)"},
		{"star and named", exportsTwo, false, scanner, "nfs-export-open/high likely",
			"every client: /home (*); to named clients: /srv/a (192.0.2.10 198.51.100.0/24)"},
		{"named only", exportsNamed, false, scanner, "nfs-exports-listed/info confirmed", "1 export(s): /srv/zoo (192.0.2.10/32 127.0.0.1/32)"},
		{"ganesha star", exportsStar, false, scanner, "nfs-export-open/high likely", "every client: /srv/zoo (*)"},
		// Ganesha's EXPORT Access_Type = RW with one CLIENT block: the
		// list names 192.0.2.10, the server serves the scanner.
		{"served beyond its clients", exportsGanesha, true, scanner, "nfs-export-open/high confirmed",
			"served to this scanner (10.0.202.1), which its clients do not name: /srv/zoo (192.0.2.10/32)"},
		// A named client scanning its own server.
		{"served to a named client", exportsNamed, true, netip.MustParseAddr("127.0.0.1"), "nfs-exports-listed/info confirmed", "/srv/zoo"},
		{"served, network names us", exportsTwo[32:], true, netip.MustParseAddr("198.51.100.7"), "nfs-exports-listed/info confirmed", "/srv/a"},
		{"served, self unknown", exportsGanesha, true, netip.Addr{}, "nfs-exports-listed/info confirmed", "/srv/zoo"},
	} {
		ex, err := ParseExports(tc.b)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for i := range ex {
			ex[i].Served = tc.served
		}
		fs, err := JudgeExports(ex, tc.self)
		got := audittest.Summary(fs, err)
		if len(fs) == 1 {
			got += " " + string(fs[0].Confidence)
		}
		if got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
		if len(fs) == 1 && !strings.Contains(fs[0].Evidence, tc.evidence) {
			t.Errorf("%s: evidence %q, want %q in it", tc.name, fs[0].Evidence, tc.evidence)
		}
	}
}

func TestMayName(t *testing.T) {
	self := netip.MustParseAddr("10.0.202.1")
	for groups, want := range map[string]bool{
		"192.0.2.10/32": false, "192.0.2.10 198.51.100.0/24": false, "10.0.202.1": true, "10.0.202.1/32": true,
		"10.0.0.0/8": true, "::ffff:10.0.202.1": true, "client.example.com": true, "@trusted": true, "*.example.com": true,
		"192.0.2.0/255.255.255.0": true, // a netmask: not read, so maybe us
	} {
		if got := mayName(strings.Fields(groups), self); got != want {
			t.Errorf("groups %q: may name %v: %v, want %v", groups, self, got, want)
		}
	}
}

// TestLookupCompound: the COMPOUND of the NFSv4 question, byte for byte.
func TestLookupCompound(t *testing.T) {
	args, ok := LookupCompound("/srv/zoo/")
	want := "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04" + "\x00\x00\x00\x18" +
		"\x00\x00\x00\x0f\x00\x00\x00\x03srv\x00" + "\x00\x00\x00\x0f\x00\x00\x00\x03zoo\x00" + "\x00\x00\x00\x0a"
	if !ok || string(args) != want {
		t.Errorf("LookupCompound(/srv/zoo/) = % x, %v", args, ok)
	}
	if args, ok := LookupCompound("/"); !ok || len(args) != 20 {
		t.Errorf("LookupCompound(/) = % x, %v; want PUTROOTFH, GETFH", args, ok)
	}
	if _, ok := LookupCompound("/" + strings.Repeat("a", 256)); ok {
		t.Error("a component of 256 bytes was taken")
	}
	if _, ok := LookupCompound(strings.Repeat("/a", 33)); ok {
		t.Error("33 components were taken")
	}
}

func TestOpenToAll(t *testing.T) {
	for groups, want := range map[string]bool{
		"": true, "*": true, "0.0.0.0/0": true, "::/0": true, "192.0.2.10 *": true, "0.0.0.0/0.0.0.0": true,
		"192.0.2.10": false, "*.example.com": false, "@trusted": false, "192.0.2.0/24": false, "10.0.0.0/8": false,
	} {
		if got := OpenToAll(Export{Dir: "/x", Groups: strings.Fields(groups)}); got != want {
			t.Errorf("groups %q: open %v, want %v", groups, got, want)
		}
	}
}

// TestRPCResult: the reply header of ONC RPC (RFC 5531 section 9) read
// from literal replies.
func TestRPCResult(t *testing.T) {
	const xid = 0x01020304
	h := "\x01\x02\x03\x04\x00\x00\x00\x01"
	for _, tc := range []struct {
		name, msg, res string
		err            error
	}{
		{"success", h + "\x00\x00\x00\x00" + "\x00\x00\x00\x00\x00\x00\x00\x00" + "\x00\x00\x00\x00" + "\x00\x00\x4e\x50", "\x00\x00\x4e\x50", nil},
		{"verifier with body", h + "\x00\x00\x00\x00" + "\x00\x00\x00\x01\x00\x00\x00\x02ab\x00\x00" + "\x00\x00\x00\x00" + "r", "r", nil},
		{"auth error", h + "\x00\x00\x00\x01" + "\x00\x00\x00\x01" + "\x00\x00\x00\x02", "", errRPCAuth},
		{"rpc mismatch", h + "\x00\x00\x00\x01" + "\x00\x00\x00\x00" + "\x00\x00\x00\x02\x00\x00\x00\x02", "", errors.New("mismatch")},
		{"prog unavailable", h + "\x00\x00\x00\x00" + "\x00\x00\x00\x00\x00\x00\x00\x00" + "\x00\x00\x00\x01", "", errors.New("program unavailable")},
		{"other xid", "\x09\x09\x09\x09\x00\x00\x00\x01\x00\x00\x00\x00", "", errors.New("not an RPC reply")},
		{"a call", "\x01\x02\x03\x04\x00\x00\x00\x00", "", errors.New("not an RPC reply")},
		{"cut", h + "\x00\x00\x00\x00" + "\x00\x00\x00\x00\x00\x00", "", errors.New("cut short")},
	} {
		res, err := rpcResult([]byte(tc.msg), xid)
		switch {
		case tc.err == nil && (err != nil || string(res) != tc.res):
			t.Errorf("%s: %q, %v; want %q", tc.name, res, err, tc.res)
		case tc.err == errRPCAuth && !errors.Is(err, errRPCAuth):
			t.Errorf("%s: %v, want errRPCAuth", tc.name, err)
		case tc.err != nil && (err == nil || !strings.Contains(err.Error(), tc.err.Error())):
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.err)
		}
	}
}

// TestRPCCall: a call's header and both credentials, byte for byte.
func TestRPCCall(t *testing.T) {
	none := "\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00\x02\x00\x01\x86\xa5\x00\x00\x00\x03\x00\x00\x00\x05" +
		"\x00\x00\x00\x00\x00\x00\x00\x00" + "\x00\x00\x00\x00\x00\x00\x00\x00"
	if got := string(rpcCall(7, progMount, 3, procExport, false, nil)); got != none {
		t.Errorf("AUTH_NONE call % x", got)
	}
	sys := string(rpcCall(7, progMount, 3, procExport, true, []byte("args")))
	cred := "\x00\x00\x00\x01\x00\x00\x00\x18" + "\x00\x00\x00\x00" + "\x00\x00\x00\x04ajar" +
		"\x00\x00\xff\xfe\x00\x00\xff\xfe\x00\x00\x00\x00"
	if sys != none[:24]+cred+none[32:]+"args" {
		t.Errorf("AUTH_SYS call % x", sys)
	}
}

// TestExchangeAuthSys: a server that refuses AUTH_NONE is asked again
// with AUTH_SYS, on the same connection.
func TestExchangeAuthSys(t *testing.T) {
	seen := make(chan uint32, 2)
	ap := audittest.ServeTCP(t, func(c net.Conn) {
		for range 2 {
			b, err := audit.ReadUntil(c, rpcRecordWhole, 1024)
			if err != nil {
				return
			}
			msg, _ := rpcbind.Unmark(b)
			flavor := binary.BigEndian.Uint32(msg[24:])
			seen <- flavor
			reply := string(msg[:4]) + "\x00\x00\x00\x01"
			if flavor == authNone {
				reply += "\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x05" // AUTH_ERROR, AUTH_TOOWEAK
			} else {
				reply += "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" + string(exportsNamed)
			}
			c.Write(rpcbind.RecordMark([]byte(reply)))
		}
	})
	c, err := net.Dial("tcp", ap.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := rpcExchange(c, progMount, 3, procExport, nil, 4096)
	flavors := []uint32{<-seen, <-seen}
	if err != nil || !bytes.Equal(res, exportsNamed) || !reflect.DeepEqual(flavors, []uint32{authNone, authSys}) {
		t.Errorf("results % x, %v, flavors %v; want the export list after AUTH_NONE then AUTH_SYS", res, err, flavors)
	}
}
