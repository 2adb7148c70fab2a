package policy

import _ "embed"

// Schema is the JSON schema of a policy file, for editors (the YAML
// language server reads it: `# yaml-language-server: $schema=...`).
//
//go:embed schema.json
var Schema []byte
