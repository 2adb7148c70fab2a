package vulndb

import "testing"

func TestCompareVersions(t *testing.T) {
	less := [][2]string{
		{"8.9", "8.9p1"},
		{"7.2p2", "7.2p10"},
		{"1.1.1", "1.1.1g"},
		{"1.1.1f", "1.1.1g"},
		{"2.4.5", "2.4.46"},
		{"9.2p1", "9.3"},
		{"9.3p1", "9.3p2"},
		{"1.0rc1", "1.0"},
		{"1.0alpha", "1.0beta2"},
		{"1.0beta2", "1.0rc1"},
		{"1.0a", "1.0.1"},
		{"1.1.1g", "1.1.1.1"},
		{"1.22.1", "1.24.0"},
		{"5.7.44", "8.0.0"},
		{"v1.2", "1.10"},
		{"10.11.6", "10.11.10"},
		{"99999999999999999998", "99999999999999999999"},
	}
	for _, c := range less {
		if got := CompareVersions(c[0], c[1]); got != -1 {
			t.Errorf("CompareVersions(%q, %q) = %d, want -1", c[0], c[1], got)
		}
		if got := CompareVersions(c[1], c[0]); got != 1 {
			t.Errorf("CompareVersions(%q, %q) = %d, want 1", c[1], c[0], got)
		}
	}
	equal := [][2]string{{"1.0", "1.0.0"}, {"8.9P1", "8.9p1"}, {"1.02", "1.2"}, {"", "0"}, {"v2", "2"}}
	for _, c := range equal {
		if got := CompareVersions(c[0], c[1]); got != 0 {
			t.Errorf("CompareVersions(%q, %q) = %d, want 0", c[0], c[1], got)
		}
	}
}

func TestCompareDebVersions(t *testing.T) {
	less := [][2]string{
		{"1:9.2p1-2+deb12u2", "1:9.2p1-2+deb12u3"},
		{"1:9.2p1-2", "1:9.2p1-2+deb12u1"},
		{"9.9p1-1", "1:8.0p1-1"},
		{"1:8.9p1-3ubuntu0.4", "1:8.9p1-3ubuntu0.10"},
		{"1.0~rc1-1", "1.0-1"},
		{"1.0-1~bpo12+1", "1.0-1"},
		{"1.0", "1.0-0.1"},
		{"2.4.57-2", "2.4.62-1~deb12u1"},
		{"1.0a", "1.0+"},
		{"1.0~", "1.0"},
	}
	for _, c := range less {
		if got := CompareDebVersions(c[0], c[1]); got != -1 {
			t.Errorf("CompareDebVersions(%q, %q) = %d, want -1", c[0], c[1], got)
		}
		if got := CompareDebVersions(c[1], c[0]); got != 1 {
			t.Errorf("CompareDebVersions(%q, %q) = %d, want 1", c[1], c[0], got)
		}
	}
	if got := CompareDebVersions("0:1.0-01", "1.0-1"); got != 0 {
		t.Errorf("epoch 0 and leading zeros: got %d, want 0", got)
	}
}

func TestParseDebVersion(t *testing.T) {
	v, err := ParseDebVersion("1:9.2p1-2+deb12u3")
	if err != nil || v.Epoch != 1 || v.Upstream != "9.2p1" || v.Revision != "2+deb12u3" || v.String() != "1:9.2p1-2+deb12u3" {
		t.Fatalf("got %+v, %v", v, err)
	}
	v, err = ParseDebVersion("1.2-3-4")
	if err != nil || v.Upstream != "1.2-3" || v.Revision != "4" {
		t.Fatalf("got %+v, %v", v, err)
	}
	for _, bad := range []string{"", "x:1", "-1", "a1.0", "1.0-", "1.0 2", "1:"} {
		if _, err := ParseDebVersion(bad); err == nil {
			t.Errorf("ParseDebVersion(%q) gave no error", bad)
		}
	}
}

func FuzzCompareVersions(f *testing.F) {
	for _, s := range [][3]string{{"8.9p1", "8.9", "9.0"}, {"1.1.1g", "1.1.1", "1.1.1.0"}, {"1.0rc1", "1.0", "1.0a"}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		checkOrder(t, "CompareVersions", CompareVersions, a, b, c)
		checkOrder(t, "CompareDebVersions", CompareDebVersions, a, b, c)
	})
}

// checkOrder checks that cmp is reflexive, antisymmetric and transitive
// on a, b and c.
func checkOrder(t *testing.T, name string, cmp func(a, b string) int, a, b, c string) {
	t.Helper()
	if cmp(a, a) != 0 {
		t.Fatalf("%s(%q, %q) != 0", name, a, a)
	}
	if cmp(a, b) != -cmp(b, a) {
		t.Fatalf("%s not antisymmetric on %q, %q", name, a, b)
	}
	vs := []string{a, b, c}
	for _, x := range vs {
		for _, y := range vs {
			for _, z := range vs {
				if cmp(x, y) <= 0 && cmp(y, z) <= 0 && cmp(x, z) > 0 {
					t.Fatalf("%s not transitive: %q <= %q <= %q but %q > %q", name, x, y, z, x, z)
				}
			}
		}
	}
}
