package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
)

// busyboxChanges are the changes made to Debian's static busybox config, to
// behave as upstream's busybox image (a default config) does where the
// official specs look:
//   - CONFIG_FEATURE_DI_ENV_HACK on: ash (upstream's, 1.37 included) imports
//     only the environment entries whose names are shell names, so the
//     commands it runs never see the others, such as the specs' envFrom key
//     data-1. Debian's temp-deb-installer-hack.patch adds this option (which
//     Debian turns on in its udeb flavour only) to import every entry holding
//     a '=': no patch of ours is needed.
//   - CONFIG_FEATURE_PREFER_APPLETS and CONFIG_FEATURE_SH_STANDALONE off:
//     Debian's rescue shell runs its own applets before anything in PATH,
//     which would shadow the images' own tools (agnhost's nc, which the
//     networking specs run through sh -c, is not busybox's).
//   - the applets upstream's image has and Debian's static flavour leaves
//     out that specs run or may run: nmeter (upstream's node suite takes
//     the milliseconds of its containers' timestamps from it), nohup,
//     printenv, nice, pgrep, pkill, flock, mountpoint, ipcs, ipcrm,
//     killall5, pstree, pwdx, lsof, chrt, cksum, comm, split, sum, fsync.
//     None of them asks oldconfig for options of its own.
var busyboxChanges = map[string]bool{
	"CONFIG_FEATURE_DI_ENV_HACK":    true,
	"CONFIG_FEATURE_PREFER_APPLETS": false,
	"CONFIG_FEATURE_SH_STANDALONE":  false,
	"CONFIG_NMETER":                 true,
	"CONFIG_NOHUP":                  true,
	"CONFIG_PRINTENV":               true,
	"CONFIG_NICE":                   true,
	"CONFIG_PGREP":                  true,
	"CONFIG_PKILL":                  true,
	"CONFIG_FLOCK":                  true,
	"CONFIG_MOUNTPOINT":             true,
	"CONFIG_IPCS":                   true,
	"CONFIG_IPCRM":                  true,
	"CONFIG_KILLALL5":               true,
	"CONFIG_PSTREE":                 true,
	"CONFIG_PWDX":                   true,
	"CONFIG_LSOF":                   true,
	"CONFIG_CHRT":                   true,
	"CONFIG_CKSUM":                  true,
	"CONFIG_COMM":                   true,
	"CONFIG_SPLIT":                  true,
	"CONFIG_SUM":                    true,
	"CONFIG_FSYNC":                  true,
}

// busyboxCFLAGS and busyboxLDFLAGS are the flags dpkg-buildflags gives
// Debian 12's busybox build (hardening=+all), less -O2, which Debian's rules
// drop for busybox's own -Os, and less -g, as the binary is stripped.
var (
	busyboxCFLAGS  = []string{"-fstack-protector-strong", "-Wformat", "-Werror=format-security", "-Wdate-time", "-D_FORTIFY_SOURCE=2"}
	busyboxLDFLAGS = []string{"-Wl,-z,relro", "-Wl,-z,now"}
)

// busybox is a busybox binary built for one arch.
type busybox struct {
	// Binary is the path of the static binary.
	Binary string
	// Applets lists the names it answers to, busybox aside.
	Applets []string
}

// busybox builds busybox for arch the way Debian builds its busybox-static
// package (its source package, config and hardening flags, statically
// linked), with Debian's compilers for arch and busyboxChanges made. The
// result is cached under CacheDir, keyed by the source version and this
// recipe. Builds are reproducible: no timestamps, SOURCE_DATE_EPOCH set to the
// changelog's date, build paths mapped away, and a fixed environment.
func (b *Builder) busybox(ctx context.Context, arch Arch) (busybox, error) {
	// One build at a time per cache, across processes: a build takes minutes.
	unlock, err := lockFile(filepath.Join(b.CacheDir, "busybox.lock"))
	if err != nil {
		return busybox{}, err
	}
	defer unlock()
	src, err := b.debianSource(ctx, "busybox")
	if err != nil {
		return busybox{}, err
	}
	config, wantConfig, err := busyboxConfig(src.Dir)
	if err != nil {
		return busybox{}, err
	}
	extraVersion := "Debian " + src.Version + ", node-test build"
	sum := sha256.New()
	for _, s := range []string{src.Version, src.Timestamp, arch.GNU, extraVersion, string(config),
		strings.Join(busyboxCFLAGS, " "), strings.Join(busyboxLDFLAGS, " ")} {
		fmt.Fprintf(sum, "%d:%s\n", len(s), s)
	}
	key := hex.EncodeToString(sum.Sum(nil))
	// Absolute: make runs in the build directory.
	out, err := filepath.Abs(filepath.Join(b.CacheDir, "busybox", arch.Name))
	if err != nil {
		return busybox{}, err
	}
	bb := busybox{Binary: filepath.Join(out, "busybox")}
	if stamp, err := os.ReadFile(filepath.Join(out, ".done")); err == nil && string(stamp) == key {
		bb.Applets, err = busyboxApplets(filepath.Join(out, "busybox.links"))
		return bb, err
	}

	cc := arch.GNU + "-gcc"
	if _, err := exec.LookPath(cc); err != nil {
		pkgs := "gcc-" + strings.ReplaceAll(arch.GNU, "_", "-") + " libc6-dev-" + arch.Debian + "-cross"
		if arch.Name == HostArch().Name {
			pkgs = "gcc libc6-dev"
		}
		return busybox{}, fmt.Errorf("build busybox for %s: no %s: apt-get install %s (make node-up installs it)", arch.Name, cc, pkgs)
	}
	b.log().Info("building busybox from Debian's source", "version", src.Version, "arch", arch.Name)
	build := filepath.Join(out, "build")
	if err := os.RemoveAll(out); err != nil {
		return busybox{}, err
	}
	if err := os.MkdirAll(build, 0o755); err != nil {
		return busybox{}, err
	}
	if err := os.WriteFile(filepath.Join(build, ".config"), config, 0o644); err != nil {
		return busybox{}, err
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"), "LC_ALL=C", "TZ=UTC",
		"KCONFIG_NOTIMESTAMP=1", "SOURCE_DATE_EPOCH=" + src.Timestamp,
	}
	logFile := filepath.Join(out, "build.log")
	// As Debian's rules do: a build directory apart from the source, whose
	// Makefile oldconfig writes, and a config oldconfig must leave as it is.
	oldconfig := exec.CommandContext(ctx, "make", "-C", build, "-f", filepath.Join(src.Dir, "Makefile"),
		"KBUILD_SRC="+src.Dir, "silentoldconfig")
	oldconfig.Stdin = strings.NewReader(strings.Repeat("\n", 4096))
	if err := runLogged(oldconfig, env, logFile); err != nil {
		return busybox{}, fmt.Errorf("configure busybox for %s: %w", arch.Name, err)
	}
	got, err := os.ReadFile(filepath.Join(build, ".config"))
	if err != nil {
		return busybox{}, err
	}
	if !bytes.Equal(got, wantConfig) {
		return busybox{}, fmt.Errorf("configure busybox for %s: oldconfig changed Debian's static config (see %s)", arch.Name, filepath.Join(build, ".config"))
	}
	cflags := append([]string{"-ffile-prefix-map=" + src.Dir + "=.", "-ffile-prefix-map=" + build + "=."}, busyboxCFLAGS...)
	all := exec.CommandContext(ctx, "make", "-C", build, fmt.Sprintf("-j%d", runtime.NumCPU()), "all",
		"CROSS_COMPILE="+arch.GNU+"-",
		"BB_EXTRA_VERSION="+extraVersion,
		"CONFIG_EXTRA_CFLAGS="+strings.Join(cflags, " "),
		"CONFIG_EXTRA_LDFLAGS="+strings.Join(busyboxLDFLAGS, " "))
	if err := runLogged(all, env, logFile); err != nil {
		return busybox{}, fmt.Errorf("compile busybox for %s: %w", arch.Name, err)
	}
	if err := runLogged(exec.CommandContext(ctx, "make", "-C", build, "busybox.links"), env, logFile); err != nil {
		return busybox{}, fmt.Errorf("list busybox applets for %s: %w", arch.Name, err)
	}
	for _, f := range []string{"busybox", "busybox.links"} {
		if err := os.Rename(filepath.Join(build, f), filepath.Join(out, f)); err != nil {
			return busybox{}, err
		}
	}
	if err := os.RemoveAll(build); err != nil {
		return busybox{}, err
	}
	if bb.Applets, err = busyboxApplets(filepath.Join(out, "busybox.links")); err != nil {
		return busybox{}, err
	}
	return bb, os.WriteFile(filepath.Join(out, ".done"), []byte(key), 0o644)
}

// busyboxConfig is Debian's config of its static busybox flavour with
// busyboxChanges made, preceded, as Debian's rules put them together,
// by Debian's overrides for Linux (in is the whole, want the flavour's part,
// which oldconfig must leave as it is).
func busyboxConfig(srcDir string) (in, want []byte, err error) {
	linux, err := os.ReadFile(filepath.Join(srcDir, "debian/config/os/linux"))
	if err != nil {
		return nil, nil, fmt.Errorf("read Debian's busybox config: %w", err)
	}
	static, err := os.ReadFile(filepath.Join(srcDir, "debian/config/pkg/static"))
	if err != nil {
		return nil, nil, fmt.Errorf("read Debian's busybox config: %w", err)
	}
	want = static
	for _, name := range slices.Sorted(maps.Keys(busyboxChanges)) {
		on, off := []byte(name+"=y\n"), []byte("# "+name+" is not set\n")
		from, to := off, on
		if !busyboxChanges[name] {
			from, to = on, off
		}
		if bytes.Count(want, from) != 1 {
			return nil, nil, fmt.Errorf("read Debian's busybox config: no %q line to change", strings.TrimSpace(string(from)))
		}
		want = bytes.Replace(want, from, to, 1)
	}
	return append(linux, want...), want, nil
}

// busyboxApplets reads the applet names of a busybox.links file, whose lines
// are install paths such as /usr/bin/env.
func busyboxApplets(links string) ([]string, error) {
	b, err := os.ReadFile(links)
	if err != nil {
		return nil, fmt.Errorf("read busybox applets: %w", err)
	}
	var applets []string
	for _, l := range strings.Fields(string(b)) {
		applets = append(applets, path.Base(l))
	}
	if len(applets) == 0 {
		return nil, fmt.Errorf("read busybox applets: %s lists none", links)
	}
	return applets, nil
}

// runLogged runs cmd with the environment env, appending its output to
// logFile; a failure carries the log's last lines.
func runLogged(cmd *exec.Cmd, env []string, logFile string) error {
	f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(f, "+ %s\n", strings.Join(cmd.Args, " "))
	var tail bytes.Buffer
	cmd.Env, cmd.Stdout, cmd.Stderr = env, f, f
	if err := cmd.Run(); err != nil {
		_ = f.Sync()
		if b, rerr := os.ReadFile(logFile); rerr == nil {
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			tail.WriteString(strings.Join(lines[max(0, len(lines)-20):], "\n"))
		}
		return fmt.Errorf("%s: %w (log %s):\n%s", strings.Join(cmd.Args, " "), err, logFile, tail.String())
	}
	return nil
}

// lockFile takes an exclusive lock on the file p, created if need be, and
// returns its release.
func lockFile(p string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	return func() { f.Close() }, nil
}
