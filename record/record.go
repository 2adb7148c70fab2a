// Package record holds the records that flow through ajar: what a scan
// learnt of a port (PortResult) and of a host (Host), what identification
// learnt of a service (Service, TLS, Certificate), and what this machine
// listens on (Socket). Every producer (the scan engine, discovery,
// fingerprinting, the socket lister, run.Scan) makes them, and every
// consumer (the outputs, and later the store, the diff and the server)
// reads them.
//
// record is a leaf: it imports none of ajar's other packages but
// portspec, whose Proto it shares, so that any of them may import it.
package record

import "github.com/ajarsec/ajar/portspec"

// Record is one record of the stream: *PortResult, *Host or *Socket.
type Record interface {
	// Kind names the record's kind: "port", "host", "socket".
	Kind() string
}

// Proto is a transport protocol: the one portspec defines, so that port
// specs, scans and sockets speak of the same TCP and UDP.
type Proto = portspec.Proto

// The protocols.
const (
	TCP = portspec.TCP
	UDP = portspec.UDP
)
