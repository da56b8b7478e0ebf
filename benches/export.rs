//! `tlsreg export` in-process: the largest real hive of `../shared/testdata/hives` (when
//! present) and a small scenario hive, streamed into a sink that discards. The comparison
//! with `hivexregedit --export` is `benches/export_vs_hivex.py`.

use criterion::{criterion_group, criterion_main, Criterion};
use std::path::PathBuf;
use tlsreg::export::{export, ExportOptions};
use tlsreg::hive::HiveFile;

fn bench(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut hives = vec![(
        "fixture-12KiB",
        root.join("tests/fixtures/audit/ccs2-system.hive"),
    )];
    let big = root.join("../shared/testdata/hives/regipy/regipy_tests/data/SYSTEM_WIN_10_1709");
    if big.is_file() {
        hives.push(("real-15MiB", big));
    }
    let mut g = c.benchmark_group("export");
    g.sample_size(10);
    for (name, path) in hives {
        let opts = ExportOptions {
            root: r"HKEY_LOCAL_MACHINE\SYSTEM".into(),
            ..Default::default()
        };
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut h = HiveFile::open(&path).expect("opens");
                export(&mut h, &opts, &mut std::io::sink()).expect("exports")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
