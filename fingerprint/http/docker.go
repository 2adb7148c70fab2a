package http

import (
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

// dockerApp: the Docker Engine API answers every request with "Server:
// Docker/20.10.24+dfsg1 (linux)" and Api-Version and Ostype headers; its
// /version says the engine's version, API version, OS and architecture.
var dockerApp = app{
	name:     "docker",
	ports:    []uint16{2375},
	tlsPorts: []uint16{2376},
	root:     dockerRoot,
	next:     dockerVersion,
}

func dockerRoot(r *Response) (*record.Service, string) {
	toks := splitProducts(r.Header.Get("Server"))
	isDocker := len(toks) > 0 && toks[0].name == "Docker"
	if !isDocker && !(r.Header.Has("Api-Version") && (r.Header.Has("Ostype") || r.Header.Has("Docker-Experimental"))) {
		if isDockerNotFound(r) {
			// Docker 20.10 answers "/" with its JSON 404 and none of
			// its headers: /version settles it.
			return nil, "/version"
		}
		return nil, ""
	}
	svc := &record.Service{Product: "Docker", Confidence: 9}
	var extra []string
	if isDocker {
		svc.Version = clean(toks[0].version, 40)
		if toks[0].comment != "" {
			extra = append(extra, "OS "+clean(toks[0].comment, 40))
		}
	}
	if api := r.Header.Get("Api-Version"); api != "" {
		extra = append([]string{"API " + clean(api, 20)}, extra...)
	}
	svc.ExtraInfo = strings.Join(extra, "; ")
	svc.CPE = []string{fingerprint.CPE("docker", "docker", svc.Version)}
	return svc, "/version"
}

// isDockerNotFound: the Engine API's answer to a path it does not route.
func isDockerNotFound(r *Response) bool {
	return r.Status == 404 && r.Header.Get("Content-Type") == "application/json" &&
		strings.TrimSpace(string(r.Body)) == `{"message":"page not found"}`
}

// dockerVersion reads GET /version of the Engine API.
func dockerVersion(r *Response, _ *record.Service) *record.Service {
	var v struct {
		Version, ApiVersion, MinAPIVersion, Os, Arch string
		Platform                                     struct{ Name string }
	}
	if r.Status != 200 || !jsonBody(r, &v) || v.Version == "" || v.ApiVersion == "" {
		return nil
	}
	svc := &record.Service{Product: "Docker", Version: clean(v.Version, 40), Confidence: 10}
	extra := []string{"API " + clean(v.ApiVersion, 20)}
	if v.Os != "" {
		extra = append(extra, "OS "+clean(strings.Trim(v.Os+"/"+v.Arch, "/"), 40))
	}
	if v.Platform.Name != "" {
		extra = append(extra, clean(v.Platform.Name, 60))
	}
	svc.ExtraInfo = strings.Join(extra, "; ")
	svc.CPE = []string{fingerprint.CPE("docker", "docker", svc.Version)}
	return svc
}
