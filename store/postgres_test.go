package store_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ajarsec/ajar/store"
)

// postgresBin finds Debian's PostgreSQL server programs.
func postgresBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "postgres")); err == nil {
			return dirs[i], nil
		}
	}
	return "", fmt.Errorf("no PostgreSQL server (Debian package postgresql, installed by scripts/zoo-deps.sh)")
}

func requirePostgres(t *testing.T) string {
	t.Helper()
	bin, err := postgresBin()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v; under CI=true this test must run", err)
		}
		t.Skip(err)
	}
	return bin
}

// startPostgres starts a PostgreSQL server of its own, in a temporary
// directory, listening on a Unix socket there only (no network), and
// returns its URL. It is stopped and removed when the test ends. As root,
// the server runs as the user postgres (it refuses root).
func startPostgres(t *testing.T) string {
	bin := requirePostgres(t)
	dir, err := os.MkdirTemp("", "ajar-pg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running PostgreSQL as root needs the user postgres: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		os.Chown(dir, uid, gid)
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-N", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	port := 20000 + os.Getpid()%20000
	srv := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-k", dir, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=", "-c", "fsync=off", "-c", "max_connections=40")
	srv.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	logf, _ := os.Create(filepath.Join(dir, "log"))
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Process.Signal(syscall.SIGINT) // fast shutdown
		done := make(chan struct{})
		go func() { srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			srv.Process.Kill()
			<-done
		}
	})
	url := fmt.Sprintf("postgres://postgres@localhost:%d/postgres?host=%s&sslmode=disable", port, dir)
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := store.Open(context.Background(), url)
		if err == nil {
			st.Close()
			return url
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			t.Fatalf("PostgreSQL did not come up: %v\n%s", err, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPostgres: the store on a real PostgreSQL: a run round-trips, runs
// resolve and prune, and two writers at once both get their runs in.
func TestPostgres(t *testing.T) {
	url := startPostgres(t)
	open := func(t *testing.T) *store.Store {
		st, err := store.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	t.Run("roundtrip", func(t *testing.T) { testRoundTrip(t, open) })
	t.Run("concurrent", func(t *testing.T) {
		a, b := open(t), open(t) // two connections pools, migrations run twice
		errs := make(chan error, 2)
		for _, st := range []*store.Store{a, b} {
			go func() {
				defer func() { errs <- nil }()
				for range 3 {
					writeRun(t, st, scanRecords(), false)
				}
			}()
		}
		<-errs
		<-errs
		runs, err := a.Runs(context.Background(), store.Filter{Kind: store.KindScan})
		if err != nil || len(runs) != 6 {
			t.Fatalf("%d runs, %v; want 6", len(runs), err)
		}
		for _, r := range runs {
			if got := readRun(t, a, r.ID); len(got) != len(scanRecords()) {
				t.Errorf("run %d: %d records", r.ID, len(got))
			}
		}
	})
}
