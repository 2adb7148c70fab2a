package record

import (
	"encoding/json"
	"testing"
)

func TestSeverityRoundTrip(t *testing.T) {
	for s := Info; s <= Critical; s++ {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Severity
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("%v: back %v, %v", s, back, err)
		}
	}
	if _, err := ParseSeverity("unknown"); err == nil {
		t.Error(`"unknown" parsed as a severity`)
	}
	if !(Info < Low && Low < Medium && Medium < High && High < Critical) {
		t.Error("severities out of order")
	}
}

func TestFindingJSON(t *testing.T) {
	p := PortResult{Port: 6379, Findings: []Finding{{ID: "redis-no-auth", Category: NoAuth, Severity: Critical,
		Title: "t", Confidence: Confirmed}}}
	b, err := json.Marshal(p.Findings[0])
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"redis-no-auth","category":"no-auth","severity":"critical","title":"t","confidence":"confirmed"}`
	if string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}
	if Worst(p.Findings) != Critical || Worst(nil) != SeverityUnknown {
		t.Error("Worst")
	}
	for _, c := range Categories {
		if !c.Valid() {
			t.Errorf("%s not valid", c)
		}
	}
	if len(Categories) != 13 || Category("x").Valid() {
		t.Errorf("%d categories", len(Categories))
	}
}
