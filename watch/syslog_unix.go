//go:build !windows && !plan9

package watch

import (
	"context"
	"encoding/json"
	"log/syslog"
)

// Syslog sends each event to the local syslog daemon (facility daemon,
// tag "ajar"): a listener that opened and a rescan's change as notice, a
// listener that closed as info, the event's JSON as the message.
func Syslog() (Sink, error) {
	w, err := syslog.New(syslog.LOG_DAEMON|syslog.LOG_NOTICE, "ajar")
	if err != nil {
		return nil, err
	}
	return &syslogSink{w: w}, nil
}

type syslogSink struct{ w *syslog.Writer }

func (s *syslogSink) Send(e any) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if ev, ok := e.(Event); ok && ev.Event == Closed {
		return s.w.Info(string(b))
	}
	return s.w.Notice(string(b))
}

func (s *syslogSink) Close(context.Context) error { return s.w.Close() }
