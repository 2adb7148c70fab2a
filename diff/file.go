package diff

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/ajarsec/ajar/record"
)

// MaxFile bounds the size of a file ReadFile reads.
const MaxFile = 1 << 30

// Formats of the files ReadFile reads.
const (
	FormatAjarJSON    = "ajar-json"    // ajar -o json or -o jsonl (ports, hosts or sockets)
	FormatNmapXML     = "nmap-xml"     // nmap -oX (or ajar -o xml)
	FormatMasscanJSON = "masscan-json" // masscan -oJ
	FormatMasscanList = "masscan-list" // masscan -oL
	FormatNaabuJSON   = "naabu-json"   // naabu -json
)

// File is what a results file holds, as ajar's records.
type File struct {
	// Format is the file's format, one of the Format constants.
	Format string
	// Start is when the scan started, when the file says; Args its
	// command line.
	Start time.Time
	Args  string
	// Records are the file's hosts and ports, each up host's ports
	// before its Host record, as run.Scan streams them.
	Records []record.Record
	// Extra, when the file summarises the ports it does not list (nmap's
	// extraports), is the state of those ports, by host and protocol.
	Extra map[netip.Addr]map[record.Proto]record.State
}

// ReadFile reads a results file of any of the formats, found from its
// contents.
func ReadFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	f, err := Read(fh)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Read reads results in any of the formats, found from their contents.
func Read(r io.Reader) (*File, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxFile {
		return nil, fmt.Errorf("larger than %d bytes", MaxFile)
	}
	t := bytes.TrimLeft(b, " \t\r\n\ufeff")
	switch {
	case len(t) == 0:
		return nil, errors.New("empty file")
	case t[0] == '<':
		return readNmapXML(b)
	case t[0] == '[' || t[0] == '{':
		return readJSON(t)
	case bytes.HasPrefix(t, []byte("#masscan")) || bytes.HasPrefix(t, []byte("open ")) || bytes.HasPrefix(t, []byte("banner ")):
		return readMasscanList(b)
	}
	return nil, errors.New("not a results file ajar knows: want nmap XML, ajar JSON or JSON Lines, masscan JSON or list, or naabu JSON")
}

// lines calls fn with each line of b that is not blank, numbered from 1.
func lines(b []byte, fn func(n int, line []byte) error) error {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if err := fn(n, line); err != nil {
			return err
		}
	}
	return sc.Err()
}

// builder gathers ports and hosts into a File's records: each host's
// ports, then its Host record.
type builder struct {
	order   []netip.Addr
	ports   map[netip.Addr][]record.Record
	hosts   map[netip.Addr]*record.Host
	seen    map[portKey]*record.PortResult
	sockets []record.Record
}

type portKey struct {
	addr  netip.Addr
	proto record.Proto
	port  uint16
}

func newBuilder() *builder {
	return &builder{ports: map[netip.Addr][]record.Record{}, hosts: map[netip.Addr]*record.Host{},
		seen: map[portKey]*record.PortResult{}}
}

func (b *builder) see(a netip.Addr) {
	if _, ok := b.ports[a]; !ok {
		if _, ok := b.hosts[a]; !ok {
			b.order = append(b.order, a)
		}
	}
}

// port adds a port; a port given twice (masscan's open and banner lines)
// is one, with the service of either.
func (b *builder) port(p *record.PortResult) {
	k := portKey{p.Host, p.Proto, p.Port}
	if old := b.seen[k]; old != nil {
		if p.Service != nil {
			old.Service = p.Service
		}
		if p.State == record.Open {
			old.State, old.Reason = p.State, p.Reason
		}
		return
	}
	b.seen[k] = p
	b.see(p.Host)
	b.ports[p.Host] = append(b.ports[p.Host], p)
}

func (b *builder) host(h *record.Host) {
	b.see(h.Addr)
	b.hosts[h.Addr] = h
}

// records returns the records; hosts given no Host record are up.
func (b *builder) records(up record.Reason) []record.Record {
	var out []record.Record
	for _, a := range b.order {
		out = append(out, b.ports[a]...)
		h := b.hosts[a]
		if h == nil {
			h = &record.Host{Addr: a, State: record.Up, Reason: up}
		}
		out = append(out, h)
	}
	return append(out, b.sockets...)
}
