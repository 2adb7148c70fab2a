// Package report writes ajar's records in the formats a user asks for:
// aligned tables for people, JSON, JSON Lines and CSV for programs, and
// nmap-compatible XML for scan results.
package report

import (
	"fmt"
	"strings"
)

// Format is an output format.
type Format string

// The formats every record kind can be written in.
const (
	Table Format = "table"
	JSON  Format = "json"
	JSONL Format = "jsonl"
	CSV   Format = "csv"
)

// XML is nmap's XML output format; only scan results are written in it.
const XML Format = "xml"

// Formats lists the formats, for help texts and errors.
var Formats = []Format{Table, JSON, JSONL, CSV}

// ScanFormats lists the formats scan results can be written in: Formats
// and XML.
var ScanFormats = []Format{Table, JSON, JSONL, CSV, XML}

// ParseFormat checks a format name given by a user.
func ParseFormat(s string) (Format, error) { return parseFormat(s, Formats) }

// ParseScanFormat checks a format name given by a user for scan results.
func ParseScanFormat(s string) (Format, error) { return parseFormat(s, ScanFormats) }

func parseFormat(s string, fs []Format) (Format, error) {
	for _, f := range fs {
		if string(f) == strings.ToLower(s) {
			return f, nil
		}
	}
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown output format %q (want one of %s)", s, strings.Join(names, ", "))
}

// Style says how a table looks.
type Style struct {
	// Color uses ANSI colours; set it only when writing to a terminal.
	Color bool
	// Verbose adds the wide columns (command line, interfaces).
	Verbose bool
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
)
