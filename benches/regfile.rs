//! Reading `.reg` files at the sizes issue 11 names: `lint` of one 1 MB `hex:` value wrapped
//! as regedit wraps it, `import` of 10,000 keys, and `import` of tlsreg's own export of the
//! 15 MB SYSTEM hive of `../shared/testdata/hives` (when present). Each was quadratic once
//! (53 s, 31 s, more than 10 minutes); the comparison with `hivexregedit --merge` and a
//! python-registry walk is `benches/reg_vs_peers.py`.

use criterion::{criterion_group, criterion_main, Criterion};
use std::path::PathBuf;
use tlsreg::regfile::{lint, parse, ReadOptions};

/// UTF-16LE with BOM, as regedit writes.
fn utf16(text: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    v.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    v
}

/// One 1 MiB `hex:` value, wrapped at 80 columns with two-space continuation lines.
pub fn hex_1mb() -> Vec<u8> {
    let mut t = String::from(
        "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Big]\r\n",
    );
    let mut line = String::from("\"big\"=hex:");
    let n = 1 << 20;
    for i in 0..n {
        let item = if i + 1 < n {
            format!("{:02x},", (i * 7) & 0xff)
        } else {
            format!("{:02x}", (i * 7) & 0xff)
        };
        if line.len() + item.len() > 76 {
            t.push_str(&line);
            t.push_str("\\\r\n");
            line = String::from("  ");
        }
        line.push_str(&item);
    }
    t.push_str(&line);
    t.push_str("\r\n");
    utf16(&t)
}

/// 10,000 keys with one DWORD each.
pub fn keys_10k() -> Vec<u8> {
    let mut t = String::from("Windows Registry Editor Version 5.00\r\n\r\n");
    for i in 0..10_000 {
        t.push_str(&format!(
            "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Many\\Key{i:05}]\r\n\"v\"=dword:{i:08x}\r\n\r\n"
        ));
    }
    utf16(&t)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("regfile");
    g.sample_size(10);
    let hex = hex_1mb();
    g.bench_function("lint-1MB-hex-value", |b| {
        b.iter(|| {
            let f = parse(&hex, ReadOptions::default());
            lint::check(&f, lint::LintOptions::default())
        })
    });
    let keys = keys_10k();
    g.bench_function("import-10k-keys", |b| {
        b.iter(|| {
            let f = parse(&keys, ReadOptions::default());
            let (p, _) = tlsreg::import::import(&f, "keys", "keys.reg");
            tlsreg::import::to_yaml(&p, "keys.reg")
        })
    });
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let big = root.join("../shared/testdata/hives/regipy/regipy_tests/data/SYSTEM_WIN_10_1709");
    if big.is_file() {
        let mut h = tlsreg::hive::HiveFile::open(&big).expect("opens");
        let opts = tlsreg::export::ExportOptions {
            root: r"HKEY_LOCAL_MACHINE\SYSTEM".into(),
            ..Default::default()
        };
        let mut export = Vec::new();
        tlsreg::export::export(&mut h, &opts, &mut export).expect("exports");
        g.bench_function("import-export-of-15MB-SYSTEM", |b| {
            b.iter(|| {
                let f = parse(&export, ReadOptions::default());
                let (p, _) = tlsreg::import::import(&f, "system", "system.reg");
                tlsreg::import::to_yaml(&p, "system.reg")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
