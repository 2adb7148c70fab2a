package cancelwatch

import (
	"context"
	"testing"
	"time"
)

func TestWatch(t *testing.T) {
	var w Watch
	got := make(chan (<-chan struct{}), 4)
	fn := func(done <-chan struct{}) { got <- done }

	ctx1, cancel1 := context.WithCancel(context.Background())
	w.Set(ctx1, fn)
	w.Set(ctx1, fn) // the same context: one registration
	sub, cancelSub := context.WithCancel(ctx1)
	defer cancelSub()
	cancel1()
	select {
	case d := <-got:
		if d != ctx1.Done() {
			t.Error("fn called with another Done channel")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancellation not seen")
	}
	<-sub.Done()
	select {
	case <-got:
		t.Error("fn called twice for one context")
	case <-time.After(50 * time.Millisecond):
	}

	ctx2, cancel2 := context.WithCancel(context.Background())
	w.Set(ctx2, fn)
	w.Stop()
	cancel2()
	select {
	case <-got:
		t.Error("fn called after Stop")
	case <-time.After(50 * time.Millisecond):
	}
	w.Set(context.Background(), fn) // never cancelled: nothing registered
	if w.stop != nil {
		t.Error("a context that is never cancelled was watched")
	}
}
