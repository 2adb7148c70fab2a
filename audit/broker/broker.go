// Package broker holds the audit's checks of message brokers that let in
// clients without credentials: an MQTT broker that accepts an anonymous
// CONNECT (Mosquitto's allow_anonymous), a NATS server without
// authorization, and RabbitMQ's guest/guest where the broker's own
// default account is reachable from afar. Each check makes at most one
// connection attempt with no credentials or the product's documented
// default, never a guess, and judges the answer with a pure function of
// the bytes (JudgeMQTT, JudgeNATS, JudgeAMQP), tested on literal bytes
// and against real daemons in the audit zoo.
package broker

import (
	"github.com/ajarsec/ajar/audit"
)

func init() {
	audit.Register(mqttCheck{})
	audit.Register(natsCheck{})
	audit.Register(amqpCheck{})
}

// replyMax bounds one answer read: CONNACKs, INFO lines and AMQP method
// frames are small.
const replyMax = 32 << 10
