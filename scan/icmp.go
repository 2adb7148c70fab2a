package scan

import "github.com/ajarsec/ajar/record"

// ICMPv4Reason names an ICMP error (RFC 792, RFC 1812 §5.2.7.1).
func ICMPv4Reason(typ, code uint8) record.Reason {
	if typ != 3 { // not destination unreachable: time exceeded, ...
		return record.ReasonHostUnreach
	}
	switch code {
	case 0, 6, 11: // net unreachable, net unknown, net for TOS
		return record.ReasonNetUnreach
	case 2:
		return record.ReasonProtoUnreach
	case 3:
		return record.ReasonPortUnreach
	case 9, 10, 13: // net, host, communication administratively prohibited
		return record.ReasonAdminProhibited
	}
	return record.ReasonHostUnreach
}

// ICMPv6Reason names an ICMPv6 error (RFC 4443 §3).
func ICMPv6Reason(typ, code uint8) record.Reason {
	switch {
	case typ == 4 && code == 1: // parameter problem: unrecognized next header
		return record.ReasonProtoUnreach
	case typ != 1: // not destination unreachable
		return record.ReasonHostUnreach
	}
	switch code {
	case 0: // no route
		return record.ReasonNetUnreach
	case 1, 5, 6: // administratively prohibited, source policy, reject route
		return record.ReasonAdminProhibited
	case 4:
		return record.ReasonPortUnreach
	}
	return record.ReasonHostUnreach
}
