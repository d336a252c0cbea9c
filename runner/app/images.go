package app

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/node-test/node-test/images"
	"github.com/node-test/node-test/runner"
	"github.com/node-test/node-test/runner/host"
)

func newImagesCommand(logger *slog.Logger, streams Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "images",
		Short: "List, build and load the test images node-test carries",
	}
	cmd.AddCommand(newImagesListCommand(streams), newImagesBuildCommand(logger, streams), newImagesLoadCommand(logger, streams), newImagesIndexCommand(streams), newImagesOCICommand(streams), newImagesPushCommand(streams))
	return cmd
}

func newImagesListCommand(streams Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List every test image: its reference, how it is built, for which arches, and which spec packages use it (found in their sources)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			tw := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tREFERENCE\tARCHES\tUSED BY\tBUILT FROM")
			for _, img := range images.Registry() {
				usedBy := img.Always
				if usedBy == "" {
					usedBy = specPackages(img.UsedBy())
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", img.Name, img.Ref, strings.Join(img.Arches, ","), usedBy, img.Recipe)
			}
			for _, u := range images.NotCarried() {
				fmt.Fprintf(tw, "-\t%s\tnone\t%s\tNOT CARRIED: %s\n", u.Ref, specPackages(images.UsedBy(u.ID)), u.Why)
			}
			return tw.Flush()
		},
	}
}

// specPackages names the spec packages pkgs, short.
func specPackages(pkgs []string) string {
	var out []string
	for _, p := range pkgs {
		if p == "github.com/node-test/node-test/conformance/e2enode" {
			p = "e2e_node" // upstream's node suite, as the conformance binary links it
		}
		p = strings.TrimPrefix(p, "k8s.io/kubernetes/test/")
		out = append(out, strings.TrimPrefix(p, "github.com/node-test/node-test/"))
	}
	if len(out) == 0 {
		return "no linked spec"
	}
	return "specs in " + strings.Join(out, ", ")
}

func newImagesBuildCommand(logger *slog.Logger, streams Streams) *cobra.Command {
	var (
		arch   string
		out    string
		module string
		only   []string
	)
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Build the test images offline into <out>/<arch>/images.tar (needs the node-test source tree and Go)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			a, err := images.LookupArch(arch)
			if err != nil {
				return err
			}
			imgs, err := images.Lookup(only...)
			if err != nil {
				return err
			}
			if _, err := os.Stat(filepath.Join(module, "go.mod")); err != nil {
				return fmt.Errorf("--module-dir %q is not the node-test source tree (no go.mod): run from the repository or set --module-dir", module)
			}
			b := &images.Builder{ModuleDir: module, OutDir: out, CacheDir: filepath.Join(out, ".cache"), Logger: logger}
			built, err := b.Build(c.Context(), a, imgs)
			if err != nil {
				return err
			}
			for _, bt := range built {
				fmt.Fprintf(streams.Out, "%s\t%s\t%d bytes\t%.1fs\n", bt.Image.Name, bt.Image.Ref, bt.Bytes, bt.Duration.Seconds())
			}
			p := images.Archive(out, a)
			fi, err := os.Stat(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(streams.Out, "archive\t%s\t%d bytes (each layer once)\n", p, fi.Size())
			return nil
		},
	}
	cmd.Flags().StringVar(&arch, "arch", images.HostArch().Name, "architecture to build for: "+strings.Join(images.ArchNames(), ", "))
	cmd.Flags().StringVar(&out, "out", "_output/images", "output directory")
	cmd.Flags().StringVar(&module, "module-dir", ".", "root of the node-test source tree")
	cmd.Flags().StringSliceVar(&only, "only", nil, "build only these images (default: all)")
	return cmd
}

func newImagesLoadCommand(logger *slog.Logger, streams Streams) *cobra.Command {
	var (
		rootfs  string
		dir     string
		runtime string
		socket  string
		only    []string
	)
	cmd := &cobra.Command{
		Use:   "load",
		Short: "Load the test image archives into the node's runtime (containerd or Docker); an image already there is left alone",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			h, err := host.New(rootfs)
			if err != nil {
				return err
			}
			h.RuntimeSocket = socket
			imgs, err := images.Lookup(only...)
			if err != nil {
				return err
			}
			l, release, err := runner.NewLoader(h, runtime)
			if err != nil {
				return err
			}
			defer release()
			start := time.Now()
			loaded, err := images.LoadAll(c.Context(), l, dir, images.HostArch(), imgs)
			for _, r := range loaded {
				state := "loaded"
				if r.Skipped {
					state = "present"
				}
				fmt.Fprintf(streams.Out, "%s\t%s\t%d bytes\t%.2fs\n", state, r.Ref, r.Bytes, r.Duration.Seconds())
			}
			runner.LogLoaded(logger, loaded, time.Since(start))
			return err
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&rootfs, "rootfs", "/", "where the host's / is mounted")
	fs.StringVar(&dir, "dir", runner.DefaultImagesDir(), "directory of the archives, <dir>/<arch>/images.tar")
	fs.StringVar(&runtime, "runtime", "", "containerd or docker (default: the host's CRI runtime)")
	fs.StringVar(&socket, "socket", "", "host path of the runtime's socket, for a runtime at a socket of its own (default: the first of the known ones)")
	fs.StringSliceVar(&only, "only", nil, "load only these images (default: all)")
	return cmd
}

func newImagesOCICommand(streams Streams) *cobra.Command {
	var (
		out     string
		context string
	)
	cmd := &cobra.Command{
		Use:   "oci DOCKERFILE...",
		Short: "Build the node-test image of each Dockerfile without a daemon, and one multi-arch index, as an OCI image layout",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, dockerfiles []string) error {
			idx, err := images.WriteOCILayout(out, context, dockerfiles)
			if err != nil {
				return err
			}
			m, err := idx.IndexManifest()
			if err != nil {
				return err
			}
			for _, d := range m.Manifests {
				fmt.Fprintf(streams.Out, "%s\t%s\t%d bytes (manifest)\n", d.Platform, d.Digest, d.Size)
			}
			digest, err := idx.Digest()
			if err != nil {
				return err
			}
			fmt.Fprintf(streams.Out, "index %s in %s\n", digest, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "_output/oci", "the OCI image layout directory to write")
	cmd.Flags().StringVar(&context, "context", ".", "the build context the Dockerfiles copy from")
	return cmd
}

func newImagesPushCommand(streams Streams) *cobra.Command {
	var (
		dir      string
		insecure bool
	)
	cmd := &cobra.Command{
		Use:   "push REFERENCE",
		Short: "Push node-test's multi-arch image (the OCI layout make image-oci writes) to a registry a cluster can pull from, e.g. registry.example.com/node-test:v0.1.0",
		Long: "Push node-test's multi-arch image, every arch of the OCI layout make image-oci writes, to REFERENCE in a registry " +
			"of the user's, for a cluster that cannot reach the internet. It authenticates with the credentials of the docker " +
			"config (~/.docker/config.json, $DOCKER_CONFIG), as docker login leaves them.",
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			digest, err := images.PushLayout(c.Context(), dir, args[0], insecure)
			if err != nil {
				return err
			}
			fmt.Fprintf(streams.Out, "pushed %s@%s from %s\n", args[0], digest, dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "oci", "_output/oci", "the OCI image layout of node-test's image (make image-oci)")
	cmd.Flags().BoolVar(&insecure, "insecure", false, "the registry serves plain HTTP")
	return cmd
}

func newImagesIndexCommand(streams Streams) *cobra.Command {
	var dir, out string
	cmd := &cobra.Command{
		Use:   "index [IMAGE...]",
		Short: "Write one multi-arch index per test image, from its archives of every arch, as an OCI image layout",
		RunE: func(c *cobra.Command, names []string) error {
			imgs, err := images.Lookup(names...)
			if err != nil {
				return err
			}
			p, err := images.WriteIndexLayout(out, dir, imgs)
			if err != nil {
				return err
			}
			top, err := p.ImageIndex()
			if err != nil {
				return err
			}
			m, err := top.IndexManifest()
			if err != nil {
				return err
			}
			for i, d := range m.Manifests {
				fmt.Fprintf(streams.Out, "%s\t%s\t%s\n", imgs[i].Ref, d.Digest, strings.Join(imgs[i].Arches, ","))
			}
			fmt.Fprintf(streams.Out, "%d multi-arch indexes in %s\n", len(m.Manifests), out)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "_output/images", "directory of the archives, <dir>/<arch>/images.tar")
	cmd.Flags().StringVar(&out, "out", "_output/images/oci", "the OCI image layout directory to write")
	return cmd
}
