//! `tlsreg audit` in-process: the built-in `best-practices` profile against the largest real
//! SYSTEM + SOFTWARE pair of `../shared/testdata/hives` (when present) and against a small
//! scenario pair from `tests/fixtures/audit`, in strict and effective mode; and the SYSTEM
//! hive's audit keys read lazily (only the cells reached) against a whole read; and a batch
//! of 16 images on one thread and on every core. The
//! comparison with cat, hivexget and regipy is `benches/audit_vs_peers.py`.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::path::PathBuf;
use tlsreg::audit::{audit, Inputs, Options};
use tlsreg::profile::{load, ProfileRef};

fn bench(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let profile = load(&ProfileRef::Builtin("best-practices".into()))
        .expect("built-in")
        .profile;
    let hives = root.join("../shared/testdata/hives");
    let mut pairs = vec![(
        "fixture-pair",
        root.join("tests/fixtures/audit/ccs2-system.hive"),
        root.join("tests/fixtures/audit/ccs2-software.hive"),
    )];
    let real = (
        "real-pair-29MiB",
        hives.join("regipy/regipy_tests/data/SYSTEM_WIN_10_1709"),
        hives.join("derived/wine8-software"),
    );
    if real.1.is_file() && real.2.is_file() {
        pairs.push(real);
    }
    let mut g = c.benchmark_group("audit");
    g.sample_size(20);
    for (name, system, software) in pairs {
        let inputs = Inputs {
            system: Some(system),
            software: Some(software),
            os_build: None,
            no_recover: false,
        };
        for effective in [false, true] {
            let id = format!("{name}/{}", if effective { "effective" } else { "strict" });
            g.bench_function(id, |b| {
                b.iter(|| {
                    black_box(
                        audit(
                            &profile,
                            black_box(&inputs),
                            Options {
                                effective,
                                ..Options::default()
                            },
                        )
                        .expect("audits"),
                    )
                })
            });
        }
    }
    g.finish();

    // Reading the keys an audit needs: lazily (cells on demand) and from the whole file.
    let system = hives.join("regipy/regipy_tests/data/SYSTEM_WIN_10_1709");
    if system.is_file() {
        use tlsreg::hive::{HiveFile, Request};
        let req = [
            Request::Key("Select".into()),
            Request::Tree(r"ControlSet001\Control\SecurityProviders\SCHANNEL".into()),
            Request::Key(r"ControlSet001\Control\Session Manager".into()),
        ];
        let mut g = c.benchmark_group("hive-read-15MiB");
        g.sample_size(20);
        g.bench_function("lazy", |b| {
            b.iter(|| {
                let mut h = HiveFile::open_lazy(&system, false).expect("opens");
                black_box(h.extract("HKLM", &req).expect("reads"))
            })
        });
        g.bench_function("whole", |b| {
            b.iter(|| {
                let mut h = HiveFile::open_with(&system, Vec::new(), false).expect("opens");
                black_box(h.extract("HKLM", &req).expect("reads"))
            })
        });
        g.finish();
    }

    // A batch: 16 roots holding the real pair (symbolic links), streamed on one thread and
    // on every core; what a fleet audit costs per image, and what threads buy.
    let (system, software) = (
        hives.join("regipy/regipy_tests/data/SYSTEM_WIN_10_1709"),
        hives.join("derived/wine8-software"),
    );
    if system.is_file() && software.is_file() {
        use tlsreg::audit::batch::{default_threads, stream, RunOptions, Targets};
        let dir = tempfile::tempdir().expect("a temp dir");
        let roots: Vec<PathBuf> = (0..16)
            .map(|i| {
                let r = dir.path().join(format!("vm{i}"));
                let config = r.join("Windows/System32/config");
                std::fs::create_dir_all(&config).expect("mkdir");
                std::os::unix::fs::symlink(&system, config.join("SYSTEM")).expect("link");
                std::os::unix::fs::symlink(&software, config.join("SOFTWARE")).expect("link");
                r
            })
            .collect();
        let targets = Targets {
            roots,
            ..Targets::default()
        };
        let jobs = targets.jobs().expect("jobs");
        let mut g = c.benchmark_group("batch-16-images");
        g.sample_size(10);
        for threads in [1, default_threads()] {
            g.bench_function(format!("threads-{threads}"), |b| {
                b.iter(|| {
                    let mut n = 0;
                    stream(
                        &profile,
                        &targets,
                        &jobs,
                        RunOptions {
                            audit: Options::default(),
                            threads,
                            waivers: None,
                        },
                        |_, _, outcomes| {
                            n += black_box(outcomes).len();
                            true
                        },
                    );
                    assert_eq!(n, 16);
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
