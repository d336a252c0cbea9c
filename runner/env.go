package runner

import (
	"os"
	"strconv"
)

// specEnv is the environment of the conformance binary: node-test's own,
// with USER set when it is not. Upstream's e2e framework, linked with
// upstream's node suite, exits at start when it cannot name the user, which
// a binary built without cgo reads from USER alone; in node-test's FROM
// scratch image nothing sets it.
func specEnv() []string {
	env := os.Environ()
	if os.Getenv("USER") == "" {
		name := "root"
		if uid := os.Getuid(); uid != 0 {
			name = strconv.Itoa(uid)
		}
		env = append(env, "USER="+name)
	}
	return env
}
