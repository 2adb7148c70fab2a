package store

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() {
	audit.Register(dockerCheck{})
	audit.Register(kubeAPICheck{})
	audit.Register(kubeletCheck{})
}

// The Docker Engine API.

type dockerCheck struct{}

func (dockerCheck) Info() audit.Info {
	return audit.Info{Name: "docker-api", Services: []string{"docker"}, Proto: portspec.TCP}
}

func (dockerCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	status, body, err := httpDo(ctx, t, "GET", "/info", "", "")
	if err != nil {
		return nil, err
	}
	return JudgeDocker(status, body)
}

// JudgeDocker judges GET /info of the Docker Engine API, asked without a
// client certificate: a 200 with the daemon's ID means anyone who
// reaches the port can start a privileged container that mounts the
// host's root: root on the host.
func JudgeDocker(status int, body []byte) ([]record.Finding, error) {
	var r struct {
		ID              string
		Name            string
		ServerVersion   string
		OperatingSystem string
		Containers      *int
		Images          *int
	}
	if status != http.StatusOK || json.Unmarshal(body, &r) != nil || r.ID == "" || r.Containers == nil {
		return nil, audit.ErrNotApplicable
	}
	images := 0
	if r.Images != nil {
		images = *r.Images
	}
	return []record.Finding{{
		ID: "docker-api-no-auth", Category: record.NoAuth, Severity: record.Critical,
		Title: "Docker Engine API answers without TLS client authentication: root on the host for anyone",
		Evidence: audit.Evidence([]byte(fmt.Sprintf("GET /info without credentials: 200, daemon %s, Docker %s on %s, %d containers, %d images",
			r.Name, r.ServerVersion, r.OperatingSystem, *r.Containers, images))),
		Remediation: "do not expose the API on TCP (`-H unix:///var/run/docker.sock` only, no `tcp://` in daemon.json `hosts`); " +
			"where remote access is needed use `--tlsverify --tlscacert --tlscert --tlskey` on port 2376, or SSH (`DOCKER_HOST=ssh://`)",
		References: []string{"CWE-306", "https://docs.docker.com/engine/security/protect-access/"},
		Confidence: record.Confirmed,
	}}, nil
}

// The Kubernetes API server.

type kubeAPICheck struct{}

func (kubeAPICheck) Info() audit.Info {
	return audit.Info{Name: "kubernetes-anonymous", Services: []string{"kubernetes"}, Proto: portspec.TCP}
}

func (kubeAPICheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	status, body, err := httpDo(ctx, t, "GET", "/api/v1/namespaces?limit=20", "", "")
	if err != nil {
		return nil, err
	}
	return JudgeKubeAPI(status, body)
}

// kubeList is what the checks read of a Kubernetes list.
type kubeList struct {
	Kind  string `json:"kind"`
	Items []struct {
		Metadata struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	} `json:"items"`
}

func (l *kubeList) names(max int) string {
	var out []string
	for i, it := range l.Items {
		if i == max {
			out = append(out, "…")
			break
		}
		n := it.Metadata.Name
		if it.Metadata.Namespace != "" {
			n = it.Metadata.Namespace + "/" + n
		}
		out = append(out, n)
	}
	return strings.Join(out, " ")
}

// JudgeKubeAPI judges GET /api/v1/namespaces asked anonymously: a
// NamespaceList means system:anonymous (or system:unauthenticated) is
// bound to a role that reads the cluster. A 401 or a 403 Status (the
// default: anonymous requests are allowed only /version, /healthz and
// the discovery paths) is not applicable.
func JudgeKubeAPI(status int, body []byte) ([]record.Finding, error) {
	var l kubeList
	if status != http.StatusOK || json.Unmarshal(body, &l) != nil || l.Kind != "NamespaceList" {
		return nil, audit.ErrNotApplicable
	}
	return []record.Finding{{
		ID: "kubernetes-anonymous-read", Category: record.NoAuth, Severity: record.Critical,
		Title: "Kubernetes API server lets anonymous requests read the cluster",
		Evidence: audit.Evidence([]byte(fmt.Sprintf("GET /api/v1/namespaces without credentials: 200 NamespaceList, %d namespaces: %s",
			len(l.Items), l.names(8)))),
		Remediation: "remove the RoleBindings/ClusterRoleBindings that name `system:anonymous` or `system:unauthenticated` " +
			"(`kubectl get clusterrolebindings -o wide`), and run kube-apiserver with `--anonymous-auth=false` where health checks allow",
		References: []string{"CWE-306", "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests"},
		Confidence: record.Confirmed,
	}}, nil
}

// The kubelet.

type kubeletCheck struct{}

// The kubelet is not named by identification (its API answers "/" with
// a Go 404): the check asks every HTTP service for /pods and believes
// only a PodList.
func (kubeletCheck) Info() audit.Info {
	return audit.Info{Name: "kubelet-anonymous", Services: []string{"http", "kubernetes"}, Proto: portspec.TCP}
}

func (kubeletCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	status, body, err := httpDo(ctx, t, "GET", "/pods", "", "")
	if err != nil {
		return nil, err
	}
	return JudgeKubelet(status, body)
}

// JudgeKubelet judges GET /pods of a kubelet asked anonymously: a
// PodList means the kubelet's API (port 10250 with
// --anonymous-auth=true and --authorization-mode=AlwaysAllow, or the
// read-only port 10255) lists every pod's spec, environment included;
// on 10250 /run and /exec run commands in them. 401 Unauthorized (the
// default of kubeadm clusters) is not applicable.
func JudgeKubelet(status int, body []byte) ([]record.Finding, error) {
	var l kubeList
	if status != http.StatusOK || json.Unmarshal(body, &l) != nil || l.Kind != "PodList" {
		return nil, audit.ErrNotApplicable
	}
	return []record.Finding{{
		ID: "kubelet-anonymous", Category: record.NoAuth, Severity: record.Critical,
		Title: "kubelet API answers anonymous requests",
		Evidence: audit.Evidence([]byte(fmt.Sprintf("GET /pods without credentials: 200 PodList, %d pods: %s",
			len(l.Items), l.names(8)))),
		Remediation: "in the kubelet configuration set `authentication.anonymous.enabled: false`, " +
			"`authorization.mode: Webhook` and `readOnlyPort: 0` (flags `--anonymous-auth=false --authorization-mode=Webhook --read-only-port=0`)",
		References: []string{"CWE-306", "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/"},
		Confidence: record.Confirmed,
	}}, nil
}
