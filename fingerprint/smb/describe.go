package smb

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

// sambaLanMan is how Samba names itself in SMB1's native LAN manager
// string: "Samba 4.17.12-Debian".
var sambaLanMan = regexp.MustCompile(`^Samba (\d+\.\d+\.\d+\w*)`)

// IsSamba reports whether a CHALLENGE carries the version Samba's NTLMSSP
// server always claims: Windows 6.1 build 0, NTLM revision 15. Windows
// 7 and Server 2008 R2, which are 6.1 too, give their real build (7600,
// 7601).
func (c *Challenge) IsSamba() bool {
	return c != nil && c.HasVersion && c.Major == 6 && c.Minor == 1 && c.Build == 0 && c.Revision == 15
}

// Describe turns what the exchanges learned into a Service.
func Describe(r *Result) *record.Service {
	svc := &record.Service{Name: "smb", Confidence: 10}
	if r.NetBIOSRefused {
		svc.Confidence = 7
		svc.ExtraInfo = "NetBIOS session refused"
		return svc
	}
	var info []string
	if r.SMB2 != nil {
		info = append(info, describeSMB2(r.SMB2)...)
	}
	if r.SMB1 != nil {
		info = append(info, describeSMB1(r.SMB1)...)
	}
	if c := r.Challenge; c != nil {
		info = append(info, describeChallenge(c)...)
		if c.IsSamba() {
			svc.Product = "Samba smbd"
		}
	}
	if s := r.Setup1; s != nil {
		if m := sambaLanMan.FindStringSubmatch(s.NativeLanMan); m != nil {
			svc.Product = "Samba smbd"
			svc.Version = m[1]
			if i := strings.IndexAny(svc.Version, "-+~"); i > 0 {
				svc.Version = svc.Version[:i]
			}
		}
		if s.NativeOS != "" {
			info = append(info, "native OS "+s.NativeOS)
		}
		if s.NativeLanMan != "" {
			info = append(info, "native LAN manager "+s.NativeLanMan)
		}
	}
	if svc.Product == "Samba smbd" {
		svc.CPE = []string{fingerprint.CPE("samba", "samba", svc.Version)}
	}
	svc.ExtraInfo = strings.Join(info, "; ")
	return svc
}

func describeSMB2(n *Negotiate2) []string {
	info := []string{
		"SMB " + dialectName(n.Dialect),
		signing(n.SecurityMode&signingRequired != 0, n.SecurityMode&signingEnabled != 0),
	}
	if caps := capabilityList(n.Capabilities); caps != "" {
		info = append(info, "capabilities "+caps)
	}
	return append(info, "server GUID "+guidString(n.ServerGUID))
}

func describeSMB1(n *Negotiate1) []string {
	var info []string
	switch {
	case n.DialectIndex == 0xffff:
		info = append(info, "SMB1, no common dialect")
	case n.DialectIndex < len(negotiateDialects1):
		info = append(info, "SMB1 "+negotiateDialects1[n.DialectIndex])
	}
	if n.SecurityMode != 0 {
		if n.SecurityMode&secModeUserLevel == 0 {
			info = append(info, "share-level security")
		}
		info = append(info, signing(n.SecurityMode&secModeSignRequired != 0, n.SecurityMode&secModeSignEnabled != 0))
	}
	if n.ExtendedSec {
		info = append(info, "server GUID "+guidString(n.ServerGUID))
	}
	if n.Name != "" {
		info = append(info, "NetBIOS name "+n.Name)
	}
	if n.Domain != "" {
		info = append(info, "domain "+n.Domain)
	}
	return info
}

func describeChallenge(c *Challenge) []string {
	var info []string
	if c.NbComputer != "" {
		info = append(info, "NetBIOS name "+c.NbComputer)
	}
	if d := firstOf(c.NbDomain, c.TargetName); d != "" {
		info = append(info, "domain "+d)
	}
	if c.DNSComputer != "" && !strings.EqualFold(c.DNSComputer, c.NbComputer) {
		info = append(info, "DNS name "+c.DNSComputer)
	}
	if c.DNSDomain != "" && !strings.EqualFold(c.DNSDomain, c.NbDomain) {
		info = append(info, "DNS domain "+c.DNSDomain)
	}
	if c.HasVersion && !c.IsSamba() {
		info = append(info, fmt.Sprintf("OS version %d.%d build %d", c.Major, c.Minor, c.Build))
	}
	return info
}

func signing(required, enabled bool) string {
	switch {
	case required:
		return "signing required"
	case enabled:
		return "signing enabled"
	}
	return "signing disabled"
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
