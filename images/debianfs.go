package images

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// glibcBase are the Debian packages of the glibc images' base layer: the C
// library, dash as /bin/sh, coreutils and hostname, and the libraries they
// link. Maintainer scripts are not run: the recipes write what they would.
var glibcBase = []string{"libc6", "dash", "coreutils", "libacl1", "libattr1", "libgmp10", "libselinux1", "libpcre2-8-0", "hostname"}

// nginxPackages are Debian's nginx (its core, no dynamic module), its
// mime.types (nginx-common) and the libraries it links beyond glibcBase.
var nginxPackages = []string{"nginx", "nginx-common", "libcrypt1", "libssl3", "zlib1g"}

// trimmed are the directories of Debian packages an image does not need:
// documentation, service scripts, and glibc's character set converters
// (iconv), which nothing the specs run loads.
func trimmed(arch Arch) []string {
	return []string{"usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/lintian", "usr/share/locale",
		"etc/init.d", "etc/logrotate.d", "etc/ufw", "etc/default", "usr/share/nginx/html", "usr/lib/" + arch.GNU + "/gconv"}
}

// debianRootfs is the files of the Debian packages pkgs of arch (see
// Builder.debian), less what trimmed names.
func (b *Builder) debianRootfs(ctx context.Context, arch Arch, pkgs ...string) (*rootfs, error) {
	fs := newRootfs()
	for _, pkg := range pkgs {
		dir, err := b.debian(ctx, pkg, arch.Debian)
		if err != nil {
			return nil, err
		}
		if err := fs.addTree(dir, trimmed(arch)); err != nil {
			return nil, fmt.Errorf("Debian package %s:%s: %w", pkg, arch.Debian, err)
		}
	}
	return fs, nil
}

// addTree adds the files, directories and symlinks under dir, but those
// under the paths skip names (relative to dir); regular files keep their
// permission bits (setuid included).
func (r *rootfs) addTree(dir string, skip []string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." || rel == ".done" {
			return err
		}
		rel = filepath.ToSlash(rel)
		for _, s := range skip {
			if rel == s || strings.HasPrefix(rel, s+"/") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		mode := int64(fi.Mode().Perm())
		if fi.Mode()&os.ModeSetuid != 0 {
			mode |= 0o4000
		}
		switch {
		case d.IsDir():
			r.dir(rel, mode)
		case fi.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			r.symlink(rel, target)
		case fi.Mode().IsRegular():
			return r.copyFile(rel, mode, p)
		}
		return nil
	})
}

// glibcRootfs is the glibc images' base: glibcBase's files with /bin/sh as
// dash, the users and groups of the Debian images, and /tmp.
func glibcRootfs(ctx context.Context, b *Builder, arch Arch) (*rootfs, error) {
	fs, err := b.debianRootfs(ctx, arch, glibcBase...)
	if err != nil {
		return nil, err
	}
	// dash's postinst makes /bin/sh; Debian's base-passwd writes these.
	fs.symlink("bin/sh", "dash")
	fs.file("etc/passwd", 0o644, []byte(passwd+"www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"))
	fs.file("etc/group", 0o644, []byte(group+"www-data:x:33:\n"))
	fs.dir("tmp", 0o1777)
	fs.dir("root", 0o700)
	fs.dir("run", 0o755)
	return fs, nil
}

// onGlibc is an image of two layers: the glibc base, then fs (none when fs
// is nil).
func onGlibc(ctx context.Context, b *Builder, arch Arch, fs *rootfs, cfg v1.Config) (v1.Image, error) {
	base, err := glibcRootfs(ctx, b, arch)
	if err != nil {
		return nil, err
	}
	return layered(arch, cfg, base, fs)
}

// buildGlibcDNSTesting is the glibc base: the specs using the image run sh
// and hostname, whose -f resolves the pod's name through glibc's resolver
// and /etc/hosts. Upstream's image, Debian's too, also has dig and coredns,
// which no linked spec runs.
func buildGlibcDNSTesting(ctx context.Context, b *Builder, arch Arch) (v1.Image, error) {
	return onGlibc(ctx, b, arch, nil, v1.Config{Cmd: []string{"sh"}, Env: []string{pathEnv}})
}

// nginxConf serves /usr/share/nginx/html on port 80 and logs to the
// container's output, as upstream's image (nginx's own) does.
const nginxConf = `user www-data;
worker_processes 1;
error_log /dev/stderr notice;
pid /run/nginx.pid;
events {
	worker_connections 1024;
}
http {
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	access_log /dev/stdout;
	server {
		listen 80;
		root /usr/share/nginx/html;
		index index.html;
	}
}
`

// buildNginx is Debian's nginx on the glibc base, serving a page on port 80
// in the foreground; specs also run sh and sleep in it.
func buildNginx(ctx context.Context, b *Builder, arch Arch) (v1.Image, error) {
	fs, err := b.debianRootfs(ctx, arch, nginxPackages...)
	if err != nil {
		return nil, err
	}
	// Only mime.types of nginx-common: the configuration is ours.
	for p := range fs.entries {
		if strings.HasPrefix(p, "etc/nginx/") && p != "etc/nginx/mime.types" {
			delete(fs.entries, p)
			delete(fs.data, p)
		}
	}
	fs.file("etc/nginx/nginx.conf", 0o644, []byte(nginxConf))
	fs.file("usr/share/nginx/html/index.html", 0o644, []byte("<!DOCTYPE html>\n<html><body><h1>Welcome to nginx!</h1></body></html>\n"))
	// Debian's nginx keeps its temporary files there, and makes them at start.
	for _, d := range []string{"body", "fastcgi", "proxy", "scgi", "uwsgi"} {
		fs.dir("var/lib/nginx/"+d, 0o700)
	}
	fs.dir("var/log/nginx", 0o755)
	return onGlibc(ctx, b, arch, fs, v1.Config{
		Cmd: []string{"nginx", "-g", "daemon off;"}, Env: []string{pathEnv},
		ExposedPorts: map[string]struct{}{"80/tcp": {}}, StopSignal: "SIGQUIT",
	})
}
