package policy

import (
	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// rawPolicy is a policy file as written, before its values are checked.
type rawPolicy struct {
	Version  int                   `yaml:"version"`
	Include  []string              `yaml:"include"`
	Groups   map[string]stringList `yaml:"groups"`
	Findings string                `yaml:"findings"`
	Loopback string                `yaml:"loopback"`
	Hosts    []rawHost             `yaml:"hosts"`

	file     string
	groupPos map[string]Pos // where each group is defined
	dups     []dupGroup
	findPos  Pos
	loopPos  Pos
}

type rawHost struct {
	Match    stringList `yaml:"match"`
	Allow    []rawAllow `yaml:"allow"`
	Findings string     `yaml:"findings"`
	Note     string     `yaml:"note"`

	line int
	file string
}

type rawAllow struct {
	Port     string     `yaml:"port"`
	Service  string     `yaml:"service"`
	Product  string     `yaml:"product"`
	Process  string     `yaml:"process"`
	User     string     `yaml:"user"`
	Exposure string     `yaml:"exposure"`
	Sources  stringList `yaml:"sources"`
	Required bool       `yaml:"required"`
	Note     string     `yaml:"note"`

	line int
}

type (
	hostFields  rawHost
	allowFields rawAllow
)

// UnmarshalYAML decodes a host entry strictly and keeps its line.
func (h *rawHost) UnmarshalYAML(n ast.Node) error {
	var f hostFields
	if err := yaml.NodeToValue(n, &f, yaml.Strict()); err != nil {
		return err
	}
	*h = rawHost(f)
	h.line = line(n)
	return nil
}

// UnmarshalYAML decodes an allow entry strictly and keeps its line.
func (a *rawAllow) UnmarshalYAML(n ast.Node) error {
	var f allowFields
	if err := yaml.NodeToValue(n, &f, yaml.Strict()); err != nil {
		return err
	}
	*a = rawAllow(f)
	a.line = line(n)
	return nil
}

// stringList is one string or a list of them, each with its line.
type stringList struct {
	items []string
	lines []int
}

// UnmarshalYAML takes a scalar or a sequence of scalars.
func (s *stringList) UnmarshalYAML(n ast.Node) error {
	if seq, ok := n.(*ast.SequenceNode); ok {
		for _, v := range seq.Values {
			if err := s.add(v); err != nil {
				return err
			}
		}
		return nil
	}
	return s.add(n)
}

func (s *stringList) add(n ast.Node) error {
	sc, ok := n.(ast.ScalarNode)
	if !ok || n.Type() == ast.NullType {
		return &yaml.SyntaxError{Message: "want an address, name or list of them here", Token: n.GetToken()}
	}
	s.items = append(s.items, scalarText(sc))
	s.lines = append(s.lines, line(n))
	return nil
}

// scalarText is a scalar's text as written (10.0.0.5 is text, 22 too).
func scalarText(n ast.ScalarNode) string {
	if sn, ok := n.(*ast.StringNode); ok {
		return sn.Value
	}
	return n.GetToken().Value
}

// merge appends another file's groups and hosts to p's; a group defined
// twice is kept in dups for build to report.
func (p *rawPolicy) merge(o *rawPolicy) {
	for name, g := range o.Groups {
		if p.Groups == nil {
			p.Groups = map[string]stringList{}
			p.groupPos = map[string]Pos{}
		}
		if first, dup := p.groupPos[name]; dup {
			p.dups = append(p.dups, dupGroup{name, first, o.groupPos[name]})
			continue
		}
		p.Groups[name] = g
		p.groupPos[name] = o.groupPos[name]
	}
	p.dups = append(p.dups, o.dups...)
	p.Hosts = append(p.Hosts, o.Hosts...)
	if o.Findings != "" {
		p.Findings, p.findPos = o.Findings, o.findPos
	}
	if o.Loopback != "" {
		p.Loopback, p.loopPos = o.Loopback, o.loopPos
	}
}

type dupGroup struct {
	name        string
	first, then Pos
}

// positions notes where the file's values are written.
func (p *rawPolicy) positions(body ast.Node) {
	for i := range p.Hosts {
		p.Hosts[i].file = p.file
	}
	p.findPos = Pos{p.file, keyLine(body, "findings")}
	p.loopPos = Pos{p.file, keyLine(body, "loopback")}
	if m, ok := mapValue(body, "groups").(*ast.MappingNode); ok {
		p.groupPos = map[string]Pos{}
		for _, mv := range m.Values {
			p.groupPos[mv.Key.String()] = Pos{p.file, line(mv.Key)}
		}
	}
}

// includeLine is the line of the i-th include.
func (p *rawPolicy) includeLine(body ast.Node, i int) int {
	if seq, ok := mapValue(body, "include").(*ast.SequenceNode); ok && i < len(seq.Values) {
		return line(seq.Values[i])
	}
	return keyLine(body, "include")
}
