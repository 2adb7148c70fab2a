package ganglia

import (
	"testing"

	"github.com/ajarsec/ajar/fingerprint"
)

// dump372 is the start of gmond 3.7.2's (Debian 12) dump, its DTD cut
// short.
const dump372 = `<?xml version="1.0" encoding="ISO-8859-1" standalone="yes"?>
<!DOCTYPE GANGLIA_XML [
   <!ELEMENT GANGLIA_XML (GRID|CLUSTER|HOST)*>
      <!ATTLIST GANGLIA_XML VERSION CDATA #REQUIRED>
      <!ATTLIST GANGLIA_XML SOURCE CDATA #REQUIRED>
]>
<GANGLIA_XML VERSION="3.7.2" SOURCE="gmond">
<CLUSTER NAME="ajar zoo" LOCALTIME="1796416400" OWNER="zoo" LATLONG="unspecified" URL="unspecified">
`

func TestParse(t *testing.T) {
	svc, err := Parse([]byte(dump372))
	if err != nil || svc.Product != "Ganglia gmond" || svc.Version != "3.7.2" {
		t.Fatalf("got %+v, %v", svc, err)
	}
	for _, b := range []string{dump372[:200], `<GANGLIA_XML VERSION="3.7.2" SOURCE="gmond">`,
		`<?xml version="1.0"?><GANGLIA_XML VERSION="x" SOURCE="gmond">`} {
		if _, err := Parse([]byte(b)); err != fingerprint.ErrNoMatch {
			t.Errorf("%q: got %v", b, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(dump372))
	f.Fuzz(func(t *testing.T, b []byte) { Parse(b) })
}
