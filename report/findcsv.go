package report

import (
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/record"
)

// The columns of `-o csv --findings`: a row per audit finding, with its
// port. Columns are only ever added at the end.
var findingCSVHeader = []string{"host", "hostname", "port", "proto", "service", "product", "version",
	"id", "category", "severity", "title", "evidence", "remediation", "references", "confidence",
	"exposure", "severity_reason"}

// findingRows writes a row per finding of a port record; other records
// have none.
func (c *csvWriter) findingRows(r record.Record) error {
	p, ok := r.(*record.PortResult)
	if !ok {
		return nil
	}
	for i := range p.Findings {
		f := &p.Findings[i]
		rec := c.rec
		clear(rec)
		rec[0], rec[1] = p.Host.String(), p.Hostname
		rec[2], rec[3] = strconv.Itoa(int(p.Port)), p.Proto.String()
		if s := p.Service; s != nil {
			rec[4], rec[5], rec[6] = s.Name, s.Product, s.Version
		}
		rec[7], rec[8], rec[9], rec[10] = f.ID, string(f.Category), f.Severity.String(), f.Title
		rec[11], rec[12], rec[13] = f.Evidence, f.Remediation, strings.Join(f.References, " ")
		rec[14], rec[15], rec[16] = string(f.Confidence), exposureName(f.Exposure), f.SeverityReason
		if err := c.cw.Write(rec); err != nil {
			return c.o.keep(err)
		}
	}
	return nil
}
