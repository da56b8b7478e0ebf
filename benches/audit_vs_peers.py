#!/usr/bin/env python3
"""Times `tlsreg audit` against peers that read the same registry values, in one run.

On the largest real SYSTEM + SOFTWARE pair of ../shared/testdata/hives it runs, each N times
(hives already in the page cache after a warm-up):
  cat       cat SYSTEM SOFTWARE > /dev/null            (the I/O floor)
  tlsreg    tlsreg audit -p PROFILE --system S --software W
  hivexget  one `hivexget HIVE KEY` per key the audit reads (hivex, libhivex-bin)
  regipy    one Python process opening both hives with regipy and reading the same keys
and prints the median wall time, peak RSS, and the ratios. Goals (issue 4): tlsreg within 2x
of cat, at least 5x faster than hivexget and 20x faster than regipy, peak memory below the
two hives' size.

Usage: benches/audit_vs_peers.py [--runs N] [--profile NAME] [--tlsreg PATH]
Needs: a release build (cargo build --release), hivexget (libhivex-bin), and regipy in the
oracle venv (../shared/oracles/setup.sh --with-regipy); a missing peer is reported and skipped.
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.environ.get('TLSREG_SHARED', os.path.join(ROOT, '..', 'shared'))
HIVES = os.path.join(SHARED, 'testdata', 'hives')
SYSTEM = os.path.join(HIVES, 'regipy', 'regipy_tests', 'data', 'SYSTEM_WIN_10_1709')
SOFTWARE = os.path.join(HIVES, 'derived', 'wine8-software')
VENV_PY = os.path.join(os.environ.get('REG_ORACLES_CACHE', os.path.expanduser('~/.cache/reg-oracles')), 'venv', 'bin', 'python')

REGIPY_READER = r'''
import sys
from regipy.registry import RegistryHive
from regipy.exceptions import RegistryKeyNotFoundException
hives = {'SYSTEM': RegistryHive(sys.argv[1]), 'SOFTWARE': RegistryHive(sys.argv[2])}
n = 0
for line in open(sys.argv[3], encoding='utf-8'):
    hive, path = line.rstrip('\n').split('\t')
    try:
        key = hives[hive].get_key(path)
    except RegistryKeyNotFoundException:
        continue
    for v in key.iter_values():
        n += 1
print(n)
'''


def timed(cmd, runs, **kw):
    """Median seconds and peak RSS (KiB) of `runs` runs of cmd (a list, or a callable)."""
    times, peaks = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        if callable(cmd):
            peak = cmd()
        else:
            p = subprocess.run(['/usr/bin/time', '-f', '%M'] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
            peak = int(p.stderr.decode().strip().splitlines()[-1])
        times.append(time.perf_counter() - t0)
        peaks.append(peak)
    return statistics.median(times), max(peaks)


def keys_read(tlsreg, profile):
    """The keys the audit reads, as (hive, path relative to the hive root)."""
    out = subprocess.run([tlsreg, 'show', profile, '--plan'], capture_output=True, text=True, check=True).stdout
    keys = []
    for line in out.splitlines():
        key = line.split('[', 1)[1].split(']', 1)[0]
        _, hive, rest = key.split('\\', 2)
        rest = rest.replace('CurrentControlSet', 'ControlSet001', 1) if hive == 'SYSTEM' else rest
        if (hive, rest) not in keys:
            keys.append((hive, rest))
    keys += [('SYSTEM', 'Select'), ('SOFTWARE', r'Microsoft\Windows NT\CurrentVersion')]
    return keys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--runs', type=int, default=10)
    ap.add_argument('--profile', default='best-practices')
    ap.add_argument('--tlsreg', default=os.path.join(ROOT, 'target', 'release', 'tlsreg'))
    a = ap.parse_args()
    for f in (SYSTEM, SOFTWARE, a.tlsreg):
        if not os.path.exists(f):
            sys.exit(f'missing {f} (build with cargo build --release; the hives come from ../shared/testdata)')
    size_kib = (os.path.getsize(SYSTEM) + os.path.getsize(SOFTWARE)) // 1024
    keys = keys_read(a.tlsreg, a.profile)
    print(f'hives: {SYSTEM} + {SOFTWARE} ({size_kib} KiB); profile {a.profile}: {len(keys)} keys; {a.runs} runs each')
    subprocess.run(['cat', SYSTEM, SOFTWARE], stdout=subprocess.DEVNULL)  # warm the page cache
    results = {}
    results['cat'] = timed(['cat', SYSTEM, SOFTWARE], a.runs)
    results['tlsreg'] = timed([a.tlsreg, 'audit', '-p', a.profile, '--system', SYSTEM, '--software', SOFTWARE], a.runs)
    if shutil.which('hivexget'):
        def hivex():
            peak = 0
            for hive, path in keys:
                p = subprocess.run(['/usr/bin/time', '-f', '%M', 'hivexget', SYSTEM if hive == 'SYSTEM' else SOFTWARE, '\\' + path],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                peak = max(peak, int(p.stderr.decode().strip().splitlines()[-1]))
            return peak
        results['hivexget'] = timed(hivex, a.runs)
    else:
        print('skip hivexget: not installed (apt-get install libhivex-bin)')
    if os.path.exists(VENV_PY) and subprocess.run([VENV_PY, '-c', 'import regipy'], capture_output=True).returncode == 0:
        with tempfile.TemporaryDirectory() as d:
            lst, script = os.path.join(d, 'keys.tsv'), os.path.join(d, 'read.py')
            with open(lst, 'w', encoding='utf-8') as f:
                f.writelines(f'{h}\t\\{p}\n' for h, p in keys)
            with open(script, 'w') as f:
                f.write(REGIPY_READER)
            results['regipy'] = timed([VENV_PY, script, SYSTEM, SOFTWARE, lst], max(1, a.runs // 5))
    else:
        print('skip regipy: not in the oracle venv (../shared/oracles/setup.sh --with-regipy)')
    base = results['tlsreg'][0]
    print(f'\n{"tool":<10} {"median":>10} {"peak RSS":>12} {"vs tlsreg":>10}')
    for name, (t, peak) in results.items():
        print(f'{name:<10} {t * 1000:>8.1f}ms {peak:>9} KiB {t / base:>9.1f}x')
    cat = results['cat'][0]
    print(f'\ntlsreg / cat      = {base / cat:.2f}  (goal <= 2)')
    if 'hivexget' in results:
        print(f'hivexget / tlsreg = {results["hivexget"][0] / base:.1f}  (goal >= 5)')
    if 'regipy' in results:
        print(f'regipy / tlsreg   = {results["regipy"][0] / base:.1f}  (goal >= 20)')
    print(f'tlsreg peak RSS   = {results["tlsreg"][1]} KiB of {size_kib} KiB hives ({results["tlsreg"][1] * 100 // size_kib}%, goal < 100%)')


if __name__ == '__main__':
    main()
