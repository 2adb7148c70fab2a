package http

import (
	"bytes"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

// elasticsearchApp: Elasticsearch and OpenSearch describe themselves in
// JSON at "/": node name, cluster name, version.number and the tagline
// ("You Know, for Search"); OpenSearch adds version.distribution. With
// security on, "/" is a 401 with a security_exception and a Basic realm
// "security".
var elasticsearchApp = app{
	name:  "elasticsearch",
	ports: []uint16{9200},
	root:  elasticsearchRoot,
	next:  noNext,
}

func elasticsearchRoot(r *Response) (*record.Service, string) {
	var doc struct {
		Name        string `json:"name"`
		ClusterName string `json:"cluster_name"`
		Version     struct {
			Number       string `json:"number"`
			Distribution string `json:"distribution"`
			Lucene       string `json:"lucene_version"`
		} `json:"version"`
		Tagline string `json:"tagline"`
	}
	product := strings.TrimSpace(r.Header.Get("X-Elastic-Product"))
	if r.Status == 200 && jsonBody(r, &doc) && doc.Version.Number != "" &&
		(doc.ClusterName != "" || doc.Tagline != "" || product != "") {
		return elasticsearchService(doc.Version.Distribution, doc.Version.Number, doc.ClusterName, doc.Name, doc.Tagline), ""
	}
	if product == "Elasticsearch" {
		return elasticsearchService("", "", "", "", ""), ""
	}
	if r.Status == 401 && strings.Contains(r.Header.Get("WWW-Authenticate"), `realm="security"`) &&
		bytes.Contains(r.Body, []byte("security_exception")) {
		svc := elasticsearchService("", "", "", "", "")
		svc.ExtraInfo, svc.Confidence = "authentication required", 8
		return svc, ""
	}
	return nil, ""
}

func elasticsearchService(dist, version, cluster, node, tagline string) *record.Service {
	version = clean(version, 40)
	svc := &record.Service{Product: "Elasticsearch", Version: version, Confidence: 10}
	vendor, product := "elastic", "elasticsearch"
	if strings.EqualFold(dist, "opensearch") || strings.Contains(tagline, "OpenSearch") {
		svc.Product, vendor, product = "OpenSearch", "amazon", "opensearch"
	}
	var extra []string
	if cluster != "" {
		extra = append(extra, "cluster: "+clean(cluster, 60))
	}
	if node != "" {
		extra = append(extra, "node: "+clean(node, 60))
	}
	svc.ExtraInfo = strings.Join(extra, "; ")
	svc.CPE = []string{fingerprint.CPE(vendor, product, version)}
	return svc
}
