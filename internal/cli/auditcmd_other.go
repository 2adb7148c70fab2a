//go:build !linux

package cli

import "context"

// inNetns: network namespaces are Linux's.
func inNetns(context.Context, *Env, string) error {
	return auditUsage("--netns needs Linux: network namespaces are Linux's")
}
