// Package report writes ajar's records in the formats a user asks for:
// aligned tables for people, JSON, JSON Lines and CSV for programs, and
// nmap's XML and grepable output for the tools that read nmap's.
//
// Scan results are a stream of records (record.PortResult, record.Host)
// written through one interface, Writer, in any format of a registry
// (Formats, New): one file per format, each registering itself. Table,
// XML and grepable output print host by host, each host as its Host record
// comes; JSON, JSON Lines and CSV write each record as it comes, in the
// order of the stream (probe order). The sockets of this machine are
// written by WriteSockets.
package report

// Format is an output format.
type Format string

// The formats every record kind can be written in.
const (
	Table Format = "table"
	JSON  Format = "json"
	JSONL Format = "jsonl"
	CSV   Format = "csv"
)

// XML is nmap's XML output format and Grep nmap's grepable output (-oG);
// only scan results are written in them.
const (
	XML  Format = "xml"
	Grep Format = "grep"
)

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
