package store

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { audit.Register(etcdCheck{}) }

type etcdCheck struct{}

func (etcdCheck) Info() audit.Info {
	return audit.Info{Name: "etcd-auth", Services: []string{"etcd"}, Proto: portspec.TCP}
}

// etcdCountAll is a v3 Range of every key ("\x00" to "\x00", base64)
// that returns only their number: nothing is read but a count.
const etcdCountAll = `{"key":"AA==","range_end":"AA==","count_only":true}`

func (etcdCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	status, body, err := httpDo(ctx, t, "POST", "/v3/kv/range", "application/json", etcdCountAll)
	if err != nil {
		return nil, err
	}
	if status == http.StatusNotFound {
		return etcdWithoutGateway(ctx, t)
	}
	fs, err := JudgeEtcdV3(status, body)
	if err != nil {
		return nil, err
	}
	// The members' names and URLs, for the evidence: also unauthenticated.
	if st, mb, err := httpDo(ctx, t, "POST", "/v3/cluster/member/list", "application/json", "{}"); err == nil && st == http.StatusOK {
		if m := etcdMembers(mb); m != "" {
			fs[0].Evidence += "; members: " + m
		}
	}
	return fs, nil
}

// etcdWithoutGateway asks a server whose JSON gateway is off: the v2
// keys API (etcd 2, or 3 with --enable-v2), then gRPC itself.
func etcdWithoutGateway(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	status, body, err := httpDo(ctx, t, "GET", "/v2/keys/", "", "")
	if err != nil {
		return nil, err
	}
	if fs, err := JudgeEtcdV2(status, body); err == nil || t.Service.Tunnel == "ssl" {
		return fs, err
	}
	gs, msg, err := etcdGRPCRange(ctx, t)
	if err != nil {
		return nil, err
	}
	return JudgeEtcdGRPC(gs, msg)
}

// JudgeEtcdV3 judges the answer to a count-only v3 Range of every key
// sent without a token: a 200 with a response header (the count is
// left out when it is 0) means anyone can read and write every key —
// Kubernetes' secrets, where etcd backs a cluster. An error ("user name
// is empty", "invalid auth token") is not applicable.
func JudgeEtcdV3(status int, body []byte) ([]record.Finding, error) {
	var r struct {
		Header *struct {
			ClusterID string `json:"cluster_id"`
			Revision  string `json:"revision"`
		} `json:"header"`
		Count string `json:"count"`
		Error string `json:"error"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &r) != nil || r.Header == nil || r.Error != "" {
		return nil, audit.ErrNotApplicable
	}
	count := "0"
	if n, err := strconv.ParseUint(r.Count, 10, 64); err == nil {
		count = strconv.FormatUint(n, 10)
	}
	ev := fmt.Sprintf("POST /v3/kv/range (count only, every key) without a token: 200, %s keys, cluster %s, revision %s",
		count, r.Header.ClusterID, r.Header.Revision)
	return etcdFinding(ev), nil
}

// JudgeEtcdV2 judges GET /v2/keys/: a 200 listing of the root directory
// without credentials.
func JudgeEtcdV2(status int, body []byte) ([]record.Finding, error) {
	var r struct {
		Action string `json:"action"`
		Node   *struct {
			Dir   bool              `json:"dir"`
			Nodes []json.RawMessage `json:"nodes"`
		} `json:"node"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &r) != nil || r.Action != "get" || r.Node == nil || !r.Node.Dir {
		return nil, audit.ErrNotApplicable
	}
	return etcdFinding(fmt.Sprintf("GET /v2/keys/ without credentials: 200, %d entries under /", len(r.Node.Nodes))), nil
}

func etcdFinding(ev string) []record.Finding {
	return []record.Finding{{
		ID: "etcd-no-auth", Category: record.NoAuth, Severity: record.Critical,
		Title:    "etcd serves its keys to clients without credentials",
		Evidence: audit.Evidence([]byte(ev)),
		Remediation: "require client certificates (`--client-cert-auth --trusted-ca-file=<ca>` with https:// client URLs) " +
			"or enable authentication (`etcdctl user add root`, `etcdctl auth enable`); listen on loopback or the cluster network only",
		References: []string{"CWE-306", "https://etcd.io/docs/v3.5/op-guide/security/", "https://etcd.io/docs/v3.5/op-guide/authentication/rbac/"},
		Confidence: record.Confirmed,
	}}
}

// etcdMembers lists the members' names and client URLs.
func etcdMembers(body []byte) string {
	var r struct {
		Members []struct {
			Name       string   `json:"name"`
			ClientURLs []string `json:"clientURLs"`
		} `json:"members"`
	}
	if json.Unmarshal(body, &r) != nil {
		return ""
	}
	var out []string
	for i, m := range r.Members {
		if i == 4 {
			out = append(out, "…")
			break
		}
		out = append(out, m.Name+" "+strings.Join(m.ClientURLs, ","))
	}
	return strings.Join(out, "; ")
}
