package mqtt

import (
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
)

// sysVersionTopic is where brokers publish their own name and version
// (mosquitto: "mosquitto version 2.0.11"), retained, so that a new
// subscriber gets it at once.
const sysVersionTopic = "$SYS/broker/version"

// subscribeVersion is a SUBSCRIBE (packet id 1, QoS 0) to
// sysVersionTopic.
func subscribeVersion() []byte {
	body := []byte{0x00, 0x01, 0x00, byte(len(sysVersionTopic))}
	body = append(body, sysVersionTopic...)
	body = append(body, 0x00)
	return append([]byte{0x82, byte(len(body))}, body...)
}

// versionDone is a ReadUntil test: a PUBLISH arrived whole.
func versionDone(b []byte) bool {
	for len(b) > 0 {
		typ, _, whole, ok := packet(b)
		if !ok || !whole {
			return !ok
		}
		if typ>>4 == 3 {
			return true
		}
		b = b[packetLen(b):]
	}
	return false
}

// packetLen is the length of the whole packet at the start of b, which
// packet has found whole.
func packetLen(b []byte) int {
	n, size, _ := varint(b[1:])
	return 1 + size + n
}

// ParseSysVersion finds the PUBLISH of sysVersionTopic among a broker's
// packets and reads the product and version from its payload.
func ParseSysVersion(b []byte) (product, version string, err error) {
	for len(b) > 0 {
		typ, body, whole, ok := packet(b)
		if !ok || !whole {
			break
		}
		b = b[packetLen(b):]
		if typ>>4 != 3 || len(body) < 2 {
			continue
		}
		n := int(body[0])<<8 | int(body[1])
		if 2+n > len(body) || string(body[2:2+n]) != sysVersionTopic {
			continue
		}
		payload := body[2+n:]
		if typ&0x06 != 0 { // QoS 1 or 2: a packet id comes first
			if len(payload) < 2 {
				break
			}
			payload = payload[2:]
		}
		return splitVersion(string(payload))
	}
	return "", "", fingerprint.ErrNoMatch
}

// splitVersion reads "mosquitto version 2.0.11" and the like.
func splitVersion(s string) (product, version string, err error) {
	s = strings.TrimSpace(fingerprint.Printable([]byte(s), 128))
	name, ver, ok := strings.Cut(s, " version ")
	if !ok || name == "" || ver == "" || strings.ContainsAny(ver, " \\") {
		return "", "", fingerprint.ErrNoMatch
	}
	if strings.EqualFold(name, "mosquitto") {
		name = "Mosquitto"
	}
	return name, ver, nil
}
