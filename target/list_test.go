package target

import (
	"strings"
	"testing"
	"testing/iotest"
)

func specStrings(specs []Spec) string {
	s := make([]string, len(specs))
	for i, sp := range specs {
		s[i] = sp.String()
	}
	return strings.Join(s, " ")
}

func TestParseList(t *testing.T) {
	tests := []struct{ in, want, wantErr string }{
		{in: "", want: ""},
		{in: " , ,\t", want: ""},
		{in: "10.0.0.1", want: "10.0.0.1"},
		{in: "10.0.0.1,10.0.0.2", want: "10.0.0.1 10.0.0.2"},
		{in: " 10.0.0.0/24, 10.0.1.1-20\thost.example\n2001:db8::1 ", want: "10.0.0.0/24 10.0.1.1-20 host.example 2001:db8::1"},
		{in: "10.0.0.1,,10.0.0.2", want: "10.0.0.1 10.0.0.2"},
		{in: "10.0.0.1, 10.0.0.0/33", wantErr: `bad target "10.0.0.0/33"`},
		{in: "10.0.0.9-1 host", wantErr: `bad range "10.0.0.9-1": end before start`},
	}
	for _, tt := range tests {
		got, err := ParseList(tt.in)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseList(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("ParseList(%q): %v", tt.in, err)
		case specStrings(got) != tt.want:
			t.Errorf("ParseList(%q) = %q, want %q", tt.in, specStrings(got), tt.want)
		}
	}
}

func TestReadFile(t *testing.T) {
	const file = `# office networks
10.0.0.0/24
10.0.1.1-20   # printers

   host.example
2001:db8::/120,10.9.9.9 10.9.9.10
#10.0.0.0/8
`
	got, err := ReadFile(strings.NewReader(file), "targets.txt")
	if err != nil {
		t.Fatal(err)
	}
	if want := "10.0.0.0/24 10.0.1.1-20 host.example 2001:db8::/120 10.9.9.9 10.9.9.10"; specStrings(got) != want {
		t.Errorf("ReadFile = %q, want %q", specStrings(got), want)
	}

	got, err = ReadFile(strings.NewReader("# nothing\n\n"), "empty.txt")
	if err != nil || len(got) != 0 {
		t.Errorf("comments only: %v, %v", got, err)
	}
	got, err = ReadFile(strings.NewReader("10.0.0.1\r\n10.0.0.2"), "crlf.txt")
	if err != nil || specStrings(got) != "10.0.0.1 10.0.0.2" {
		t.Errorf("CRLF, no final newline: %q, %v", specStrings(got), err)
	}
}

func TestReadFileErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"10.0.0.1\n# fine\n10.0.0.0/33\n", `targets.txt:3: bad target "10.0.0.0/33": prefix length 33 is out of range`},
		{"10.0.0.5-1", `targets.txt:1: bad range "10.0.0.5-1": end before start`},
		{"10.0.0.1\n" + strings.Repeat("a", MaxLineLen+1) + "\n", `targets.txt:2: line longer than 65536 bytes`},
	}
	for _, tt := range tests {
		_, err := ReadFile(strings.NewReader(tt.in), "targets.txt")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ReadFile(%.40q) error = %v, want %q", tt.in, err, tt.want)
		}
	}
	_, err := ReadFile(iotest.ErrReader(iotest.ErrTimeout), "broken.txt")
	if err == nil || !strings.Contains(err.Error(), "reading broken.txt: timeout") {
		t.Errorf("read error = %v", err)
	}
}
