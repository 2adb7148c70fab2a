// Package all compiles in every fingerprint plugin: import it for its side
// effects. This is the one list of plugins.
package all

import (
	_ "github.com/ajarsec/ajar/fingerprint/ssh" // SSH
)
