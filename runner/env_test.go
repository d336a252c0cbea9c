package runner

import (
	"os"
	"slices"
	"strconv"
	"testing"
)

// TestSpecEnvNamesTheUser: without USER (a FROM scratch image), the
// conformance binary still gets one; a USER given is kept.
func TestSpecEnvNamesTheUser(t *testing.T) {
	t.Setenv("USER", "")
	os.Unsetenv("USER")
	want := "USER=root"
	if os.Getuid() != 0 {
		want = "USER=" + strconv.Itoa(os.Getuid())
	}
	if env := specEnv(); !slices.Contains(env, want) {
		t.Errorf("the specs' environment has no %s: %v", want, env)
	}
	t.Setenv("USER", "vendor")
	if env := specEnv(); !slices.Contains(env, "USER=vendor") || slices.Contains(env, want) {
		t.Errorf("the specs' environment does not keep USER=vendor alone: %v", env)
	}
}
