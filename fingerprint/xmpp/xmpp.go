// Package xmpp recognises XMPP servers (RFC 6120) by opening a stream to
// the target's domain and reading the server's stream header and
// features, or its stream error; it upgrades the session with STARTTLS
// where the server offers it. Servers rarely name themselves before
// authentication: a few do by their entity capabilities (XEP-0115) or
// their wording.
package xmpp

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

// Rarity 7: a server of another protocol may wait silently for more of
// the stream header, costing the probe's whole time.
func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{
		Name:     "xmpp",
		Proto:    portspec.TCP,
		Ports:    []uint16{5222, 5269},
		TLSPorts: []uint16{5223},
		Rarity:   7,
	}
}

// XML namespaces of the stream.
const (
	nsStreams = "http://etherx.jabber.org/streams"
	nsTLS     = "urn:ietf:params:xml:ns:xmpp-tls"
	nsSASL    = "urn:ietf:params:xml:ns:xmpp-sasl"
	nsErrors  = "urn:ietf:params:xml:ns:xmpp-streams"
	nsCaps    = "http://jabber.org/protocol/caps"
	nsClient  = "jabber:client"
	nsServer  = "jabber:server"
	// replyMax bounds what is read from the server.
	replyMax = 16 << 10
)

func (plugin) Identify(ctx context.Context, c *fingerprint.Conn) (*record.Service, error) {
	ns := nsClient
	if p := c.Addr().Port(); p == 5269 || p == 5270 {
		ns = nsServer
	}
	b, err := c.Exchange(streamHeader(c.Host(), ns), streamDone, replyMax)
	if err != nil && len(b) == 0 {
		return nil, fingerprint.ErrNoMatch
	}
	st, perr := ParseStream(b)
	if perr != nil {
		return nil, perr
	}
	svc := st.Service()
	if err != nil {
		svc.Confidence = 8 // a header, but the features were cut short
	}
	if st.StartTLS && c.TLS() == nil {
		if err := startTLS(ctx, c); err != nil {
			svc.ExtraInfo = joinInfo(svc.ExtraInfo, "STARTTLS failed")
		}
	}
	return svc, nil
}

// streamHeader opens a stream to domain in namespace ns.
func streamHeader(domain, ns string) []byte {
	var b bytes.Buffer
	b.WriteString("<?xml version='1.0'?><stream:stream to='")
	xml.EscapeText(&b, []byte(domain))
	b.WriteString("' xmlns='" + ns + "' xmlns:stream='" + nsStreams + "'")
	if ns == nsServer {
		b.WriteString(" xmlns:db='jabber:server:dialback'")
	}
	b.WriteString(" version='1.0'>")
	return b.Bytes()
}

// startTLS asks for TLS and, when the server proceeds, upgrades.
func startTLS(ctx context.Context, c *fingerprint.Conn) error {
	b, err := c.Exchange([]byte("<starttls xmlns='"+nsTLS+"'/>"), fingerprint.UntilContains(">"), replyMax)
	if err != nil {
		return err
	}
	if !bytes.Contains(b, []byte("<proceed")) {
		return errors.New("STARTTLS refused")
	}
	return c.StartTLS(ctx, "STARTTLS")
}

// streamDone is a ReadUntil test: the features or an error are whole, or
// the stream is closed.
func streamDone(b []byte) bool {
	for _, end := range []string{"</stream:features>", "<stream:features/>", "</stream:error>", "</stream:stream>"} {
		if bytes.Contains(b, []byte(end)) {
			return true
		}
	}
	// Not XML at all: no use waiting.
	t := bytes.TrimLeft(b, " \t\r\n")
	return len(t) > 0 && t[0] != '<'
}

// Stream is what a server said when a client opened a stream.
type Stream struct {
	From, ID, Version, Namespace string
	// StartTLS and TLSRequired: the features offer STARTTLS, as a must.
	StartTLS, TLSRequired bool
	Mechanisms            []string
	// Dialback: a server-to-server stream offering dialback (XEP-0220).
	Dialback bool
	// CapsNode is the node of the entity capabilities in the features.
	CapsNode string
	// Error is the stream error's condition (host-unknown), ErrorText
	// its text.
	Error, ErrorText string
}

// ParseStream reads the server's side of a stream: its header, then its
// features or a stream error. The header alone is enough, when it has
// an id or a from.
func ParseStream(b []byte) (Stream, error) {
	var st Stream
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	header := false
	var path []xml.Name
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !header {
				if !isStream(t.Name) {
					return Stream{}, fingerprint.ErrNoMatch
				}
				header = true
				st.header(t)
				continue
			}
			path = append(path, t.Name)
			st.element(path, t)
		case xml.EndElement:
			if len(path) > 0 {
				path = path[:len(path)-1]
			}
		case xml.CharData:
			if !header && len(bytes.TrimSpace(t)) > 0 {
				return Stream{}, fingerprint.ErrNoMatch
			}
			st.text(path, string(t))
		case xml.ProcInst, xml.Comment:
		default:
			if !header {
				return Stream{}, fingerprint.ErrNoMatch
			}
		}
		if len(path) > 16 {
			break
		}
	}
	// A server's header carries the stream's id or its own name; one
	// with neither, and no error, is ours echoed back.
	if !header || (st.ID == "" && st.From == "" && st.Error == "") {
		return Stream{}, fingerprint.ErrNoMatch
	}
	return st, nil
}

// isStream reports whether name is the stream element, its prefix bound
// or not.
func isStream(n xml.Name) bool {
	return n.Local == "stream" && (n.Space == nsStreams || n.Space == "stream")
}

func isStreams(n xml.Name, local string) bool {
	return n.Local == local && (n.Space == nsStreams || n.Space == "stream")
}

func (st *Stream) header(t xml.StartElement) {
	for _, a := range t.Attr {
		switch {
		case a.Name.Local == "from" && a.Name.Space == "":
			st.From = a.Value
		case a.Name.Local == "id" && a.Name.Space == "":
			st.ID = a.Value
		case a.Name.Local == "version" && a.Name.Space == "":
			st.Version = a.Value
		case a.Name.Local == "xmlns" && a.Name.Space == "":
			st.Namespace = a.Value
		}
	}
}

func (st *Stream) element(path []xml.Name, t xml.StartElement) {
	n := t.Name
	switch {
	case len(path) == 2 && isStreams(path[0], "features") && n.Space == nsTLS && n.Local == "starttls":
		st.StartTLS = true
	case len(path) == 3 && isStreams(path[0], "features") && n.Space == nsTLS && n.Local == "required":
		st.TLSRequired = true
	case len(path) == 2 && isStreams(path[0], "features") && n.Local == "dialback":
		st.Dialback = true
	case len(path) == 2 && isStreams(path[0], "features") && n.Space == nsCaps && n.Local == "c":
		for _, a := range t.Attr {
			if a.Name.Local == "node" {
				st.CapsNode = a.Value
			}
		}
	case len(path) == 2 && isStreams(path[0], "error") && n.Space == nsErrors && n.Local != "text":
		st.Error = n.Local
	}
}

func (st *Stream) text(path []xml.Name, s string) {
	switch {
	case len(path) == 3 && isStreams(path[0], "features") && path[1].Space == nsSASL && path[2].Local == "mechanism":
		st.Mechanisms = append(st.Mechanisms, strings.TrimSpace(s))
	case len(path) == 2 && isStreams(path[0], "error") && path[1].Local == "text":
		st.ErrorText += s
	}
}

// products are servers known by the node of their entity capabilities.
var products = []struct{ node, product, vendor, name string }{
	{"http://prosody.im", "Prosody", "prosody", "prosody"},
	{"http://www.process-one.net/en/ejabberd/", "ejabberd", "process-one", "ejabberd"},
	{"https://www.process-one.net/en/ejabberd/", "ejabberd", "process-one", "ejabberd"},
	{"http://www.igniterealtime.org/projects/openfire/", "Openfire", "igniterealtime", "openfire"},
}

// Service says what the stream tells of the server.
func (st Stream) Service() *record.Service {
	svc := &record.Service{Name: "xmpp", Confidence: 10}
	for _, p := range products {
		if strings.TrimSuffix(st.CapsNode, "/") == strings.TrimSuffix(p.node, "/") {
			svc.Product = p.product
			svc.CPE = []string{fingerprint.CPE(p.vendor, p.name, "")}
		}
	}
	// Prosody's words for a domain it does not serve: "server" on client
	// streams, "host" on server-to-server ones.
	if svc.Product == "" && st.Error == "host-unknown" && (strings.HasPrefix(st.ErrorText, "This server does not serve ") ||
		strings.HasPrefix(st.ErrorText, "This host does not serve ")) {
		svc.Product = "Prosody"
		svc.CPE = []string{fingerprint.CPE("prosody", "prosody", "")}
	}
	var info []string
	if st.Namespace == nsServer {
		info = append(info, "server-to-server")
	}
	if st.Error != "" {
		info = append(info, "stream error: "+st.Error)
	}
	if st.TLSRequired {
		info = append(info, "STARTTLS required")
	}
	svc.ExtraInfo = strings.Join(info, "; ")
	return svc
}

// Parse reads the server's side of a stream and says what it tells.
func Parse(b []byte) (*record.Service, error) {
	st, err := ParseStream(b)
	if err != nil {
		return nil, err
	}
	return st.Service(), nil
}

func joinInfo(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
