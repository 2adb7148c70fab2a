package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ajarsec/ajar/record"
)

// FormatSpec describes one format of the record stream. Each format's
// file registers its spec at init; adding a format is adding a file.
type FormatSpec struct {
	Name Format
	// Description is one line for --help.
	Description string
	// Kinds are the record kinds (record.Record's Kind) the format
	// writes; its writers skip records of other kinds.
	Kinds []string
	// New makes a writer to w. It does not fail: options a format has no
	// use for are ignored.
	New func(w io.Writer, opts Options) Writer
	// Sockets, when set, writes a list of this machine's sockets (ajar
	// sockets), whole: a listing is small, and its columns are sized to
	// its rows. Formats that take "socket" records have it.
	Sockets func(w *bufio.Writer, ss []record.Socket, st Style) error
}

// Takes reports whether the format writes records of kind k.
func (s *FormatSpec) Takes(k string) bool { return slices.Contains(s.Kinds, k) }

// registry holds the formats, filled by the formats' init functions and
// read-only after.
var registry = map[Format]*FormatSpec{}

// register adds a format; a name registered twice is a programming error.
func register(s FormatSpec) {
	if s.Name == "" || s.New == nil || s.Description == "" || len(s.Kinds) == 0 || (s.Sockets != nil) != s.Takes("socket") {
		panic(fmt.Sprintf("report: incomplete format %q", s.Name))
	}
	if _, dup := registry[s.Name]; dup {
		panic(fmt.Sprintf("report: format %q registered twice", s.Name))
	}
	registry[s.Name] = &s
}

// Formats lists the formats of the record stream, by name.
func Formats() []FormatSpec {
	out := make([]FormatSpec, 0, len(registry))
	for _, s := range registry {
		c := *s
		c.Kinds = slices.Clone(s.Kinds)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b FormatSpec) int { return strings.Compare(string(a.Name), string(b.Name)) })
	return out
}

// FormatNames is the formats' names for a flag's help: "csv, grep, json,
// jsonl, table or xml".
func FormatNames() string {
	fs := Formats()
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = string(f.Name)
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// FormatHelp is a help text's list of the formats, one a line:
// "  name   description".
func FormatHelp() string {
	var b strings.Builder
	for _, f := range Formats() {
		fmt.Fprintf(&b, "  %-6s %s\n", f.Name, f.Description)
	}
	return b.String()
}

// ParseScanFormat checks a format name given by a user for scan results.
func ParseScanFormat(s string) (Format, error) {
	f := Format(strings.ToLower(s))
	if _, ok := registry[f]; ok {
		return f, nil
	}
	return "", fmt.Errorf("unknown output format %q (want %s)", s, FormatNames())
}

// New makes a writer of the record stream in format f to w.
func New(f Format, w io.Writer, opts Options) (Writer, error) {
	s, ok := registry[f]
	if !ok {
		return nil, fmt.Errorf("unknown output format %q (want %s)", f, FormatNames())
	}
	return s.New(w, opts), nil
}

// ParseSave parses a --save argument, FORMAT:PATH, such as
// "xml:scan.xml". The path may itself hold colons.
func ParseSave(s string) (Format, string, error) {
	name, path, ok := strings.Cut(s, ":")
	if !ok || path == "" {
		return "", "", fmt.Errorf("--save %q: want FORMAT:PATH, such as xml:scan.xml", s)
	}
	f, err := ParseScanFormat(name)
	if err != nil {
		return "", "", fmt.Errorf("--save %q: %w", s, err)
	}
	return f, path, nil
}

// ParseFormat checks a format name given by a user for a socket listing.
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(s))
	if spec, ok := registry[f]; ok && spec.Sockets != nil {
		return f, nil
	}
	return "", fmt.Errorf("unknown output format %q (want one of %s)", s, socketFormatNames())
}

// SocketFormats lists the formats a socket listing can be written in.
func SocketFormats() []FormatSpec {
	return slices.DeleteFunc(Formats(), func(s FormatSpec) bool { return s.Sockets == nil })
}

func socketFormatNames() string {
	var names []string
	for _, s := range SocketFormats() {
		names = append(names, string(s.Name))
	}
	return strings.Join(names, ", ")
}
