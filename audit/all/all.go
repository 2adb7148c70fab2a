// Package all compiles in every audit check: import it for its side
// effect.
package all

import (
	_ "github.com/ajarsec/ajar/audit/broker"
	_ "github.com/ajarsec/ajar/audit/exposed"
	_ "github.com/ajarsec/ajar/audit/ldap"
	_ "github.com/ajarsec/ajar/audit/netsvc"
	_ "github.com/ajarsec/ajar/audit/noauth"
	_ "github.com/ajarsec/ajar/audit/ssh"
	_ "github.com/ajarsec/ajar/audit/store"
	_ "github.com/ajarsec/ajar/audit/tlsaudit"
	_ "github.com/ajarsec/ajar/audit/web"
)
