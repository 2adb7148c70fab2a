package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ajarsec/ajar/internal/datadir"
	"github.com/ajarsec/ajar/vulndb"
)

// vulnFlags are the scan flags of the known-vulnerability matching.
type vulnFlags struct {
	failOnStale  bool
	suppressions string
	noVulndb     bool
}

func addVulnFlags(fl *pflag.FlagSet, f *vulnFlags) {
	fl.BoolVar(&f.failOnStale, "fail-on-stale", false,
		"with --audit, exit 1 before scanning when the vulnerability database is missing or older than 7 days")
	fl.StringVar(&f.suppressions, "suppressions", "",
		"accepted risks in `FILE` (ID HOST[:PORT] EXPIRES REASON a line); default suppressions.txt in the data directory")
	fl.BoolVar(&f.noVulndb, "no-vulndb", false, "with --audit, do not match services against the vulnerability database")
}

// suppressionsFile is the default file of accepted risks, in the data
// directory.
const suppressionsFile = "suppressions.txt"

// vulnJudge is the matcher a scan with --audit runs on each port, and
// its closer: the vulnerability database when there is one (a note
// when there is none, a warning when it is stale) and the accepted
// risks.
func vulnJudge(env *Env, f *scanFlags) (*vulndb.PortJudge, func(), error) {
	v := &f.vuln
	j := &vulndb.PortJudge{}
	dir, err := datadir.Resolve(env.DataDir)
	if err != nil && (v.failOnStale || v.suppressions == "") && !v.noVulndb {
		return nil, nil, usageErrorf("%v", err)
	}
	if j.Suppressions, err = readSuppressions(dir, v.suppressions); err != nil {
		return nil, nil, err
	}
	closer := func() {}
	if v.noVulndb {
		return j, closer, nil
	}
	m, err := vulndb.Open(dir)
	switch {
	case errors.Is(err, vulndb.ErrNoDatabase) && v.failOnStale:
		return nil, nil, failure(fmt.Errorf("%v (--fail-on-stale): run ajar vulndb update, or ajar vulndb import FILE...", err))
	case errors.Is(err, vulndb.ErrNoDatabase):
		warnf(env, f, "%v: known CVEs are not checked (ajar vulndb update, or ajar vulndb import FILE... on an air-gapped host)", err)
		return j, closer, nil
	case err != nil:
		return nil, nil, failure(fmt.Errorf("vulnerability database: %w", err))
	}
	man := m.Manifest()
	if now := time.Now(); man.Stale(now) {
		msg := fmt.Sprintf("the vulnerability database in %s is %s old (snapshot %s, older than 7 days): its findings miss newer CVEs; run ajar vulndb update",
			dir, ageName(man.Age(now)), man.Snapshot().Format("2006-01-02"))
		if v.failOnStale {
			m.Close()
			return nil, nil, failure(errors.New(msg + " (--fail-on-stale)"))
		}
		// Never silent, not even with -q.
		fmt.Fprintln(env.Stderr, "ajar: warning: "+msg)
	}
	j.Matcher = m
	return j, func() { m.Close() }, nil
}

// readSuppressions reads the file of accepted risks: the one given, else
// the data directory's when it exists.
func readSuppressions(dir, name string) (*vulndb.Suppressions, error) {
	given := name != ""
	if !given {
		if dir == "" {
			return nil, nil
		}
		name = filepath.Join(dir, suppressionsFile)
	}
	fh, err := os.Open(name)
	if err != nil {
		if !given && errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, usageErrorf("cannot read suppressions: %v", err)
	}
	defer fh.Close()
	s, err := vulndb.ReadSuppressions(fh)
	if err != nil {
		return nil, usageErrorf("suppressions %s: %v", name, err)
	}
	return s, nil
}

func newVulndbUpdateCmd(env *Env) *cobra.Command {
	var sources string
	var full bool
	var apiKey string
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Download the sources and update the vulnerability database",
		Long: `Download the sources and update the vulnerability database: NVD's CVE API
2.0 (everything the first time, then only what changed since the last
update, at the rate NVD allows: one request every 6 s without an API key,
0.6 s with one), the latest cvelistV5 release's zip of every CVE5 record,
CISA's KEV catalog, FIRST's EPSS scores and OSV's Debian and Ubuntu zips.
A first full update takes a while (NVD alone is about 150 requests). On a
host without Internet access, download the same files elsewhere and use
'ajar vulndb import'.

The API key is read from --nvd-api-key or the NVD_API_KEY environment
variable.`,
		Example: `  ajar vulndb update
  NVD_API_KEY=... ajar vulndb update      NVD ten times faster
  ajar vulndb update --source kev,epss    only the daily-changing scores
  ajar vulndb update --full               all of NVD again, not only what changed`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := vulndb.UpdateConfig{Full: full, NVDAPIKey: apiKey}
			if cfg.NVDAPIKey == "" {
				cfg.NVDAPIKey = os.Getenv("NVD_API_KEY")
			}
			if sources != "" {
				cfg.Sources = strings.Split(sources, ",")
				for _, s := range cfg.Sources {
					if !slicesContains(vulndb.Sources, s) {
						return usageErrorf("bad --source %q: want some of %s", s, strings.Join(vulndb.Sources, ","))
					}
				}
			}
			cfg.Log = func(msg string) { fmt.Fprintln(env.Stderr, "ajar: "+msg) }
			dir, err := datadir.Ensure(env.DataDir)
			if err != nil {
				return usageErrorf("%v", err)
			}
			read, man, err := vulndb.Update(cmd.Context(), dir, cfg)
			if err != nil {
				return failure(fmt.Errorf("update failed, the database is as it was: %w", err))
			}
			return failure(writeImported(env.Stdout, read, &man))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&sources, "source", "", "update only these sources, comma separated: "+strings.Join(vulndb.Sources, ","))
	fl.BoolVar(&full, "full", false, "download all of NVD, not only what changed since the last update")
	fl.StringVar(&apiKey, "nvd-api-key", "", "NVD API `KEY` (default $NVD_API_KEY): a higher rate")
	return cmd
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
