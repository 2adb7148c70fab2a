package vulndb

import (
	"regexp"
	"strings"
)

// Distro is the distribution package revision a service's banner names
// ("OpenSSH_9.2p1 Debian-2+deb12u3": family debian, revision 2+deb12u3).
type Distro struct {
	Family   string // "debian", "ubuntu"
	Revision string
}

var (
	bannerDistroRe = regexp.MustCompile(`\b(Debian|Ubuntu)-([0-9][0-9A-Za-z.+~]*)`)
	extraDistroRe  = regexp.MustCompile(`^(Debian|Ubuntu) ([0-9][0-9A-Za-z.+~]*)(;|$)`)
	debReleaseRe   = regexp.MustCompile(`[+~]deb(\d+)u?\d*`)
	ubuReleaseRe   = regexp.MustCompile(`ubuntu\d*\.(\d\d\.\d\d)`)
)

// distroOf reads the distribution revision from a service's banner or
// extra information; ok is false when neither names one.
func distroOf(banner, extra string) (Distro, bool) {
	m := bannerDistroRe.FindStringSubmatch(banner)
	if m == nil {
		m = extraDistroRe.FindStringSubmatch(extra)
	}
	if m == nil {
		return Distro{}, false
	}
	return Distro{Family: strings.ToLower(m[1]), Revision: m[2]}, true
}

// release is the distribution release the revision was built for, when
// it says ("2+deb12u3": "12"; "0ubuntu0.22.04.1": "22.04").
func (d Distro) release() string {
	if m := debReleaseRe.FindStringSubmatch(d.Revision); m != nil && d.Family == "debian" {
		return m[1]
	}
	if m := ubuReleaseRe.FindStringSubmatch(d.Revision); m != nil && d.Family == "ubuntu" {
		return m[1]
	}
	return ""
}

// sourcePackages are the Debian and Ubuntu source packages of the
// products whose banners carry a package revision, by CPE key.
var sourcePackages = map[string][]string{
	"a:openbsd:openssh":                   {"openssh"},
	"a:nginx:nginx":                       {"nginx"},
	"a:f5:nginx":                          {"nginx"},
	"a:apache:http_server":                {"apache2"},
	"a:isc:bind":                          {"bind9"},
	"a:postfix:postfix":                   {"postfix"},
	"a:exim:exim":                         {"exim4"},
	"a:dovecot:dovecot":                   {"dovecot"},
	"a:beasts:vsftpd":                     {"vsftpd"},
	"a:proftpd:proftpd":                   {"proftpd-dfsg"},
	"a:redis:redis":                       {"redis"},
	"a:mariadb:mariadb":                   {"mariadb", "mariadb-10.11", "mariadb-10.6", "mariadb-10.5"},
	"a:samba:samba":                       {"samba"},
	"a:openssl:openssl":                   {"openssl"},
	"a:squid-cache:squid":                 {"squid"},
	"a:memcached:memcached":               {"memcached"},
	"a:eclipse:mosquitto":                 {"mosquitto"},
	"a:dropbear_ssh_project:dropbear_ssh": {"dropbear"},
}

// distroVerdict is what the distribution's data says of one CVE.
type distroVerdict uint8

const (
	distroSilent   distroVerdict = iota // no entry for the CVE in the package
	distroAffected                      // an entry covers the revision
	distroFixed                         // an entry's fix is at or below the revision
)

// judgeDistro decides a CVE for the package version upstream-revision of
// distribution d from the fixes its data lists for the CVE. It returns
// the verdict and the fixing revision when one is known.
func judgeDistro(d Distro, upstream string, fixes []DistroFix) (distroVerdict, string) {
	rel := d.release()
	var cand []DistroFix
	for _, f := range fixes {
		if rel != "" && f.Release == rel || rel == "" && sameUpstream(f, upstream) {
			cand = append(cand, f)
		}
	}
	if len(cand) == 0 {
		return distroSilent, ""
	}
	verdict, fixedIn := distroFixed, ""
	for _, f := range cand {
		v := upstream + "-" + d.Revision
		if e := epochOf(f); e != "" {
			v = e + ":" + v
		}
		if f.Introduced != "" && f.Introduced != "0" && CompareDebVersions(v, f.Introduced) < 0 {
			continue
		}
		switch {
		case f.Fixed == "" && f.LastAffected == "":
			return distroAffected, ""
		case f.Fixed != "" && CompareDebVersions(v, f.Fixed) < 0:
			return distroAffected, f.Fixed
		case f.LastAffected != "" && CompareDebVersions(v, f.LastAffected) <= 0:
			return distroAffected, ""
		}
		if f.Fixed != "" {
			fixedIn = f.Fixed
		}
	}
	return verdict, fixedIn
}

// sameUpstream reports whether a fix names the same upstream version
// (the same release's package, when the revision does not say which).
func sameUpstream(f DistroFix, upstream string) bool {
	for _, s := range []string{f.Fixed, f.LastAffected, f.Introduced} {
		if v, err := ParseDebVersion(s); err == nil && s != "0" && CompareVersions(v.Upstream, upstream) == 0 {
			return true
		}
	}
	return false
}

// epochOf is the epoch the distribution's versions of the package carry
// ("1" of "1:9.2p1-2"), which banners leave out.
func epochOf(f DistroFix) string {
	for _, s := range []string{f.Fixed, f.LastAffected, f.Introduced} {
		if e, _, ok := strings.Cut(s, ":"); ok {
			return e
		}
	}
	return ""
}
