//! Compiling a generated profile with N raw values (N = 1,000, 10,000, 100,000): load and
//! validate the YAML, build the plan, write the regedit bytes. Time per value should stay
//! flat as N grows (linear scaling); compare the per-element throughput criterion prints.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use tlsreg::compile::{reg_outputs, Options};
use tlsreg::profile::load_with;

/// A profile with `n` raw values spread over `n / 10` keys, every value type in turn.
fn profile(n: usize) -> String {
    let mut s = String::from("extends: [best-practices]\nraw:\n");
    for k in 0..n.div_ceil(10) {
        s.push_str(&format!(
            "  - key: HKLM\\SOFTWARE\\Bench\\Key {k}/{k}\n    values:\n"
        ));
        for v in 0..10.min(n - k * 10) {
            let data = match v % 5 {
                0 => format!("{{ type: dword, data: {} }}", k * 10 + v),
                1 => format!("{{ type: sz, data: \"text \\\"{k}\\\" \\\\ {v}\" }}"),
                2 => "{ type: multi-sz, data: [a, b, ä] }".to_string(),
                3 => "{ type: binary, data: \"00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f\" }".to_string(),
                _ => format!("{{ type: qword, data: {} }}", u64::MAX - v as u64),
            };
            s.push_str(&format!("      \"Value {v}\": {data}\n"));
        }
    }
    s
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("compile-raw-values");
    g.sample_size(10);
    for n in [1_000usize, 10_000, 100_000] {
        let src = profile(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &src, |b, src| {
            b.iter(|| {
                let l = load_with("bench.yaml", black_box(src), None, "bench")
                    .expect("the generated profile is valid");
                let out = reg_outputs("bench", &l.profile, Options::default()).expect("writable");
                black_box(out)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
