package watch

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// SignatureHeader carries a webhook body's HMAC-SHA256 under the
// webhook's secret, as "sha256=<hex>": the receiver computes the same
// over the raw body and compares in constant time.
const SignatureHeader = "X-Ajar-Signature"

// Webhook POSTs each event as JSON to a URL, one request per event, in
// order. A failed delivery (no connection, a 5xx or 429 answer) is
// retried with exponential backoff until it succeeds, so that no event is
// lost while the receiver is down; events queue meanwhile, up to
// MaxQueue. Any other 4xx answer drops the event (the receiver refuses
// it) and is reported.
type Webhook struct {
	URL    string
	Secret []byte // signs each body (SignatureHeader); nil: unsigned
	Client *http.Client
	// MaxQueue bounds the events waiting; 0 is 10,000. Send reports an
	// event dropped when it is full.
	MaxQueue int
	// MinBackoff and MaxBackoff bound the wait between retries: 0 is
	// 500 ms and 30 s.
	MinBackoff, MaxBackoff time.Duration
	// Warn hears of failed deliveries and dropped events; nil ignores
	// them.
	Warn func(error)

	once  sync.Once
	mu    sync.Mutex
	queue [][]byte
	wake  chan struct{}
	stop  chan struct{}
	done  chan struct{}
	seq   uint64
}

func (w *Webhook) start() {
	w.once.Do(func() {
		if w.Client == nil {
			w.Client = &http.Client{Timeout: 10 * time.Second}
		}
		if w.MaxQueue <= 0 {
			w.MaxQueue = 10000
		}
		if w.MinBackoff <= 0 {
			w.MinBackoff = 500 * time.Millisecond
		}
		if w.MaxBackoff <= 0 {
			w.MaxBackoff = 30 * time.Second
		}
		w.wake, w.stop, w.done = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
		go w.deliver()
	})
}

// Send queues e for delivery.
func (w *Webhook) Send(e any) error {
	w.start()
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	w.mu.Lock()
	full := len(w.queue) >= w.MaxQueue
	if !full {
		w.queue = append(w.queue, b)
	}
	w.mu.Unlock()
	if full {
		return fmt.Errorf("webhook %s: %d events wait already; event dropped", w.URL, w.MaxQueue)
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return nil
}

// Close waits, until ctx ends, for the queue to be delivered, then stops.
// It returns an error when events were left undelivered.
func (w *Webhook) Close(ctx context.Context) error {
	w.start()
	for {
		w.mu.Lock()
		n := len(w.queue)
		w.mu.Unlock()
		if n == 0 {
			break
		}
		select {
		case <-ctx.Done():
			close(w.stop)
			<-w.done
			return fmt.Errorf("webhook %s: %d events not delivered", w.URL, n)
		case <-time.After(20 * time.Millisecond):
		}
	}
	close(w.stop)
	<-w.done
	return nil
}

// deliver sends the queue's head until it is taken, then the next.
func (w *Webhook) deliver() {
	defer close(w.done)
	backoff := w.MinBackoff
	for {
		w.mu.Lock()
		var body []byte
		if len(w.queue) > 0 {
			body = w.queue[0]
		}
		w.mu.Unlock()
		if body == nil {
			select {
			case <-w.stop:
				return
			case <-w.wake:
				continue
			}
		}
		retry, err := w.post(body)
		if err != nil && w.Warn != nil {
			w.Warn(err)
		}
		if retry {
			select {
			case <-w.stop:
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, w.MaxBackoff)
			continue
		}
		backoff = w.MinBackoff
		w.mu.Lock()
		w.queue[0] = nil
		w.queue = w.queue[1:]
		w.mu.Unlock()
	}
}

// post makes one delivery; retry says whether to try it again.
func (w *Webhook) post(body []byte) (retry bool, err error) {
	w.seq++
	req, err := http.NewRequest(http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ajar-watch")
	req.Header.Set("X-Ajar-Delivery", strconv.FormatUint(w.seq, 10))
	if w.Secret != nil {
		req.Header.Set(SignatureHeader, Sign(w.Secret, body))
	}
	resp, err := w.Client.Do(req)
	if err != nil {
		return true, fmt.Errorf("webhook %s: %w (will retry)", w.URL, errors.Unwrap(err))
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return true, fmt.Errorf("webhook %s: %s (will retry)", w.URL, resp.Status)
	default:
		return false, fmt.Errorf("webhook %s: %s: event dropped", w.URL, resp.Status)
	}
}

// Sign is the value of SignatureHeader for body under secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}
