package ldap

import (
	"crypto/tls"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

// slapd is the answer of OpenLDAP slapd 2.5.13 (Debian 12) to
// SearchRequest(1, rootDSEAttributes) plus a few more attributes.
const slapd = "0\x82\x03y\x02\x01\x01d\x82\x03r\x04\x000\x82\x03l0%\x04\vobjectClass1\x16\x04\x03top\x04\x0fOpenLDAProotDSE" +
	"0*\x04\x15structuralObjectClass1\x11\x04\x0fOpenLDAProotDSE0\x1c\x04\rconfigContext1\v\x04\tcn=config" +
	"0%\x04\x0enamingContexts1\x13\x04\x11dc=example,dc=org0\x81\xce\x04\x10supportedControl1\x81\xb9" +
	"\x04\x182.16.840.1.113730.3.4.18\x04\x172.16.840.1.113730.3.4.2\x04\x171.3.6.1.4.1.4203.1.10.1\x04\f1.3.6.1.1.22" +
	"\x04\x161.2.840.113556.1.4.319\x04\x171.2.826.0.1.3344810.2.3\x04\x0e1.3.6.1.1.13.2\x04\x0e1.3.6.1.1.13.1" +
	"\x04\f1.3.6.1.1.12\x30\x81\x8d\x04\x12supportedExtension1w\x04\x161.3.6.1.4.1.1466.20037\x04\x171.3.6.1.4.1.4203.1.11.1" +
	"\x04\x171.3.6.1.4.1.4203.1.11.3\x04\v1.3.6.1.1.8\x04\x0e1.3.6.1.1.21.3\x04\x0e1.3.6.1.1.21.1" +
	"0\x81\x9c\x04\x11supportedFeatures1\x81\x86\x04\f1.3.6.1.1.14\x04\x161.3.6.1.4.1.4203.1.5.1" +
	"\x04\x161.3.6.1.4.1.4203.1.5.2\x04\x161.3.6.1.4.1.4203.1.5.3\x04\x161.3.6.1.4.1.4203.1.5.4" +
	"\x04\x161.3.6.1.4.1.4203.1.5.5" +
	"0\x1b\x04\x14supportedLDAPVersion1\x03\x04\x013" +
	"0\x81\x80\x04\x17supportedSASLMechanisms1e\x04\rSCRAM-SHA-512\x04\rSCRAM-SHA-384\x04\rSCRAM-SHA-256" +
	"\x04\rSCRAM-SHA-224\x04\vSCRAM-SHA-1\x04\nDIGEST-MD5\x04\bCRAM-MD5\x04\x04NTLM" +
	"0\r\x04\aentryDN1\x02\x04\x00" +
	"0#\x04\x11subschemaSubentry1\x0e\x04\fcn=Subschema" +
	"0\f\x02\x01\x01e\a\n\x01\x00\x04\x00\x04\x00"

// startTLSOK is slapd's answer to ExtendedRequest(2, startTLSOID).
const startTLSOK = "0\f\x02\x01\x02x\a\n\x01\x00\x04\x00\x04\x00"

// entry builds a root DSE SearchResultEntry and SearchResultDone for id 1
// from name, values... groups.
func entry(attrs ...[]string) string {
	var list [][]byte
	for _, a := range attrs {
		var vals [][]byte
		for _, v := range a[1:] {
			vals = append(vals, octets(v))
		}
		list = append(list, tlv(tagSequence, octets(a[0]), tlv(tagSet, vals...)))
	}
	e := tlv(tagSequence, integer(tagInteger, 1), tlv(appSearchResEntry, octets(""), tlv(tagSequence, list...)))
	return string(e) + done(1, 0, "")
}

// done builds a SearchResultDone.
func done(id int32, code int32, diag string) string {
	return string(tlv(tagSequence, integer(tagInteger, id),
		tlv(appSearchResDone, integer(tagEnumerated, code), octets(""), octets(diag))))
}

var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"220 mail.example.org ESMTP Exim 4.96\r\n",
	"-ERR unknown command\r\n",
	"\x15\x03\x01\x00\x02\x02\x50",
	"0\x03\x02\x01\x01",                              // no operation
	"0\x0c\x02\x01\x07e\a\n\x01\x00\x04\x00\x04\x00", // another message id
	"0\x0c\x02\x01\x01a\a\n\x01\x00\x04\x00\x04\x00", // BindResponse
	"0\x80\x02\x01\x01",                              // indefinite length
	"0\x85\x01\x00\x00\x00\x00",                      // five length bytes
	slapd[:200],
	"\x30\x84\x7f\xff\xff\xff\x02\x01\x01",
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want *record.Service
	}{
		{slapd, &record.Service{Name: "ldap", Product: "OpenLDAP", ExtraInfo: "LDAPv3; naming contexts: dc=example,dc=org",
			Confidence: 10, CPE: []string{"cpe:2.3:a:openldap:openldap:*:*:*:*:*:*:*:*"}}},
		{entry([]string{"supportedLDAPVersion", "2", "3"}, []string{"namingContexts", "o=a", "o=b"},
			[]string{"vendorName", "389 Project"}, []string{"vendorVersion", "389-Directory/2.3.4 B2023.100.0000"}),
			&record.Service{Name: "ldap", Product: "389 Directory Server", Version: "2.3.4",
				ExtraInfo: "LDAPv2, LDAPv3; naming contexts: o=a, o=b", Confidence: 10,
				CPE: []string{"cpe:2.3:a:fedoraproject:389_directory_server:2.3.4:*:*:*:*:*:*:*"}}},
		{entry([]string{"vendorName", "Apache Software Foundation"}, []string{"vendorVersion", "Apache Directory Server 2.0.0.AM26"}),
			&record.Service{Name: "ldap", Product: "ApacheDS", Version: "2.0.0.AM26", Confidence: 10,
				CPE: []string{"cpe:2.3:a:apache:apacheds:2.0.0.am26:*:*:*:*:*:*:*"}}},
		{entry([]string{"vendorName", "Example Corp"}, []string{"vendorVersion", "Example Directory 4.1"}),
			&record.Service{Name: "ldap", Product: "Example Directory", Version: "4.1", Confidence: 10}},
		{entry([]string{"vendorName", "Example Corp"}),
			&record.Service{Name: "ldap", Product: "Example Corp", Confidence: 10}},
		{entry([]string{"supportedCapabilities", "1.2.840.113556.1.4.800", "1.2.840.113556.1.4.1670"},
			[]string{"supportedLDAPVersion", "3", "2"}, []string{"defaultNamingContext", "DC=corp,DC=example"},
			[]string{"dnsHostName", "dc1.corp.example"}),
			&record.Service{Name: "ldap", Confidence: 10,
				ExtraInfo: "LDAPv3, LDAPv2; Active Directory; default naming context: DC=corp,DC=example; host: dc1.corp.example"}},
		{done(1, 13, "TLS confidentiality required"), &record.Service{Name: "ldap", Confidence: 10,
			ExtraInfo: "root DSE search refused: confidentialityRequired (TLS confidentiality required)"}},
		// A notice of disconnection.
		{string(tlv(tagSequence, integer(tagInteger, 0), tlv(appExtendedResponse, integer(tagEnumerated, 52),
			octets(""), octets("closing")))), &record.Service{Name: "ldap", Confidence: 10,
			ExtraInfo: "root DSE search refused: unavailable (closing)"}},
	}
	for _, tt := range tests {
		got, err := Parse([]byte(tt.in))
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
		}
		if !answerDone(1)([]byte(tt.in)) || answerDone(1)([]byte(tt.in[:len(tt.in)-1])) {
			t.Errorf("answerDone(%q) does not see where the answer ends", tt.in)
		}
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
}

func TestRequests(t *testing.T) {
	// What ldapsearch -x -b "" -s base "(objectClass=*)" supportedLDAPVersion
	// sends.
	want := "0\x3b\x02\x01\x01c\x36\x04\x00\n\x01\x00\n\x01\x00\x02\x01\x00\x02\x01\x00\x01\x01\x00" +
		"\x87\x0bobjectClass0\x16\x04\x14supportedLDAPVersion"
	if got := SearchRequest(1, []string{"supportedLDAPVersion"}); string(got) != want {
		t.Errorf("SearchRequest = %q, want %q", got, want)
	}
	if got, want := ExtendedRequest(2, startTLSOID), "0\x1d\x02\x01\x02w\x18\x80\x161.3.6.1.4.1.1466.20037"; string(got) != want {
		t.Errorf("ExtendedRequest = %q, want %q", got, want)
	}
	for v, want := range map[int32]string{0: "\x02\x01\x00", 127: "\x02\x01\x7f", 128: "\x02\x02\x00\x80", 70000: "\x02\x03\x01\x11\x70"} {
		if got := integer(tagInteger, v); string(got) != want {
			t.Errorf("integer(%d) = %q, want %q", v, got, want)
		}
	}
	// Long lengths round-trip.
	big := tlv(tagOctetString, make([]byte, 70000))
	if e, rest, whole, err := next(big); err != nil || !whole || len(e.content) != 70000 || len(rest) != 0 {
		t.Errorf("next(70000-byte string) = %d bytes, %v, %v", len(e.content), whole, err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(slapd))
	f.Add([]byte(startTLSOK))
	f.Add([]byte(done(1, 50, "no")))
	for _, o := range others {
		f.Add([]byte(o))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		answerDone(1)(b)
		extendedResult(b, 2)
	})
}

// server plays slapd: it answers a root DSE search with rootDSE and
// StartTLS with success and a TLS session when conf is set.
func server(rootDSE string, conf *tls.Config) func(net.Conn) {
	return func(c net.Conn) {
		buf := make([]byte, 0, 4096)
		for {
			var m message
			for {
				var whole bool
				var err error
				if m, _, whole, err = nextMessage(buf); err != nil {
					return
				} else if whole {
					break
				}
				n, err := c.Read(buf[len(buf):cap(buf)])
				if err != nil {
					return
				}
				buf = buf[:len(buf)+n]
			}
			buf = buf[:0]
			switch m.op.tag {
			case appSearchRequest:
				// In three pieces.
				c.Write([]byte(rootDSE[:10]))
				c.Write([]byte(rootDSE[10:300]))
				c.Write([]byte(rootDSE[300:]))
			case appExtendedRequest:
				if conf == nil {
					c.Write([]byte("0\x0c\x02\x01\x02x\x07\x0a\x01\x02\x04\x00\x04\x00")) // protocolError
					continue
				}
				c.Write([]byte(startTLSOK))
				fptest.ServeTLS(c, conf)
				return
			default:
				return
			}
		}
	}
}

func TestIdentifyLive(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, server(slapd, fptest.TLSConfig(t, "ldap.test"))))
	if svc.Product != "OpenLDAP" || svc.Confidence != 10 || svc.TLS == nil || svc.TLS.StartTLS != "StartTLS" ||
		svc.TLS.Cert == nil || svc.TLS.Cert.Subject != "CN=ldap.test" {
		t.Errorf("got %+v (TLS %+v)", svc, svc.TLS)
	}
	// StartTLS refused: identified all the same, in clear.
	svc = fptest.MustMatch(t, plugin{}, fptest.Serve(t, server(slapd, nil)))
	if svc.Product != "OpenLDAP" || svc.TLS != nil {
		t.Errorf("got %+v (TLS %+v)", svc, svc.TLS)
	}
	http := fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), 8))
	fptest.MustNotMatch(t, plugin{}, http)
	silent := fptest.Silent(t)
	fptest.MustNotMatch(t, plugin{}, silent)
}
