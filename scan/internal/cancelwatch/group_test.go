package cancelwatch

import (
	"context"
	"testing"
	"time"
)

func TestGroup(t *testing.T) {
	got := make(chan (<-chan struct{}), 4)
	g := NewGroup(func(done <-chan struct{}) { got <- done })
	var a, b Key

	ctx1, cancel1 := context.WithCancel(context.Background())
	g.Set(&a, ctx1)
	g.Set(&b, ctx1)
	g.Set(&a, ctx1) // the same context: nothing more
	if g.Len() != 1 {
		t.Fatalf("%d contexts watched, want 1", g.Len())
	}
	cancel1()
	select {
	case d := <-got:
		if d != ctx1.Done() {
			t.Error("fn called with another Done channel")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancellation not seen")
	}
	select {
	case <-got:
		t.Error("fn called twice for one context")
	case <-time.After(50 * time.Millisecond):
	}

	ctx2, cancel2 := context.WithCancel(context.Background())
	g.Set(&a, ctx2)
	g.Set(&b, ctx2)
	if g.Len() != 1 {
		t.Errorf("%d contexts watched after both moved on, want 1", g.Len())
	}
	g.Leave(&a)
	g.Leave(&b)
	if g.Len() != 0 {
		t.Errorf("%d contexts watched after every key left, want 0", g.Len())
	}
	cancel2()
	select {
	case <-got:
		t.Error("fn called for a context no key watches")
	case <-time.After(50 * time.Millisecond):
	}
	g.Set(&a, context.Background()) // never cancelled: nothing registered
	if g.Len() != 0 || a.done != nil {
		t.Error("a context that is never cancelled was watched")
	}
}

// BenchmarkGroupSet: a worker's next probe under the scan's one context
// costs nothing.
func BenchmarkGroupSet(b *testing.B) {
	g := NewGroup(func(<-chan struct{}) {})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var k Key
	b.ReportAllocs()
	for b.Loop() {
		g.Set(&k, ctx)
	}
}
