package dht

import (
	"bytes"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// capture is Transmission 3.00 (Debian 12) answering Ping in a test
// namespace: its node ID, our transaction ID, no "v".
const capture = "d1:rd2:id20:\x94\xfe6a\x07'/\xf0\xa5\x89y\xfd_rN,\x18\xaf(\xfde1:t4:ajdh1:y1:re"

func TestPing(t *testing.T) {
	if got := string(Ping()); got != "d1:ad2:id20:ajar-dht-node-id-000e1:q4:ping1:t4:ajdh1:y1:qe" {
		t.Errorf("%q", got)
	}
}

func TestParse(t *testing.T) {
	for _, c := range []struct{ in, product, info string }{
		{capture, "", ""},
		// BEP 5's example response, with our transaction ID.
		{"d1:rd2:id20:mnopqrstuvwxyz123456e1:t4:ajdh1:y1:re", "", ""},
		// BEP 20's "v": uTorrent 3.5 (two letters, two version bytes).
		{"d1:rd2:id20:mnopqrstuvwxyz123456e1:t4:ajdh1:v4:UT\x03\x051:y1:re", "uTorrent", "version bytes 3.5"},
		// BEP 5's error example.
		{"d1:eli201e23:A Generic Error Ocurrede1:t4:ajdh1:y1:ee", "", "error 201 A Generic Error Ocurred"},
	} {
		svc, err := Parse([]byte(c.in))
		if err != nil || svc.Name != "bittorrent-dht" || svc.Product != c.product || svc.ExtraInfo != c.info {
			t.Errorf("%q: %+v, %v", c.in, svc, err)
		}
	}
	fptest.NoMatch(t, "Parse", Parse,
		"",
		string(Ping()), // echoed: a query
		"d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re",   // another transaction
		"d1:rd2:id19:mnopqrstuvwxyz12345e1:t4:ajdh1:y1:re",  // a short ID
		"d1:rd2:id20:mnopqrstuvwxyz123456e1:t4:ajdh1:y1:r",  // unclosed
		"d1:t4:ajdh1:rd2:id20:mnopqrstuvwxyz123456e1:y1:re", // keys out of order
		capture+"x",                   // bytes after the message
		"d1:eli201ee1:t4:ajdh1:y1:ee", // error without a message
		"d1:ei201e1:t4:ajdh1:y1:ee",   // error not a list
		"d1:rd2:id20:mnopqrstuvwxyz123456e1:t4:ajdh1:y1:xe",
		"d1:rd2:idi05ee1:t4:ajdh1:y1:re", // a leading zero
		"d1:t4:ajdh1:y1:r1:ri-0ee",       // "-0"
		"d1:rd2:id99999:xe1:t4:ajdh1:y1:re",
		"l"+string(bytes.Repeat([]byte("l"), 20))+string(bytes.Repeat([]byte("e"), 21)), // too deep
		"d1:ali"+string(bytes.Repeat([]byte("1ei"), 300))+"1ee1:t4:ajdh1:y1:re",         // too many
	)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(capture))
	f.Add([]byte("d1:eli201e23:A Generic Error Ocurrede1:t4:ajdh1:y1:ee"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if svc := fptest.CheckParse(t, "Parse", Parse, b); svc != nil && !bytes.Contains(b, []byte("1:t4:ajdh")) {
			t.Errorf("%q taken", b)
		}
	})
}

func TestIdentify(t *testing.T) {
	fptest.MustMatch(t, fptest.UDPPlugin(t, name), fptest.ServeUDP(t, func(b []byte) []byte {
		if bytes.Equal(b, Ping()) {
			return []byte(capture)
		}
		return nil
	}))
	fptest.MustNotMatch(t, fptest.UDPPlugin(t, name), fptest.ServeUDP(t, func(b []byte) []byte { return b }))
}
