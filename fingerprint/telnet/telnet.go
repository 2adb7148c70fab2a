// Package telnet recognises Telnet servers (RFC 854) by what they send
// first: option negotiation (IAC DO, WILL, ... RFC 855) and, or, a login
// prompt. A few daemons are named by the options they ask for first.
package telnet

import (
	"bytes"
	"context"
	"slices"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{
		Name:        "telnet",
		Proto:       portspec.TCP,
		Ports:       []uint16{23, 2323},
		ServerFirst: true,
		Rarity:      6,
	}
}

// Identify decides from the banner alone: answering the negotiation
// would take more round trips than the name is worth.
func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	return Parse(c.Banner())
}

// Telnet command bytes (RFC 854).
const (
	cmdSE   = 240
	cmdSB   = 250
	cmdWILL = 251
	cmdWONT = 252
	cmdDO   = 253
	cmdDONT = 254
	cmdIAC  = 255
)

// Negotiation is one option command: WILL, WONT, DO or DONT (the command
// byte) and the option, or SB for a subnegotiation.
type Negotiation struct {
	Cmd, Opt byte
}

// signatures are the first negotiations of well-known daemons.
var signatures = []struct {
	first                 []Negotiation
	product, vendor, name string
}{
	// BusyBox telnetd asks for ECHO and NAWS, and offers ECHO and SGA.
	{[]Negotiation{{cmdDO, 1}, {cmdDO, 31}, {cmdWILL, 1}, {cmdWILL, 3}}, "BusyBox telnetd", "busybox", "busybox"},
	// GNU inetutils telnetd 2.4 (Debian 12): WILL AUTHENTICATION and
	// ENCRYPT, then DO TTYPE, TSPEED, XDISPLOC, NEW-ENVIRON, OLD-ENVIRON.
	{[]Negotiation{{cmdWILL, 37}, {cmdWILL, 38}, {cmdDO, 24}, {cmdDO, 32}, {cmdDO, 35}, {cmdDO, 39}, {cmdDO, 36}},
		"GNU inetutils telnetd", "gnu", "inetutils"},
}

// Parse reads what a Telnet server sent first: well-formed option
// negotiation mixed with text, or a bare login prompt.
func Parse(banner []byte) (*record.Service, error) {
	negs, text, ok := Split(banner)
	if !ok {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: "telnet", Confidence: 9}
	switch {
	case len(negs) > 0:
	case isPrompt(text):
		svc.Confidence = 5
	default:
		return nil, fingerprint.ErrNoMatch
	}
	for _, s := range signatures {
		if len(negs) >= len(s.first) && slices.Equal(negs[:len(s.first)], s.first) {
			svc.Product = s.product
			svc.CPE = []string{fingerprint.CPE(s.vendor, s.name, "")}
			break
		}
	}
	return svc, nil
}

// Split separates a Telnet stream into its option negotiations and its
// text. ok is false when the stream breaks the protocol: an IAC followed
// by no command, or text with control bytes a terminal does not take.
// A stream cut in the middle of a command is fine: the banner is a
// snapshot.
func Split(b []byte) (negs []Negotiation, text []byte, ok bool) {
	for i := 0; i < len(b); i++ {
		ch := b[i]
		if ch != cmdIAC {
			if !textByte(ch) {
				return nil, nil, false
			}
			text = append(text, ch)
			continue
		}
		if i+1 >= len(b) {
			break
		}
		i++
		switch cmd := b[i]; {
		case cmd == cmdIAC:
			text = append(text, cmdIAC)
		case cmd >= cmdWILL:
			if i+1 >= len(b) {
				return negs, text, true
			}
			i++
			negs = append(negs, Negotiation{cmd, b[i]})
		case cmd == cmdSB:
			if i+1 >= len(b) {
				return negs, text, true
			}
			end := bytes.Index(b[i+1:], []byte{cmdIAC, cmdSE})
			negs = append(negs, Negotiation{cmdSB, b[i+1]})
			if end < 0 {
				return negs, text, true
			}
			i += 1 + end + 1
		case cmd >= cmdSE:
			// NOP, DM, BRK, IP, AO, AYT, EC, EL, GA, SE: no argument.
		default:
			return nil, nil, false
		}
	}
	return negs, text, true
}

// textByte reports whether a terminal would take ch as text: printable
// bytes, UTF-8, and the controls a login banner uses.
func textByte(ch byte) bool {
	switch ch {
	case 0, '\a', '\b', '\t', '\n', '\r', '\f', 0x1b:
		return true
	}
	return ch >= 0x20 && ch != 0x7f
}

// isPrompt reports whether text ends in a login prompt.
func isPrompt(text []byte) bool {
	t := strings.ToLower(strings.TrimRight(string(text), " \t\r\n\x00"))
	for _, p := range []string{"login:", "username:", "user name:", "user:", "password:"} {
		if strings.HasSuffix(t, p) {
			return true
		}
	}
	return false
}
