package watch

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ajarsec/ajar/record"
)

// receiver is a webhook receiver on loopback that checks signatures,
// refuses the first `fail` deliveries with 503, and keeps the events it
// took, in order.
type receiver struct {
	t      *testing.T
	secret []byte
	mu     sync.Mutex
	fail   int
	got    []Event
	bad    int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if !hmac.Equal([]byte(req.Header.Get(SignatureHeader)), []byte(Sign(r.secret, body))) {
		r.bad++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if r.fail > 0 {
		r.fail--
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	var e Event
	if err := json.Unmarshal(body, &e); err != nil {
		r.t.Errorf("body %q: %v", body, err)
	}
	r.got = append(r.got, e)
}

// TestWebhookNothingLost: events sent while the receiver answers 503 and
// while it is down altogether (connections refused) all arrive, in
// order, signed, once it is back.
func TestWebhookNothingLost(t *testing.T) {
	rec := &receiver{t: t, secret: []byte("s3cret"), fail: 2}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	srv := &http.Server{Handler: rec}
	go srv.Serve(ln)

	var warnings []error
	var wmu sync.Mutex
	w := &Webhook{URL: "http://" + addr + "/hook", Secret: rec.secret, MinBackoff: 20 * time.Millisecond,
		MaxBackoff: 200 * time.Millisecond, Warn: func(err error) { wmu.Lock(); warnings = append(warnings, err); wmu.Unlock() }}
	send := func(from, to int) {
		for i := from; i < to; i++ {
			if err := w.Send(Event{Event: Opened, Proto: record.TCP, Port: uint16(i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	send(1, 4) // the first two meet 503s
	time.Sleep(300 * time.Millisecond)
	srv.Close() // down: connections refused
	send(4, 7)
	time.Sleep(500 * time.Millisecond)
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listening again on %s: %v", addr, err)
	}
	srv = &http.Server{Handler: rec}
	go srv.Serve(ln)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.got) != 6 || rec.bad != 0 {
		t.Fatalf("received %d events (%d badly signed), want 6: %+v", len(rec.got), rec.bad, rec.got)
	}
	for i, e := range rec.got {
		if e.Port != uint16(i+1) {
			t.Errorf("event %d is port %d: out of order", i, e.Port)
		}
	}
	wmu.Lock()
	defer wmu.Unlock()
	if len(warnings) < 3 {
		t.Errorf("the failed deliveries were not reported: %v", warnings)
	}
}

// TestWebhookRefused: a 4xx answer (other than 429) drops the event, says
// so, and does not hold up the next one; a wrong secret is refused by the
// receiver's check.
func TestWebhookRefused(t *testing.T) {
	rec := &receiver{t: t, secret: []byte("right")}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: rec}
	go srv.Serve(ln)
	defer srv.Close()
	var warned atomic.Int32
	w := &Webhook{URL: "http://" + ln.Addr().String(), Secret: []byte("wrong"), Warn: func(error) { warned.Add(1) }}
	for port := range uint16(2) {
		if err := w.Send(Event{Event: Closed, Proto: record.UDP, Port: port}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.bad != 2 || len(rec.got) != 0 || warned.Load() != 2 {
		t.Errorf("bad %d, got %d, warned %d; want 2 refused and reported", rec.bad, len(rec.got), warned.Load())
	}
}
