package store

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() {
	audit.Register(elasticsearchCheck{})
	audit.Register(couchdbCheck{})
}

// Elasticsearch and OpenSearch.

type elasticsearchCheck struct{}

func (elasticsearchCheck) Info() audit.Info {
	return audit.Info{Name: "elasticsearch-auth", Services: []string{"elasticsearch"}, Proto: portspec.TCP}
}

func (elasticsearchCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	status, body, err := httpDo(ctx, t, "GET", "/_cat/indices?format=json&h=index,docs.count&s=index", "", "")
	if err != nil {
		return nil, err
	}
	return JudgeElasticsearch(status, body)
}

// JudgeElasticsearch judges GET /_cat/indices (JSON) asked without
// credentials: a 200 with the list of indices means anyone can search,
// change and delete every document (security off: Elasticsearch before
// 8 by default, OpenSearch with the security plugin disabled). A 401
// (security on) or 403 is not applicable.
func JudgeElasticsearch(status int, body []byte) ([]record.Finding, error) {
	var idx []struct {
		Index string `json:"index"`
		Docs  string `json:"docs.count"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &idx) != nil {
		return nil, audit.ErrNotApplicable
	}
	var names []string
	for i, x := range idx {
		if i == 8 {
			names = append(names, "…")
			break
		}
		names = append(names, x.Index+" ("+x.Docs+" docs)")
	}
	return []record.Finding{{
		ID: "elasticsearch-no-auth", Category: record.NoAuth, Severity: record.Critical,
		Title: "Elasticsearch/OpenSearch serves its indices without authentication",
		Evidence: audit.Evidence([]byte(fmt.Sprintf("GET /_cat/indices without credentials: 200, %d indices: %s",
			len(idx), strings.Join(names, ", ")))),
		Remediation: "turn security on: Elasticsearch `xpack.security.enabled: true` (with `xpack.security.http.ssl.enabled: true`, " +
			"then `elasticsearch-reset-password`), OpenSearch: keep the security plugin (no `plugins.security.disabled: true`); " +
			"bind `network.host` to an internal address",
		References: []string{"CWE-306", "https://www.elastic.co/guide/en/elasticsearch/reference/current/security-minimal-setup.html"},
		Confidence: record.Confirmed,
	}}, nil
}

// CouchDB: identification names it http, with the product from its
// Server header.

type couchdbCheck struct{}

func (couchdbCheck) Info() audit.Info {
	return audit.Info{Name: "couchdb-auth", Services: []string{"http", "couchdb"}, Proto: portspec.TCP}
}

func (couchdbCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	if t.Service == nil || !strings.Contains(t.Service.Product, "CouchDB") {
		return nil, audit.ErrNotApplicable
	}
	status, session, err := httpDo(ctx, t, "GET", "/_session", "", "")
	if err != nil {
		return nil, err
	}
	dbStatus, dbs, err := httpDo(ctx, t, "GET", "/_all_dbs", "", "")
	if err != nil {
		return nil, err
	}
	return JudgeCouchDB(status, session, dbStatus, dbs)
}

// JudgeCouchDB judges GET /_session and GET /_all_dbs asked without
// credentials. A session whose anonymous user has the role _admin is
// the "admin party" (CouchDB before 3.0 without an admin): anyone is
// the server's administrator. Otherwise a 200 list of databases means
// anyone can list them (admin_only_all_dbs = false, or CouchDB 2). A
// 401 and a session without roles are not applicable.
func JudgeCouchDB(sessionStatus int, session []byte, dbStatus int, dbs []byte) ([]record.Finding, error) {
	var s struct {
		OK      bool `json:"ok"`
		UserCtx *struct {
			Name  *string  `json:"name"`
			Roles []string `json:"roles"`
		} `json:"userCtx"`
	}
	var names []string
	listed := dbStatus == http.StatusOK && json.Unmarshal(dbs, &names) == nil
	dbNote := ""
	if listed {
		dbNote = fmt.Sprintf("; GET /_all_dbs: %d databases: %s", len(names), strings.Join(first(names, 8), " "))
	}
	if sessionStatus == http.StatusOK && json.Unmarshal(session, &s) == nil && s.OK && s.UserCtx != nil &&
		s.UserCtx.Name == nil && slices.Contains(s.UserCtx.Roles, "_admin") {
		return []record.Finding{couchFinding("couchdb-admin-party", record.Critical,
			"CouchDB makes every anonymous client its administrator (admin party)",
			`GET /_session without credentials: userCtx {"name":null,"roles":["_admin"]}`+dbNote)}, nil
	}
	if listed {
		return []record.Finding{couchFinding("couchdb-no-auth", record.High,
			"CouchDB lists its databases to anonymous clients", strings.TrimPrefix(dbNote, "; "))}, nil
	}
	return nil, audit.ErrNotApplicable
}

func couchFinding(id string, sev record.Severity, title, ev string) record.Finding {
	return record.Finding{
		ID: id, Category: record.NoAuth, Severity: sev, Title: title, Evidence: audit.Evidence([]byte(ev)),
		Remediation: "create an admin (`[admins]` in local.ini, or COUCHDB_USER/COUCHDB_PASSWORD), set `[chttpd] require_valid_user = true` " +
			"and `[chttpd_auth] require_valid_user = true`, keep `[chttpd] admin_only_all_dbs = true`; bind `[chttpd] bind_address` to an internal address",
		References: []string{"CWE-306", "https://docs.couchdb.org/en/stable/intro/security.html"},
		Confidence: record.Confirmed,
	}
}

// first returns at most n strings, with "…" for the rest.
func first(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(slices.Clone(s[:n]), "…")
}
