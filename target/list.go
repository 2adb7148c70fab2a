package target

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// ParseList parses targets separated by commas and/or white space, as given
// on the command line or to --exclude: "10.0.0.0/24, 10.0.1.1-20 host".
// An empty or blank list gives no specs and no error; whether that is
// acceptable is the caller's call. The first bad item is the error.
func ParseList(s string) ([]Spec, error) {
	var specs []Spec
	for _, item := range strings.FieldsFunc(s, isSep) {
		sp, err := ParseSpec(item)
		if err != nil {
			return nil, err
		}
		specs = append(specs, sp)
	}
	return specs, nil
}

func isSep(r rune) bool { return r == ',' || unicode.IsSpace(r) }

// MaxLineLen is the longest line ReadFile accepts.
const MaxLineLen = 64 << 10

// ReadFile reads a target file (-iL, --exclude-file): targets one a line
// (several on a line, separated as for ParseList, are accepted too), blank
// lines skipped, and everything from a '#' to the end of its line a
// comment. Errors name the file and line: `hosts.txt:3: bad target …`.
// name is only used in errors.
func ReadFile(r io.Reader, name string) ([]Spec, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, MaxLineLen)
	var specs []Spec
	line := 0
	for sc.Scan() {
		line++
		text, _, _ := strings.Cut(sc.Text(), "#")
		sp, err := ParseList(text)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		specs = append(specs, sp...)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%s:%d: line longer than %d bytes", name, line+1, MaxLineLen)
		}
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return specs, nil
}
