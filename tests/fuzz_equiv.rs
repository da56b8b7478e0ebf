//! The bounded, every-CI stand-in for the cargo-fuzz targets in `fuzz/`: random and mutated
//! inputs for the profile loader, the `.reg` reader, the hive reader (walk, export, audit
//! extraction) and log replay must give a result or an error, never a panic.

use crate::util;
use proptest::prelude::*;
use std::path::Path;

fn seeds(dir: &str, ext: &str) -> Vec<Vec<u8>> {
    let d = util::root().join(dir);
    let mut v: Vec<Vec<u8>> = std::fs::read_dir(&d)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    v.sort();
    v
}

/// A seed with some bytes overwritten, some cut away, some repeated.
fn mutate(seed: &[u8], edits: &[(usize, u8)], cut: usize, dup: usize) -> Vec<u8> {
    let mut b = seed.to_vec();
    if !b.is_empty() {
        for (i, v) in edits {
            let n = b.len();
            b[i % n] = *v;
        }
        let keep = b.len() - cut % (b.len() / 4 + 1);
        b.truncate(keep);
        if dup > 0 && !b.is_empty() {
            let at = dup % b.len();
            let chunk: Vec<u8> = b[at..(at + 64).min(b.len())].to_vec();
            b.splice(at..at, chunk);
        }
    }
    b
}

fn hive_paths(b: Vec<u8>) {
    if let Ok(mut h) = tlsreg::hive::HiveFile::from_bytes(Path::new("fuzz"), b) {
        let _ = h.walk(r"HKEY_LOCAL_MACHINE\SYSTEM", "", &mut |_| {});
        let _ = tlsreg::export::export(
            &mut h,
            &tlsreg::export::ExportOptions {
                root: r"HKEY_LOCAL_MACHINE\SYSTEM".into(),
                ..Default::default()
            },
            &mut std::io::sink(),
        );
        let _ = h.extract(
            r"HKEY_LOCAL_MACHINE\SYSTEM",
            &[
                tlsreg::hive::Request::Key("Select".into()),
                tlsreg::hive::Request::Tree(
                    r"ControlSet001\Control\SecurityProviders\SCHANNEL".into(),
                ),
            ],
        );
    }
}

/// What a lazy and a whole read of `path` give for the requests an audit makes.
fn lazy_and_whole(path: &Path) -> (Vec<String>, Vec<String>) {
    use tlsreg::hive::{HiveFile, Request::*};
    let sets = [
        vec![Key("Select".into())],
        vec![
            Tree(r"ControlSet001\Control\SecurityProviders\SCHANNEL".into()),
            Key(r"ControlSet001\Control\Session Manager".into()),
        ],
        vec![
            Key(r"Microsoft\Windows NT\CurrentVersion".into()),
            Key(r"Microsoft\NET Framework Setup\NDP\v4\Full".into()),
            Tree(r"Microsoft\.NETFramework".into()),
            Children(r"Microsoft\Windows\CurrentVersion\Component Based Servicing\Packages".into()),
        ],
        vec![Tree(String::new())],
    ];
    let run = |h: Result<HiveFile, tlsreg::hive::HiveError>| -> Vec<String> {
        match h {
            Err(e) => vec![format!("open: {e}")],
            Ok(mut h) => {
                let mut out = vec![format!("{:?} {:?}", h.header, h.recovery)];
                for set in &sets {
                    out.push(crate::corpus::outcome(h.extract("HKLM", set)));
                }
                out
            }
        }
    };
    (
        run(HiveFile::open_lazy(path, true)),
        run(HiveFile::open_with(path, Vec::new(), true)),
    )
}

/// The lazy read of every scenario hive serves an audit's requests without reading the
/// whole file (if the prefetcher missed a cell, nt-hive would fail on it and the hive
/// would be read whole: correct, but the speed would be gone unnoticed).
#[test]
fn lazy_reads_of_the_scenario_hives_stay_partial() {
    use tlsreg::hive::{HiveFile, Request::*};
    let dir = util::root().join("tests/fixtures/audit");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "hive") {
            continue;
        }
        let mut h = HiveFile::open_lazy(&p, true).unwrap();
        let name = p.file_name().unwrap().to_string_lossy();
        let req = if name.contains("system") {
            vec![
                Key("Select".into()),
                Tree(r"ControlSet001\Control\SecurityProviders\SCHANNEL".into()),
                Tree(r"ControlSet002\Control\SecurityProviders\SCHANNEL".into()),
            ]
        } else {
            vec![
                Key(r"Microsoft\Windows NT\CurrentVersion".into()),
                Tree(r"Microsoft".into()),
            ]
        };
        let reg = h.extract("HKLM", &req).unwrap();
        assert!(!reg.value_lines().is_empty(), "{name}: nothing read");
        assert!(h.is_partial(), "{name} was read whole");
        let (lazy, whole) = lazy_and_whole(&p);
        assert_eq!(lazy, whole, "{name}");
        n += 1;
    }
    assert!(n >= 20, "{n} hives");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn reg_reader_takes_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048), seed in 0usize..64, edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..16), cut in any::<usize>(), dup in any::<usize>()) {
        let _ = tlsreg::regfile::parse(&bytes, Default::default());
        let s = seeds("tests/fixtures/lint", "reg");
        let f = tlsreg::regfile::parse(&mutate(&s[seed % s.len()], &edits, cut, dup), Default::default());
        let _ = tlsreg::regfile::lint::lint(&f, Default::default());
        let _ = tlsreg::import::import(&f, "fuzz", "fuzz.reg");
    }

    /// The shapes of issue 11 around random text (continuation lines and comments, lone
    /// CR, NUL, non-ASCII spaces, [-KEY], upper-case types, spaced hex lists, names YAML
    /// retypes): the reader never panics, and what `import` writes always loads as a profile.
    #[test]
    fn reg_reader_takes_issue_11_shapes(parts in proptest::collection::vec("[\"@=,;#\\\\ \t\r\n\u{0}\u{a0}\u{3000}<>~:\\[\\]a-fA-F0-9xX()-]{0,12}|dword:|DWORD:|hex:|HEX:|hex\\(7\\):|hex\\(1\\):|\\[-?HKEY_LOCAL_MACHINE\\\\SOFTWARE\\\\F\\]|<<|TRUE|~|\r\n", 0..40), utf16 in any::<bool>()) {
        let text = format!("Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\F]\r\n{}", parts.concat());
        let bytes = if utf16 {
            let mut v = vec![0xFF, 0xFE];
            v.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            v
        } else {
            text.into_bytes()
        };
        let f = tlsreg::regfile::parse(&bytes, Default::default());
        let diags = tlsreg::regfile::lint::check(&f, Default::default());
        let _ = f.placed("fuzz.reg", &diags).render(false);
        let (p, _) = tlsreg::import::import(&f, "fuzz", "fuzz.reg");
        let yaml = tlsreg::import::to_yaml(&p, "fuzz.reg");
        if let Err(e) = tlsreg::profile::load_with("fuzz.yaml", &yaml, None, "fuzz") {
            panic!("the import does not load:\n{}\n{yaml}", e.render(false));
        }
    }

    #[test]
    fn profile_loader_takes_any_text(text in "\\PC{0,400}", seed in 0usize..16, edits in proptest::collection::vec((any::<usize>(), 32u8..127), 0..12), cut in any::<usize>(), dup in any::<usize>()) {
        let _ = tlsreg::profile::load_with("fuzz.yaml", &text, None, "fuzz");
        let names: Vec<&str> = tlsreg::builtin::names().collect();
        let src = tlsreg::builtin::get(names[seed % names.len()]).unwrap().as_bytes();
        if let Ok(t) = String::from_utf8(mutate(src, &edits, cut, dup)) {
            if let Ok(l) = tlsreg::profile::load_with("fuzz.yaml", &t, None, "fuzz") {
                let _ = tlsreg::compile::reg_outputs("fuzz", &l.profile, Default::default());
                let _ = tlsreg::compile::ps1_output("fuzz", &l.profile, false);
                let _ = tlsreg::profile::show::to_yaml(&l.profile);
            }
        }
    }

    #[test]
    fn hive_reader_takes_damaged_hives(seed in 0usize..64, edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..24), cut in any::<usize>(), dup in any::<usize>()) {
        let s = seeds("tests/fixtures/audit", "hive");
        hive_paths(mutate(&s[seed % s.len()], &edits, cut, dup));
    }

    #[test]
    fn lazy_hive_reads_equal_whole_reads_on_damaged_hives(seed in 0usize..64, edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..24), cut in any::<usize>(), dup in any::<usize>()) {
        let s = seeds("tests/fixtures/audit", "hive");
        let dir = util::tempdir();
        let path = dir.path().join("damaged.hive");
        std::fs::write(&path, mutate(&s[seed % s.len()], &edits, cut, dup)).unwrap();
        let (lazy, whole) = lazy_and_whole(&path);
        prop_assert_eq!(lazy, whole);
    }

    #[test]
    fn log_replay_takes_damaged_logs(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..24), cut in any::<usize>()) {
        let dir = util::shared().join("testdata/hives/yarp/hives_for_tests/NewDirtyHive1");
        if let (Ok(primary), Ok(log)) = (std::fs::read(dir.join("NewDirtyHive")), std::fs::read(dir.join("NewDirtyHive.LOG1"))) {
            let log = mutate(&log, &edits, cut, 0);
            if let Ok(Some(r)) = tlsreg::hive::logs::recover(&primary, &[tlsreg::hive::logs::LogFile { label: "fuzz.LOG1".into(), bytes: log }]) {
                hive_paths(r.bytes);
            }
        }
    }
}

/// Every input the fuzzers found (fuzz/regressions) stays fixed: bounded time and memory,
/// no panic.
#[test]
fn fuzz_regressions_stay_fixed() {
    let base = util::root().join("fuzz/regressions");
    for target in ["profile", "regfile", "hive", "logs"] {
        let Ok(rd) = std::fs::read_dir(base.join(target)) else {
            continue;
        };
        for f in rd.flatten() {
            let bytes = std::fs::read(f.path()).unwrap();
            let started = std::time::Instant::now();
            match target {
                "profile" => {
                    let _ = tlsreg::profile::load_with(
                        "r.yaml",
                        &String::from_utf8_lossy(&bytes),
                        None,
                        "r",
                    );
                }
                "regfile" => {
                    let file = tlsreg::regfile::parse(&bytes, Default::default());
                    let _ = tlsreg::regfile::lint::lint(&file, Default::default());
                    let mut r = tlsreg::memreg::MemRegistry::new();
                    file.apply(&mut r);
                    let _ = tlsreg::import::import(&file, "r", "r.reg");
                }
                _ => hive_paths(bytes),
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(20),
                "{}",
                f.path().display()
            );
        }
    }
}
