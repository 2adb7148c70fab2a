package fingerprint

import "strings"

// CPE returns the CPE 2.3 name of an application (part "a"), with the
// version left as "*" when it is unknown.
func CPE(vendor, product, version string) string {
	return CPEPart("a", vendor, product, version)
}

// CPEPart returns the CPE 2.3 formatted string of part "a" (application),
// "o" (operating system) or "h" (hardware).
func CPEPart(part, vendor, product, version string) string {
	return "cpe:2.3:" + part + ":" + cpeValue(vendor) + ":" + cpeValue(product) + ":" +
		cpeValue(version) + ":*:*:*:*:*:*:*"
}

// cpeValue quotes one attribute of the formatted string binding: lower
// case, spaces as underscores, and every other character than letters,
// digits, '_', '-' and '.' escaped with a backslash.
func cpeValue(s string) string {
	if s == "" {
		return "*"
	}
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r == ' ':
			b.WriteByte('_')
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-', r == '.':
			b.WriteRune(r)
		case r < 0x80:
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}
