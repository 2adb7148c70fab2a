package broker

import (
	"context"
	"fmt"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/fingerprint/mqtt"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

type mqttCheck struct{}

func (mqttCheck) Info() audit.Info {
	return audit.Info{Name: "mqtt-anonymous", Services: []string{"mqtt"}, Proto: portspec.TCP}
}

// mqttDisconnect ends an accepted session politely.
var mqttDisconnect = []byte{0xe0, 0x00}

func (mqttCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	c, err := t.Dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	// MQTT 3.1.1 CONNECT, clean session, no user name, no password.
	b, err := audit.Exchange(c, mqtt.Connect(4), func(b []byte) bool { return len(b) >= 4 }, 64)
	if err != nil && len(b) < 4 {
		return nil, fmt.Errorf("CONNECT: %w", err)
	}
	fs, jerr := JudgeMQTT(b)
	if jerr == nil {
		c.Write(mqttDisconnect)
	}
	return fs, jerr
}

// JudgeMQTT judges the answer to an MQTT 3.1.1 CONNECT without a user
// name or password: a CONNACK with return code 0 means the broker lets
// anyone publish and subscribe (within what its ACLs, if any, allow).
// Code 5 (not authorized) or 4 (bad user name or password) is not
// applicable, nor is anything that is not a CONNACK.
func JudgeMQTT(b []byte) ([]record.Finding, error) {
	if len(b) < 4 || b[0] != 0x20 || b[1] != 0x02 || b[3] != 0 {
		return nil, audit.ErrNotApplicable
	}
	return []record.Finding{{
		ID: "mqtt-anonymous", Category: record.NoAuth, Severity: record.High,
		Title: "MQTT broker accepts clients without a user name or password",
		Evidence: audit.Evidence([]byte(fmt.Sprintf("CONNECT (MQTT 3.1.1, no user name, no password): CONNACK return code 0 "+
			"(connection accepted), session present %d", b[2]&1))),
		Remediation: "in mosquitto.conf set `allow_anonymous false` with a `password_file` (mosquitto_passwd) " +
			"or client certificates (`require_certificate true`), and an `acl_file`; other brokers: turn anonymous access off",
		References: []string{"CWE-306", "https://mosquitto.org/man/mosquitto-conf-5.html"},
		Confidence: record.Confirmed,
	}}, nil
}
