package store

import (
	"encoding/binary"
	"testing"

	"github.com/ajarsec/ajar/record"
)

// zkReply builds a getChildren reply: xid 1, a zxid, the error and the
// children.
func zkReply(errCode int32, children ...string) []byte {
	b := binary.BigEndian.AppendUint32(nil, 1)
	b = binary.BigEndian.AppendUint64(b, 0x1f)
	b = binary.BigEndian.AppendUint32(b, uint32(errCode))
	b = binary.BigEndian.AppendUint32(b, uint32(len(children)))
	for _, c := range children {
		b = binary.BigEndian.AppendUint32(b, uint32(len(c)))
		b = append(b, c...)
	}
	return b
}

func TestJudgeZooKeeper(t *testing.T) {
	for name, tc := range map[string]struct {
		in   []byte
		want string
	}{
		// ZooKeeper 3.8.0 (Debian 12), a fresh tree.
		"open":         {zkReply(0, "zookeeper"), "zookeeper-no-auth/high"},
		"many":         {zkReply(0, "a", "b", "c", "d", "e", "f", "g", "h", "i", "j"), "zookeeper-no-auth/high"},
		"no auth":      {zkReply(-102), "n/a"},
		"auth failed":  {zkReply(-115), "n/a"},
		"cut short":    {zkReply(0, "zookeeper")[:25], "n/a"},
		"another xid":  {append([]byte{0, 0, 0, 2}, zkReply(0, "x")[4:]...), "n/a"},
		"huge count":   {append(zkReply(0)[:16], 0xff, 0xff, 0xff, 0xff), "n/a"},
		"4lw refusal":  {[]byte("stat is not executed because it is not in the whitelist.\n"), "n/a"},
		"empty answer": {nil, "n/a"},
	} {
		if got := judged(JudgeZKChildren(tc.in)); got != tc.want {
			t.Errorf("%s: %s, want %s", name, got, tc.want)
		}
	}
	envi := "Environment:\nzookeeper.version=3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\nhost.name=zoo\n" +
		"java.version=17.0.15\njava.vendor=Debian\nuser.name=root\n"
	for in, want := range map[string]string{
		envi: "zookeeper-envi-exposed/low",
		"envi is not executed because it is not in the whitelist.\n": "n/a",
		"Environment:\n": "n/a",
	} {
		if got := judged(JudgeZKEnvi([]byte(in))); got != want {
			t.Errorf("JudgeZKEnvi(%.30q) = %s, want %s", in, got, want)
		}
	}
	if c := ZKConnect(); len(c) != 4+45 || binary.BigEndian.Uint32(c) != 45 {
		t.Errorf("ZKConnect = %x", c)
	}
	if g := ZKGetChildren("/"); string(g[4:]) != "\x00\x00\x00\x01\x00\x00\x00\x08\x00\x00\x00\x01/\x00" {
		t.Errorf("ZKGetChildren = %q", g)
	}
}

// Docker 20.10.24's GET /info (Debian 12), cut; Kubernetes 1.27's lists.
const (
	dockerInfo = `{"ID":"YZH3:D7HH:5SLV:ETUT:QIPE:REFS:ZEJL:YAEH:LDZX:HQHI:OWTU:WYB2","Containers":0,"ContainersRunning":0,` +
		`"Images":0,"Driver":"vfs","Name":"zoo","ServerVersion":"20.10.24+dfsg1","OperatingSystem":"Debian GNU/Linux 12 (bookworm)"}`
	kubeNamespaces = `{"kind":"NamespaceList","apiVersion":"v1","metadata":{"resourceVersion":"412"},"items":[` +
		`{"metadata":{"name":"default"}},{"metadata":{"name":"kube-system"}}]}`
	kubeForbidden = `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"namespaces is forbidden: ` +
		`User \"system:anonymous\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope","reason":"Forbidden","code":403}`
	kubePods = `{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"etcd-node1","namespace":"kube-system"}}]}`
)

func TestJudgeContainers(t *testing.T) {
	const (
		docker  = "docker-api-no-auth/critical"
		kube    = "kubernetes-anonymous-read/critical"
		kubelet = "kubelet-anonymous/critical"
	)
	for _, tc := range []struct {
		judge  func(int, []byte) ([]record.Finding, error)
		status int
		body   string
		want   string
	}{
		{JudgeDocker, 200, dockerInfo, docker},
		{JudgeDocker, 404, `{"message":"page not found"}`, "n/a"},
		{JudgeDocker, 200, `{"ID":"x"}`, "n/a"},
		{JudgeKubeAPI, 200, kubeNamespaces, kube},
		{JudgeKubeAPI, 403, kubeForbidden, "n/a"},
		{JudgeKubeAPI, 200, kubePods, "n/a"},
		{JudgeKubelet, 200, kubePods, kubelet},
		{JudgeKubelet, 401, "Unauthorized", "n/a"},
		{JudgeKubelet, 200, kubeNamespaces, "n/a"},
		{JudgeKubelet, 200, `<html>pods</html>`, "n/a"},
	} {
		if got := judged(tc.judge(tc.status, []byte(tc.body))); got != tc.want {
			t.Errorf("%d %.40s: %s, want %s", tc.status, tc.body, got, tc.want)
		}
	}
}

func TestJudgeSearch(t *testing.T) {
	// Elasticsearch 7.17 with security off; 8.x with it on.
	if got := judged(JudgeElasticsearch(200, []byte(`[{"index":"logs-2026.12","docs.count":"1204"},{"index":"users","docs.count":"17"}]`))); got != "elasticsearch-no-auth/critical" {
		t.Errorf("open: %s", got)
	}
	if got := judged(JudgeElasticsearch(200, []byte(`[]`))); got != "elasticsearch-no-auth/critical" {
		t.Errorf("open, no indices: %s", got)
	}
	es401 := `{"error":{"root_cause":[{"type":"security_exception","reason":"missing authentication credentials for REST request [/_cat/indices]"}],"type":"security_exception"},"status":401}`
	if got := judged(JudgeElasticsearch(401, []byte(es401))); got != "n/a" {
		t.Errorf("secured: %s", got)
	}
	if got := judged(JudgeElasticsearch(200, []byte(`{"error":"x"}`))); got != "n/a" {
		t.Errorf("an object: %s", got)
	}
	// CouchDB 2.3 without an admin; 3.3 with one.
	party := `{"ok":true,"userCtx":{"name":null,"roles":["_admin"]},"info":{"authentication_handlers":["cookie","default"],"authenticated":"default"}}`
	anon := `{"ok":true,"userCtx":{"name":null,"roles":[]},"info":{"authentication_handlers":["cookie","default"]}}`
	unauthorized := `{"error":"unauthorized","reason":"You are not a server admin."}`
	for name, tc := range map[string]struct {
		ss       int
		session  string
		ds       int
		dbs, out string
	}{
		"admin party":      {200, party, 200, `["_replicator","_users","orders"]`, "couchdb-admin-party/critical"},
		"dbs listed":       {200, anon, 200, `["orders"]`, "couchdb-no-auth/high"},
		"secured":          {200, anon, 401, unauthorized, "n/a"},
		"logged in, named": {200, `{"ok":true,"userCtx":{"name":"admin","roles":["_admin"]}}`, 401, unauthorized, "n/a"},
		"not couchdb":      {404, "not found", 404, "not found", "n/a"},
	} {
		if got := judged(JudgeCouchDB(tc.ss, []byte(tc.session), tc.ds, []byte(tc.dbs))); got != tc.out {
			t.Errorf("%s: %s, want %s", name, got, tc.out)
		}
	}
}

func FuzzMoreJudges(f *testing.F) {
	f.Add(zkReply(0, "zookeeper"), 200)
	f.Add([]byte(dockerInfo), 200)
	f.Fuzz(func(t *testing.T, b []byte, status int) {
		JudgeZKChildren(b)
		JudgeZKEnvi(b)
		JudgeDocker(status, b)
		JudgeKubeAPI(status, b)
		JudgeKubelet(status, b)
		JudgeElasticsearch(status, b)
		JudgeCouchDB(status, b, status, b)
	})
}
