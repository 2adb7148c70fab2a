package beanstalk

import (
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// stats112 is beanstalkd 1.12's (Debian 12) answer to "stats".
const stats112 = "OK 957\r\n" +
	"---\n" +
	"current-jobs-urgent: 0\n" +
	"current-jobs-ready: 0\n" +
	"current-jobs-reserved: 0\n" +
	"current-jobs-delayed: 0\n" +
	"current-jobs-buried: 0\n" +
	"cmd-put: 0\n" +
	"cmd-peek: 0\n" +
	"cmd-peek-ready: 0\n" +
	"cmd-peek-delayed: 0\n" +
	"cmd-peek-buried: 0\n" +
	"cmd-reserve: 0\n" +
	"cmd-reserve-with-timeout: 0\n" +
	"cmd-delete: 0\n" +
	"cmd-release: 0\n" +
	"cmd-use: 0\n" +
	"cmd-watch: 0\n" +
	"cmd-ignore: 0\n" +
	"cmd-bury: 0\n" +
	"cmd-kick: 0\n" +
	"cmd-touch: 0\n" +
	"cmd-stats: 3\n" +
	"cmd-stats-job: 0\n" +
	"cmd-stats-tube: 0\n" +
	"cmd-list-tubes: 0\n" +
	"cmd-list-tube-used: 0\n" +
	"cmd-list-tubes-watched: 0\n" +
	"cmd-pause-tube: 0\n" +
	"job-timeouts: 0\n" +
	"total-jobs: 0\n" +
	"max-job-size: 65535\n" +
	"current-tubes: 1\n" +
	"current-connections: 1\n" +
	"current-producers: 0\n" +
	"current-workers: 0\n" +
	"current-waiting: 0\n" +
	"total-connections: 4\n" +
	"pid: 13613\n" +
	"version: \"1.12\"\n" +
	"rusage-utime: 0.007105\n" +
	"rusage-stime: 0.003552\n" +
	"uptime: 18\n" +
	"binlog-oldest-index: 0\n" +
	"binlog-current-index: 0\n" +
	"binlog-records-migrated: 0\n" +
	"binlog-records-written: 0\n" +
	"binlog-max-size: 10485760\n" +
	"draining: false\n" +
	"id: 481e88faca2edda1\n" +
	"hostname: vm\n" +
	"os: #1 SMP PREEMPT_DYNAMIC @0\n" +
	"platform: x86_64\n" +
	"\r\n" +
	""

// others are answers of other protocols to "stats\r\n", and broken ones.
var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"STAT pid 1234\r\nSTAT uptime 10\r\nEND\r\n", // memcached
	"UNKNOWN_COMMAND\r\n",
	"OK 5\r\nhello",
	"OK 99999999\r\n---\n",
	"OK 20\r\n---\nversion: 1.12\n", // too short, and no counters
	"-ERR unknown command 'stats'\r\n",
	"\x15\x03\x01\x00\x02\x02\x50",
}

func TestParse(t *testing.T) {
	svc := fptest.CheckParse(t, "Parse", Parse, []byte(stats112))
	if svc == nil || svc.Name != "beanstalk" || svc.Product != "beanstalkd" || svc.Version != "1.12" || svc.Confidence != 10 {
		t.Errorf("Parse(stats) = %+v", svc)
	}
	if !statsDone([]byte(stats112)) || statsDone([]byte(stats112[:100])) {
		t.Error("statsDone does not see where the answer ends")
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(stats112))
	for _, o := range others {
		f.Add([]byte(o))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		statsDone(b)
	})
}

func TestIdentifyLive(t *testing.T) {
	srv := fptest.Lines{Replies: map[string]string{"stats": stats112}, Unknown: "UNKNOWN_COMMAND\r\n"}
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, srv.Handle))
	if svc.Version != "1.12" || svc.Method != "probed" {
		t.Errorf("got %+v", svc)
	}
	memcached := fptest.Lines{Replies: map[string]string{"stats": others[3]}, Unknown: "ERROR\r\n"}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, memcached.Handle))
	fptest.MustNotMatch(t, plugin{}, fptest.HangUp(t))
}
