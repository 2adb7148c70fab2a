package http

import (
	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

// etcdApp: etcd's client port answers "/" with Go's plain 404, and
// /version with {"etcdserver":"3.4.23","etcdcluster":"3.4.0"}.
var etcdApp = app{
	name:     "etcd",
	ports:    []uint16{2379},
	tlsPorts: []uint16{2379},
	root:     etcdRoot,
	next:     etcdVersion,
}

func etcdRoot(r *Response) (*record.Service, string) {
	if isGoServer(r) && r.Status == 404 {
		return nil, "/version"
	}
	return nil, ""
}

func etcdVersion(r *Response, _ *record.Service) *record.Service {
	var v struct {
		Server  string `json:"etcdserver"`
		Cluster string `json:"etcdcluster"`
	}
	if r.Status != 200 || !jsonBody(r, &v) || v.Server == "" {
		return nil
	}
	svc := &record.Service{Product: "etcd", Version: clean(v.Server, 40), Confidence: 10}
	if v.Cluster != "" {
		svc.ExtraInfo = "cluster version " + clean(v.Cluster, 40)
	}
	svc.CPE = []string{fingerprint.CPE("etcd", "etcd", svc.Version)}
	return svc
}
