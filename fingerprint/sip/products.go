package sip

import (
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

// products are SIP servers known by the first word of their Server or
// User-Agent header: the name to report and the CPE vendor and product.
var products = []struct{ prefix, product, vendor, cpe string }{
	{"kamailio", "Kamailio", "kamailio", "kamailio"},
	{"OpenSIPS", "OpenSIPS", "opensips", "opensips"},
	{"SER", "SIP Express Router", "iptel", "sip_express_router"},
	{"Asterisk", "Asterisk", "digium", "asterisk"},
	{"FPBX", "Asterisk", "digium", "asterisk"},
	{"FreeSWITCH", "FreeSWITCH", "freeswitch", "freeswitch"},
	{"Cisco-SIPGateway", "Cisco SIP Gateway", "cisco", "ios"},
	{"sipXecs", "sipXecs", "", ""},
	{"Ekiga", "Ekiga", "", ""},
	{"Linphone", "Linphone", "belledonne-communications", "linphone"},
	{"3CX", "3CX Phone System", "3cx", "3cx"},
	{"Yate", "Yate", "", ""},
}

// describe fills product, version and extra information from a Server or
// User-Agent value. The forms known:
//
//	kamailio (5.6.3 (x86_64/linux))          SER family: name (version (arch/os))
//	Asterisk PBX 18.10.0                     name words, then the version
//	FPBX-16.0.33(18.20.0)                    FreePBX, then Asterisk's version
//	FreeSWITCH-mod_sofia/1.10.9-release~64bit
//	name/version (comment)
func describe(svc *record.Service, agent string) {
	first := agent
	if i := strings.IndexAny(agent, " /-("); i >= 0 {
		first = agent[:i]
	}
	for _, p := range products {
		if !strings.EqualFold(first, p.prefix) {
			continue
		}
		svc.Product = p.product
		svc.Version, svc.ExtraInfo = versionOf(p.prefix, agent[len(first):])
		if p.vendor != "" {
			svc.CPE = []string{fingerprint.CPE(p.vendor, p.cpe, svc.Version)}
		}
		return
	}
	name, rest, _ := strings.Cut(agent, " ")
	if product, version, ok := strings.Cut(name, "/"); ok && product != "" {
		svc.Product, svc.Version = product, version
		svc.ExtraInfo = strings.Trim(rest, "() ")
		return
	}
	svc.Product = agent
}

// versionOf reads the version from what follows a known product's name.
func versionOf(prefix, rest string) (version, extra string) {
	switch prefix {
	case "kamailio", "OpenSIPS", "SER":
		// " (5.6.3 (x86_64/linux))"
		inner := strings.TrimSpace(rest)
		inner = strings.TrimSuffix(strings.TrimPrefix(inner, "("), ")")
		v, arch, _ := strings.Cut(inner, " ")
		return leadingVersion(v), strings.Trim(arch, "() ")
	case "FPBX":
		// "-16.0.33(18.20.0)": FreePBX's version, then Asterisk's.
		fpbx, ast, _ := strings.Cut(strings.TrimPrefix(rest, "-"), "(")
		if v := leadingVersion(fpbx); v != "" {
			extra = "FreePBX " + v
		}
		return leadingVersion(ast), extra
	case "FreeSWITCH":
		// "-mod_sofia/1.10.9-release~64bit"
		_, v, _ := strings.Cut(rest, "/")
		return leadingVersion(v), ""
	}
	// "Asterisk PBX 18.10.0", "name/1.2 (comment)"
	for _, w := range strings.FieldsFunc(rest, func(r rune) bool { return r == ' ' || r == '/' }) {
		if v := leadingVersion(w); v != "" {
			return v, ""
		}
	}
	return "", ""
}

// leadingVersion returns the version that starts s: digits and dots, and
// letters or '-' after the first digit ("18.9-cert4" keeps "18.9-cert4",
// "1.10.9-release~64bit" gives "1.10.9").
func leadingVersion(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	if s == "" || !isDigit(s[0]) {
		return ""
	}
	end := 0
	for end < len(s) && end < 40 && (isDigit(s[end]) || s[end] == '.' || s[end] == '-' ||
		s[end]|0x20 >= 'a' && s[end]|0x20 <= 'z') {
		end++
	}
	v := strings.TrimRight(s[:end], ".-")
	if base, suffix, ok := strings.Cut(v, "-"); ok && (suffix == "release" || strings.HasPrefix(suffix, "release")) {
		v = base
	}
	return v
}
