package record

import "net/netip"

// ViolationType is how reality differs from a policy.
type ViolationType string

// The violation types.
const (
	// UnexpectedOpen: a port is open (listening, answering a scan, or
	// published by a DNAT rule) that the policy does not allow.
	UnexpectedOpen ViolationType = "unexpected-open"
	// RequiredMissing: a port the policy requires is not open (or not in
	// each address family the policy's host entry names).
	RequiredMissing ViolationType = "required-missing"
	// WrongExposure: an allowed port is reachable from further than the
	// policy says (listening on 0.0.0.0 where it says loopback).
	WrongExposure ViolationType = "wrong-exposure"
	// WrongProcess: an allowed port's listener is owned by another
	// process or user than the policy names.
	WrongProcess ViolationType = "wrong-process"
	// WrongService: identification names another service or product on
	// an allowed port than the policy says.
	WrongService ViolationType = "wrong-service"
	// FindingViolation: an audit finding at or above the policy's
	// threshold.
	FindingViolation ViolationType = "finding"
)

// ViolationTypes lists every violation type.
var ViolationTypes = []ViolationType{UnexpectedOpen, RequiredMissing, WrongExposure, WrongProcess, WrongService, FindingViolation}

// Violation is one difference between a policy and what was observed: the
// record `ajar check` writes.
type Violation struct {
	Type ViolationType `json:"type"`
	// Host is the address the violation is about; for a local check, the
	// socket's local address (0.0.0.0 or :: for a wildcard).
	Host     netip.Addr `json:"host"`
	Hostname string     `json:"hostname,omitempty"`
	Proto    Proto      `json:"proto"`
	Port     uint16     `json:"port"`
	// Source is what saw it: "scan", "socket" (this machine's listeners)
	// or "dnat" (a port published by a NAT rule).
	Source string `json:"source"`
	// Observed says what is there, Expected what the policy wants.
	Observed string `json:"observed"`
	Expected string `json:"expected"`
	// Rule is the policy line that decided it, FILE:LINE: the allow
	// entry, or the host entry whose default denies the port.
	Rule string `json:"rule"`
	// Remediation is the concrete step that fixes it.
	Remediation string `json:"remediation"`
	// PID, Process, User and Unit describe a local listener's owner (Unit:
	// its systemd unit, from the process's cgroup).
	PID     int    `json:"pid,omitempty"`
	Process string `json:"process,omitempty"`
	User    string `json:"user,omitempty"`
	Unit    string `json:"unit,omitempty"`
	// Finding is the audit finding of a "finding" violation.
	Finding *Finding `json:"finding,omitempty"`
}

// Kind implements Record.
func (*Violation) Kind() string { return "violation" }
