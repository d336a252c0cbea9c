package images

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ImageFromDockerfile builds, without any daemon, the image a node-test
// Dockerfile describes: the subset those Dockerfiles use (FROM scratch, ARG,
// COPY, WORKDIR, ENV, ENTRYPOINT, CMD), sources taken from contextDir. The
// Dockerfile's ARG ARCH names the platform. Anything else is refused, so the
// image cannot silently differ from what `docker build` makes of the file.
func ImageFromDockerfile(dockerfile, contextDir string) (v1.Image, Arch, error) {
	lines, err := dockerfileInstructions(dockerfile)
	if err != nil {
		return nil, Arch{}, err
	}
	args := map[string]string{}
	fs := newRootfs()
	var cfg v1.Config
	for _, l := range lines {
		op, rest, _ := strings.Cut(l, " ")
		rest = strings.TrimSpace(rest)
		expand := func(s string) string {
			return os.Expand(s, func(k string) string { return args[k] })
		}
		switch strings.ToUpper(op) {
		case "FROM":
			if rest != "scratch" {
				return nil, Arch{}, fmt.Errorf("%s: FROM %s: only FROM scratch is supported (nothing is pulled)", dockerfile, rest)
			}
		case "ARG":
			k, v, _ := strings.Cut(rest, "=")
			args[k] = v
		case "COPY":
			words := strings.Fields(rest)
			if len(words) < 2 {
				return nil, Arch{}, fmt.Errorf("%s: COPY %s: needs a source and a destination", dockerfile, rest)
			}
			dst := expand(words[len(words)-1])
			for _, src := range words[:len(words)-1] {
				if err := copyInto(fs, filepath.Join(contextDir, expand(src)), dst); err != nil {
					return nil, Arch{}, fmt.Errorf("%s: COPY %s: %w", dockerfile, src, err)
				}
			}
		case "WORKDIR":
			fs.dir(strings.TrimPrefix(expand(rest), "/"), 0o755)
			cfg.WorkingDir = expand(rest)
		case "ENV":
			words, err := shellWords(rest)
			if err != nil {
				return nil, Arch{}, fmt.Errorf("%s: ENV: %w", dockerfile, err)
			}
			for _, w := range words {
				if !strings.Contains(w, "=") {
					return nil, Arch{}, fmt.Errorf("%s: ENV %s: only the key=value form is supported", dockerfile, w)
				}
				cfg.Env = append(cfg.Env, w)
			}
		case "ENTRYPOINT", "CMD":
			var argv []string
			if err := json.Unmarshal([]byte(rest), &argv); err != nil {
				return nil, Arch{}, fmt.Errorf("%s: %s: only the JSON form is supported: %w", dockerfile, op, err)
			}
			if strings.EqualFold(op, "CMD") {
				cfg.Cmd = argv
			} else {
				cfg.Entrypoint = argv
			}
		default:
			return nil, Arch{}, fmt.Errorf("%s: %s: not supported by the daemonless build", dockerfile, op)
		}
	}
	arch, err := LookupArch(args["ARCH"])
	if err != nil {
		return nil, Arch{}, fmt.Errorf("%s: ARG ARCH: %w", dockerfile, err)
	}
	cfg.Env = append([]string{pathEnv}, cfg.Env...)
	layer, err := fs.layer(tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, Arch{}, err
	}
	img, err := image(arch, cfg, layer)
	if err != nil {
		return nil, Arch{}, err
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	return img, arch, nil
}

// WriteOCILayout writes the images of the dockerfiles, and one multi-arch
// index of them, as an OCI image layout directory at dir.
func WriteOCILayout(dir, contextDir string, dockerfiles []string) (v1.ImageIndex, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, df := range dockerfiles {
		img, arch, err := ImageFromDockerfile(df, contextDir)
		if err != nil {
			return nil, err
		}
		p := arch.Platform()
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if _, err := layout.Write(dir, idx); err != nil {
		return nil, fmt.Errorf("write OCI layout %s: %w", dir, err)
	}
	return idx, nil
}

// dockerfileInstructions reads a Dockerfile's instructions, comments dropped
// and continued lines joined.
func dockerfileInstructions(p string) ([]string, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && cur.Len() == 0) {
			continue
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(cont + " ")
			continue
		}
		cur.WriteString(line)
		out = append(out, cur.String())
		cur.Reset()
	}
	return out, sc.Err()
}

// copyInto adds src (a file, or a directory's contents) at dst like COPY.
func copyInto(fs *rootfs, src, dst string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	dst = strings.TrimPrefix(dst, "/")
	if !fi.IsDir() {
		if strings.HasSuffix(dst, "/") {
			dst = path.Join(dst, filepath.Base(src))
		}
		return fs.copyFile(dst, int64(fi.Mode().Perm()), src)
	}
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := path.Join(dst, filepath.ToSlash(rel))
		if d.IsDir() {
			fs.dir(target, 0o755)
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return fs.copyFile(target, int64(info.Mode().Perm()), p)
	})
}

// shellWords splits s at blanks outside quotes, removing the quotes.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	var quote rune
	inWord := false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote in %q", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
