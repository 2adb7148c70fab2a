package journal

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
)

// A checkpoint may have files beside it that keep more of its scan (the
// host file of a scan in host groups: what discovery found in each
// group). They are Lines files: JSON lines only ever appended to, each
// with one write(2), so that a killed process leaves whole lines and at
// most one torn last line, which a reader drops. They are read with the
// same line reader as the checkpoint itself.

// Lines is a Lines file open for appending.
type Lines struct {
	f    *os.File
	path string
}

// CreateLines makes a new Lines file; it fails with an error matching
// os.ErrExist when path exists.
func CreateLines(path string) (*Lines, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	return &Lines{f: f, path: path}, nil
}

// AppendLines opens a Lines file to go on appending after its first end
// bytes (what ReadLines returned: a torn last line is cut off).
func AppendLines(path string, end int64) (*Lines, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	if err := f.Truncate(end); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(end, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return &Lines{f: f, path: path}, nil
}

// Path is the file's path.
func (l *Lines) Path() string { return l.path }

// Append writes one line (a newline is added) with one write(2).
func (l *Lines) Append(line []byte) error {
	if _, err := l.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("writing %s: %w", l.path, err)
	}
	return nil
}

// Close syncs and closes the file; nil Lines are closed already.
func (l *Lines) Close() error {
	if l == nil {
		return nil
	}
	return errors.Join(l.f.Sync(), l.f.Close())
}

// Remove closes and removes the file.
func (l *Lines) Remove() error {
	if l == nil {
		return nil
	}
	return errors.Join(l.f.Close(), os.Remove(l.path))
}

// ReadLines calls fn with each whole line of the Lines file at path
// (newline included), numbered from 1, each at most max bytes. It drops a
// torn last line and returns the offset past the last whole one, where
// AppendLines goes on.
func ReadLines(path string, max int, fn func(n int, line []byte) error) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return readLines(f, max, fn)
}

func readLines(r io.Reader, max int, fn func(n int, line []byte) error) (int64, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var end int64
	for n := 1; ; n++ {
		line, err := readLine(br, max)
		if errors.Is(err, io.EOF) {
			return end, nil
		}
		if err != nil {
			return 0, fmt.Errorf("line %d: %w", n, err)
		}
		if err := fn(n, line); err != nil {
			return 0, err
		}
		end += int64(len(line))
	}
}
