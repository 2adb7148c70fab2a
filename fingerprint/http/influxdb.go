package http

import (
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

// influxdbApp: InfluxDB names itself and its version in headers of every
// answer, even a 404 (X-Influxdb-Version: 1.6.7~rc0, X-Influxdb-Build:
// OSS).
var influxdbApp = app{
	name:  "influxdb",
	ports: []uint16{8086},
	root:  influxdbRoot,
	next:  noNext,
}

func influxdbRoot(r *Response) (*record.Service, string) {
	v, ok := headerValue(r.Header, "X-Influxdb-Version")
	if !ok {
		return nil, ""
	}
	v = strings.TrimPrefix(clean(v, 40), "v")
	svc := &record.Service{Product: "InfluxDB", Version: v, Confidence: 10,
		CPE: []string{fingerprint.CPE("influxdata", "influxdb", v)}}
	if b := r.Header.Get("X-Influxdb-Build"); b != "" {
		svc.ExtraInfo = "build " + clean(b, 20)
	}
	return svc, ""
}

// headerValue is Header.Get that also says whether the field is there.
func headerValue(h Header, name string) (string, bool) {
	if !h.Has(name) {
		return "", false
	}
	return h.Get(name), true
}
