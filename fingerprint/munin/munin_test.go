package munin

import (
	"testing"

	"github.com/ajarsec/ajar/fingerprint"
)

func TestParse(t *testing.T) {
	// munin-node 2.0.73 (Debian 12).
	svc, err := Parse([]byte("# munin node at zoo.test\n"))
	if err != nil || svc.Product != "Munin node" || svc.ExtraInfo != "host zoo.test" {
		t.Fatalf("got %+v, %v", svc, err)
	}
	if v := ParseVersion([]byte("munins node on zoo.test version: 2.0.73\n")); v != "2.0.73" {
		t.Errorf("version %q", v)
	}
	for _, b := range []string{"# munin node at zoo.test", "# munin node at \n", "# munin node at a b\n", "# Munin\n"} {
		if _, err := Parse([]byte(b)); err != fingerprint.ErrNoMatch {
			t.Errorf("%q: got %v", b, err)
		}
	}
	for _, b := range []string{"# Unknown command. Try cap, list, nodes, config, fetch, version or quit\n",
		"munins node on x version: \n", "munins node on x version: beta 1\n"} {
		if v := ParseVersion([]byte(b)); v != "" {
			t.Errorf("%q: version %q", b, v)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("# munin node at zoo.test\n"))
	f.Add([]byte("munins node on zoo.test version: 2.0.73\n"))
	f.Fuzz(func(t *testing.T, b []byte) { Parse(b); ParseVersion(b) })
}
