//go:build !e2enode

package e2enode

import "context"

// Linked says whether upstream's node specs are in this build: built without
// the tag e2enode and its overlay, they are not.
const Linked = false

// Setup has nothing to set up without upstream's node specs.
func Setup(context.Context) error { return nil }

// SkipUnrunnable has no spec of upstream's node suite to skip.
func SkipUnrunnable() {}
