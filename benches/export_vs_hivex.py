#!/usr/bin/env python3
"""Times `tlsreg export` against `hivexregedit --export` on the largest real hive of
../shared/testdata/hives, in one run, and prints the ratio and peak memory.
Goal (issue 5): at least 20x faster than hivexregedit with the same content; peak memory
below the hive's size plus the output buffer.

Usage: benches/export_vs_hivex.py [--runs N] [--tlsreg PATH]
Needs a release build (cargo build --release) and hivexregedit (libhivex-bin).
The content check (both exports import to the same values) is the test suite's job
(tests/export.rs); this script only times.
"""
import argparse, os, shutil, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.environ.get('TLSREG_SHARED', os.path.join(ROOT, '..', 'shared'))
HIVE = os.path.join(SHARED, 'testdata', 'hives', 'regipy', 'regipy_tests', 'data', 'SYSTEM_WIN_10_1709')


def timed(cmd, runs):
    times, peaks = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run(['/usr/bin/time', '-f', '%M'] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - t0)
        if p.returncode != 0:
            sys.exit(f'{cmd[0]} failed: {p.stderr.decode()[-500:]}')
        peaks.append(int(p.stderr.decode().strip().splitlines()[-1]))
    return statistics.median(times), max(peaks)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--tlsreg', default=os.path.join(ROOT, 'target', 'release', 'tlsreg'))
    a = ap.parse_args()
    if not os.path.exists(a.tlsreg) or not os.path.exists(HIVE):
        sys.exit('need a release build and ../shared/testdata/hives')
    if not shutil.which('hivexregedit'):
        sys.exit('hivexregedit is not installed (apt-get install libhivex-bin)')
    size = os.path.getsize(HIVE)
    out = subprocess.run([a.tlsreg, 'export', '--system', HIVE], capture_output=True).stdout
    subprocess.run(['cat', HIVE], stdout=subprocess.DEVNULL)
    t_ours, m_ours = timed([a.tlsreg, 'export', '--system', HIVE], a.runs)
    t_hx, m_hx = timed(['hivexregedit', '--export', '--prefix', r'HKEY_LOCAL_MACHINE\SYSTEM', HIVE, '\\'], a.runs)
    print(f'hive {HIVE}: {size // 1024} KiB; tlsreg output {len(out) // 1024} KiB; {a.runs} runs each')
    print(f'{"tool":<14} {"median":>9} {"peak RSS":>12}')
    print(f'{"tlsreg":<14} {t_ours * 1000:>7.0f}ms {m_ours:>9} KiB')
    print(f'{"hivexregedit":<14} {t_hx * 1000:>7.0f}ms {m_hx:>9} KiB')
    print(f'\nhivexregedit / tlsreg = {t_hx / t_ours:.1f}  (goal >= 20)')
    budget = (size + len(out)) // 1024
    print(f'tlsreg peak RSS = {m_ours} KiB; hive + output = {budget} KiB ({m_ours * 100 // budget}%, goal < 100%)')


if __name__ == '__main__':
    main()
