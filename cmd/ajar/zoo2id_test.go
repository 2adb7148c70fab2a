package main_test

import (
	"testing"

	"github.com/ajarsec/ajar/internal/zoo"
)

// TestIdentifyZoo2 runs ajar scan -sV against the second zoo, daemons no
// detector was written against, on their usual ports and shuffled
// between protocols, and checks every port's name (a false name fails
// as a miss does), and product and version where the daemon shows them.
func TestIdentifyZoo2(t *testing.T) {
	z := zoo.Start(t, zoo.Options{Set: zoo.Second})
	for _, layout := range []zoo.Layout{zoo.Usual, zoo.Shuffled} {
		t.Run(layout.String(), func(t *testing.T) {
			z.SetLayout(layout)
			svcs := z.Services(layout)
			out := scanIn(t, z.Bed, "-sT", "-sU", "-sV", "-p", zooPorts(svcs), "-o", "jsonl", "-q", z.Addr().String())
			got := zooAnswers(t, out)
			for _, s := range svcs {
				checkZooService(t, s, got[zooKey(s.Proto.String(), s.Port)], map[string]bool{})
			}
			if err := z.Check(); err != nil {
				t.Error(err)
			}
		})
	}
}
