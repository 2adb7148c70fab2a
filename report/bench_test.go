package report

import (
	"io"
	"net/netip"
	"testing"

	"github.com/ajarsec/ajar/record"
)

// benchSockets makes n sockets shaped like a busy server's: a fifth
// listening on the wildcard, the rest established loopback connections.
func benchSockets(n int) []record.Socket {
	ss := make([]record.Socket, n)
	lo := netip.MustParseAddr("127.0.0.1")
	any6 := netip.MustParseAddr("::")
	ifaces := []string{"lo", "eth0"}
	for i := range ss {
		s := &ss[i]
		s.Proto = record.TCP
		s.Inode = uint64(100000 + i)
		s.User = "root"
		s.PID = 1000 + i%7
		s.Process = "sockhold"
		if i%5 == 0 {
			s.Local = netip.AddrPortFrom(any6, uint16(10000+i%50000))
			s.State = record.SocketListen
			s.Exposure = record.ExposureAll
			s.Interfaces = ifaces
			continue
		}
		s.Local = netip.AddrPortFrom(lo, uint16(32768+i%28000))
		s.Peer = netip.AddrPortFrom(lo, 20001)
		s.State = record.SocketEstablished
		s.Exposure = record.ExposureLoopback
		s.Interfaces = ifaces[:1]
	}
	return ss
}

// BenchmarkWriteJSON writes 50,000 sockets as a JSON array, the output of
// `ajar sockets -a -o json` on a machine with 50,000 sockets.
func BenchmarkWriteJSON(b *testing.B) {
	ss := benchSockets(50000)
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteSockets(io.Discard, JSON, ss, Style{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(ss)), "sockets/op")
}
