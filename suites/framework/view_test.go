package framework

import (
	"reflect"
	"testing"
)

// A /proc/self/status of a restricted container, cut down.
const status = `Name:	cat
Umask:	0022
State:	R (running)
Uid:	1000	1000	1000	1000
Gid:	0	0	0	0
Groups:	4321 5678 
NoNewPrivs:	1
Seccomp:	2
CapInh:	0000000000000000
CapPrm:	0000000000000000
CapEff:	00000000a80425fb
CapBnd:	000001ffffffffff
`

func TestProcStatus(t *testing.T) {
	s := ParseProcStatus(status)
	if s["NoNewPrivs"] != "1" || s["Seccomp"] != "2" || s["State"] != "R (running)" {
		t.Errorf("fields: %v", s)
	}
	uids, err := s.IDs("Uid")
	if err != nil || !reflect.DeepEqual(uids, []int64{1000, 1000, 1000, 1000}) {
		t.Errorf("Uid = %v, %v", uids, err)
	}
	groups, err := s.IDs("Groups")
	if err != nil || !reflect.DeepEqual(groups, []int64{4321, 5678}) {
		t.Errorf("Groups = %v, %v", groups, err)
	}
	eff, err := s.Mask("CapEff")
	if err != nil {
		t.Fatal(err)
	}
	// containerd's default set.
	want := []string{"CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
		"NET_BIND_SERVICE", "NET_RAW", "SYS_CHROOT", "MKNOD", "AUDIT_WRITE", "SETFCAP"}
	if got := CapabilityNames(eff); !reflect.DeepEqual(got, want) {
		t.Errorf("CapEff names = %v, want %v", got, want)
	}
	bnd, _ := s.Mask("CapBnd")
	if got := CapabilityNames(bnd); len(got) != 41 || got[40] != "CHECKPOINT_RESTORE" {
		t.Errorf("CapBnd names = %v", got)
	}
	if names := CapabilityNames(1 << 45); !reflect.DeepEqual(names, []string{"45"}) {
		t.Errorf("unnamed bit: %v", names)
	}
	if _, err := s.Mask("CapAmb"); err == nil {
		t.Error("a missing field gave no error")
	}
	if _, err := ParseProcStatus("Uid:\tx").IDs("Uid"); err == nil {
		t.Error("a malformed id gave no error")
	}
}

func TestCapabilityMask(t *testing.T) {
	m, err := CapabilityMask("NET_ADMIN", "CAP_CHOWN")
	if err != nil || m != 1<<12|1 {
		t.Errorf("CapabilityMask = %x, %v", m, err)
	}
	if _, err := CapabilityMask("NET_WIZARD"); err == nil {
		t.Error("an unknown capability gave no error")
	}
}

func TestParseMountInfo(t *testing.T) {
	info := `1230 1100 0:120 / / ro,relatime master:1 - overlay overlay rw,lowerdir=/l,upperdir=/u
1231 1230 0:123 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
1240 1231 0:123 /sys /proc/sys ro,nosuid,nodev,noexec,relatime - proc proc rw
1250 1230 254:1 /var/lib/kubelet/pods/x/volumes/kubernetes.io~empty-dir/ro /ro ro,relatime - ext4 /dev/vda1 rw
1251 1230 254:1 /var/lib/kubelet/pods/x/volumes/kubernetes.io~empty-dir/a\040b /a\040b rw,relatime - ext4 /dev/vda1 rw
1252 1231 0:5 /null /proc/kcore rw,nosuid - devtmpfs udev rw
1253 1231 0:5 /null /proc/kcore ro,nosuid - devtmpfs udev rw
`
	mounts, err := ParseMountInfo(info)
	if err != nil {
		t.Fatal(err)
	}
	for point, ro := range map[string]bool{"/": true, "/proc": false, "/proc/sys": true, "/ro": true, "/a b": false, "/proc/kcore": true} {
		m, ok := mounts[point]
		if !ok {
			t.Errorf("no mount on %q: %v", point, mounts)
			continue
		}
		if m.ReadOnly() != ro {
			t.Errorf("%s: ReadOnly() = %v, options %v", point, m.ReadOnly(), m.Options)
		}
	}
	if mounts["/"].FSType != "overlay" || mounts["/proc/kcore"].FSType != "devtmpfs" {
		t.Errorf("types: %v", mounts)
	}
	if _, err := ParseMountInfo("not mountinfo\n"); err == nil {
		t.Error("a malformed line gave no error")
	}
}

func TestKeyValues(t *testing.T) {
	kv := KeyValues("version=1\ncpu.max=30000 100000\nnoise\nempty=\n")
	want := map[string]string{"version": "1", "cpu.max": "30000 100000", "empty": ""}
	if !reflect.DeepEqual(kv, want) {
		t.Errorf("KeyValues = %v, want %v", kv, want)
	}
}
