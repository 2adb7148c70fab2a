package svn

import (
	"testing"

	"github.com/ajarsec/ajar/fingerprint"
)

// greeting114 is svnserve 1.14.2's (Debian 12) greeting, as read.
const greeting114 = "( success ( 2 2 ( ) ( edit-pipeline svndiff1 accepts-svndiff2 absent-entries " +
	"commit-revprops depth log-revprops atomic-revprops partial-replay inherited-props " +
	"ephemeral-txnprops file-revs-reverse list ) ) ) "

func TestParse(t *testing.T) {
	svc, err := Parse([]byte(greeting114))
	if err != nil {
		t.Fatal(err)
	}
	if svc.Name != "svn" || svc.Product != "Subversion" || svc.ExtraInfo != "protocol 2-2; edit-pipeline svndiff1 accepts-svndiff2 absent-entries" {
		t.Errorf("got %+v", svc)
	}
	for _, b := range []string{"", "( success ( ", "( success ( 2 x ( ) ) ) ", "( failure ( 2 2 ( ) ( ) ) ) ",
		"220 ( success ( 2 2", "( success ( 2 2 ) "} {
		if _, err := Parse([]byte(b)); err != fingerprint.ErrNoMatch {
			t.Errorf("%q: got %v", b, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(greeting114))
	f.Fuzz(func(t *testing.T, b []byte) { Parse(b) })
}
