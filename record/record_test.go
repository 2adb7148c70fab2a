package record_test

import (
	"encoding/json"
	"testing"

	"github.com/ajarsec/ajar/record"
)

func TestTextRoundTrip(t *testing.T) {
	for s := record.StateUnknown; s <= record.Unfiltered; s++ {
		b, _ := s.MarshalText()
		var got record.State
		if err := got.UnmarshalText(b); err != nil || got != s {
			t.Errorf("state %v: round trip gave %v, %v", s, got, err)
		}
	}
	for s := record.HostUnknown; s <= record.Down; s++ {
		b, _ := s.MarshalText()
		var got record.HostState
		if err := got.UnmarshalText(b); err != nil || got != s {
			t.Errorf("host state %v: round trip gave %v, %v", s, got, err)
		}
	}
	var st record.State
	if err := st.UnmarshalText([]byte("ajar")); err == nil {
		t.Error("unknown state accepted")
	}
	m := record.MAC{0x02, 0, 0x5e, 0x10, 0xab, 0xff}
	b, _ := m.MarshalText()
	var got record.MAC
	if err := got.UnmarshalText(b); err != nil || got != m || string(b) != "02:00:5e:10:ab:ff" {
		t.Errorf("MAC %q: round trip gave %v, %v", b, got, err)
	}
	for _, bad := range []string{"02:00", "02-00-5e-10-ab-ff", "zz:00:5e:10:ab:ff"} {
		if err := got.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("MAC %q accepted", bad)
		}
	}
}

func TestKinds(t *testing.T) {
	for want, r := range map[string]record.Record{"port": &record.PortResult{}, "host": &record.Host{}} {
		if r.Kind() != want {
			t.Errorf("%T.Kind() = %q, want %q", r, r.Kind(), want)
		}
	}
}

func TestServiceDetailJSON(t *testing.T) {
	in := record.Service{Name: "ssh", Detail: map[string]any{"kex": []any{"curve25519-sha256"}}}
	b, err := json.Marshal(&in)
	if err != nil {
		t.Fatal(err)
	}
	var out record.Service
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	d, ok := out.Detail.(map[string]any)
	if !ok || len(d["kex"].([]any)) != 1 {
		t.Errorf("detail after a round trip: %#v", out.Detail)
	}
}
