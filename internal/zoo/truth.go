//go:build linux

package zoo

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
)

// installed asks dpkg for the version of every package the daemons need
// and come from, and fails naming those not installed.
func installed(ctx context.Context, defs []*daemon) (map[string]string, error) {
	var pkgs []string
	unpacked := map[string]string{}
	for _, d := range defs {
		if d.unpacked {
			v, err := os.ReadFile(UnpackedDir(d.pkg) + "/VERSION")
			if err != nil {
				return nil, fmt.Errorf("zoo: %s is not unpacked (run scripts/zoo-deps.sh as root): %w", d.pkg, err)
			}
			unpacked[d.pkg] = strings.TrimSpace(string(v))
			continue
		}
		pkgs = append(pkgs, d.pkg)
		if d.truthPkg != "" {
			pkgs = append(pkgs, d.truthPkg)
		}
	}
	slices.Sort(pkgs)
	pkgs = slices.Compact(pkgs)
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		return nil, fmt.Errorf("zoo: needs dpkg-query (a Debian system): %w", err)
	}
	args := append([]string{"-W", "-f", "${Package}\t${Version}\t${db:Status-Status}\n"}, pkgs...)
	// dpkg-query exits 1 when some package is unknown; what it printed
	// about the others is still right.
	out, _ := exec.CommandContext(ctx, "dpkg-query", args...).Output()
	versions, err := parseDpkgQuery(out)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, p := range pkgs {
		if versions[p] == "" {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("zoo: Debian packages not installed: %s (run scripts/zoo-deps.sh as root)",
			strings.Join(missing, " "))
	}
	maps.Copy(versions, unpacked)
	return versions, nil
}

// UnpackedDir is where scripts/zoo-unpack.sh unpacks package pkg.
func UnpackedDir(pkg string) string { return "/var/lib/ajar-zoo/unpacked/" + pkg }

// parseDpkgQuery reads "package\tversion\tstatus" lines and keeps the
// installed packages.
func parseDpkgQuery(out []byte) (map[string]string, error) {
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 3 {
			return nil, fmt.Errorf("zoo: unexpected dpkg-query line %q", sc.Text())
		}
		if f[2] == "installed" {
			m[f[0]] = f[1]
		}
	}
	return m, sc.Err()
}

// upstreamVersion turns a Debian package version into the upstream
// version the program itself knows: without the epoch ("1:"), the Debian
// revision ("-2+deb12u10") and repacking suffixes ("+dfsg1", "+ds1").
func upstreamVersion(deb string) string {
	if i := strings.IndexByte(deb, ':'); i >= 0 {
		deb = deb[i+1:]
	}
	if i := strings.LastIndexByte(deb, '-'); i >= 0 {
		deb = deb[:i]
	}
	for _, suffix := range []string{"+dfsg", "+ds", "+repack", "+really"} {
		if i := strings.Index(deb, suffix); i >= 0 {
			deb = deb[:i]
		}
	}
	return deb
}

// revealed returns the product and version a daemon shows, given the
// installed packages.
func (d *daemon) revealed(versions map[string]string) (pkg, product, version string) {
	p := cmp.Or(d.truthPkg, d.pkg)
	deb := versions[p]
	pkg = p + " " + deb
	if d.reveal == "" || d.hideVersion {
		return pkg, d.product, ""
	}
	version = upstreamVersion(deb)
	if d.version != nil {
		version = d.version(version)
	}
	return pkg, d.product, version
}

// truthTable lists every service of the daemons that the scanner can
// reach, in the usual layout, sorted by protocol and port.
func truthTable(defs []*daemon, versions map[string]string) []Service {
	var ss []Service
	for _, d := range defs {
		pkg, product, version := d.revealed(versions)
		for _, s := range d.services {
			if s.local {
				continue
			}
			ss = append(ss, Service{
				Name: s.name, Proto: s.proto, Port: s.port, TLS: s.tls, Expired: s.expired,
				Product: product, Version: version, Reveal: d.reveal, Daemon: d.name, Package: pkg,
			})
		}
	}
	sortServices(ss)
	return ss
}

func sortServices(ss []Service) {
	slices.SortFunc(ss, func(a, b Service) int {
		return cmp.Or(cmp.Compare(a.Proto, b.Proto), cmp.Compare(a.Port, b.Port))
	})
}
