package policy

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParseLargest parses a policy of MaxEntries allow entries, the
// largest Parse takes: YAML, decoding, and the pairwise contradiction
// check.
func BenchmarkParseLargest(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("version: 1\nhosts:\n  - match: \"*\"\n    allow:\n")
	for i := range MaxEntries {
		fmt.Fprintf(&sb, "      - {port: tcp/%d, exposure: all}\n", i+1)
	}
	data := []byte(sb.String())
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("b.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}
