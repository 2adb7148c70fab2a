//go:build linux

package zoo

// auditTruthNTP is the truth of catalogAuditNTP.
func auditTruthNTP() []Risk {
	return []Risk{
		// No twin: ntpsec listens on port 123 only, and the zoo's target
		// has one address. The hardened form (noquery) is in the planted
		// daemon's config, as the fix.
		{"audit-ntpsec-open", 123, "ntp-mode6-amplification", "amplification", "medium"},
	}
}

// catalogAuditNTP: ntpsec answering mode 6 control queries from anyone.
// Debian's ntpsec conflicts with chrony (the first zoo's NTP server), so
// scripts/zoo-unpack.sh unpacks it instead of installing it.
func catalogAuditNTP() []*daemon {
	return []*daemon{{
		name: "audit-ntpsec-open", pkg: "ntpsec", unpacked: true, product: "NTPsec",
		services: []svcDef{udp("ntp", "ntp", 123)},
		argv: func(in *instance) []string {
			// Without CAP_SYS_TIME its ntp_adjtime calls fail: this
			// machine's clock and kernel discipline stay as they are.
			return []string{"setpriv", "--bounding-set", "-sys_time", "--inh-caps", "-sys_time",
				UnpackedDir("ntpsec") + "/usr/sbin/ntpd", "-n", "-c", in.file("ntp.conf")}
		},
	}}
}
