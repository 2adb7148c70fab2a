// Package connect is the TCP connect prober: it needs no privileges. Each
// probe is a non-blocking connect(); a completed handshake is "open", a
// reset is "closed", silence is "filtered", and ICMP errors, read from the
// socket's error queue on Linux, give the filtered port its reason.
package connect

import (
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
)

// Prober probes TCP ports with connect(). The zero value is ready to use.
type Prober struct{}

// Proto reports record.TCP.
func (Prober) Proto() record.Proto { return record.TCP }

// NewWorker returns a worker for one goroutine.
func (Prober) NewWorker() scan.Worker { return newWorker() }

var _ scan.Prober = Prober{}
