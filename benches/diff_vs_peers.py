#!/usr/bin/env python3
"""Times `tlsreg diff` of two whole hives against peers that compare the same hives, in one run.

On the two largest real SYSTEM hives of ../shared/testdata/hives (SYSTEM_WIN_10_1709, 15 MB, and
SYSTEM_B, 12 MB; both dirty, replayed from their logs where a tool can) it runs, each N times
(hives already in the page cache after a warm-up):
  cat          cat A B > /dev/null                      (the I/O floor)
  tlsreg       tlsreg diff A B                          (human output, to /dev/null)
  tlsreg-json  tlsreg diff A B --format json
  hivex        hivexregedit --export of each hive, then GNU diff of the two exports
  regipy       regipy.regdiff.compare_hives(A, B), what `regipy-diff` runs (regipy in the
               oracle venv; its CLI needs click, which the venv lacks), differences to a CSV
and prints the median wall time, peak RSS (for hivex: the largest of its processes), and the
ratios. Goal (issue 11): tlsreg's peak memory below 3x the two hives' size.

Usage: benches/diff_vs_peers.py [--runs N] [--tlsreg PATH]
Needs: a release build (cargo build --release); hivexregedit (libwin-hivex-perl) and regipy
(../shared/oracles/setup.sh --with-regipy) for the peers; a missing peer is reported and skipped.
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.environ.get('TLSREG_SHARED', os.path.join(ROOT, '..', 'shared'))
DATA = os.path.join(SHARED, 'testdata', 'hives', 'regipy', 'regipy_tests', 'data')
A = os.path.join(DATA, 'SYSTEM_WIN_10_1709')
B = os.path.join(DATA, 'SYSTEM_B')
VENV = os.path.join(os.environ.get('REG_ORACLES_CACHE', os.path.expanduser('~/.cache/reg-oracles')), 'venv', 'bin')


REGIPY_DIFF = r'''
import csv, sys
from regipy.regdiff import compare_hives
found = compare_hives(sys.argv[1], sys.argv[2])
with open(sys.argv[3], 'w') as f:
    csv.writer(f, delimiter='|').writerows(found)
print(len(found))
'''


class TooSlow(Exception):
    pass


TIMEOUT = 600.0


def run_peak(cmd, **kw):
    """Runs cmd under /usr/bin/time; its peak RSS in KiB. A run over TIMEOUT seconds is
    stopped (TooSlow)."""
    try:
        p = subprocess.run(['/usr/bin/time', '-f', '%M'] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=TIMEOUT, **kw)
    except subprocess.TimeoutExpired:
        raise TooSlow()
    return int(p.stderr.decode().strip().splitlines()[-1])


def timed(cmd, runs):
    """Median seconds and peak RSS (KiB) of `runs` runs of cmd (a list, or a callable
    returning its peak); (None, None) when a run took longer than TIMEOUT."""
    times, peaks = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        try:
            peak = cmd() if callable(cmd) else run_peak(cmd)
        except TooSlow:
            return None, None
        times.append(time.perf_counter() - t0)
        peaks.append(peak)
    return statistics.median(times), max(peaks)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--tlsreg', default=os.path.join(ROOT, 'target', 'release', 'tlsreg'))
    ap.add_argument('--timeout', type=float, default=TIMEOUT, help='seconds a peer run may take (default 600)')
    a = ap.parse_args()
    global TIMEOUT
    TIMEOUT = a.timeout
    for f in (A, B, a.tlsreg):
        if not os.path.exists(f):
            sys.exit(f'missing {f} (build with cargo build --release; the hives come from ../shared/testdata)')
    size_kib = (os.path.getsize(A) + os.path.getsize(B)) // 1024
    print(f'hives: {A} + {B} ({size_kib} KiB); {a.runs} runs each')
    subprocess.run(['cat', A, B], stdout=subprocess.DEVNULL)
    results = {}
    results['cat'] = timed(['cat', A, B], a.runs)
    results['tlsreg'] = timed([a.tlsreg, 'diff', A, B], a.runs)
    results['tlsreg-json'] = timed([a.tlsreg, 'diff', A, B, '--format', 'json'], a.runs)
    if shutil.which('hivexregedit'):
        def hivex():
            with tempfile.TemporaryDirectory() as d:
                ea, eb = os.path.join(d, 'a.reg'), os.path.join(d, 'b.reg')
                peaks = []
                for hive, out in ((A, ea), (B, eb)):
                    with open(out, 'wb') as f:
                        p = subprocess.run(['/usr/bin/time', '-f', '%M', 'hivexregedit', '--export', hive, '\\'],
                                           stdout=f, stderr=subprocess.PIPE)
                    peaks.append(int(p.stderr.decode().strip().splitlines()[-1]))
                peaks.append(run_peak(['diff', ea, eb]))
                return max(peaks)
        results['hivex'] = timed(hivex, max(1, a.runs // 5))
    else:
        print('skip hivex: hivexregedit not installed (apt-get install libwin-hivex-perl)')
    py = os.path.join(VENV, 'python')
    if os.path.exists(py) and subprocess.run([py, '-c', 'import regipy.regdiff'], capture_output=True).returncode == 0:
        with tempfile.TemporaryDirectory() as d:
            script = os.path.join(d, 'diff.py')
            with open(script, 'w') as f:
                f.write(REGIPY_DIFF)
            results['regipy'] = timed([py, script, A, B, os.path.join(d, 'out.csv')], max(1, a.runs // 5))
    else:
        print('skip regipy: not in the oracle venv (../shared/oracles/setup.sh --with-regipy)')
    base = results['tlsreg'][0]
    print(f'\n{"tool":<12} {"median":>10} {"peak RSS":>12} {"vs tlsreg":>10}')
    for name, (t, peak) in results.items():
        if t is None:
            print(f'{name:<12} {">" + str(int(TIMEOUT)) + " s":>10} {"-":>12} {">" + str(int(TIMEOUT / base)) + "x":>10}')
        else:
            print(f'{name:<12} {t * 1000:>8.0f}ms {peak:>9} KiB {t / base:>9.1f}x')
    for peer in ('hivex', 'regipy'):
        if peer in results and results[peer][0] is not None:
            print(f'{peer} / tlsreg = {results[peer][0] / base:.1f}x the time')
    peak = results['tlsreg'][1]
    print(f'tlsreg peak RSS = {peak} KiB, {peak / size_kib:.2f}x the two hives (goal < 3x)')


if __name__ == '__main__':
    main()
