package mssql

import (
	"encoding/binary"
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

// The SQL Server Browser service tells clients where each SQL Server
// instance of a host listens, by the SQL Server Resolution Protocol
// ([MC-SQLR]) over UDP: CLNT_UCAST_EX asks for every instance, and the
// answer, SVR_RESP, lists each one's server name, instance name,
// clustering, version and endpoints.

const (
	// browserName is the service's IANA name for udp/1434.
	browserName   = "ms-sql-m"
	browserPort   = 1434
	browserRarity = 6
	// clntUcastEx asks one host for all its instances ([MC-SQLR]
	// §2.2.2); svrResp begins the answer (§2.2.5).
	clntUcastEx = 0x03
	svrResp     = 0x05
	// maxInstances bounds the instances read.
	maxInstances = 64
)

func init() {
	fingerprint.RegisterUDP(fingerprint.UDPProbe{Name: browserName, Ports: []uint16{browserPort},
		Datagrams: [][]byte{BrowserRequest()}, Rarity: browserRarity}, ParseBrowser)
}

// BrowserRequest is CLNT_UCAST_EX: the one byte 0x03.
func BrowserRequest() []byte { return []byte{clntUcastEx} }

// Instance is one SQL Server instance that the browser lists.
type Instance struct {
	Server    string `json:"server"`
	Instance  string `json:"instance"`
	Version   string `json:"version"`
	Clustered bool   `json:"clustered"`
	// TCP is the instance's TCP port, when it listens on TCP.
	TCP string `json:"tcp,omitempty"`
}

// ParseBrowser reads SVR_RESP ([MC-SQLR] §2.2.5): 0x05, the little-endian
// length of the rest, and one or more instances, each a list of
// "key;value;" pairs that begins with ServerName, InstanceName,
// IsClustered and Version, in that order, and ends with an empty field.
// The product named is the first instance's SQL Server. Anything else is
// ErrNoMatch.
func ParseBrowser(b []byte) (*record.Service, error) {
	if len(b) < 3 || b[0] != svrResp || int(binary.LittleEndian.Uint16(b[1:])) != len(b)-3 {
		return nil, fingerprint.ErrNoMatch
	}
	insts, ok := instances(string(b[3:]))
	if !ok {
		return nil, fingerprint.ErrNoMatch
	}
	first := insts[0]
	svc := &record.Service{Name: browserName, Confidence: 10, Product: "Microsoft SQL Server", Version: first.Version, Detail: insts}
	var info []string
	major, minor := versionParts(first.Version)
	if year := releaseYear(major, minor); year != "" {
		info = append(info, "SQL Server "+year)
		svc.CPE = []string{fingerprint.CPE("microsoft", "sql_server", strings.Fields(year)[0])}
	}
	for _, in := range insts {
		s := in.Server + `\` + in.Instance
		if in.TCP != "" {
			s += " tcp/" + in.TCP
		}
		info = append(info, s)
	}
	svc.ExtraInfo = printable(strings.Join(info, "; "), 200)
	return svc, nil
}

// printable keeps the printable ASCII of s, at most max bytes of it.
func printable(s string, max int) string {
	b := make([]byte, 0, min(len(s), max))
	for i := 0; i < len(s) && len(b) < max; i++ {
		if s[i] >= 0x20 && s[i] < 0x7f {
			b = append(b, s[i])
		}
	}
	return string(b)
}

// versionParts reads the major and minor numbers of "15.0.2000.5".
func versionParts(v string) (major, minor int) {
	f := strings.Split(v, ".")
	major, _ = strconv.Atoi(f[0]) // digits only (isVersion), or 0
	if len(f) > 1 {
		minor, _ = strconv.Atoi(f[1])
	}
	return major, minor
}

// instances splits RESP_DATA into instances: each a run of key;value;
// pairs closed by an empty field (";;").
func instances(data string) ([]Instance, bool) {
	var out []Instance
	for data != "" {
		end := strings.Index(data, ";;")
		if end < 0 || len(out) == maxInstances {
			return nil, false
		}
		in, ok := instance(strings.Split(data[:end], ";"))
		if !ok {
			return nil, false
		}
		out = append(out, in)
		data = data[end+2:]
	}
	return out, len(out) > 0
}

// instance reads one instance's fields: the four fixed pairs of
// [MC-SQLR] §2.2.5's grammar, then endpoints ("tcp;1433", "np;\\\\H\\pipe\\sql\\query"
// and others), of which the TCP port is kept.
func instance(f []string) (Instance, bool) {
	if len(f) < 8 || f[0] != "ServerName" || f[2] != "InstanceName" || f[4] != "IsClustered" || f[6] != "Version" ||
		(f[5] != "Yes" && f[5] != "No") || !isVersion(f[7]) || f[1] == "" || f[3] == "" {
		return Instance{}, false
	}
	in := Instance{Server: f[1], Instance: f[3], Clustered: f[5] == "Yes", Version: f[7]}
	for i := 8; i+1 < len(f); i += 2 {
		if f[i] == "tcp" {
			in.TCP = f[i+1]
		}
	}
	return in, true
}

// isVersion checks VERSION_STRING: 1 to 16 digits and dots, a digit
// first.
func isVersion(s string) bool {
	return s != "" && len(s) <= 16 && s[0] >= '0' && s[0] <= '9' && strings.Trim(s, "0123456789.") == ""
}
