package http

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

// prometheusApp: Prometheus and its exporters. node_exporter's "/" is a
// small page titled "Node Exporter" that links to /metrics; the Prometheus
// server's "/" redirects to /graph. Their /metrics is the text exposition
// format ("# HELP", "# TYPE" lines), and a <name>_build_info metric
// carries the version: node_exporter_build_info{...,version="1.5.0"} 1.
var prometheusApp = app{
	name:  "prometheus",
	ports: []uint16{9090, 9100},
	root:  prometheusRoot,
	next:  prometheusMetrics,
}

func prometheusRoot(r *Response) (*record.Service, string) {
	title := Title(r)
	switch {
	case strings.Contains(strings.ToLower(title), "exporter"):
		svc := &record.Service{Product: exporterProduct(title), Confidence: 7}
		// exporter-toolkit's landing page says "version=1.6.0".
		if v := labelValue(r.Body, "version="); v != "" {
			svc.Version = v
		}
		return svc, "/metrics"
	case title == "Prometheus Time Series Collection and Processing Server",
		r.Status/100 == 3 && isGoServer(r) && r.Header.Get("Location") == "/graph":
		return &record.Service{Product: "Prometheus", Confidence: 7}, "/metrics"
	case isGoServer(r) && r.Status == 404:
		return nil, "/metrics"
	case r.Status == 200 && !r.Header.Has("Server") && bytes.Contains(r.Body, []byte(`href="/metrics"`)) && len(r.Body) < 4096:
		return nil, "/metrics"
	}
	return nil, ""
}

// exporterProduct names an exporter from its page title or metric
// prefix: "Node Exporter" and "node_exporter" are "Prometheus Node
// Exporter".
func exporterProduct(name string) string {
	words := strings.FieldsFunc(name, func(r rune) bool { return r == '_' || r == ' ' })
	for i, w := range words {
		if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	if len(words) > 0 && words[0] == "Prometheus" {
		words = words[1:]
	}
	return clean("Prometheus "+strings.Join(words, " "), 60)
}

// prometheusMetrics reads /metrics: the text exposition format, and the
// version of the first *_build_info metric.
func prometheusMetrics(r *Response, found *record.Service) *record.Service {
	if r.Status != 200 || !IsExposition(r.Body) {
		return nil
	}
	svc := &record.Service{Confidence: 7}
	if found != nil {
		*svc = *found
	}
	prefix, version := BuildInfo(r.Body)
	if prefix != "" {
		svc.Confidence = 10
		switch {
		case prefix == "prometheus":
			svc.Product = "Prometheus"
		case strings.HasSuffix(prefix, "_exporter"), svc.Product == "":
			svc.Product = exporterProduct(prefix)
		}
		if version != "" {
			svc.Version = version
		}
	}
	if svc.Product != "" {
		vendor, product := "prometheus", "prometheus"
		if svc.Product != "Prometheus" {
			product = strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(svc.Product, "Prometheus "), " ", "_"))
		}
		svc.CPE = []string{fingerprint.CPE(vendor, product, svc.Version)}
	} else {
		svc.ExtraInfo = "metrics at /metrics"
	}
	return svc
}

// IsExposition reports whether b starts like Prometheus' text exposition
// format: comment lines "# HELP name ..." or "# TYPE name ...", or a
// sample "name{labels} value".
func IsExposition(b []byte) bool {
	lines := 0
	for len(b) > 0 && lines < 8 {
		line, rest, ok := cutLine(b)
		if !ok {
			line, rest = b, nil
		}
		b = rest
		if len(line) == 0 {
			continue
		}
		lines++
		if bytes.HasPrefix(line, []byte("# HELP ")) || bytes.HasPrefix(line, []byte("# TYPE ")) {
			return true
		}
		if line[0] != '#' {
			return isSample(line)
		}
	}
	return false
}

// isSample reports a line "metric_name{...} 1.5" or "metric_name 3": a
// name, labels, and a number.
func isSample(line []byte) bool {
	i := 0
	for i < len(line) && (line[i] == '_' || line[i] == ':' || isDigit(line[i]) && i > 0 ||
		line[i]|0x20 >= 'a' && line[i]|0x20 <= 'z') {
		i++
	}
	if i == 0 || i == len(line) {
		return false
	}
	rest := line[i:]
	if rest[0] == '{' {
		end := bytes.LastIndexByte(rest, '}')
		if end < 0 {
			return false
		}
		rest = rest[end+1:]
	}
	value, _, _ := bytes.Cut(bytes.TrimLeft(rest, " "), []byte(" "))
	if len(rest) == 0 || rest[0] != ' ' {
		return false
	}
	_, err := strconv.ParseFloat(string(value), 64)
	return err == nil
}

// BuildInfo finds the first "<prefix>_build_info{...}" sample and returns
// its prefix and version label.
func BuildInfo(b []byte) (prefix, version string) {
	for len(b) > 0 {
		line, rest, ok := cutLine(b)
		if !ok {
			line, rest = b, nil
		}
		b = rest
		i := bytes.Index(line, []byte("_build_info{"))
		if i <= 0 || line[0] == '#' || !isSample(line) {
			continue
		}
		labels := line[i+len("_build_info{"):]
		return clean(string(line[:i]), 60), label(labels, "version")
	}
	return "", ""
}

// label returns the value of the label named name in the label list
// `a="x",version="1.5.0"}`; "" when it is missing or no version.
func label(labels []byte, name string) string {
	for len(labels) > 0 && labels[0] != '}' {
		eq := bytes.Index(labels, []byte(`="`))
		if eq < 0 {
			return ""
		}
		key := string(bytes.TrimSpace(labels[:eq]))
		v := labels[eq+2:]
		end := 0
		for end < len(v) && v[end] != '"' {
			if v[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(v) {
			return ""
		}
		if key == name {
			return labelValue(v[:end+1], "")
		}
		labels = bytes.TrimLeft(v[end+1:], ", ")
	}
	return ""
}

// labelValue reads the value after key up to '"', ',' or ')', as a
// version: digits, letters, dots, dashes and pluses only.
func labelValue(b []byte, key string) string {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return ""
	}
	v := b[i+len(key):]
	end := 0
	for end < len(v) && end < 40 && (isDigit(v[end]) || v[end] == '.' || v[end] == '-' || v[end] == '+' ||
		v[end]|0x20 >= 'a' && v[end]|0x20 <= 'z') {
		end++
	}
	return string(v[:end])
}
