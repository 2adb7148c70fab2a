package zookeeper

import (
	"io"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

// v38 is the srvr answer of ZooKeeper 3.8.0 (Debian 12's zookeeper).
const v38 = "Zookeeper version: 3.8.0-5a02a05eddb59aee6ac762f7ea82e92a68eb9c0f, built on 2022-02-25 08:49 UTC\n" +
	"Latency min/avg/max: 0/0.0/0\nReceived: 1\nSent: 0\nConnections: 1\nOutstanding: 0\nZxid: 0x0\n" +
	"Mode: standalone\nNode count: 5\n"

// v34 is the answer of a 3.4 follower.
const v34 = "Zookeeper version: 3.4.13-2d71af4dbe22557fda74f9a9b4309b15a7487f03, built on 06/29/2018 04:05 GMT\n" +
	"Latency min/avg/max: 0/0/5\nReceived: 120\nSent: 119\nConnections: 2\nOutstanding: 0\nZxid: 0x100000002\n" +
	"Mode: follower\nNode count: 4\n"

var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"220 mail.example.org ESMTP Exim 4.96\r\n",
	"-ERR unknown command\r\n",
	"\x15\x03\x01\x00\x02\x02\x50",
	"Zookeeper version: \n",
	"Zookeeper version: 3.8.0\n", // no stat lines
	"Zookeeper version: banana, built on x\nMode: standalone\n",
}

func TestParse(t *testing.T) {
	cpe := func(v string) []string { return []string{fingerprint.CPE("apache", "zookeeper", v)} }
	tests := []struct {
		in   string
		want *record.Service
	}{
		{v38, &record.Service{Name: "zookeeper", Product: "Apache ZooKeeper", Version: "3.8.0",
			ExtraInfo: "built on 2022-02-25 08:49 UTC; mode: standalone", Confidence: 10, CPE: cpe("3.8.0")}},
		{v34, &record.Service{Name: "zookeeper", Product: "Apache ZooKeeper", Version: "3.4.13",
			ExtraInfo: "built on 06/29/2018 04:05 GMT; mode: follower", Confidence: 10, CPE: cpe("3.4.13")}},
		{notAllowed + "\n", &record.Service{Name: "zookeeper", Product: "Apache ZooKeeper",
			ExtraInfo: "srvr not allowed", Confidence: 8, CPE: cpe("")}},
		{notServing + "\n", &record.Service{Name: "zookeeper", Product: "Apache ZooKeeper",
			ExtraInfo: "not serving requests", Confidence: 8, CPE: cpe("")}},
	}
	for _, tt := range tests {
		got, err := Parse([]byte(tt.in))
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
		}
		if !answerDone([]byte(tt.in)) || answerDone([]byte(tt.in[:len(tt.in)-1])) {
			t.Errorf("answerDone(%q) does not see where the answer ends", tt.in)
		}
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{v38, v34, notAllowed + "\n"} {
		f.Add([]byte(s))
	}
	for _, o := range others {
		f.Add([]byte(o))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		answerDone(b)
	})
}

// server plays ZooKeeper: it reads four bytes, answers srvr with answer
// in pieces and closes.
func server(answer string) func(net.Conn) {
	return func(c net.Conn) {
		cmd := make([]byte, 4)
		if _, err := io.ReadFull(c, cmd); err != nil || string(cmd) != "srvr" {
			return
		}
		for i := 0; i < len(answer); i += 50 {
			c.Write([]byte(answer[i:min(i+50, len(answer))]))
		}
	}
}

func TestIdentifyLive(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, server(v38)))
	if svc.Version != "3.8.0" || svc.Confidence != 10 {
		t.Errorf("got %+v", svc)
	}
	svc = fptest.MustMatch(t, plugin{}, fptest.Serve(t, server(notAllowed+"\n")))
	if svc.ExtraInfo != "srvr not allowed" {
		t.Errorf("got %+v", svc)
	}
	redis := fptest.Serve(t, fptest.Reply([]byte("-ERR unknown command 'srvr'\r\n"), 4))
	fptest.MustNotMatch(t, plugin{}, redis)
	silent := fptest.Silent(t)
	fptest.MustNotMatch(t, plugin{}, silent)
}
