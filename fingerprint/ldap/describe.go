package ldap

import (
	"slices"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

// vendors renames products that announce themselves in vendorVersion
// ("389-Directory/2.3.4 B2023.100.0000") and gives their CPE names.
var vendors = []struct{ prefix, product, vendor, cpe string }{
	{"389-Directory", "389 Directory Server", "fedoraproject", "389_directory_server"},
	{"Red Hat-Directory", "Red Hat Directory Server", "redhat", "directory_server"},
	{"Apache Directory Server", "ApacheDS", "apache", "apacheds"},
	{"OpenDJ", "OpenDJ", "forgerock", "opendj"},
	{"Novell eDirectory", "Novell eDirectory", "novell", "edirectory"},
	{"NetIQ eDirectory", "NetIQ eDirectory", "netiq", "edirectory"},
	{"Samba", "Samba", "samba", "samba"},
}

// describe says what a root DSE shows of the server.
func describe(attrs dse) *record.Service {
	svc := &record.Service{Name: "ldap", Confidence: 10}
	product, version := vendorProduct(first(attrs, "vendorname"), first(attrs, "vendorversion"))
	var extra []string
	switch {
	case product != "":
		svc.Product, svc.Version = product, version
		for _, v := range vendors {
			if v.product == product {
				svc.CPE = []string{fingerprint.CPE(v.vendor, v.cpe, version)}
			}
		}
	case slices.Contains(attrs["objectclass"], "OpenLDAProotDSE") ||
		slices.Contains(attrs["structuralobjectclass"], "OpenLDAProotDSE"):
		// slapd's root DSE is of its own object class; it never says
		// its version.
		svc.Product = "OpenLDAP"
		svc.CPE = []string{fingerprint.CPE("openldap", "openldap", "")}
	}
	if vs := attrs["supportedldapversion"]; len(vs) > 0 && len(vs) < 5 {
		var names []string
		for _, v := range vs {
			if v == "2" || v == "3" {
				names = append(names, "LDAPv"+v)
			}
		}
		if len(names) > 0 {
			extra = append(extra, strings.Join(names, ", "))
		}
	}
	if slices.Contains(attrs["supportedcapabilities"], adCapability) {
		extra = append(extra, "Active Directory")
		if d := first(attrs, "defaultnamingcontext"); d != "" {
			extra = append(extra, "default naming context: "+d)
		}
		if h := first(attrs, "dnshostname"); h != "" {
			extra = append(extra, "host: "+h)
		}
	} else if nc := attrs["namingcontexts"]; len(nc) > 0 {
		var shown []string
		for _, n := range nc[:min(len(nc), 3)] {
			shown = append(shown, clean(n))
		}
		extra = append(extra, "naming contexts: "+strings.Join(shown, ", "))
	}
	svc.ExtraInfo = strings.Join(extra, "; ")
	return svc
}

// vendorProduct makes a product and version of vendorName and
// vendorVersion (RFC 3045).
func vendorProduct(name, version string) (string, string) {
	// Samba's AD DC: "Samba Team (https://www.samba.org)", "4.17.12-Debian".
	if strings.HasPrefix(name, "Samba Team") {
		ver, _, _ := strings.Cut(version, "-")
		if !isVersion(ver) {
			ver = ""
		}
		return "Samba", ver
	}
	for _, v := range vendors {
		if rest, ok := strings.CutPrefix(version, v.prefix); ok {
			rest = strings.TrimLeft(rest, "/ v")
			ver, _, _ := strings.Cut(rest, " ")
			if !isVersion(ver) {
				ver = ""
			}
			return v.product, ver
		}
	}
	if version != "" {
		// "Product/1.2.3 ..." or "Product Name 1.2.3".
		if p, rest, ok := strings.Cut(version, "/"); ok {
			ver, _, _ := strings.Cut(rest, " ")
			if isVersion(ver) {
				return p, ver
			}
		}
		if i := strings.LastIndexByte(version, ' '); i > 0 {
			if ver := strings.TrimPrefix(version[i+1:], "v"); isVersion(ver) {
				return version[:i], ver
			}
		}
		if name == "" {
			return version, ""
		}
	}
	return name, ""
}

func first(attrs dse, name string) string {
	if v := attrs[name]; len(v) > 0 {
		return clean(v[0])
	}
	return ""
}

// clean keeps a value fit for a report: printable, at most 80 bytes.
func clean(s string) string {
	return strings.TrimSpace(fingerprint.Printable([]byte(s), 80))
}

func isVersion(s string) bool {
	if s == "" || len(s) > 32 || s[0] < '0' || s[0] > '9' {
		return false
	}
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '.', r == '-', r == '_':
		default:
			return false
		}
	}
	return true
}
