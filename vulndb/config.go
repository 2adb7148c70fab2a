package vulndb

import "strings"

// Config is one of a CVE's NVD configurations: nodes joined by Operator
// (OR unless it says AND), the whole negated when Negate is set. Field
// names in JSON are short: configurations are stored for every CVE.
type Config struct {
	Operator string `json:"op,omitempty"`
	Negate   bool   `json:"neg,omitempty"`
	Nodes    []Node `json:"nodes"`
}

// Node is a configuration's node: CPE match criteria joined by Operator.
type Node struct {
	Operator string     `json:"op,omitempty"`
	Negate   bool       `json:"neg,omitempty"`
	Matches  []CPEMatch `json:"m"`
}

// CPEMatch is one criterion of a node: a CPE name, optionally a version
// range; Vulnerable false makes it a platform condition (the software runs
// on or with it), never the vulnerable thing itself.
type CPEMatch struct {
	Vulnerable bool   `json:"v,omitempty"`
	Criteria   string `json:"c"`
	StartIncl  string `json:"si,omitempty"`
	StartExcl  string `json:"se,omitempty"`
	EndIncl    string `json:"ei,omitempty"`
	EndExcl    string `json:"ee,omitempty"`

	// crit is Criteria parsed, once (prepare); critOK says it parsed.
	crit     CPE
	critOK   bool
	prepared bool
}

// prepare parses the criteria of every match once, for Evaluate.
func (c *Config) prepare() {
	for i := range c.Nodes {
		for j := range c.Nodes[i].Matches {
			m := &c.Nodes[i].Matches[j]
			crit, err := ParseCPE(m.Criteria)
			m.crit, m.critOK, m.prepared = crit, err == nil, true
		}
	}
}

// Subject is what a configuration is evaluated against: the CPE names of
// one identified service. Names with a concrete version can be the
// vulnerable thing; names without (the operating system a banner hints
// at) can only satisfy platform conditions.
type Subject []CPE

// Hit is the vulnerable criterion a matching configuration matched.
type Hit struct {
	Match CPEMatch
	CPE   CPE
}

// Evaluate reports whether the configuration makes s vulnerable, and the
// vulnerable criterion that matched. A configuration whose only matched
// criteria are platform conditions (vulnerable:false) does not; an AND
// configuration needs every node; a negated node or configuration counts
// as matching when its criteria do not, but never supplies the hit.
func (c *Config) Evaluate(s Subject) (Hit, bool) {
	and := strings.EqualFold(c.Operator, "AND")
	var hit Hit
	found := false
	result := and
	for i := range c.Nodes {
		ok, h, hf := c.Nodes[i].evaluate(s)
		if and {
			result = result && ok
		} else {
			result = result || ok
		}
		if ok && hf && !found {
			hit, found = h, true
		}
	}
	if len(c.Nodes) == 0 {
		result = false
	}
	if c.Negate {
		return Hit{}, false
	}
	return hit, result && found
}

// evaluate returns the node's truth and, when it is true and not
// negated, a vulnerable criterion it matched.
func (n *Node) evaluate(s Subject) (bool, Hit, bool) {
	and := strings.EqualFold(n.Operator, "AND")
	result := and
	var hit Hit
	found := false
	for i := range n.Matches {
		m := &n.Matches[i]
		cpe, ok := m.matchAny(s)
		if and {
			result = result && ok
		} else {
			result = result || ok
		}
		if ok && m.Vulnerable && !found {
			hit, found = Hit{Match: *m, CPE: cpe}, true
		}
	}
	if len(n.Matches) == 0 {
		result = false
	}
	if n.Negate {
		return !result, Hit{}, false
	}
	return result, hit, found && result
}

// matchAny returns the first name of s the criterion matches.
func (m *CPEMatch) matchAny(s Subject) (CPE, bool) {
	crit, ok := m.crit, m.critOK
	if !m.prepared {
		var err error
		crit, err = ParseCPE(m.Criteria)
		ok = err == nil
	}
	if !ok {
		return CPE{}, false
	}
	for _, c := range s {
		if m.matches(crit, c) {
			return c, true
		}
	}
	return CPE{}, false
}

// matches reports whether the criterion crit (with m's range) matches
// the name t. The vendor and product must be concrete and equal; a name
// of unknown version matches only a criterion of any version and no
// range, and then only as a platform condition.
func (m *CPEMatch) matches(crit, t CPE) bool {
	if !concrete(crit.Vendor) || !concrete(crit.Product) || crit.Part != t.Part ||
		crit.Vendor != t.Vendor || crit.Product != t.Product {
		return false
	}
	for _, p := range [][2]string{{crit.Edition, t.Edition}, {crit.Language, t.Language},
		{crit.SWEdition, t.SWEdition}, {crit.TargetSW, t.TargetSW}, {crit.TargetHW, t.TargetHW}, {crit.Other, t.Other}} {
		if concrete(p[0]) && concrete(p[1]) && p[0] != p[1] {
			return false
		}
	}
	tv := t.FullVersion()
	ranged := m.StartIncl != "" || m.StartExcl != "" || m.EndIncl != "" || m.EndExcl != ""
	if tv == "" {
		return !m.Vulnerable && crit.Version == Any && !ranged
	}
	if concrete(crit.Version) {
		cv := crit.FullVersion()
		if CompareVersions(tv, cv) == 0 {
			return true
		}
		// "8.9" with any update matches 8.9p1.
		base := unquote(crit.Version)
		return crit.Update == Any && len(tv) > len(base) && strings.HasPrefix(tv, base) && isLetter(tv[len(base)]) &&
			!strings.HasPrefix(strings.ToLower(tv[len(base):]), "rc")
	}
	if crit.Version == NA {
		return false
	}
	return inRange(tv, m.StartIncl, m.StartExcl, m.EndIncl, m.EndExcl)
}

// inRange reports whether v is within the bounds that are not empty.
func inRange(v, startIncl, startExcl, endIncl, endExcl string) bool {
	return (startIncl == "" || CompareVersions(v, startIncl) >= 0) &&
		(startExcl == "" || CompareVersions(v, startExcl) > 0) &&
		(endIncl == "" || CompareVersions(v, endIncl) <= 0) &&
		(endExcl == "" || CompareVersions(v, endExcl) < 0)
}

// FixedIn is the first version outside the criterion's range, when the
// range ends before a version ("< 9.3p2"); "" otherwise.
func (m *CPEMatch) FixedIn() string { return m.EndExcl }

// keys are the part:vendor:product keys of the configuration's
// vulnerable criteria, the ones a CVE is found by.
func (c *Config) keys(add func(string)) {
	for _, n := range c.Nodes {
		for _, m := range n.Matches {
			if !m.Vulnerable {
				continue
			}
			if crit, err := ParseCPE(m.Criteria); err == nil {
				if k, err := crit.Key(); err == nil {
					add(k)
				}
			}
		}
	}
}
