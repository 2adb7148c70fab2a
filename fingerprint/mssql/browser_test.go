package mssql

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// svrResp wraps RESP_DATA in SVR_RESP ([MC-SQLR] §2.2.5).
func svrRespOf(data string) string {
	return string(binary.LittleEndian.AppendUint16([]byte{0x05}, uint16(len(data)))) + data
}

// Answers written out from [MC-SQLR] §2.2.5's RESP_DATA grammar: a
// default instance of SQL Server 2019 on TCP 1433 and a named pipe, and a
// named SQL Server 2008 R2 Express instance on a dynamic port.
const (
	default2019 = `ServerName;DB01;InstanceName;MSSQLSERVER;IsClustered;No;Version;15.0.2000.5;tcp;1433;np;\\DB01\pipe\sql\query;;`
	express2008 = `ServerName;DB01;InstanceName;SQLEXPRESS;IsClustered;Yes;Version;10.50.1600.1;tcp;49172;;`
)

func TestParseBrowser(t *testing.T) {
	svc, err := ParseBrowser([]byte(svrRespOf(default2019 + express2008)))
	if err != nil || svc.Name != "ms-sql-m" || svc.Product != "Microsoft SQL Server" || svc.Version != "15.0.2000.5" ||
		svc.ExtraInfo != `SQL Server 2019; DB01\MSSQLSERVER tcp/1433; DB01\SQLEXPRESS tcp/49172` ||
		len(svc.CPE) != 1 || svc.CPE[0] != fingerprint.CPE("microsoft", "sql_server", "2019") {
		t.Fatalf("%+v, %v", svc, err)
	}
	insts := svc.Detail.([]Instance)
	if len(insts) != 2 || insts[0].Clustered || !insts[1].Clustered || insts[1].Version != "10.50.1600.1" {
		t.Errorf("%+v", insts)
	}
	svc, err = ParseBrowser([]byte(svrRespOf(express2008)))
	if err != nil || svc.ExtraInfo != `SQL Server 2008 R2; DB01\SQLEXPRESS tcp/49172` || svc.CPE[0] != fingerprint.CPE("microsoft", "sql_server", "2008") {
		t.Errorf("%+v, %v", svc, err)
	}
	fptest.NoMatch(t, "ParseBrowser", ParseBrowser,
		"",
		string(BrowserRequest()), // echoed
		"\x05\x00\x00",           // no instance
		svrRespOf(default2019)[:10],
		svrRespOf(default2019)+"x", // length short of the data
		"\x04"+svrRespOf(default2019)[1:],
		svrRespOf(default2019[:len(default2019)-2]), // no closing ";;"
		svrRespOf(`ServerName;DB01;InstanceName;X;IsClustered;Maybe;Version;15.0;;`),
		svrRespOf(`ServerName;DB01;InstanceName;X;IsClustered;No;Version;fifteen;;`),
		svrRespOf(`InstanceName;X;ServerName;DB01;IsClustered;No;Version;15.0;;`),
		svrRespOf(`ServerName;;InstanceName;X;IsClustered;No;Version;15.0;;`),
		svrRespOf(string(bytes.Repeat([]byte(express2008), 65))),
	)
}

func FuzzParseBrowser(f *testing.F) {
	f.Add([]byte(svrRespOf(default2019)))
	f.Add([]byte(svrRespOf(express2008 + default2019)))
	f.Fuzz(func(t *testing.T, b []byte) {
		if svc := fptest.CheckParse(t, "ParseBrowser", ParseBrowser, b); svc != nil && !bytes.HasPrefix(b[3:], []byte("ServerName;")) {
			t.Errorf("% x taken", b)
		}
	})
}

func TestIdentifyBrowser(t *testing.T) {
	fptest.MustMatch(t, fptest.UDPPlugin(t, browserName), fptest.ServeUDP(t, func(b []byte) []byte {
		if bytes.Equal(b, []byte{3}) {
			return []byte(svrRespOf(default2019))
		}
		return nil
	}))
	fptest.MustNotMatch(t, fptest.UDPPlugin(t, browserName), fptest.ServeUDP(t, func(b []byte) []byte { return b }))
}
