package syn

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ajarsec/ajar/record"
)

func TestLateTable(t *testing.T) {
	var lt lateTable
	dst := netip.MustParseAddrPort("192.0.2.1:80")
	other := netip.MustParseAddrPort("192.0.2.1:81")
	ms := int64(time.Millisecond)
	rst := answer{from: dst, heard: heard{at: 250 * ms, kind: replyReset}}

	if lt.answered(&rst) {
		t.Error("kept an answer no probe gave up on")
	}
	lt.gaveUp(dst, 100*ms, 200*ms)
	if _, _, ok := lt.take(dst, 210*ms); ok {
		t.Error("took an answer before one came")
	}
	if a := (answer{from: other, heard: heard{at: 250 * ms, kind: replyReset}}); lt.answered(&a) {
		t.Error("kept an answer from another port")
	}
	if !lt.answered(&rst) {
		t.Fatal("did not keep a late answer")
	}
	dup := rst
	dup.kind = replySynAck
	if lt.answered(&dup) {
		t.Error("a duplicate replaced the first answer")
	}
	if _, _, ok := lt.take(other, 260*ms); ok {
		t.Error("took another port's answer")
	}
	a, sent, ok := lt.take(dst, 260*ms)
	if !ok || sent != 100*ms {
		t.Fatalf("take: %v, sent %v", ok, sent)
	}
	if o := a.outcome(sent); o.State != record.Closed || o.RTT != 150*time.Millisecond {
		t.Errorf("outcome %+v, want closed after 150ms", o)
	}
	if _, _, ok := lt.take(dst, 270*ms); ok {
		t.Error("took the same answer twice")
	}

	// Too late: after lateKeep.
	lt.gaveUp(dst, 0, 0)
	late := answer{from: dst, heard: heard{at: lateKeep + 1, kind: replyReset}}
	if lt.answered(&late) {
		t.Error("kept an answer after lateKeep")
	}
	lt.gaveUp(dst, 0, 0)
	if !lt.answered(&rst) {
		t.Fatal("did not keep a late answer")
	}
	if _, _, ok := lt.take(dst, lateKeep+1); ok {
		t.Error("took an answer kept past lateKeep")
	}
}
