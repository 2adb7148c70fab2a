// Package drda recognises DRDA database servers (IBM Db2, Apache Derby,
// Informix's DRDA listener) by EXCSAT, the first command of the
// Distributed Relational Database Architecture (Open Group DRDA volume 3,
// DDM): the server answers EXCSATRD in a reply DSS, with its server class
// (SRVCLSNM), name and product release level (SRVRLSLV), in EBCDIC.
package drda

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "drda", Proto: portspec.TCP, Ports: []uint16{50000, 1527, 446}, Rarity: 8}
}

// DDM code points.
const (
	cpEXCSAT   = 0x1041
	cpEXCSATRD = 0x1443
	cpEXTNAM   = 0x115e
	cpMGRLVLLS = 0x1404
	cpSRVCLSNM = 0x1147
	cpSRVNAM   = 0x116d
	cpSRVRLSLV = 0x115a

	dssMagic  = 0xd0
	dssReply  = 0x02
	answerMax = 4096
)

// param is one DDM parameter: length (with its 4-byte header), code
// point, data.
func param(cp uint16, data []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(len(data)+4))
	return append(binary.BigEndian.AppendUint16(b, cp), data...)
}

// ExcSAT is EXCSAT in a request DSS (correlation 1): our name "ajar"
// and the manager levels of a Db2 client (AGENT, SQLAM, RDB, SECMGR 7,
// CMNTCPIP 5).
func ExcSAT() []byte {
	var mgr []byte
	for _, m := range [][2]uint16{{0x1403, 7}, {0x2407, 7}, {0x240f, 7}, {0x1440, 7}, {0x1474, 5}} {
		mgr = binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(mgr, m[0]), m[1])
	}
	name := toEBCDIC("ajar")
	var body []byte
	for _, p := range []struct {
		cp   uint16
		data []byte
	}{{cpEXTNAM, name}, {cpMGRLVLLS, mgr}, {cpSRVCLSNM, name}, {cpSRVNAM, name}, {cpSRVRLSLV, name}} {
		body = append(body, param(p.cp, p.data)...)
	}
	ddm := param(cpEXCSAT, body)
	dss := binary.BigEndian.AppendUint16(nil, uint16(len(ddm)+6))
	dss = append(dss, dssMagic, 0x01, 0, 1)
	return append(dss, ddm...)
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange(ExcSAT(), dssDone, answerMax)
	svc, perr := Parse(b)
	if perr != nil && len(b) == 0 && err != nil {
		return nil, err
	}
	return svc, perr
}

// dssDone is a ReadUntil test: a whole DSS by its length, or bytes that
// are not one.
func dssDone(b []byte) bool {
	if len(b) < 3 {
		return false
	}
	return b[2] != dssMagic || len(b) >= int(binary.BigEndian.Uint16(b))
}

// Parse reads the answer to ExcSAT: one reply DSS holding EXCSATRD and
// its parameters, every one whole.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < 10 || b[2] != dssMagic || b[3]&0x0f != dssReply || binary.BigEndian.Uint16(b[4:]) != 1 ||
		int(binary.BigEndian.Uint16(b)) != len(b) {
		return nil, fingerprint.ErrNoMatch
	}
	ddm := b[6:]
	if int(binary.BigEndian.Uint16(ddm)) != len(ddm) || binary.BigEndian.Uint16(ddm[2:]) != cpEXCSATRD {
		return nil, fingerprint.ErrNoMatch
	}
	params := map[uint16]string{}
	for p := ddm[4:]; len(p) > 0; {
		if len(p) < 4 || binary.BigEndian.Uint16(p) < 4 || int(binary.BigEndian.Uint16(p)) > len(p) {
			return nil, fingerprint.ErrNoMatch
		}
		n, cp := int(binary.BigEndian.Uint16(p)), binary.BigEndian.Uint16(p[2:])
		if cp != cpMGRLVLLS {
			params[cp] = fromEBCDIC(p[4:n])
		}
		p = p[n:]
	}
	class, release := params[cpSRVCLSNM], params[cpSRVRLSLV]
	svc := &record.Service{Name: "drda", Confidence: 10}
	product, version := describe(class, release)
	svc.Product, svc.Version = product, version
	var extra []string
	for _, kv := range []struct{ k, v string }{{"class", class}, {"release", release}, {"server", params[cpSRVNAM]}} {
		if kv.v != "" {
			extra = append(extra, kv.k+" "+fingerprint.Printable([]byte(kv.v), 60))
		}
	}
	svc.ExtraInfo = strings.Join(extra, "; ")
	switch product {
	case "Apache Derby":
		svc.CPE = []string{fingerprint.CPE("apache", "derby", version)}
	case "IBM Db2":
		svc.CPE = []string{fingerprint.CPE("ibm", "db2", version)}
	}
	return svc, nil
}

// describe names the product from the server class and its release
// level: "QDB2/LINUXX8664" with "SQL11055" is Db2 11.5.5; "Apache Derby"
// with "CSS10140/10.14.2.0 - (1828579)" is Derby 10.14.2.0.
func describe(class, release string) (product, version string) {
	switch {
	case class == "Apache Derby":
		if _, v, ok := strings.Cut(release, "/"); ok {
			v, _, _ = strings.Cut(v, " ")
			if isVersion(v) {
				version = v
			}
		}
		return "Apache Derby", version
	case strings.HasPrefix(class, "QDB2"), strings.HasPrefix(class, "DB2"):
		if len(release) == 8 && strings.HasPrefix(release, "SQL") && isDigits(release[3:]) {
			var vv, rr, m int
			fmt.Sscanf(release[3:], "%2d%2d%1d", &vv, &rr, &m)
			version = fmt.Sprintf("%d.%d.%d", vv, rr, m)
		}
		return "IBM Db2", version
	case class == "QAS":
		return "IBM Db2 for i", ""
	case strings.HasPrefix(class, "IDS/"):
		return "IBM Informix", ""
	}
	return "", ""
}

func isDigits(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }

func isVersion(s string) bool {
	return s != "" && s[0] >= '0' && s[0] <= '9' && strings.Trim(s, "0123456789.") == "" && len(s) <= 20
}

// ebcdic maps the characters of names in EBCDIC (code page 37/500) to
// ASCII; any other byte is '?'.
var ebcdic = func() [256]byte {
	var t [256]byte
	for i := range t {
		t[i] = '?'
	}
	set := func(from byte, chars string) {
		for i := range len(chars) {
			t[from+byte(i)] = chars[i]
		}
	}
	set(0x81, "abcdefghi")
	set(0x91, "jklmnopqr")
	set(0xa2, "stuvwxyz")
	set(0xc1, "ABCDEFGHI")
	set(0xd1, "JKLMNOPQR")
	set(0xe2, "STUVWXYZ")
	set(0xf0, "0123456789")
	for b, c := range map[byte]byte{0x40: ' ', 0x4b: '.', 0x4d: '(', 0x5d: ')', 0x60: '-', 0x61: '/', 0x6b: ',',
		0x6d: '_', 0x7a: ':', 0x7d: '\'', 0x4e: '+', 0x5e: ';', 0x7e: '='} {
		t[b] = c
	}
	return t
}()

func fromEBCDIC(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = ebcdic[c]
	}
	return strings.TrimSpace(string(out))
}

func toEBCDIC(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := range len(s) {
		for b, c := range ebcdic {
			if c == s[i] && c != '?' {
				out = append(out, byte(b))
				break
			}
		}
	}
	return out
}
