package journal

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestLinesRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.hosts")
	l, err := CreateLines(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CreateLines(path); !errors.Is(err, os.ErrExist) {
		t.Errorf("a second create: %v, want ErrExist", err)
	}
	for _, s := range []string{`{"g":0}`, `{"g":1}`} {
		if err := l.Append([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	// A kill mid-write leaves a torn line: it is dropped, and appending
	// goes on after the last whole line.
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"g":2,"up":[`)
	f.Close()
	var got []string
	end, err := ReadLines(path, 100, func(n int, line []byte) error {
		got = append(got, string(line))
		return nil
	})
	if err != nil || len(got) != 2 || end != int64(len(`{"g":0}`+"\n"+`{"g":1}`+"\n")) {
		t.Fatalf("read %q, end %d, %v", got, end, err)
	}
	l, err = AppendLines(path, end)
	if err != nil {
		t.Fatal(err)
	}
	l.Append([]byte(`{"g":2}`))
	l.Close()
	b, _ := os.ReadFile(path)
	if want := "{\"g\":0}\n{\"g\":1}\n{\"g\":2}\n"; string(b) != want {
		t.Errorf("file %q, want %q", b, want)
	}
	if _, err := ReadLines(path, 5, func(int, []byte) error { return nil }); err == nil {
		t.Error("a line over max was read")
	}
}

// FuzzReadLines: any bytes give whole lines that add up to the returned
// end, or an error; never a panic, never a line over max.
func FuzzReadLines(f *testing.F) {
	f.Add([]byte("{\"g\":0}\n{\"g\":1}\n{\"g\":2"), 16)
	f.Add([]byte("\n\n\n"), 1)
	f.Add([]byte(""), 4)
	f.Fuzz(func(t *testing.T, b []byte, max int) {
		if max <= 0 || max > 1<<16 {
			return
		}
		var total int64
		end, err := readLines(bytes.NewReader(b), max, func(n int, line []byte) error {
			if len(line) > max || line[len(line)-1] != '\n' {
				t.Fatalf("line %d: %q (max %d)", n, line, max)
			}
			total += int64(len(line))
			return nil
		})
		if err == nil && (end != total || !bytes.HasPrefix(b, b[:end]) || bytes.Contains(b[end:], []byte("\n"))) {
			t.Fatalf("end %d, lines total %d, of %q", end, total, b)
		}
	})
}
