package store

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/audit/audittest"
	"github.com/ajarsec/ajar/record"
)

// judged sums up a judge's answer.
func judged(fs []record.Finding, err error) string { return audittest.Summary(fs, err) }

// pgMsg builds a backend message.
func pgMsg(typ byte, body string) string {
	b := []byte{typ, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(4+len(body)))
	return string(b) + body
}

func u32(n uint32) string { return string(binary.BigEndian.AppendUint32(nil, n)) }

func TestJudgePostgres(t *testing.T) {
	// PostgreSQL 15 (Debian 12) with trust: AuthenticationOk, parameters,
	// BackendKeyData, ReadyForQuery.
	trust := pgMsg('R', u32(0)) + pgMsg('S', "server_version\x0015.14 (Debian 15.14-0+deb12u1)\x00") +
		pgMsg('K', u32(42)+u32(7)) + pgMsg('Z', "I")
	for name, tc := range map[string]struct{ in, want string }{
		"trust":            {trust, "postgresql-trust/critical"},
		"trust, cut short": {pgMsg('R', u32(0)), "postgresql-trust/critical"},
		"scram":            {pgMsg('R', u32(10)+"SCRAM-SHA-256\x00\x00"), "n/a"},
		"md5":              {pgMsg('R', u32(5)+"salt"), "n/a"},
		"cleartext":        {pgMsg('R', u32(3)), "n/a"},
		"no hba entry": {pgMsg('E', "SFATAL\x00C28000\x00Mno pg_hba.conf entry for host \"10.0.0.1\", user \"postgres\"\x00\x00"),
			"n/a"},
		"ok with a tail": {pgMsg('R', u32(0)+"x"), "n/a"},
		"http":           {"HTTP/1.1 400 Bad Request\r\n\r\n", "n/a"},
		"empty":          {"", "n/a"},
	} {
		if got := judged(JudgePostgres([]byte(tc.in))); got != tc.want {
			t.Errorf("%s: %s, want %s", name, got, tc.want)
		}
	}
	// PostgreSQL 15 whose pg_hba.conf has only hostssl lines, asked
	// without TLS; and one that has no line for the user at all.
	noTLS := pgMsg('E', "SFATAL\x00VFATAL\x00C28000\x00Mno pg_hba.conf entry for host \"10.0.0.1\", user \"postgres\", "+
		"database \"postgres\", no encryption\x00Fauth.c\x00L543\x00RClientAuthentication\x00\x00")
	noLine := pgMsg('E', "SFATAL\x00VFATAL\x00C28000\x00Mno pg_hba.conf entry for host \"10.0.0.1\", user \"postgres\", "+
		"database \"postgres\", SSL encryption\x00\x00")
	if !pgNeedsTLS([]byte(noTLS)) || pgNeedsTLS([]byte(noLine)) || pgNeedsTLS([]byte(trust)) {
		t.Error("pgNeedsTLS")
	}
	if !pgStartupDone([]byte(trust)) || pgStartupDone([]byte(trust[:10])) || !pgStartupDone([]byte(pgMsg('R', u32(10)))) {
		t.Error("pgStartupDone")
	}
}

func TestJudgeMySQL(t *testing.T) {
	ok := []byte{0, 0, 0, 2, 0, 0, 0}
	denied := append([]byte{0xff, 0x15, 0x04, '#'}, "28000Access denied for user 'root'@'10.0.0.1' (using password: NO)"...)
	for name, tc := range map[string]struct {
		replies [][]byte
		want    string
	}{
		"ok": {[][]byte{ok}, "mysql-empty-root-password/critical"},
		"ok after auth switch": {[][]byte{append([]byte{0xfe}, "mysql_native_password\x00"...), ok},
			"mysql-empty-root-password/critical"},
		"denied":   {[][]byte{denied}, "n/a"},
		"short ok": {[][]byte{{0}}, "n/a"},
		"nothing":  {nil, "n/a"},
	} {
		if got := judged(JudgeMySQL("5.5.5-10.11.19-MariaDB-0+deb12u1", tc.replies)); got != tc.want {
			t.Errorf("%s: %s, want %s", name, got, tc.want)
		}
	}
	// The response names root, sends an empty auth response and the
	// plugin, and claims only capabilities the server has (and 4.1).
	r := HandshakeResponse(0xffffffff, "root")
	if caps := binary.LittleEndian.Uint32(r); caps != myLongPassword|myProtocol41|mySecureConn|myPluginAuth {
		t.Errorf("capabilities %#x", caps)
	}
	if !strings.HasSuffix(string(r), "root\x00\x00mysql_native_password\x00") || len(r) != 32+5+1+22 {
		t.Errorf("HandshakeResponse = %q", r)
	}
	if r := HandshakeResponse(myProtocol41|mySecureConn, "root"); !strings.HasSuffix(string(r), "root\x00\x00") {
		t.Errorf("without plugins: %q", r)
	}
}

func TestJudgeEtcd(t *testing.T) {
	for name, tc := range map[string]struct {
		status int
		body   string
		want   string
	}{
		// etcd 3.4.23 (Debian 12), auth off: the count of 3 keys; with
		// no keys the count is left out.
		"open":  {200, `{"header":{"cluster_id":"14841639068965178418","member_id":"10276657743932975437","revision":"4","raft_term":"2"},"count":"3"}`, "etcd-no-auth/critical"},
		"empty": {200, `{"header":{"cluster_id":"1","member_id":"2","revision":"1","raft_term":"2"}}`, "etcd-no-auth/critical"},
		// etcd 3.4.23 with authentication on, asked without a token.
		"no user":        {400, `{"error":"etcdserver: user name is empty","message":"etcdserver: user name is empty","code":3}`, "n/a"},
		"error in a 200": {200, `{"error":"etcdserver: user name is empty","code":2,"message":"x"}`, "n/a"},
		"not json":       {200, `<html>`, "n/a"},
		"other json":     {200, `{"status":"ok"}`, "n/a"},
	} {
		if got := judged(JudgeEtcdV3(tc.status, []byte(tc.body))); got != tc.want {
			t.Errorf("v3 %s: %s, want %s", name, got, tc.want)
		}
	}
	v2 := `{"action":"get","node":{"dir":true,"nodes":[{"key":"/a","value":"1","modifiedIndex":4,"createdIndex":4}]}}`
	if got := judged(JudgeEtcdV2(200, []byte(v2))); got != "etcd-no-auth/critical" {
		t.Errorf("v2 open: %s", got)
	}
	if got := judged(JudgeEtcdV2(401, []byte(`{"message":"The request requires user authentication"}`))); got != "n/a" {
		t.Errorf("v2 closed: %s", got)
	}
	if got := etcdMembers([]byte(`{"members":[{"name":"zoo","clientURLs":["http://127.0.0.1:2379"]}]}`)); got != "zoo http://127.0.0.1:2379" {
		t.Errorf("etcdMembers = %q", got)
	}
}

// mcDatagram frames part of an answer.
func mcDatagram(id, seq, total uint16, text string) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint16(b, id)
	binary.BigEndian.PutUint16(b[2:], seq)
	binary.BigEndian.PutUint16(b[4:], total)
	return append(b, text...)
}

func TestJudgeMemcachedUDP(t *testing.T) {
	stats := "STAT pid 1\r\nSTAT uptime 3\r\n" + strings.Repeat("STAT x 1\r\n", 140) + "END\r\n"
	one := [][]byte{mcDatagram(mcRequestID, 0, 1, stats)}
	f, err := JudgeMemcachedUDP(15, one)
	if judged(f, err) != "memcached-udp-amplification/high" || !strings.Contains(f[0].Evidence, "1 datagrams, 1440 bytes: amplification 96.0x") {
		t.Fatalf("one datagram: %s %+v", judged(f, err), f)
	}
	two := [][]byte{mcDatagram(mcRequestID, 1, 2, "END\r\n"), mcDatagram(mcRequestID, 0, 2, "STAT pid 1\r\n")}
	if got := judged(JudgeMemcachedUDP(15, two)); got != "memcached-udp-amplification/medium" || !mcComplete(two) || mcComplete(two[:1]) {
		t.Errorf("two datagrams: %s", got)
	}
	for name, in := range map[string][][]byte{
		"another request": {mcDatagram(1, 0, 1, stats)},
		"an error":        {mcDatagram(mcRequestID, 0, 1, "ERROR\r\n")},
		"short":           {{0x61}},
		"nothing":         nil,
	} {
		if got := judged(JudgeMemcachedUDP(15, in)); got != "n/a" {
			t.Errorf("%s: %s", name, got)
		}
	}
}

func FuzzJudges(f *testing.F) {
	f.Add([]byte(pgMsg('R', u32(0))), 200)
	f.Add([]byte(`{"header":{}}`), 200)
	f.Fuzz(func(t *testing.T, b []byte, status int) {
		JudgePostgres(b)
		pgStartupDone(b)
		JudgeMySQL("", [][]byte{b})
		JudgeEtcdV3(status, b)
		JudgeEtcdV2(status, b)
		JudgeMemcachedUDP(15, [][]byte{b})
		mcComplete([][]byte{b})
	})
}

func TestJudgeEtcdGRPC(t *testing.T) {
	// A RangeResponse as etcd 3.4.23 sends it: the header (cluster id,
	// member id, revision 4, raft term 2), then count 3 (field 4).
	hdr := []byte{0x08, 0x87, 0x9d, 0xf1, 0xaf, 0x0b, 0x10, 0xc0, 0xa8, 0x8b, 0x9e, 0x04, 0x18, 0x04, 0x20, 0x02}
	resp := append(append([]byte{0x0a, byte(len(hdr))}, hdr...), 0x20, 0x03)
	frame := append([]byte{0, 0, 0, 0, byte(len(resp))}, resp...)
	f, err := JudgeEtcdGRPC("0", frame)
	if judged(f, err) != "etcd-no-auth/critical" || !strings.Contains(f[0].Evidence, "status 0, 3 keys") {
		t.Errorf("open: %s %+v", judged(f, err), f)
	}
	for name, tc := range map[string]struct {
		status string
		body   []byte
	}{
		"user name is empty": {"3", nil},
		"unauthenticated":    {"16", frame},
		"no header":          {"0", []byte{0, 0, 0, 0, 2, 0x20, 0x03}},
		"cut":                {"0", frame[:10]},
		"compressed":         {"0", append([]byte{1}, frame[1:]...)},
		"bad wire type":      {"0", []byte{0, 0, 0, 0, 2, 0x0b, 0x00}},
	} {
		if got := judged(JudgeEtcdGRPC(tc.status, tc.body)); got != "n/a" {
			t.Errorf("%s: %s", name, got)
		}
	}
	if len(etcdRangeCountAll) != 5+int(etcdRangeCountAll[4]) {
		t.Errorf("etcdRangeCountAll's frame length")
	}
}
