package http

import (
	"slices"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

// kubernetesApp: the Kubernetes API server answers an anonymous "/" with
// a Status object ({"kind":"Status","apiVersion":"v1",...,"code":403}) or,
// where anonymous reads are allowed, with the list of its paths; /version
// (public by default) gives gitVersion and platform.
var kubernetesApp = app{
	name:     "kubernetes",
	tlsPorts: []uint16{6443},
	root:     kubernetesRoot,
	next:     kubernetesVersion,
}

func kubernetesRoot(r *Response) (*record.Service, string) {
	var doc struct {
		Kind       string   `json:"kind"`
		APIVersion string   `json:"apiVersion"`
		Status     string   `json:"status"`
		Reason     string   `json:"reason"`
		Paths      []string `json:"paths"`
	}
	if isGoServer(r) && r.Status == 404 {
		return nil, "/version"
	}
	if !jsonBody(r, &doc) {
		return nil, ""
	}
	svc := &record.Service{Product: "Kubernetes API server", Confidence: 8,
		CPE: []string{fingerprint.CPE("kubernetes", "kubernetes", "")}}
	switch {
	case doc.Kind == "Status" && doc.APIVersion == "v1" && doc.Status != "":
		if doc.Reason != "" {
			svc.ExtraInfo = "/: " + clean(doc.Reason, 40)
		}
		return svc, "/version"
	case slices.Contains(doc.Paths, "/api") && slices.Contains(doc.Paths, "/version"):
		return svc, "/version"
	}
	return nil, ""
}

func kubernetesVersion(r *Response, found *record.Service) *record.Service {
	var v struct {
		Major, Minor string
		GitVersion   string `json:"gitVersion"`
		Platform     string `json:"platform"`
		GoVersion    string `json:"goVersion"`
	}
	if r.Status != 200 || !jsonBody(r, &v) || !strings.HasPrefix(v.GitVersion, "v") || v.Platform == "" {
		return nil
	}
	svc := &record.Service{Product: "Kubernetes API server", Confidence: 10}
	if found != nil {
		svc.Product = found.Product
	}
	svc.Version = clean(strings.TrimPrefix(v.GitVersion, "v"), 40)
	svc.ExtraInfo = "platform " + clean(v.Platform, 40)
	svc.CPE = []string{fingerprint.CPE("kubernetes", "kubernetes", svc.Version)}
	return svc
}
