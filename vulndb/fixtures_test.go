package vulndb

import (
	"testing"

	"github.com/ajarsec/ajar/internal/vulnfixture"
)

// The fixtures are small files in the feeds' real formats, written by the
// tests themselves (internal/vulnfixture), dated by fixtureNow.

func fixtureNVD() string                          { return vulnfixture.NVD(fixtureNow) }
func fixtureNVD2() string                         { return vulnfixture.NVD2(fixtureNow) }
func fixtureFiles(t testing.TB) map[string][]byte { return vulnfixture.Files(t, fixtureNow) }
func zipBytes(t testing.TB, files map[string]string) []byte {
	return vulnfixture.Zip(t, files)
}
func writeFixtures(t testing.TB, dir string) []string { return vulnfixture.Write(t, dir, fixtureNow) }
func writeBundle(t testing.TB, name string)           { vulnfixture.WriteBundle(t, name, fixtureNow) }
