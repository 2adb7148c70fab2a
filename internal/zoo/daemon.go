//go:build linux

package zoo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"os/user"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/template"
	"time"

	"github.com/ajarsec/ajar/portspec"
	zoofiles "github.com/ajarsec/ajar/zoo"
)

// svcDef is one port a daemon listens on.
type svcDef struct {
	key     string // the port's name in the daemon's templates: {{.Port.key}}
	name    string // Service.Name
	proto   portspec.Proto
	port    uint16
	tls     bool
	expired bool
	// local ports listen on loopback only (etcd's peer port, influxd's
	// RPC port): not in the truth table, not reachable from the scanner.
	local bool
}

// daemon says how to run one daemon of the zoo.
type daemon struct {
	name string // the zoo's name; its templates are zoo/<name>/*.tmpl
	pkg  string // the Debian package that installs it
	// truthPkg is the package whose version the daemon reveals, when not
	// pkg (a metapackage, or haproxy passing nginx's answers on).
	truthPkg string
	// unpacked: pkg conflicts with an installed package, so
	// scripts/zoo-unpack.sh unpacks it under UnpackedDir(pkg) instead,
	// and argv runs it from there.
	unpacked bool
	product  string
	// reveal says how the product and version show on the wire; "" means
	// nothing there names the product and Version stays "".
	reveal string
	// hideVersion: the product shows, its version does not.
	hideVersion bool
	// version turns the package's upstream version into what the daemon
	// says; nil keeps it as it is.
	version  func(upstream string) string
	services []svcDef

	user  string // run as this user (setpriv); "" is root
	owner string // the daemon's directory belongs to this user
	// tmpfs mount points get a fresh tmpfs in the daemon's own mount
	// namespace (ip netns exec makes one), so nothing it writes there
	// reaches the host; mkdirs are made after mounting.
	tmpfs, mkdirs []string
	needs         []string // daemons that must run too (haproxy: nginx)

	prepare func(ctx context.Context, in *instance) error
	argv    func(in *instance) []string
	env     func(in *instance) []string
	// ready, when set, is asked from the scanner namespace once the
	// daemon's ports answer, until it returns nil: for a daemon whose
	// port opens before it serves (NFS-Ganesha registers with its
	// rpcbind after rpcbind listens).
	ready func(ctx context.Context, addr netip.Addr) error
}

// tmplData is what a template sees.
type tmplData struct {
	Dir   string // the daemon's own directory
	Root  string // the zoo's directory
	Addr  string // the target's IPv4 address
	TLS   tlsFiles
	Port  map[string]uint16            // this daemon's ports by key
	Ports map[string]map[string]uint16 // every daemon's ports
}

// instance is one daemon of a running zoo.
type instance struct {
	def  *daemon
	zoo  *Zoo
	dir  string
	data tmplData

	cmd      *exec.Cmd
	done     chan struct{} // closed when the process has exited
	waitErr  error         // valid after done
	stopping atomic.Bool
	reported atomic.Bool // its early exit was reported
}

// portTable maps each daemon's port keys to its usual ports.
func portTable(defs []*daemon) map[string]map[string]uint16 {
	m := map[string]map[string]uint16{}
	for _, d := range defs {
		m[d.name] = map[string]uint16{}
		for _, s := range d.services {
			m[d.name][s.key] = s.port
		}
	}
	return m
}

// startAll prepares and starts every daemon at once.
func (z *Zoo) startAll(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(z.daemons))
	for i, in := range z.daemons {
		wg.Go(func() {
			if err := in.setup(ctx); err != nil {
				errs[i] = fmt.Errorf("zoo: preparing %s: %w%s", in.def.name, err, in.logs())
				return
			}
			if err := in.start(); err != nil {
				errs[i] = fmt.Errorf("zoo: starting %s: %w", in.def.name, err)
			}
		})
	}
	wg.Wait()
	return joinErrs(errs)
}

// setup makes the daemon's directory, renders its templates into it and
// runs its preparation (keys, initdb, …).
func (in *instance) setup(ctx context.Context) error {
	if err := os.Mkdir(in.dir, 0o755); err != nil {
		return err
	}
	if err := in.render(); err != nil {
		return err
	}
	if in.def.owner != "" {
		// The directory, not the configuration files: some daemons
		// (Exim) refuse a configuration their own user may change.
		if err := chown(in.dir, in.def.owner); err != nil {
			return err
		}
	}
	if in.def.prepare != nil {
		return in.def.prepare(ctx, in)
	}
	return nil
}

// render writes zoo/<name>/X.tmpl as <dir>/X for every template of the
// daemon.
func (in *instance) render() error {
	names, err := fs.Glob(zoofiles.Files, in.def.name+"/*.tmpl")
	if err != nil {
		return err
	}
	for _, name := range names {
		tmpl, err := template.New(path.Base(name)).Option("missingkey=error").ParseFS(zoofiles.Files, name)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if err := tmpl.Execute(&b, in.data); err != nil {
			return err
		}
		out := filepath.Join(in.dir, strings.TrimSuffix(path.Base(name), ".tmpl"))
		if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// command makes the daemon's command line inside the target namespace:
// ip netns exec, then the tmpfs mounts, then the change of user.
func (in *instance) command(argv ...string) *exec.Cmd {
	full := []string{"netns", "exec", in.zoo.Bed.Target.Name}
	if len(in.def.tmpfs) > 0 {
		script := "set -e\n"
		for _, m := range in.def.tmpfs {
			mode := "0755"
			if m == "/tmp" || m == "/dev/shm" {
				mode = "1777"
			}
			script += "mount -t tmpfs -o mode=" + mode + " ajar-zoo " + m + "\n"
		}
		for _, d := range in.def.mkdirs {
			script += "mkdir -p " + d + "\n"
		}
		full = append(full, "sh", "-c", script+`exec "$@"`, "sh")
	}
	if in.def.user != "" {
		full = append(full, "setpriv", "--reuid="+in.def.user, "--regid="+in.def.user, "--init-groups", "--")
	}
	cmd := exec.Command("ip", append(full, argv...)...)
	cmd.Dir = in.dir
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=" + in.dir, "LANG=C.UTF-8"}
	if in.def.env != nil {
		cmd.Env = append(cmd.Env, in.def.env(in)...)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// run runs a preparation step to its end, as the daemon's user, and
// returns its output in the error when it fails.
func (in *instance) run(ctx context.Context, argv ...string) error {
	cmd := in.command(argv...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%s: %w\n%s", strings.Join(argv, " "), err, tail(out.Bytes(), 30))
		}
		return nil
	case <-ctx.Done():
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return fmt.Errorf("%s: %w\n%s", strings.Join(argv, " "), ctx.Err(), tail(out.Bytes(), 30))
	}
}

// start starts the daemon with its output in daemon.log.
func (in *instance) start() error {
	log, err := os.Create(filepath.Join(in.dir, "daemon.log"))
	if err != nil {
		return err
	}
	defer log.Close() // the child has its own copy
	in.cmd = in.command(in.def.argv(in)...)
	in.cmd.Stdout, in.cmd.Stderr = log, log
	if err := in.cmd.Start(); err != nil {
		return err
	}
	in.done = make(chan struct{})
	go func() {
		in.waitErr = in.cmd.Wait()
		close(in.done)
	}()
	return nil
}

// exited returns an error, with the daemon's logs, if its process ended
// while the zoo was not stopping it; only once for each daemon.
func (in *instance) exited() error {
	if in.done == nil {
		return nil
	}
	select {
	case <-in.done:
	default:
		return nil
	}
	if in.stopping.Load() || in.reported.Swap(true) {
		return nil
	}
	return fmt.Errorf("zoo: %s exited early: %v%s", in.def.name, in.waitErr, in.logs())
}

// stopGrace is how long daemons get to exit after SIGTERM; then SIGKILL.
const stopGrace = 5 * time.Second

// stop ends every daemon's process group, then every process still in the
// target namespace (daemons that left their group: telnetd's login,
// Erlang's epmd), and reports daemons that had died before.
func (z *Zoo) stop() {
	var early []error
	for _, in := range z.daemons {
		if err := in.exited(); err != nil {
			early = append(early, err)
		}
	}
	for _, in := range z.daemons {
		in.stopping.Store(true)
		if in.done != nil {
			syscall.Kill(-in.cmd.Process.Pid, syscall.SIGTERM)
		}
	}
	deadline := time.Now().Add(stopGrace)
	for _, in := range z.daemons {
		if in.done == nil {
			continue
		}
		select {
		case <-in.done:
		case <-time.After(time.Until(deadline)):
			syscall.Kill(-in.cmd.Process.Pid, syscall.SIGKILL)
			<-in.done
		}
	}
	if err := killNamespace(z.Bed.Target.Path(), 5*time.Second); err != nil {
		z.t.Error(err)
	}
	if err := joinErrs(early); err != nil {
		z.t.Error(err)
	}
}

// killNamespace kills every process whose network namespace is the one at
// nsPath, and waits until none is left.
func killNamespace(nsPath string, wait time.Duration) error {
	var st syscall.Stat_t
	if err := syscall.Stat(nsPath, &st); err != nil {
		return fmt.Errorf("zoo: %s: %w", nsPath, err)
	}
	want := fmt.Sprintf("net:[%d]", st.Ino)
	deadline := time.Now().Add(wait)
	for {
		var left []int
		entries, err := os.ReadDir("/proc")
		if err != nil {
			return err
		}
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || pid == os.Getpid() {
				continue
			}
			if ns, err := os.Readlink("/proc/" + e.Name() + "/ns/net"); err == nil && ns == want {
				left = append(left, pid)
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("zoo: processes %v still in the namespace after %v", left, wait)
		}
		time.Sleep(20 * time.Millisecond) // waiting for the kernel to reap them
	}
}

// logs returns the end of each log file in the daemon's directory, for an
// error message.
func (in *instance) logs() string {
	var b strings.Builder
	n := 0
	filepath.WalkDir(in.dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || n >= 6 || !strings.Contains(strings.ToLower(e.Name()), "log") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		n++
		if len(bytes.TrimSpace(data)) == 0 {
			fmt.Fprintf(&b, "\n--- %s: empty", p)
			return nil
		}
		fmt.Fprintf(&b, "\n--- %s:\n%s", p, tail(data, 25))
		return nil
	})
	return b.String()
}

// tail returns the last n lines of data.
func tail(data []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// chown gives a file to a user and the user's group.
func chown(p, name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Lchown(p, uid, gid)
}

// mkdirs makes directories under the daemon's directory, owned by the
// daemon's owner when it has one.
func (in *instance) mkdirs(names ...string) error {
	for _, n := range names {
		p := filepath.Join(in.dir, n)
		if err := os.MkdirAll(p, 0o755); err != nil {
			return err
		}
		if in.def.owner != "" {
			if err := chown(p, in.def.owner); err != nil {
				return err
			}
		}
	}
	return nil
}

func joinErrs(errs []error) error { return errors.Join(errs...) }
