package policy

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestSchema: the schema accepts the files Parse accepts, and refuses
// the mistakes an editor should underline.
func TestSchema(t *testing.T) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	check := func(src string) error {
		j, err := yaml.YAMLToJSON([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(j, &v); err != nil {
			t.Fatal(err)
		}
		return sch.Validate(v)
	}
	good := []string{minimal, `version: 1
findings: high
loopback: check
groups: {web: [10.0.0.5, 10.0.1.0/24]}
hosts:
  - match: [web, "*"]
    findings: low
    allow:
      - {port: ssh, sources: [192.0.2.0/24], process: sshd, user: root, required: true}
      - {port: udp/53, service: domain, exposure: interface eth0, product: dnsmasq, note: dns}
`}
	for _, src := range good {
		if _, err := Parse("p.yaml", []byte(src)); err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if err := check(src); err != nil {
			t.Errorf("schema refuses a good policy: %v\n%s", err, src)
		}
	}
	bad := []string{
		"version: 2\n",
		"version: 1\nhost: []\n",
		"version: 1\nhosts: [{allow: []}]\n",
		"version: 1\nhosts: [{match: a, allow: [{port: tcp/22, exposed: all}]}]\n",
		"version: 1\nhosts: [{match: a, allow: [{port: 22}]}]\n",
		"version: 1\nhosts: [{match: a, allow: [{port: tcp/22, exposure: public}]}]\n",
		"version: 1\nfindings: severe\n",
	}
	for _, src := range bad {
		if err := check(src); err == nil {
			t.Errorf("schema takes a bad policy:\n%s", src)
		}
		if _, err := Parse("p.yaml", []byte(src)); err == nil {
			t.Errorf("Parse takes a bad policy:\n%s", src)
		}
	}
}
