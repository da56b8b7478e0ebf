#!/usr/bin/env python3
"""Times `tlsreg audit --image` against the audit of the extracted hive files and against
libguestfs' `virt-win-reg`, in one run (issue 13).

It builds a GPT disk image with third-party tools only (sfdisk, mkntfs, ntfs-3g through FUSE,
as root): an EFI partition, a Microsoft reserved partition and an NTFS Windows volume holding
the largest real SYSTEM + SOFTWARE pair of ../shared/testdata/hives under
Windows/System32/config, plus filler files so the image is not mostly hive; then converts it
with qemu-img to QCOW2 and VHDX. Each is timed N times (files in the page cache after a
warm-up):
  files        tlsreg audit -p PROFILE --system S --software W   (the extracted hives)
  qcow2/vhdx   tlsreg audit -p PROFILE --image IMAGE
  virt-win-reg one virt-win-reg IMAGE 'HKLM\\...' per key the audit reads, with
               LIBGUESTFS_BACKEND=direct and LIBGUESTFS_BACKEND_SETTINGS=force_tcg (an
               appliance VM per call, as people run it without KVM); --virt-runs sets how
               many times (it is slow)
and prints the median wall time, peak RSS and the ratios. Goals (issue 13): --image within 3x
of the files, at least 300x faster than virt-win-reg, peak memory below 5 % of the image size.

Usage: benches/image_vs_peers.py [--runs N] [--virt-runs N] [--profile NAME] [--tlsreg PATH]
                                 [--filler-mib N] [--keep DIR]
Needs: a release build (cargo build --release), root (for the FUSE mount), sfdisk, mkntfs,
ntfs-3g, qemu-img; virt-win-reg (libguestfs-tools) is optional: a missing peer is reported
and skipped.
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.environ.get('TLSREG_SHARED', os.path.join(ROOT, '..', 'shared'))
HIVES = os.path.join(SHARED, 'testdata', 'hives')
SYSTEM = os.path.join(HIVES, 'regipy', 'regipy_tests', 'data', 'SYSTEM_WIN_10_1709')
SOFTWARE = os.path.join(HIVES, 'derived', 'wine8-software')
MIB = 1 << 20


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def pe32plus_header():
    """1 KiB that `file` calls "PE32+ executable (console) x86-64": MZ, PE signature, COFF
    header (machine 0x8664) and an optional header with magic 0x20b and subsystem 3."""
    import struct
    b = bytearray(1024)
    b[0:2] = b'MZ'
    struct.pack_into('<I', b, 0x3c, 0x80)
    b[0x80:0x84] = b'PE\0\0'
    struct.pack_into('<HHIIIHH', b, 0x84, 0x8664, 1, 0, 0, 0, 0xF0, 0x22)
    struct.pack_into('<H', b, 0x98, 0x20b)
    struct.pack_into('<H', b, 0x98 + 68, 3)
    return bytes(b)


def build_disk(dir, filler_mib):
    """A raw GPT disk: EFI (32 MiB), MSR (16 MiB), Windows NTFS (the rest)."""
    size = (filler_mib + 256) * MIB
    disk = os.path.join(dir, 'disk.raw')
    with open(disk, 'wb') as f:
        f.truncate(size)
    layout = ('label: gpt\n'
              'start=2048, size=65536, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI system partition"\n'
              'start=67584, size=32768, type=E3C9E316-0B5C-4DB8-817D-F92DF00215AE, name="Microsoft reserved partition"\n'
              'start=100352, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, name="Basic data partition"\n')
    run(['sfdisk', '-q', disk], input=layout.encode())
    import json
    table = json.loads(run(['sfdisk', '--json', disk]).stdout)['partitiontable']
    part = table['partitions'][2]
    start, length = part['start'] * 512, part['size'] * 512
    vol = os.path.join(dir, 'vol.ntfs')
    with open(vol, 'wb') as f:
        f.truncate(length)
    run(['mkntfs', '-F', '-Q', '-q', '-L', 'Windows', vol])
    mnt = os.path.join(dir, 'mnt')
    os.mkdir(mnt)
    run(['ntfs-3g', vol, mnt])
    try:
        config = os.path.join(mnt, 'Windows', 'System32', 'config')
        os.makedirs(config)
        shutil.copyfile(SYSTEM, os.path.join(config, 'SYSTEM'))
        shutil.copyfile(SOFTWARE, os.path.join(config, 'SOFTWARE'))
        # libguestfs' inspection takes a volume for Windows only when System32 holds a
        # cmd.exe whose PE header names an architecture: a bare PE32+ x86-64 header.
        with open(os.path.join(mnt, 'Windows', 'System32', 'cmd.exe'), 'wb') as f:
            f.write(pe32plus_header())
        # Filler, in files of 4 MiB, so the hives are a small part of a real-sized volume.
        filler = os.path.join(mnt, 'Windows', 'filler')
        os.makedirs(filler)
        block = os.urandom(4 * MIB)
        for i in range(filler_mib // 4):
            with open(os.path.join(filler, f'f{i:05}.bin'), 'wb') as f:
                f.write(block)
    finally:
        run(['umount', mnt])
    run(['dd', f'if={vol}', f'of={disk}', 'bs=1M', f'seek={start // MIB}', 'conv=notrunc,sparse', 'status=none'])
    os.remove(vol)
    return disk


def timed(cmd, runs, env=None):
    """Median seconds and peak RSS (KiB) of `runs` runs of cmd."""
    times, peaks = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run(['/usr/bin/time', '-f', '%M'] + cmd, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, env=env)
        times.append(time.perf_counter() - t0)
        if p.returncode not in (0, 1):
            raise SystemExit(f'{cmd[0]} failed ({p.returncode}): {p.stderr.decode()[-2000:]}')
        peaks.append(int(p.stderr.decode().strip().splitlines()[-1]))
    return statistics.median(times), max(peaks)


def keys_read(tlsreg, profile):
    """The registry keys the audit reads, from its JSON report (full HKLM paths)."""
    p = subprocess.run([tlsreg, 'audit', '-p', profile, '--system', SYSTEM, '--software', SOFTWARE,
                        '--format', 'json'], stdout=subprocess.PIPE)
    import json
    report = json.loads(p.stdout)
    keys = []
    for f in report['findings']:
        k = f.get('key') or ''
        if k.startswith('HKEY_LOCAL_MACHINE\\') and k not in keys:
            keys.append(k)
    # virt-win-reg exports a key with everything below it: one call per top-most key, and
    # SCHANNEL whole (the audit reads many keys below it).
    keys = [k[:k.lower().index('\\schannel\\') + len('\\schannel')] if '\\schannel\\' in k.lower() else k
            for k in keys]
    # A finding about a value names it after its key (PendingFileRenameOperations).
    keys = [k.rsplit('\\', 1)[0] if k.endswith('\\PendingFileRenameOperations') else k for k in keys]
    keys = sorted(set(keys), key=len)
    top = []
    for k in keys:
        if not any(k.lower().startswith(t.lower() + '\\') for t in top):
            top.append(k)
    return top


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--runs', type=int, default=20)
    ap.add_argument('--virt-runs', type=int, default=1, help='0 skips virt-win-reg')
    ap.add_argument('--profile', default='best-practices')
    ap.add_argument('--tlsreg', default=os.path.join(ROOT, 'target', 'release', 'tlsreg'))
    ap.add_argument('--filler-mib', type=int, default=768)
    ap.add_argument('--keep', help='build the images in this folder and keep them')
    a = ap.parse_args()
    for tool in ['sfdisk', 'mkntfs', 'ntfs-3g', 'qemu-img']:
        if not shutil.which(tool):
            raise SystemExit(f'{tool} is needed (apt: fdisk ntfs-3g qemu-utils)')
    if not os.path.exists(a.tlsreg):
        raise SystemExit(f'{a.tlsreg} is missing: cargo build --release')
    work = a.keep or tempfile.mkdtemp(prefix='tlsreg-image-bench-')
    os.makedirs(work, exist_ok=True)
    try:
        raw = build_disk(work, a.filler_mib)
        images = {}
        for fmt, opts in [('qcow2', []), ('vhdx', [])]:
            out = os.path.join(work, f'disk.{fmt}')
            run(['qemu-img', 'convert', '-O', fmt] + opts + [raw, out])
            images[fmt] = out
        base = [a.tlsreg, 'audit', '-p', a.profile]
        rows = []
        for path in [SYSTEM, SOFTWARE] + list(images.values()):
            subprocess.run(['cat', path], stdout=subprocess.DEVNULL)
        t, m = timed(base + ['--system', SYSTEM, '--software', SOFTWARE], a.runs)
        rows.append(('tlsreg audit (extracted files)', t, m, None))
        files_t = t
        for fmt, path in images.items():
            t, m = timed(base + ['--image', path], a.runs)
            rows.append((f'tlsreg audit --image ({fmt}, {os.path.getsize(path) // MIB} MiB)', t, m, os.path.getsize(path)))
        virt = shutil.which('virt-win-reg')
        if a.virt_runs == 0:
            print('virt-win-reg: --virt-runs 0; skipped', file=sys.stderr)
        elif virt:
            keys = keys_read(a.tlsreg, a.profile)
            env = dict(os.environ, LIBGUESTFS_BACKEND='direct', LIBGUESTFS_BACKEND_SETTINGS='force_tcg')
            for fmt, path in images.items():
                ts, ms = [], []
                for _ in range(a.virt_runs):
                    t0 = time.perf_counter()
                    peak = 0
                    for k in keys:
                        p = subprocess.run(['/usr/bin/time', '-f', '%M', virt, path, k], stdout=subprocess.DEVNULL,
                                           stderr=subprocess.PIPE, env=env)
                        peak = max(peak, int(p.stderr.decode().strip().splitlines()[-1]))
                    ts.append(time.perf_counter() - t0)
                    ms.append(peak)
                rows.append((f'virt-win-reg, {len(keys)} keys ({fmt})', statistics.median(ts), max(ms), None))
        else:
            print('virt-win-reg: not installed (apt: libguestfs-tools); skipped', file=sys.stderr)
        print(f'profile {a.profile}; SYSTEM {os.path.getsize(SYSTEM) // 1024} KiB, SOFTWARE '
              f'{os.path.getsize(SOFTWARE) // 1024} KiB; raw image {os.path.getsize(raw) // MIB} MiB; '
              f'{a.runs} runs (virt-win-reg {a.virt_runs})')
        print(f'{"tool":58} {"median":>10} {"peak RSS":>10}  notes')
        image_t = {}
        for name, t, m, size in rows:
            note = ''
            if size:
                note = f'{t / files_t:.2f}x the files; peak {100 * m * 1024 / size:.2f} % of the image'
                image_t[name] = t
            print(f'{name:58} {t * 1000:8.1f} ms {m / 1024:7.1f} MB  {note}')
        for name, t, m, size in rows:
            if name.startswith('virt-win-reg'):
                fmt = name.rsplit('(', 1)[1].rstrip(')')
                mine = next(v for k, v in image_t.items() if f'({fmt},' in k)
                print(f'tlsreg --image ({fmt}) is {t / mine:.0f}x faster than {name}')
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
