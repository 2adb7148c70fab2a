package watch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"time"
)

// A Sink delivers events somewhere: an Event of Local, a ScanEvent of a
// periodic rescan, or any value that marshals to JSON. Send is called
// from one goroutine, in event order; Close delivers what is still queued
// (within its context) and releases the sink.
type Sink interface {
	Send(e any) error
	Close(ctx context.Context) error
}

// JSONLines writes each event as one line of JSON to w.
func JSONLines(w io.Writer) Sink { return &jsonLines{enc: json.NewEncoder(w)} }

type jsonLines struct{ enc *json.Encoder }

func (j *jsonLines) Send(e any) error            { return j.enc.Encode(e) }
func (j *jsonLines) Close(context.Context) error { return nil }

// ExecTimeout bounds one run of an exec hook.
const ExecTimeout = 30 * time.Second

// Exec runs a command for each event, with the event's JSON on its
// standard input: argv[0] is the program, not a shell line. Its output
// goes to out. Events wait for the run before theirs to end.
func Exec(argv []string, out io.Writer) (Sink, error) {
	if len(argv) == 0 || argv[0] == "" {
		return nil, errors.New("exec hook: no command")
	}
	return &execSink{argv: argv, out: out}, nil
}

type execSink struct {
	argv []string
	out  io.Writer
}

func (x *execSink) Send(e any) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), ExecTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, x.argv[0], x.argv[1:]...)
	cmd.Stdin = bytesReader(append(b, '\n'))
	cmd.Stdout, cmd.Stderr = x.out, x.out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("exec hook %s: %w", x.argv[0], err)
	}
	return nil
}

func (x *execSink) Close(context.Context) error { return nil }

// Multi sends each event to every sink; a sink's error does not keep the
// event from the others, and warn hears of it.
func Multi(warn func(error), sinks ...Sink) Sink { return &multi{sinks: sinks, warn: warn} }

type multi struct {
	sinks []Sink
	warn  func(error)
}

func (m *multi) Send(e any) error {
	for _, s := range m.sinks {
		if err := s.Send(e); err != nil && m.warn != nil {
			m.warn(err)
		}
	}
	return nil
}

func (m *multi) Close(ctx context.Context) error {
	var errs []error
	for _, s := range m.sinks {
		errs = append(errs, s.Close(ctx))
	}
	return errors.Join(errs...)
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
