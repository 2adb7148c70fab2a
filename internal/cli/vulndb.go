package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ajarsec/ajar/internal/datadir"
	"github.com/ajarsec/ajar/vulndb"
)

func init() { registerCommand(newVulndbCmd) }

func newVulndbCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vulndb",
		Short: "Keep the local database of known CVEs that ajar scan --audit matches against",
		Long: `Keep the local database of known vulnerabilities, one file in ajar's data
directory (--data-dir, default $XDG_DATA_HOME/ajar or ~/.local/share/ajar).
Its sources: NVD's CVE API 2.0, the CVE List V5 records (their CNA version
ranges), CISA's Known Exploited Vulnerabilities, FIRST's EPSS scores and
OSV's Debian and Ubuntu data (which package revisions carry backported
fixes). 'ajar scan --audit' then names the known CVEs of each identified
service, offline, and says which database snapshot they came from; a
database older than 7 days gives a warning on every scan.`,
		Example: `  ajar vulndb update                      download every source (incremental for NVD)
  ajar vulndb status                      what is loaded and how old it is
  ajar vulndb import nvd.json.gz known_exploited_vulnerabilities.json
  ajar vulndb import vulndb-bundle.tar.gz an air-gapped host: files carried over
  ajar scan --audit 10.0.0.0/24           findings of category known-vulnerability`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newVulndbStatusCmd(env), newVulndbImportCmd(env), newVulndbUpdateCmd(env))
	return cmd
}

func newVulndbStatusCmd(env *Env) *cobra.Command {
	var verify bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Say what the vulnerability database holds and how old it is",
		Example: `  ajar vulndb status
  ajar vulndb status --verify             also check the file against its manifest's sha256`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := datadir.Resolve(env.DataDir)
			if err != nil {
				return usageErrorf("%v", err)
			}
			man, err := vulndb.ReadManifest(dir)
			if err != nil {
				if errors.Is(err, vulndb.ErrNoDatabase) {
					return failure(fmt.Errorf("%v: run ajar vulndb update, or ajar vulndb import FILE... on an air-gapped host", err))
				}
				return failure(err)
			}
			if verify {
				if err := vulndb.Verify(dir); err != nil {
					return failure(err)
				}
			}
			return failure(writeStatus(env.Stdout, dir, &man, time.Now(), verify))
		},
	}
	cmd.Flags().BoolVar(&verify, "verify", false, "check the database file against the sha256 in its manifest")
	return cmd
}

// writeStatus writes the manifest for people.
func writeStatus(w io.Writer, dir string, man *vulndb.Manifest, now time.Time, verified bool) error {
	age := man.Age(now)
	fmt.Fprintf(w, "database  %s (%s, schema %d)\n", filepath.Join(dir, vulndb.FileName), sizeName(man.Size), man.Schema)
	fmt.Fprintf(w, "snapshot  %s, %s old", man.Snapshot().Format(time.RFC3339), ageName(age))
	if man.Stale(now) {
		fmt.Fprintf(w, ": STALE (older than %s): run ajar vulndb update", ageName(vulndb.StaleAfter))
	}
	fmt.Fprintf(w, "\nbuilt     %s\nsha256    %s", man.Built.Format(time.RFC3339), man.SHA256)
	if verified {
		fmt.Fprint(w, " (verified)")
	}
	fmt.Fprintf(w, "\nholds     %d CVEs, %d in KEV, %d EPSS scores, %d distribution fixes\n\n",
		man.Counts["cves"], man.Counts["kev"], man.Counts["epss"], man.Counts["distro"])
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tSNAPSHOT\tAGE\tIMPORTED\tRECORDS")
	names := make([]string, 0, len(man.Sources))
	for k := range man.Sources {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		s := man.Sources[k]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", k, s.Snapshot.Format(time.RFC3339), ageName(now.Sub(s.Snapshot)),
			s.Imported.Format(time.RFC3339), s.Records)
	}
	for _, k := range []string{vulndb.SourceNVD, vulndb.SourceCVE5, vulndb.SourceKEV, vulndb.SourceEPSS, vulndb.SourceOSVDebian, vulndb.SourceOSVUbuntu} {
		if _, ok := man.Sources[k]; !ok {
			fmt.Fprintf(tw, "%s\tnot loaded\t\t\t\n", k)
		}
	}
	return tw.Flush()
}

func ageName(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Hour:
		return d.Round(time.Second).String()
	case d < 2*time.Hour:
		return "1 hour"
	case d < 48*time.Hour:
		return fmt.Sprintf("%.0f hours", d.Hours())
	}
	return fmt.Sprintf("%.0f days", d.Hours()/24)
}

func sizeName(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}

func newVulndbImportCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE...",
		Short: "Load feed files into the vulnerability database (offline)",
		Long: `Load feed files into the vulnerability database, without the network: NVD
API 2.0 JSON ({"vulnerabilities":[{"cve":…}]}, as the API and its feeds
return it), CVE List V5 records, CISA's KEV JSON, FIRST's EPSS CSV, OSV
records (Debian and Ubuntu), each plain or gzipped, or a zip or tar of any
of them: the cvelistV5 release zip, OSV's all.zip, or a bundle carried to
an air-gapped host. Everything is loaded in one transaction: a bad file
leaves the database as it was.`,
		Example: `  ajar vulndb import nvdcve-2.0-2024.json.gz nvdcve-2.0-modified.json.gz
  ajar vulndb import cvelistV5-main.zip known_exploited_vulnerabilities.json epss_scores-current.csv.gz
  ajar vulndb import debian-all.zip ubuntu-all.zip
  ajar vulndb import vulndb-bundle.tar.gz`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				if st, err := os.Stat(a); err != nil || st.IsDir() {
					return usageErrorf("cannot import %s: not a readable file", a)
				}
			}
			dir, err := datadir.Ensure(env.DataDir)
			if err != nil {
				return usageErrorf("%v", err)
			}
			im, err := vulndb.BeginImport(cmd.Context(), dir, nil)
			if err != nil {
				return failure(err)
			}
			for _, a := range args {
				if err := im.ImportFile(cmd.Context(), a); err != nil {
					im.Rollback()
					if errors.Is(err, vulndb.ErrUnknownFormat) || errors.Is(err, fs.ErrNotExist) {
						return usageErrorf("%v (nothing imported)", err)
					}
					return failure(fmt.Errorf("%v (nothing imported)", err))
				}
			}
			read := im.Sources()
			man, err := im.Commit(cmd.Context())
			if err != nil {
				return failure(err)
			}
			return failure(writeImported(env.Stdout, read, &man))
		},
	}
}

// writeImported says what an import or update read.
func writeImported(w io.Writer, read map[string]vulndb.Source, man *vulndb.Manifest) error {
	names := make([]string, 0, len(read))
	for k := range read {
		names = append(names, k)
	}
	slices.Sort(names)
	var parts []string
	for _, k := range names {
		parts = append(parts, fmt.Sprintf("%s %d (snapshot %s)", k, read[k].Records, read[k].Snapshot.Format("2006-01-02")))
	}
	if len(parts) == 0 {
		parts = []string{"nothing new"}
	}
	_, err := fmt.Fprintf(w, "imported %s\ndatabase snapshot %s: %d CVEs\n", strings.Join(parts, ", "),
		man.Snapshot().Format(time.RFC3339), man.Counts["cves"])
	return err
}
