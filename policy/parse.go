package policy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Limits on what a policy file may be: a hostile or broken file costs an
// error, never unbounded memory or time.
const (
	// MaxSize bounds one policy file, in bytes: thousands of lines, and
	// a bound on the YAML parser's time.
	MaxSize = 256 << 10
	// MaxDepth bounds nesting: brackets, and indentation in steps of two.
	MaxDepth = 32
	// MaxIncludes bounds the files one policy reads, itself included.
	MaxIncludes = 32
	// MaxEntries bounds the host entries and the allow entries of a
	// policy with its includes, each: a policy is read by people, and
	// its entries are compared pairwise for contradictions.
	MaxEntries = 4096
)

// Error is a problem with a policy file, at a line and column.
type Error struct {
	File         string
	Line, Column int // 0 when the problem has no one place
	Msg          string
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Load reads the policy file at path, and the files it includes.
func Load(path string) (*Policy, error) {
	return LoadFS(path, os.ReadFile)
}

// LoadFS is Load with the files read by read.
func LoadFS(path string, read func(string) ([]byte, error)) (*Policy, error) {
	l := &loader{read: read, seen: map[string]bool{}}
	raw, err := l.load(path, nil)
	if err != nil {
		return nil, err
	}
	return build(path, raw)
}

// Parse reads a policy from data, named name in errors. It may include no
// other file.
func Parse(name string, data []byte) (*Policy, error) {
	l := &loader{read: func(string) ([]byte, error) {
		return nil, errors.New("includes need a policy read from a file")
	}, seen: map[string]bool{}}
	raw, err := l.decode(name, data, nil)
	if err != nil {
		return nil, err
	}
	return build(name, raw)
}

type loader struct {
	read  func(string) ([]byte, error)
	seen  map[string]bool
	files int
}

// load reads one file and, first, those it includes: their groups and
// hosts come before its own.
func (l *loader) load(path string, from *Error) (*rawPolicy, error) {
	l.files++
	if l.files > MaxIncludes {
		return nil, at(from, "more than %d policy files included", MaxIncludes)
	}
	clean := filepath.Clean(path)
	if l.seen[clean] {
		return nil, at(from, "%s is included twice (or includes itself)", path)
	}
	l.seen[clean] = true
	data, err := l.read(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, at(from, "cannot read policy %s: %v", path, err)
	}
	return l.decode(path, data, from)
}

func (l *loader) decode(name string, data []byte, from *Error) (*rawPolicy, error) {
	if err := preScan(name, data); err != nil {
		return nil, err
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, yamlError(name, err)
	}
	if len(f.Docs) != 1 || f.Docs[0].Body == nil {
		if len(f.Docs) > 1 {
			return nil, &Error{File: name, Line: line(f.Docs[1]), Msg: "a policy is one YAML document: remove the second"}
		}
		return nil, &Error{File: name, Msg: "empty policy: it needs at least version: 1"}
	}
	body := f.Docs[0].Body
	if err := plainYAML(name, body); err != nil {
		return nil, err
	}
	var raw rawPolicy
	if err := yaml.NodeToValue(body, &raw, yaml.Strict()); err != nil {
		return nil, yamlError(name, err)
	}
	raw.file = name
	raw.positions(body)
	if raw.Version != Version {
		return nil, &Error{File: name, Line: keyLine(body, "version"), Msg: fmt.Sprintf("version: %d is not a policy version ajar reads (want version: %d)", raw.Version, Version)}
	}
	var merged rawPolicy
	merged.file = name
	for i, inc := range raw.Include {
		p := inc
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(name), p)
		}
		here := &Error{File: name, Line: raw.includeLine(body, i)}
		sub, err := l.load(p, here)
		if err != nil {
			return nil, err
		}
		merged.merge(sub)
	}
	merged.merge(&raw)
	merged.Version, merged.file = raw.Version, name
	return &merged, nil
}

// at makes an error at the place from (an include line), or a plain one.
func at(from *Error, format string, a ...any) error {
	if from == nil {
		return fmt.Errorf(format, a...)
	}
	return &Error{File: from.File, Line: from.Line, Msg: fmt.Sprintf(format, a...)}
}

// preScan refuses what the YAML parser should never see: a file over
// MaxSize, and nesting deeper than MaxDepth (a recursive parser's stack).
// It names the line where the limit is crossed.
func preScan(name string, data []byte) error {
	ln, depth, col, lineStart := 1, 0, 0, true
	for i, c := range data {
		if i >= MaxSize {
			return &Error{File: name, Line: ln, Msg: fmt.Sprintf("policy file is over %d bytes (%d): a policy is small", MaxSize, len(data))}
		}
		switch {
		case c == '\n':
			ln, col, lineStart = ln+1, 0, true
			continue
		case c == 0:
			return &Error{File: name, Line: ln, Msg: "NUL byte: a policy is text"}
		case lineStart && (c == ' ' || c == '-'):
			col++
			if col > 2*MaxDepth+8 {
				return &Error{File: name, Line: ln, Msg: fmt.Sprintf("indented too deep: a policy nests at most %d levels", MaxDepth)}
			}
			continue
		case c == '[' || c == '{':
			depth++
			if depth > MaxDepth {
				return &Error{File: name, Line: ln, Msg: fmt.Sprintf("brackets nest too deep: a policy nests at most %d levels", MaxDepth)}
			}
		case c == ']' || c == '}':
			depth = max(depth-1, 0)
		}
		lineStart = false
	}
	return nil
}

// plainYAML refuses anchors, aliases, merge keys and tags: a policy has
// no use for them, and aliases are how a small file expands into a huge
// one (a "billion laughs" bomb).
func plainYAML(name string, n ast.Node) error {
	var err error
	ast.Walk(visitFunc(func(n ast.Node) bool {
		if err != nil {
			return false
		}
		what := ""
		switch n.Type() {
		case ast.AnchorType:
			what = "anchors (&name)"
		case ast.AliasType:
			what = "aliases (*name)"
		case ast.MergeKeyType:
			what = "merge keys (<<)"
		case ast.TagType:
			what = "tags (!name)"
		}
		if what != "" {
			tk := n.GetToken()
			err = &Error{File: name, Line: tk.Position.Line, Column: tk.Position.Column,
				Msg: what + " are not allowed in a policy: write the values out, or share them with include:"}
			return false
		}
		return true
	}), n)
	return err
}

type visitFunc func(ast.Node) bool

func (f visitFunc) Visit(n ast.Node) ast.Visitor {
	if f(n) {
		return f
	}
	return nil
}

// yamlError turns an error of the YAML library into an Error at its line
// and column, in words without Go's type names.
func yamlError(name string, err error) error {
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	var ye yaml.Error
	if !errors.As(err, &ye) || ye.GetToken() == nil {
		if errors.Is(err, yaml.ErrExceededMaxDepth) {
			return &Error{File: name, Msg: "nested too deep"}
		}
		return &Error{File: name, Msg: err.Error()}
	}
	pos := ye.GetToken().Position
	msg := ye.GetMessage()
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msg = fmt.Sprintf("%q is not %s", ye.GetToken().Value, kindName(te.DstType))
	}
	var ue *yaml.UnknownFieldError
	if errors.As(err, &ue) {
		msg += " (see 'ajar policy --help' for the keys a policy has)"
	}
	return &Error{File: name, Line: pos.Line, Column: pos.Column, Msg: msg}
}

func kindName(t reflect.Type) string {
	if t == nil {
		return "the right type"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.String:
		return "text"
	case reflect.Slice:
		return "a list"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "a mapping (key: value lines)"
	}
	return "the right type"
}

// line is the line a node starts on.
func line(n ast.Node) int {
	if n == nil || n.GetToken() == nil {
		return 0
	}
	return n.GetToken().Position.Line
}

// keyLine is the line of key in the mapping n, or n's own line.
func keyLine(n ast.Node, key string) int {
	if v := mapValue(n, key); v != nil {
		return line(v)
	}
	return line(n)
}

// mapValue is the value of key in the mapping n, nil when n has none.
func mapValue(n ast.Node, key string) ast.Node {
	var values []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		values = m.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{m}
	}
	for _, mv := range values {
		if mv.Key != nil && mv.Key.String() == key {
			return mv.Value
		}
	}
	return nil
}
