#!/usr/bin/env python3
"""Times tlsreg's .reg reading against peers at the sizes of issue 11, in one run:

  hex-1MB     one 1 MiB hex: value wrapped as regedit wraps it (6.7 MB file)
  keys-10k    10,000 keys with one DWORD each (1.3 MB file)
  system-15MB tlsreg's own export of the 15 MB SYSTEM hive of ../shared/testdata/hives (33 MB)

For each file: `tlsreg lint`, `tlsreg import` (to /dev/null) and `hivexregedit --merge` of the
same file (as UTF-8, which it reads) into a fresh empty hive (the parser of
../shared/oracles/reg2values.sh). Then, on
the hive itself: `tlsreg diff HIVE HIVE` (every value of both sides in memory) against a
python-registry walk reading every value of the hive once. Prints the median wall time, the
peak RSS and the ratio peer / tlsreg. Goals (issue 11): lint of hex-1MB and import of
keys-10k well under a second, import of system-15MB finishes, diff of two 15 MB hives under
3x their size in memory.

Usage: benches/reg_vs_peers.py [--runs N] [--tlsreg PATH] [--python PATH] [--peer-timeout S]
Needs a release build (cargo build --release), hivexregedit (libhivex-bin), and for the walk
a Python with python-registry (`python3 -m venv V && V/bin/pip install python-registry`,
then --python V/bin/python); a missing peer is reported and skipped. Not a test: timings
depend on the machine.
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.environ.get('TLSREG_SHARED', os.path.join(ROOT, '..', 'shared'))
HIVE = os.path.join(SHARED, 'testdata', 'hives', 'regipy', 'regipy_tests', 'data', 'SYSTEM_WIN_10_1709')
MKHIVE = os.path.join(SHARED, 'oracles', 'mkhive.py')
HEADER = 'Windows Registry Editor Version 5.00\r\n\r\n'

WALK = r'''
import sys
from Registry import Registry
n = 0
stack = [Registry.Registry(sys.argv[1]).root()]
while stack:
    k = stack.pop()
    for v in k.values():
        v.raw_data()  # every type: value() refuses device-property types
        n += 1
    stack.extend(k.subkeys())
print(n)
'''


def utf16(text):
    return b'\xff\xfe' + text.encode('utf-16-le')


def hex_1mb():
    out = [HEADER, '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Big]\r\n']
    n = 1 << 20
    line = '"big"=hex:'
    for i in range(n):
        item = '%02x' % ((i * 7) & 0xff) + (',' if i + 1 < n else '')
        if len(line) + len(item) > 76:
            out.append(line + '\\\r\n')
            line = '  '
        line += item
    out.append(line + '\r\n')
    return utf16(''.join(out))


def keys_10k():
    out = [HEADER, '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Many]\r\n\r\n']
    for i in range(10000):
        out.append('[HKEY_LOCAL_MACHINE\\SOFTWARE\\Many\\Key%05d]\r\n"v"=dword:%08x\r\n\r\n' % (i, i))
    return utf16(''.join(out))


def timed(cmd, runs, ok=(0,), before=None, limit=None):
    """Median seconds and peak RSS (KiB) of `runs` runs of cmd. With a `limit` (a peer):
    (None, why) when a run takes longer than `limit` seconds or fails."""
    times, peaks = [], []
    for _ in range(runs):
        if before:
            before()
        t0 = time.perf_counter()
        lim = ['timeout', str(limit)] if limit else []
        p = subprocess.run(['/usr/bin/time', '-f', '%M'] + lim + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - t0)
        if limit and p.returncode == 124:
            return None, f'did not finish in {limit} s'
        if limit and p.returncode not in ok:
            # A peer that fails on the input is a result, not the end of the run.
            err = p.stderr.decode(errors='replace').strip().splitlines()
            return None, 'failed: ' + (err[0][:100] if err else f'exit {p.returncode}')
        if p.returncode not in ok:
            err = p.stderr.decode(errors='replace')[-500:]
            sys.exit(f'{" ".join(cmd[:3])} failed ({p.returncode}): {err}')
        peaks.append(int(p.stderr.decode().strip().splitlines()[-1]))
    return statistics.median(times), max(peaks)


def row(name, t, m, base=None):
    if t is None:
        print(f'  {name:<22} {m}')
        return
    ratio = f'{t / base:8.1f}x' if base else ''
    print(f'  {name:<22} {t * 1000:>9.0f} ms {m:>10} KiB {ratio}')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--tlsreg', default=os.path.join(ROOT, 'target', 'release', 'tlsreg'))
    ap.add_argument('--python', default=sys.executable, help='a Python with python-registry')
    ap.add_argument('--peer-timeout', type=int, default=300, help='seconds a peer may take per run')
    a = ap.parse_args()
    if not os.path.exists(a.tlsreg):
        sys.exit('need a release build (cargo build --release)')
    hivex = shutil.which('hivexregedit')
    if not hivex:
        print('hivexregedit is not installed (apt-get install libhivex-bin): its rows are skipped')
    walk_ok = subprocess.run([a.python, '-c', 'import Registry'], capture_output=True).returncode == 0
    if not walk_ok:
        print(f'{a.python} has no python-registry: the walk is skipped (see --python)')
    with tempfile.TemporaryDirectory() as d:
        files = [('hex-1MB', 'HKEY_LOCAL_MACHINE\\SOFTWARE', hex_1mb()),
                 ('keys-10k', 'HKEY_LOCAL_MACHINE\\SOFTWARE', keys_10k())]
        if os.path.exists(HIVE):
            out = os.path.join(d, 'system.reg')
            subprocess.run([a.tlsreg, 'export', '--system', HIVE, '-o', out], check=True, capture_output=True)
            files.append(('system-15MB', 'HKEY_LOCAL_MACHINE\\SYSTEM', open(out, 'rb').read()))
        empty = os.path.join(d, 'empty.hive')
        if hivex:
            subprocess.run(['/usr/bin/python3', MKHIVE, empty], check=True, stdin=subprocess.DEVNULL)
        print(f'{a.runs} runs each; median wall time, peak RSS, ratio to tlsreg import')
        for name, prefix, data in files:
            path = os.path.join(d, name + '.reg')
            open(path, 'wb').write(data)
            print(f'{name} ({len(data) // 1024} KiB)')
            t_lint, m_lint = timed([a.tlsreg, 'lint', path], a.runs, ok=(0, 1))
            t_imp, m_imp = timed([a.tlsreg, 'import', path], a.runs)
            row('tlsreg lint', t_lint, m_lint, t_imp)
            row('tlsreg import', t_imp, m_imp, t_imp)
            if hivex:
                # hivexregedit reads the file as UTF-8 text (its --encoding is for the
                # strings it writes): give it the same text in UTF-8.
                utf8 = os.path.join(d, name + '.utf8.reg')
                open(utf8, 'wb').write(data[2:].decode('utf-16-le').encode())
                target = os.path.join(d, 'merge.hive')
                t_hx, m_hx = timed([hivex, '--merge', '--prefix', prefix, '--encoding', 'UTF-16LE', target, utf8],
                                   a.runs, before=lambda: shutil.copy(empty, target), limit=a.peer_timeout)
                row('hivexregedit --merge', t_hx, m_hx, t_imp)
        if os.path.exists(HIVE):
            size = os.path.getsize(HIVE)
            print(f'hive {os.path.basename(HIVE)} ({size // 1024} KiB)')
            t_diff, m_diff = timed([a.tlsreg, 'diff', HIVE, HIVE], a.runs)
            row('tlsreg diff HIVE HIVE', t_diff, m_diff, t_diff)
            if walk_ok:
                script = os.path.join(d, 'walk.py')
                open(script, 'w').write(WALK)
                t_w, m_w = timed([a.python, script, HIVE], a.runs, limit=a.peer_timeout)
                row('python-registry walk', t_w, m_w, t_diff)
            print(f'  tlsreg diff peak RSS / (2 x hive) = {m_diff * 1024 / (2 * size):.1f} (goal < 3)')


if __name__ == '__main__':
    main()
