#!/bin/sh
# Fills corpus/<target>/ (git-ignored) with seed inputs copied from the repository's own
# fixtures and a few small hives from ../../shared/testdata/hives. Nothing binary is
# committed under fuzz/ except the minimised regressions in regressions/<target>/.
# Run from anywhere; safe to run again (it only adds files; libFuzzer adds its own next to them).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
shared="$root/../shared/testdata/hives"
cd "$here"
mkdir -p corpus/profile corpus/regfile corpus/hive corpus/lazyhive corpus/logs corpus/container

copy() { # copy DEST_DIR PREFIX FILE...
    dest=$1; prefix=$2; shift 2
    for f in "$@"; do
        [ -f "$f" ] || continue
        cp "$f" "$dest/$prefix-$(basename "$f")"
    done
}

# profile: the built-in profiles and the full example from the README.
copy corpus/profile builtin "$root"/profiles/*.yaml
awk '/^```yaml$/ {n++; on=1; next} /^```$/ {on=0} on {print > ("corpus/profile/readme-" n ".yaml")}' "$root/README.md"

# regfile: the lint and reader fixtures, plus the .reg files among the shared hives' data.
copy corpus/regfile lint "$root"/tests/fixtures/lint/*.reg
copy corpus/regfile regfile "$root"/tests/fixtures/regfile/*.reg
if [ -d "$shared" ]; then
    copy corpus/regfile shared "$shared"/derived/*.reg "$shared"/libguestfs/test-data/phony-guests/*.reg
fi

# hive: the audit fixtures (12 KiB each) and a few small hives of other writers (< 300 KiB).
copy corpus/hive audit "$root"/tests/fixtures/audit/*.hive
if [ -d "$shared" ]; then
    for f in \
        derived/libguestfs-windows-software \
        derived/libguestfs-windows-system \
        hivex/images/minimal \
        hivex/images/special \
        hivex/images/rlenvalue_test_hive \
        python-registry/tests/reg_samples/REORGANIZED_VALUES_TESTS \
        python-registry/tests/reg_samples/UNICODE_TESTS \
        python-registry/tests/reg_samples/issue22.hive \
        synthetic/cycle_root_subkey_points_to_root.hive \
        synthetic/root_cell_size_zero.hive \
        synthetic/root_offset_ffffffff.hive \
        synthetic/vk_zero_size_offset_ffffffff.hive \
        regipy/regipy_tests/data/BCD \
        regipy/regipy_tests/data/SECURITY \
        velociraptor/artifacts/testdata/files/SAM \
        ez-registry/Registry.Test/Hives/SECURITYNoRoot \
        nt-hive/testdata/testhive \
        yarp/hives_for_tests/BigDataHive
    do
        [ -f "$shared/$f" ] || continue
        cp "$shared/$f" "corpus/hive/shared-$(echo "$f" | tr '/' '_')"
    done
else
    echo "make-seeds.sh: $shared not found; the hive corpus has only the audit fixtures" >&2
fi
# lazyhive: the same hives (it compares a lazy with a whole read of each).
cp corpus/hive/* corpus/lazyhive/

# logs: a dirty primary and one of its logs, as [primary length | 0x80000000: u32 LE][primary][log]
# (the top bit asks the target to recompute the log's base-block checksum; see fuzz_targets/logs.rs).
le32() {
    n=$1
    printf "\\$(printf %03o $((n & 255)))\\$(printf %03o $(((n >> 8) & 255)))\\$(printf %03o $(((n >> 16) & 255)))\\$(printf %03o $(((n >> 24) & 255 | 128)))"
}
pair() { # pair PRIMARY LOG NAME
    [ -s "$shared/$1" ] && [ -s "$shared/$2" ] || return 0
    { le32 "$(wc -c < "$shared/$1")"; cat "$shared/$1" "$shared/$2"; } > "corpus/logs/$3"
}
if [ -d "$shared" ]; then
    y=yarp/hives_for_tests
    pair $y/NewDirtyHive1/NewDirtyHive $y/NewDirtyHive1/NewDirtyHive.LOG1 new1-log1
    pair $y/NewDirtyHive1/NewDirtyHive $y/NewDirtyHive1/NewDirtyHive.LOG2 new1-log2
    pair $y/NewDirtyHive2/NewDirtyHive $y/NewDirtyHive2/NewDirtyHive.LOG1 new2-log1
    pair $y/NewDirtyHive2/NewDirtyHive $y/NewDirtyHive2/NewDirtyHive.LOG2 new2-log2
    pair $y/BadLogHive3/BadLogHive $y/BadLogHive3/BadLogHive.LOG1 badlog3-log1
    pair $y/BadLogHive3/BadLogHive $y/BadLogHive3/BadLogHive.LOG2 badlog3-log2
    pair $y/OldDirtyHive/OldDirtyHive $y/OldDirtyHive/OldDirtyHive.LOG1 old-log1
    pair $y/BadLogHive1/BadLogHive $y/BadLogHive1/BadLogHive.LOG1 badlog1-log1
    pair $y/BadLogHive2/BadLogHive $y/BadLogHive2/BadLogHive.LOG1 badlog2-log1
    pair $y/BadBaseBlockHive/BadBaseBlockHive $y/BadBaseBlockHive/BadBaseBlockHive.LOG1 badbase-log1
    pair dfwinreg/test_data/NTUSER.DAT dfwinreg/test_data/NTUSER.DAT.LOG dfwinreg-ntuser-log
fi
# The dirty audit fixture with no log, and a clean hive with a log taken from another hive.
{ le32 12288; cat "$root/tests/fixtures/audit/dirty-system.hive"; } > corpus/logs/audit-dirty-nolog

for t in profile regfile hive logs; do
    echo "corpus/$t: $(ls corpus/$t | wc -l) files"
done

# volume: small disks built by ../tests/fixtures/image/mkdisk.sh (GPT, MBR with a logical
# partition, a bare volume; needs sfdisk, mkntfs and ntfs-3g, as root), each encoded as the
# target reads it: [size in sectors: u32 LE], then runs of [first sector: u32 LE]
# [count: u16 LE][count x 512 bytes] of the sectors that hold something (all-0xFF sectors,
# mkntfs's empty $LogFile, are left out too).
mkdir -p corpus/volume
tmp=$(mktemp -d)
mkdir -p "$tmp/tree/Windows/System32/config"
cp "$root/tests/fixtures/audit/ccs2-system.hive" "$tmp/tree/Windows/System32/config/SYSTEM"
cp "$root/tests/fixtures/audit/ccs2-software.hive" "$tmp/tree/Windows/System32/config/SOFTWARE"
head -c 600 /dev/zero | tr '\0' 'L' >"$tmp/tree/Windows/System32/config/SYSTEM.LOG1"
mk() { # mk NAME ARGS...
    name=$1; shift
    if sh -c 'command -v python3' >/dev/null && bash "$root/tests/fixtures/image/mkdisk.sh" "$tmp/$name.img" "$@"; then
        python3 - "$tmp/$name.img" "corpus/volume/disk-$name" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
n = len(d) // 512
out = [struct.pack("<I", n)]
busy = lambda i: any(d[i * 512:(i + 1) * 512]) and d[i * 512:(i + 1) * 512] != b"\xff" * 512
i = 0
while i < n:
    if not busy(i):
        i += 1
        continue
    j = i
    while j < n and busy(j) and j - i < 65535:
        j += 1
    out.append(struct.pack("<IH", i, j - i) + d[i * 512:j * 512])
    i = j
open(sys.argv[2], "wb").write(b"".join(out))
PY
    else
        echo "make-seeds.sh: no $name disk for the volume target (mkdisk.sh needs sfdisk, mkntfs, ntfs-3g, root)" >&2
    fi
}
mk gpt gpt 4 basic:2:ntfs:"$tmp/tree"
mk mbr mbr-extended 6 07:2:ntfs 07:2:ntfs:"$tmp/tree"
mk bare none 2 x:2:ntfs:"$tmp/tree"
rm -rf "$tmp"
# container: small images of every format qemu-img writes (a disk of 192 KiB with data in
# three places), when qemu-img is installed.
if command -v qemu-img >/dev/null 2>&1; then
    tmp=$(mktemp -d)
    head -c 65536 /dev/urandom > "$tmp/disk.raw"
    truncate -s 196608 "$tmp/disk.raw"
    printf 'tlsreg' | dd of="$tmp/disk.raw" bs=1 seek=131072 conv=notrunc 2>/dev/null
    printf 'end' | dd of="$tmp/disk.raw" bs=1 seek=196600 conv=notrunc 2>/dev/null
    # compressible text, for compressed clusters and grains
    yes 'tlsreg reads hives out of disk images' | head -c 32768 |
        dd of="$tmp/disk.raw" bs=1024 seek=144 conv=notrunc 2>/dev/null
    cp "$tmp/disk.raw" corpus/container/raw.img
    for spec in \
        "fixed.vhd vpc subformat=fixed" \
        "dynamic.vhd vpc subformat=dynamic" \
        "dynamic.vhdx vhdx block_size=1M,log_size=1M" \
        "sparse.vmdk vmdk subformat=monolithicSparse" \
        "stream.vmdk vmdk subformat=streamOptimized" \
        "v2.qcow2 qcow2 compat=0.10,cluster_size=512" \
        "v3.qcow2 qcow2 compat=1.1,cluster_size=4096" \
        "v3-extended-l2.qcow2 qcow2 compat=1.1,extended_l2=on,cluster_size=16k"
    do
        set -- $spec
        qemu-img convert -q -f raw -O "$2" -o "$3" "$tmp/disk.raw" "corpus/container/$1"
    done
    qemu-img convert -q -c -f raw -O qcow2 -o cluster_size=4096 "$tmp/disk.raw" corpus/container/compressed.qcow2
    qemu-img convert -q -f raw -O vmdk -o subformat=monolithicFlat "$tmp/disk.raw" "$tmp/flat.vmdk"
    cp "$tmp/flat.vmdk" corpus/container/descriptor.vmdk
    rm -r "$tmp"
else
    echo "make-seeds.sh: qemu-img not found; the container corpus is empty" >&2
fi
