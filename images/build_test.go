package images

import (
	"slices"
	"testing"
)

// TestStaleIndexes reads apt-get update's errors: indexes a mirror serves
// at odds with its Release file are left out, any other error is not.
func TestStaleIndexes(t *testing.T) {
	const sizeMismatch = `apt-get update -qq: exit status 100: E: Failed to fetch http://deb.debian.org/debian-security/dists/bookworm-security/main/binary-armhf/Packages.xz  File has unexpected size (334084 != 354900). Mirror sync in progress? [IP: 203.0.113.80 80]
   Hashes of expected file:
    - Filesize:354900 [weak]
    - SHA256:1462614620ed974399e955f9578f3231c5922f88d59465df2eb45452eec92aa1
   Release file created at: Sun, 29 Nov 2026 00:53:13 +0000
E: Some index files failed to download. They have been ignored, or old ones used instead.`
	if got, want := staleIndexes(sizeMismatch), []string{"http://deb.debian.org/debian-security/dists/bookworm-security/main/binary-armhf/Packages.xz"}; !slices.Equal(got, want) {
		t.Errorf("a size mismatch: staleIndexes = %q, want %q", got, want)
	}
	const hashMismatch = `E: Failed to fetch http://deb.debian.org/debian/dists/bookworm/main/binary-arm64/Packages.xz  Hash Sum mismatch
E: Some index files failed to download. They have been ignored, or old ones used instead.`
	if got := staleIndexes(hashMismatch); len(got) != 1 {
		t.Errorf("a hash mismatch: staleIndexes = %q, want the one index", got)
	}
	for name, out := range map[string]string{
		"unreachable mirror": `E: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  Could not resolve 'deb.debian.org'
E: Some index files failed to download. They have been ignored, or old ones used instead.`,
		"mismatch and a lock":   sizeMismatch + "\nE: Could not get lock /var/lib/apt/lists/lock",
		"no error line":         "exit status 100",
		"a fetch without a URL": "E: Failed to fetch ",
	} {
		if got := staleIndexes(out); got != nil {
			t.Errorf("%s: staleIndexes = %q, want nil (a real failure)", name, got)
		}
	}
}
