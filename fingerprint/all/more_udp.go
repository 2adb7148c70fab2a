package all

// UDP protocols added for issue 12. The SQL Server Browser (ms-sql-m)
// and connectionless LDAP register from packages mssql and ldap, already
// listed in all.go.
import (
	_ "github.com/ajarsec/ajar/fingerprint/a2s"
	_ "github.com/ajarsec/ajar/fingerprint/bacnet"
	_ "github.com/ajarsec/ajar/fingerprint/dht"
	_ "github.com/ajarsec/ajar/fingerprint/ipmi"
	_ "github.com/ajarsec/ajar/fingerprint/quake3"
	_ "github.com/ajarsec/ajar/fingerprint/quic"
	_ "github.com/ajarsec/ajar/fingerprint/xdmcp"
)
