package enip

import (
	"encoding/binary"
	"encoding/hex"
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// fanucItems is the item list of a FANUC R-30iB+ robot controller's
// answer to ListIdentity, as a public EtherNet/IP library's test quotes
// it: one CIP Identity item, vendor 356, device type 12, product code 4,
// revision 3.1, product name "FANUC Robot R30iB+".
const fanucItems = "01000c00340001000200af12c0a80149000000000000000064010c0004000301340021d720f41246414e554320526f626f742052333069422bff"

// answer frames items in a ListIdentity header with our sender context.
func answer(items []byte) []byte {
	h := Request()
	binary.LittleEndian.PutUint16(h[2:], uint16(len(items)))
	return append(h, items...)
}

func fanuc(t testing.TB) []byte {
	items, err := hex.DecodeString(fanucItems)
	if err != nil {
		t.Fatal(err)
	}
	return answer(items)
}

func TestParse(t *testing.T) {
	b := fanuc(t)
	svc := fptest.CheckParse(t, "Parse", Parse, b)
	if svc == nil || svc.Name != "enip" || svc.Product != "FANUC Robot R30iB+" || svc.Version != "3.001" ||
		svc.ExtraInfo != "Fanuc Robotics America; device type 12; product code 4; serial f420d721" ||
		len(svc.CPE) != 1 || svc.CPE[0] != "cpe:2.3:h:fanuc_robotics_america:fanuc_robot_r30ib\\+:*:*:*:*:*:*:*:*" {
		t.Errorf("Parse(fanuc) = %+v", svc)
	}
	otherCtx := append([]byte(nil), b...)
	otherCtx[12] = 'x'
	failed := append([]byte(nil), b...)
	failed[8] = 1
	short := answer(b[headerLen : len(b)-1])
	fptest.NoMatch(t, "Parse", Parse, "", string(Request()), string(b[:len(b)-1]), string(otherCtx),
		string(failed), string(short), "HTTP/1.1 400 Bad Request\r\n\r\n", string(answer([]byte{0, 0})))
}

func FuzzParse(f *testing.F) {
	f.Add(fanuc(f))
	f.Add(Request())
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		whole(b)
	})
}

func TestIdentifyLive(t *testing.T) {
	if svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, fptest.Reply(fanuc(t), headerLen))); svc.Product == "" {
		t.Errorf("got %+v", svc)
	}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
	fptest.MustNotMatch(t, plugin{}, fptest.HangUp(t))
}
