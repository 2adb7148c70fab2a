package diff

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/ajarsec/ajar/record"
)

// Report is what a diff writer writes: the two sides and the changes.
type Report struct {
	A, B *Scan
	// Scans is how many scans the series followed (2 for a plain diff).
	Scans   int
	Changes []Change
	// Unsettled are the changes held back by a settle count.
	Unsettled []Change
}

// Formats of a diff.
const (
	Text  = "text"
	JSON  = "json"
	JSONL = "jsonl"
	XML   = "xml"
)

// Write writes r in format (Text, JSON, JSONL or XML).
func Write(w io.Writer, format string, r *Report) error {
	bw := bufio.NewWriter(w)
	var err error
	switch format {
	case Text:
		err = writeText(bw, r)
	case JSON, JSONL:
		err = writeJSON(bw, r, format == JSON)
	case XML:
		err = writeXML(bw, r)
	default:
		return fmt.Errorf("unknown diff format %q (want text, json, jsonl or xml)", format)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

func side(s *Scan) string {
	if s.Time.IsZero() {
		return s.Label
	}
	return s.Label + "  " + s.Time.Local().Format("2006-01-02 15:04:05")
}

// writeText writes the changes for people, like ndiff but shorter: a
// line a change under its host, + for what appeared, - for what went, ~
// for what changed.
func writeText(w *bufio.Writer, r *Report) error {
	fmt.Fprintf(w, "--- %s\n+++ %s\n", side(r.A), side(r.B))
	var last netip.Addr
	for _, c := range r.Changes {
		if c.Host != last {
			last = c.Host
			if c.Hostname != "" {
				fmt.Fprintf(w, "\n %s (%s):\n", c.Host, c.Hostname)
			} else {
				fmt.Fprintf(w, "\n %s:\n", c.Host)
			}
		}
		w.WriteString(textLine(&c) + "\n")
	}
	switch n := len(r.Changes); n {
	case 0:
		w.WriteString("\nno changes")
	case 1:
		w.WriteString("\n1 change")
	default:
		fmt.Fprintf(w, "\n%d changes", n)
	}
	if len(r.Unsettled) > 0 {
		fmt.Fprintf(w, " (%d more not settled yet)", len(r.Unsettled))
	}
	_, err := w.WriteString("\n")
	return err
}

func textLine(c *Change) string {
	port := fmt.Sprintf("%d/%s", c.Port, c.Proto)
	var s string
	switch c.Kind {
	case HostUp:
		s = fmt.Sprintf("+Host is up (was %s)", c.Before)
	case HostDown:
		s = fmt.Sprintf("-Host is %s (was up)", c.After)
	case Opened:
		s = fmt.Sprintf("+%-10s open       (was %s)", port, c.Before)
	case Closed:
		s = fmt.Sprintf("-%-10s %-10s (was open)", port, c.After)
	case StateChanged:
		s = fmt.Sprintf("~%-10s %-10s (was %s)", port, c.After, c.Before)
	case Service:
		s = fmt.Sprintf("~%-10s service    %s (was %s)", port, c.After, c.Before)
	case FindingNew:
		s = fmt.Sprintf("+%-10s finding    %s (%s): %s", port, c.Finding.ID, c.Finding.Severity, c.Finding.Title)
	case FindingFixed:
		s = fmt.Sprintf("-%-10s fixed      %s (%s)", port, c.Finding.ID, c.Finding.Severity)
	}
	var notes []string
	if c.Reopened {
		notes = append(notes, "reopened")
	}
	if c.Flapping {
		notes = append(notes, "flapping: "+strings.Join(c.History, " → "))
	}
	if len(notes) > 0 {
		s += "  [" + strings.Join(notes, "; ") + "]"
	}
	return s
}

// jsonChange is a change as JSON: its field names are a stable interface.
type jsonChange struct {
	Host     string       `json:"host"`
	Hostname *string      `json:"hostname"`
	Proto    *string      `json:"proto"`
	Port     *uint16      `json:"port"`
	Change   string       `json:"change"`
	Before   string       `json:"before"`
	After    string       `json:"after"`
	Finding  *jsonFinding `json:"finding,omitempty"`
	History  []string     `json:"history,omitempty"`
	Flapping bool         `json:"flapping,omitempty"`
	Reopened bool         `json:"reopened,omitempty"`
}

type jsonFinding struct {
	ID       string          `json:"id"`
	Severity record.Severity `json:"severity"`
	Title    string          `json:"title"`
}

func toJSON(c *Change) jsonChange {
	j := jsonChange{Host: c.Host.String(), Change: c.Kind, Before: c.Before, After: c.After, History: c.History,
		Flapping: c.Flapping, Reopened: c.Reopened}
	if c.Hostname != "" {
		j.Hostname = &c.Hostname
	}
	if c.Proto != 0 {
		p, port := c.Proto.String(), c.Port
		j.Proto, j.Port = &p, &port
	}
	if f := c.Finding; f != nil {
		j.Finding = &jsonFinding{ID: f.ID, Severity: f.Severity, Title: f.Title}
	}
	return j
}

// writeJSON writes one object a change: an array, or JSON Lines.
func writeJSON(w *bufio.Writer, r *Report, array bool) error {
	enc := json.NewEncoder(w)
	if !array {
		for i := range r.Changes {
			if err := enc.Encode(toJSON(&r.Changes[i])); err != nil {
				return err
			}
		}
		return nil
	}
	out := make([]jsonChange, len(r.Changes))
	for i := range r.Changes {
		out[i] = toJSON(&r.Changes[i])
	}
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// writeXML writes the changes in the shape of ndiff's XML: a hostdiff per
// host, <a> what the first scan saw, <b> what the second saw.
func writeXML(w *bufio.Writer, r *Report) error {
	w.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.WriteString(`<nmapdiff version="1">` + "\n")
	fmt.Fprintf(w, "<scandiff a=\"%s\" b=\"%s\">\n", esc(r.A.Label), esc(r.B.Label))
	for i := 0; i < len(r.Changes); {
		j := i
		for j < len(r.Changes) && r.Changes[j].Host == r.Changes[i].Host {
			j++
		}
		writeHostDiff(w, r.Changes[i:j])
		i = j
	}
	w.WriteString("</scandiff>\n</nmapdiff>\n")
	return nil
}

func writeHostDiff(w *bufio.Writer, cs []Change) {
	h := cs[0]
	kind := "ipv4"
	if h.Host.Is6() {
		kind = "ipv6"
	}
	w.WriteString("<hostdiff><host>")
	for _, c := range cs {
		if c.Kind == HostUp || c.Kind == HostDown {
			fmt.Fprintf(w, "<a><status state=\"%s\"/></a><b><status state=\"%s\"/></b>", esc(c.Before), esc(c.After))
		}
	}
	fmt.Fprintf(w, "<address addr=\"%s\" addrtype=\"%s\"/>", h.Host, kind)
	if h.Hostname != "" {
		fmt.Fprintf(w, "<hostnames><hostname name=\"%s\"/></hostnames>", esc(h.Hostname))
	}
	w.WriteString("<ports>")
	for _, c := range cs {
		if c.Proto == 0 {
			continue
		}
		port := func(state, inner string) string {
			return fmt.Sprintf("<port protocol=\"%s\" portid=\"%d\"><state state=\"%s\"/>%s</port>", c.Proto, c.Port, esc(state), inner)
		}
		w.WriteString("<portdiff change=\"" + c.Kind + "\">")
		switch c.Kind {
		case Opened, Closed, StateChanged:
			if c.Before != Absent {
				w.WriteString("<a>" + port(c.Before, "") + "</a>")
			}
			if c.After != Absent {
				w.WriteString("<b>" + port(c.After, "") + "</b>")
			}
		case Service:
			fmt.Fprintf(w, "<a>%s</a><b>%s</b>", port("open", "<service name=\""+esc(c.Before)+"\"/>"),
				port("open", "<service name=\""+esc(c.After)+"\"/>"))
		case FindingNew, FindingFixed:
			f := fmt.Sprintf("<finding id=\"%s\" severity=\"%s\" title=\"%s\"/>", esc(c.Finding.ID), c.Finding.Severity, esc(c.Finding.Title))
			if c.Kind == FindingNew {
				w.WriteString("<b>" + port("open", f) + "</b>")
			} else {
				w.WriteString("<a>" + port("open", f) + "</a>")
			}
		}
		w.WriteString("</portdiff>")
	}
	w.WriteString("</ports></host></hostdiff>\n")
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return strings.ReplaceAll(b.String(), `"`, "&#34;")
}
