// Command vulndbgen writes a generated vulnerability dump the size of the
// real one, in the feeds' real formats, for bench/vulndb.sh: nvd.json.gz
// (NVD API 2.0, N CVEs shaped like NVD's), kev.json, epss.csv and
// debian-all.zip (OSV).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ajarsec/ajar/internal/vulnfixture"
)

func main() {
	n := flag.Int("n", 300000, "CVEs")
	products := flag.Int("products", 20000, "vendor:product pairs besides the zoo's")
	out := flag.String("out", ".", "directory to write into")
	flag.Parse()
	if err := run(*n, *products, *out); err != nil {
		fmt.Fprintln(os.Stderr, "vulndbgen:", err)
		os.Exit(1)
	}
}

func run(n, products int, out string) error {
	now := time.Now().UTC().Truncate(time.Second)
	f, err := os.Create(filepath.Join(out, "nvd.json.gz"))
	if err != nil {
		return err
	}
	if err := vulnfixture.Generate(f, vulnfixture.GenConfig{CVEs: n, Products: products, Seed: 1, Now: now}); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	kev, epss, deb, err := vulnfixture.GenerateSide(n, 1, now)
	if err != nil {
		return err
	}
	for name, b := range map[string][]byte{"kev.json": kev, "epss.csv": epss, "debian-all.zip": deb} {
		if err := os.WriteFile(filepath.Join(out, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
