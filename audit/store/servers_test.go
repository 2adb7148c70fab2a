package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/audit/audittest"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

// Debian 12 has no package of MongoDB, Elasticsearch/OpenSearch,
// CouchDB, Cassandra, the kubelet or the Kubernetes API server: these
// tests run the checks against servers written here from the protocols'
// documentation, each in the planted-risk and the hardened setting. They
// are real listeners on loopback speaking the wire protocol, not the
// daemons: a gap against the zoo's real peers.

// audited runs one check on addr with the service identification would
// have named, within a short budget, and sums up its findings.
func audited(t *testing.T, c audit.Check, addr netip.AddrPort, svc *record.Service) string {
	t.Helper()
	cfg := audit.Config{Timeout: 2 * time.Second, Checks: []audit.Check{c}}
	fs, err := cfg.Audit(context.Background(), audit.Target{Addr: addr, Proto: portspec.TCP, Service: svc})
	if err != nil {
		return "error: " + err.Error()
	}
	if len(fs) == 0 {
		return "n/a"
	}
	return judged(fs, nil)
}

func serveHTTP(t *testing.T, h http.HandlerFunc) netip.AddrPort {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return netip.MustParseAddrPort(strings.TrimPrefix(s.URL, "http://"))
}

// bsonDoc encodes a BSON document of string, float64, int32, bool and
// []any (of documents) values, in order: keys and values alternate.
func bsonDoc(kv ...any) []byte {
	var b []byte
	for i := 0; i < len(kv); i += 2 {
		name := kv[i].(string) + "\x00"
		switch v := kv[i+1].(type) {
		case string:
			b = append(append(b, 0x02), name...)
			b = binary.LittleEndian.AppendUint32(b, uint32(len(v)+1))
			b = append(append(b, v...), 0)
		case float64:
			b = append(append(b, 0x01), name...)
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		case int32:
			b = append(append(b, 0x10), name...)
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		case bool:
			x := byte(0)
			if v {
				x = 1
			}
			b = append(append(append(b, 0x08), name...), x)
		case [][]byte:
			var arr []any
			for j, d := range v {
				arr = append(arr, string(rune('0'+j)), d)
			}
			b = append(append(b, 0x04), name...)
			b = append(b, bsonDoc(arr...)...)
		case []byte: // an embedded document
			b = append(append(append(b, 0x03), name...), v...)
		}
	}
	return append(binary.LittleEndian.AppendUint32(nil, uint32(len(b)+5)), append(b, 0)...)
}

// mongoServer answers one OP_MSG as mongod 7.0 does, with or without
// security.authorization.
func mongoServer(auth bool) func(net.Conn) {
	return func(c net.Conn) {
		var h [16]byte
		if _, err := io.ReadFull(c, h[:]); err != nil {
			return
		}
		req := make([]byte, binary.LittleEndian.Uint32(h[:])-16)
		if _, err := io.ReadFull(c, req); err != nil || binary.LittleEndian.Uint32(h[12:]) != 2013 ||
			!bytes.Contains(req, []byte("\x10listDatabases\x00\x01\x00\x00\x00")) {
			return
		}
		doc := bsonDoc("databases", [][]byte{
			bsonDoc("name", "admin", "sizeOnDisk", float64(40960), "empty", false),
			bsonDoc("name", "shop", "sizeOnDisk", float64(73728), "empty", false),
		}, "totalSize", float64(114688), "totalSizeMb", float64(0), "ok", float64(1))
		if auth {
			doc = bsonDoc("ok", float64(0), "errmsg", "command listDatabases requires authentication",
				"code", int32(13), "codeName", "Unauthorized")
		}
		body := append([]byte{0, 0, 0, 0, 0}, doc...)
		reply := binary.LittleEndian.AppendUint32(nil, uint32(16+len(body)))
		reply = binary.LittleEndian.AppendUint32(reply, 77)
		reply = append(reply, h[4:8]...) // responseTo: the request's id
		reply = binary.LittleEndian.AppendUint32(reply, 2013)
		c.Write(append(reply, body...))
	}
}

// mongoLegacyServer is a MongoDB 3.4 without authorization: it closes
// on OP_MSG (an opcode it does not know) and answers a command in
// OP_QUERY of admin.$cmd with an OP_REPLY.
func mongoLegacyServer(c net.Conn) {
	var h [16]byte
	if _, err := io.ReadFull(c, h[:]); err != nil || binary.LittleEndian.Uint32(h[12:]) != 2004 {
		return
	}
	req := make([]byte, binary.LittleEndian.Uint32(h[:])-16)
	if _, err := io.ReadFull(c, req); err != nil || !bytes.Contains(req, []byte("admin.$cmd\x00")) {
		return
	}
	doc := bsonDoc("databases", [][]byte{bsonDoc("name", "local", "sizeOnDisk", float64(65536), "empty", false)},
		"totalSize", float64(65536), "ok", float64(1))
	body := make([]byte, 20) // responseFlags, cursorID, startingFrom, numberReturned
	binary.LittleEndian.PutUint32(body[16:], 1)
	body = append(body, doc...)
	reply := binary.LittleEndian.AppendUint32(nil, uint32(16+len(body)))
	reply = binary.LittleEndian.AppendUint32(reply, 78)
	reply = append(reply, h[4:8]...)
	reply = binary.LittleEndian.AppendUint32(reply, 1)
	c.Write(append(reply, body...))
}

func TestMongoDBServers(t *testing.T) {
	if got := audited(t, mongodbCheck{}, audittest.ServeTCP(t, mongoLegacyServer), &record.Service{Name: "mongodb", Method: "probed"}); got != "mongodb-no-auth/critical" {
		t.Errorf("3.4 without authorization: %s", got)
	}
	svc := &record.Service{Name: "mongodb", Method: "probed"}
	if got := audited(t, mongodbCheck{}, audittest.ServeTCP(t, mongoServer(false)), svc); got != "mongodb-no-auth/critical" {
		t.Errorf("no authorization: %s", got)
	}
	if got := audited(t, mongodbCheck{}, audittest.ServeTCP(t, mongoServer(true)), svc); got != "n/a" {
		t.Errorf("authorization enabled: %s", got)
	}
}

// cassandraServer answers STARTUP as Cassandra 4.1 does with the
// AllowAllAuthenticator (READY) or the PasswordAuthenticator.
func cassandraServer(auth bool) func(net.Conn) {
	return func(c net.Conn) {
		var h [9]byte
		if _, err := io.ReadFull(c, h[:]); err != nil || h[0] != 4 || h[4] != 1 {
			return
		}
		body := make([]byte, binary.BigEndian.Uint32(h[5:]))
		if _, err := io.ReadFull(c, body); err != nil || !bytes.Contains(body, []byte("CQL_VERSION")) {
			return
		}
		op, reply := byte(cqlReady), []byte(nil)
		if auth {
			const class = "org.apache.cassandra.auth.PasswordAuthenticator"
			op = cqlAuthenticate
			reply = append(binary.BigEndian.AppendUint16(nil, uint16(len(class))), class...)
		}
		out := []byte{0x84, 0, h[2], h[3], op}
		out = binary.BigEndian.AppendUint32(out, uint32(len(reply)))
		c.Write(append(out, reply...))
	}
}

func TestCassandraServers(t *testing.T) {
	svc := &record.Service{Name: "cassandra", Method: "probed"}
	if got := audited(t, cassandraCheck{}, audittest.ServeTCP(t, cassandraServer(false)), svc); got != "cassandra-no-auth/critical" {
		t.Errorf("AllowAllAuthenticator: %s", got)
	}
	if got := audited(t, cassandraCheck{}, audittest.ServeTCP(t, cassandraServer(true)), svc); got != "n/a" {
		t.Errorf("PasswordAuthenticator: %s", got)
	}
}

// writeJSON answers as the servers do: a status, their headers, a body.
func writeJSON(w http.ResponseWriter, status int, body string, headers ...string) {
	for i := 0; i+1 < len(headers); i += 2 {
		w.Header().Set(headers[i], headers[i+1])
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func TestHTTPStoreServers(t *testing.T) {
	esOpen := func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_cat/indices" || r.URL.Query().Get("format") != "json" {
			writeJSON(w, 404, `{"error":"no handler"}`)
			return
		}
		writeJSON(w, 200, `[{"index":"logs-2026.12","docs.count":"1204"},{"index":"users","docs.count":"17"}]`,
			"X-elastic-product", "Elasticsearch")
	}
	esSecured := func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 401, `{"error":{"root_cause":[{"type":"security_exception","reason":"missing authentication credentials for REST request [/_cat/indices]"}],"type":"security_exception"},"status":401}`,
			"WWW-Authenticate", `Basic realm="security" charset="UTF-8"`, "X-elastic-product", "Elasticsearch")
	}
	couch := func(party bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Server", "CouchDB/3.3.3 (Erlang OTP/24)")
			switch {
			case r.URL.Path == "/_session" && party:
				writeJSON(w, 200, `{"ok":true,"userCtx":{"name":null,"roles":["_admin"]},"info":{"authentication_handlers":["cookie","default"],"authenticated":"default"}}`)
			case r.URL.Path == "/_session":
				writeJSON(w, 200, `{"ok":true,"userCtx":{"name":null,"roles":[]},"info":{"authentication_handlers":["cookie","default"]}}`)
			case r.URL.Path == "/_all_dbs" && party:
				writeJSON(w, 200, `["_replicator","_users","orders"]`)
			default:
				writeJSON(w, 401, `{"error":"unauthorized","reason":"You are not a server admin."}`)
			}
		}
	}
	kube := func(path, list string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == path && list != "" {
				writeJSON(w, 200, list, "Audit-Id", "4f1c")
				return
			}
			writeJSON(w, 403, kubeForbidden, "Audit-Id", "4f1c", "X-Content-Type-Options", "nosniff")
		}
	}
	kubelet := func(open bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/pods" && open {
				writeJSON(w, 200, kubePods)
				return
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(401)
			io.WriteString(w, "Unauthorized")
		}
	}
	es := &record.Service{Name: "elasticsearch", Method: "probed"}
	couchSvc := &record.Service{Name: "http", Product: "CouchDB httpd", Method: "probed"}
	k8s := &record.Service{Name: "kubernetes", Method: "probed"}
	web := &record.Service{Name: "http", Method: "probed"}
	for _, tc := range []struct {
		name  string
		check audit.Check
		h     http.HandlerFunc
		svc   *record.Service
		want  string
	}{
		{"elasticsearch security off", elasticsearchCheck{}, esOpen, es, "elasticsearch-no-auth/critical"},
		{"elasticsearch security on", elasticsearchCheck{}, esSecured, es, "n/a"},
		{"couchdb admin party", couchdbCheck{}, couch(true), couchSvc, "couchdb-admin-party/critical"},
		{"couchdb with an admin", couchdbCheck{}, couch(false), couchSvc, "n/a"},
		{"couchdb check on another http", couchdbCheck{}, couch(true), web, "n/a"},
		{"kubernetes anonymous reads", kubeAPICheck{}, kube("/api/v1/namespaces", kubeNamespaces), k8s, "kubernetes-anonymous-read/critical"},
		{"kubernetes default RBAC", kubeAPICheck{}, kube("", ""), k8s, "n/a"},
		{"kubelet anonymous", kubeletCheck{}, kubelet(true), web, "kubelet-anonymous/critical"},
		{"kubelet webhook", kubeletCheck{}, kubelet(false), web, "n/a"},
	} {
		if got := audited(t, tc.check, serveHTTP(t, tc.h), tc.svc); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestJudgeMongoDBDocs: the reply's fields, not its shape, decide.
func TestJudgeMongoDBDocs(t *testing.T) {
	reply := func(doc []byte) []byte {
		body := append([]byte{0, 0, 0, 0, 0}, doc...)
		b := binary.LittleEndian.AppendUint32(nil, uint32(16+len(body)))
		b = binary.LittleEndian.AppendUint32(b, 1)
		b = binary.LittleEndian.AppendUint32(b, mongoRequestID)
		b = binary.LittleEndian.AppendUint32(b, 2013)
		return append(b, body...)
	}
	dbs := [][]byte{bsonDoc("name", "admin"), bsonDoc("name", "shop")}
	for name, tc := range map[string]struct {
		msg  []byte
		want string
	}{
		"listed":          {reply(bsonDoc("databases", dbs, "ok", float64(1))), "mongodb-no-auth/critical"},
		"ok as int32":     {reply(bsonDoc("databases", dbs, "ok", int32(1))), "mongodb-no-auth/critical"},
		"unauthorized":    {reply(bsonDoc("ok", float64(0), "errmsg", "command listDatabases requires authentication", "code", int32(13))), "n/a"},
		"ok, no list":     {reply(bsonDoc("ok", float64(1))), "n/a"},
		"list, not ok":    {reply(bsonDoc("databases", dbs, "ok", float64(0))), "n/a"},
		"cut document":    {reply(bsonDoc("databases", dbs, "ok", float64(1)))[:40], "n/a"},
		"another request": {append(reply(bsonDoc("databases", dbs, "ok", float64(1)))[:8], append([]byte{1, 0, 0, 0}, reply(bsonDoc("databases", dbs, "ok", float64(1)))[12:]...)...), "n/a"},
	} {
		if got := judged(JudgeMongoDB(tc.msg)); got != tc.want {
			t.Errorf("%s: %s, want %s", name, got, tc.want)
		}
	}
	f, _ := JudgeMongoDB(reply(bsonDoc("databases", dbs, "ok", float64(1))))
	if len(f) != 1 || !strings.Contains(f[0].Evidence, "2 databases: admin shop") {
		t.Errorf("evidence: %+v", f)
	}
}

func FuzzJudgeMongoDB(f *testing.F) {
	f.Add(bsonDoc("databases", [][]byte{bsonDoc("name", "a")}, "ok", float64(1)))
	f.Fuzz(func(t *testing.T, doc []byte) {
		msg := binary.LittleEndian.AppendUint32(nil, uint32(21+len(doc)))
		msg = binary.LittleEndian.AppendUint32(msg, 1)
		msg = binary.LittleEndian.AppendUint32(msg, mongoRequestID)
		msg = binary.LittleEndian.AppendUint32(msg, 2013)
		msg = append(append(msg, 0, 0, 0, 0, 0), doc...)
		JudgeMongoDB(msg)
		JudgeCassandra(doc, doc)
	})
}
