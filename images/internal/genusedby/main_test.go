package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestScanFindsUsesNotLists scans a package whose spec uses busybox through
// the framework's identifier, under a renamed import, and node-test's own
// image-config image through images/refs, and whose pre-pull list names
// nginx: busybox and ImageConfig are uses, nginx is not, and the package
// declares specs.
func TestScanFindsUsesNotLists(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("spec.go", `package p

import (
	img "k8s.io/kubernetes/test/utils/image"

	"github.com/node-test/node-test/images/refs"
)

var _ = describe("area", func() { run(img.GetE2EImage(img.BusyBox)); run(refs.ImageConfig) })

func describe(string, func()) bool { return true }
func run(string)                  {}
`)
	write("list.go", `package p

import imageutils "k8s.io/kubernetes/test/utils/image"

var PrePulledImages = []string{imageutils.GetE2EImage(imageutils.Nginx)}
`)
	write("helper.go", `package p

var unrelated = struct{ BusyBox, ImageConfig int }{}.BusyBox
`)
	ids := map[string]bool{"BusyBox": true, "Nginx": true}
	ownIDs := map[string]bool{"ImageConfig": true}
	got, own, declaresSpecs, err := scan(pkg{ImportPath: "example.com/p", Dir: dir, GoFiles: []string{"spec.go", "list.go", "helper.go"}}, ids, ownIDs)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"BusyBox"}) || !slices.Equal(own, []string{"ImageConfig"}) || !declaresSpecs {
		t.Errorf("scan = %v, own %v, declares specs %v; want [BusyBox], [ImageConfig], true", got, own, declaresSpecs)
	}

	got, own, declaresSpecs, err = scan(pkg{ImportPath: "example.com/p", Dir: dir, GoFiles: []string{"list.go"}}, ids, ownIDs)
	if err != nil || len(got) != 0 || len(own) != 0 || declaresSpecs {
		t.Errorf("the pre-pull list alone: scan = %v, own %v, declares specs %v, %v; want nothing", got, own, declaresSpecs, err)
	}
}

func TestIsFramework(t *testing.T) {
	for path, want := range map[string]bool{
		"k8s.io/kubernetes/test/e2e/framework":                true,
		"k8s.io/kubernetes/test/e2e/framework/pod":            true,
		"github.com/node-test/node-test/suites/framework":     true,
		"k8s.io/kubernetes/test/e2e/common/node":              false,
		"k8s.io/kubernetes/test/e2e/common/node/frameworkish": false,
	} {
		if got := isFramework(path); got != want {
			t.Errorf("isFramework(%q) = %v, want %v", path, got, want)
		}
	}
}
