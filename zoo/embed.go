// Package zoo holds the configuration templates of ajar's daemon zoo, one
// directory per daemon, rendered by internal/zoo into each zoo's
// temporary directory: see README.md.
package zoo

import "embed"

// Files holds every template, as <daemon>/<file>.tmpl.
//
//go:embed */*.tmpl
var Files embed.FS
