package images

import (
	"fmt"
	"runtime"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Arch is a target architecture node-test ships for.
type Arch struct {
	// Name is node-test's name for it: amd64, arm or arm64.
	Name string
	// GOARCH and GOARM are what the Go toolchain needs to cross-compile.
	GOARCH, GOARM string
	// Debian is the Debian architecture whose packages provide files.
	Debian string
	// GNU is the GNU triplet of Debian's compilers for it, the prefix of
	// e.g. arm-linux-gnueabihf-gcc.
	GNU string
	// Variant is the OCI platform variant ("v7" for arm).
	Variant string
	// ELFMachine is the e_machine value every binary of the arch carries.
	ELFMachine uint16
}

// Arches lists every architecture node-test builds for.
var Arches = []Arch{
	{Name: "amd64", GOARCH: "amd64", Debian: "amd64", GNU: "x86_64-linux-gnu", ELFMachine: 62},
	{Name: "arm", GOARCH: "arm", GOARM: "7", Debian: "armhf", GNU: "arm-linux-gnueabihf", Variant: "v7", ELFMachine: 40},
	{Name: "arm64", GOARCH: "arm64", Debian: "arm64", GNU: "aarch64-linux-gnu", Variant: "v8", ELFMachine: 183},
}

// LookupArch returns the Arch called name ("amd64", "arm", "arm64"; "armhf"
// and "aarch64" are accepted too).
func LookupArch(name string) (Arch, error) {
	switch name {
	case "armhf", "armv7", "arm/v7":
		name = "arm"
	case "aarch64", "arm64/v8":
		name = "arm64"
	case "x86_64":
		name = "amd64"
	}
	i := slices.IndexFunc(Arches, func(a Arch) bool { return a.Name == name })
	if i < 0 {
		return Arch{}, fmt.Errorf("unknown architecture %q: use one of %s", name, strings.Join(ArchNames(), ", "))
	}
	return Arches[i], nil
}

// HostArch is the architecture this binary runs on.
func HostArch() Arch {
	a, err := LookupArch(runtime.GOARCH)
	if err != nil {
		return Arch{Name: runtime.GOARCH, GOARCH: runtime.GOARCH}
	}
	return a
}

// ArchNames lists the names of Arches.
func ArchNames() []string {
	names := make([]string, 0, len(Arches))
	for _, a := range Arches {
		names = append(names, a.Name)
	}
	return names
}

// Platform is the OCI platform of images built for a.
func (a Arch) Platform() v1.Platform {
	return v1.Platform{OS: "linux", Architecture: a.GOARCH, Variant: a.Variant}
}

// ociPlatform is Platform in the OCI type containerd's client takes.
func (a Arch) ociPlatform() ocispec.Platform {
	return ocispec.Platform{OS: "linux", Architecture: a.GOARCH, Variant: a.Variant}
}
