//go:build linux

package zoo

import (
	"testing"
)

// The second zoo's wire checks: raw clients of each protocol, written
// from its specification, that prove the truth table before any scan.
func init() {
	for k, wc := range map[string]wireCheck{
		"lighttpd/tcp":   {[]byte(httpGet), []string{"server: lighttpd/{V}", "ajar zoo: lighttpd"}, nil},
		"webfs/tcp":      {[]byte(httpGet), []string{"server: webfs/{V}", "ajar zoo: webfs"}, nil},
		"mini-httpd/tcp": {[]byte(httpGet), []string{"server: mini_httpd/{V}", "ajar zoo: mini-httpd"}, nil},
		"varnish/tcp":    {[]byte(httpGet), []string{"503 backend fetch failed", "via: 1.1 ", "(varnish/{V})"}, nil},
		// A proxy opens a tunnel to the address it is asked for: itself.
		"privoxy/tcp":  {[]byte("CONNECT 127.0.0.1:{P} HTTP/1.1\r\nHost: 127.0.0.1:{P}\r\n\r\n"), []string{"200 connection established"}, nil},
		"cups/tcp":     {[]byte(httpGet), []string{"server: cups/{V} ", " ipp/2."}, nil},
		"dropbear/tcp": {nil, []string{"SSH-2.0-dropbear_{V}"}, nil},
		"unbound/tcp":  {tcpDNS(dnsVersionBind(7)), []string{"unbound {V}"}, nil},
		"nsd/tcp":      {tcpDNS(dnsVersionBind(7)), []string{"NSD {V}"}, nil},
		"nsd/udp":      {dnsVersionBind(7), []string{"NSD {V}"}, checkDNS(7)},
		// beanstalkd's protocol.txt: "stats" answers "OK <bytes>" and a
		// YAML dictionary.
		"beanstalkd/tcp": {[]byte("stats\r\n"), []string{"OK ", "version: \"{V}\""}, nil},
		"stunnel/tcp":    {[]byte("stats\r\n"), []string{"OK ", "version: \"{V}\""}, nil},
		// Gearman's administrative text protocol: "version".
		"gearmand/tcp": {[]byte("version\n"), []string{"OK {V}"}, nil},
		// RFC 1436: an empty selector asks for the root menu.
		"gophernicus/tcp": {[]byte("\r\n"), []string{"iajar zoo: gophernicus\t", "Gophernicus/{V}"}, nil},
		// RFC 1413: a query for a connection that does not exist.
		"oidentd/tcp": {[]byte("1, 1\r\n"), []string{":ERROR:"}, nil},
		// RFC 862, 867, 868 and 864.
		"inetd-internal/tcp/echo":    {[]byte("zoo echo\r\n"), []string{"zoo echo\r\n"}, nil},
		"inetd-internal/tcp/daytime": {nil, []string{"\n"}, checkCtime},
		"inetd-internal/tcp/time":    {nil, nil, checkTime},
		"inetd-internal/tcp/chargen": {nil, []string{"\r\n", "0123456789:;<=>?@abcdefghijklmnopqrstuvwxyz"}, nil},
		"coturn/udp":                 {stunBinding, []string{"Coturn-{V}"}, checkSTUN},
	} {
		wireChecks[k] = wc
	}
}

// TestZoo2 starts the second zoo and checks it as TestZoo checks the
// first: each service answers on its port in both layouts, speaks its
// protocol there, and shows what the truth table says.
func TestZoo2(t *testing.T) {
	o := options()
	o.Set = Second
	z := Start(t, o)
	t.Logf("%d daemons, %d services up in %v", len(z.daemons), len(z.Services(Usual)), z.StartTime)
	for _, l := range []Layout{Usual, Shuffled} {
		z.SetLayout(l)
		t.Run(l.String(), func(t *testing.T) { checkServices(t, z, l) })
	}
	t.Run("no-stray-ports", func(t *testing.T) { checkNoStrayPorts(t, z) })
	if err := z.Check(); err != nil {
		t.Error(err)
	}
}

// TestSecondCatalog checks the second set against the first: no daemon
// or package of the first, every service with a wire check, and a
// shuffle of its TCP and UDP services.
func TestSecondCatalog(t *testing.T) {
	first := map[string]bool{}
	for _, d := range catalog() {
		first[d.name], first[d.pkg] = true, true
	}
	versions := map[string]string{}
	for _, d := range catalogSecond() {
		if first[d.name] || first[d.pkg] {
			t.Errorf("%s (%s) is in the first zoo too", d.name, d.pkg)
		}
		versions[d.pkg], versions[d.truthPkg] = "1.2.3-1", "1.2.3-1"
	}
	table := truthTable(catalogSecond(), versions)
	if len(table) < 15 {
		t.Errorf("only %d services", len(table))
	}
	for _, s := range table {
		_, ok := wireChecks[s.Daemon+"/"+s.Proto.String()]
		if _, own := wireChecks[s.Daemon+"/"+s.Proto.String()+"/"+s.Name]; !ok && !own {
			t.Errorf("%s/%s has no wire check", s.Daemon, s.Proto)
		}
	}
	if _, err := shuffle(table, 1); err != nil {
		t.Error(err)
	}
}
