//! Every file of the shared hive corpus (real, dirty, corrupt, crafted, and files that are
//! not hives at all) through every command that reads hives: a result or a clear error with
//! an offset, never a panic or a hang.

use crate::util;
use std::time::{Duration, Instant};

/// Every file of the shared hive corpus, or `None` (after a skip) when it is missing.
fn corpus_files() -> Option<Vec<std::path::PathBuf>> {
    let base = util::shared().join("testdata/hives");
    if !base.is_dir() {
        util::skip(&format!("{} is missing", base.display()));
        return None;
    }
    Some(util::files_below(&base))
}

#[test]
fn every_corpus_file_reads_or_fails_cleanly() {
    let Some(all) = corpus_files() else { return };
    assert!(all.len() > 100, "{} files", all.len());
    let profile = crate::oracle::builtin("best-practices");
    let (mut read, mut refused) = (0, 0);
    for f in &all {
        let started = Instant::now();
        // The hive reader: an error must name an offset or say what is wrong.
        match tlsreg::hive::HiveFile::open(f) {
            // The large real hives are walked whole by the export test already.
            Ok(_) if std::fs::metadata(f).map_or(0, |m| m.len()) > 4 << 20 => read += 1,
            Ok(mut h) => {
                read += 1;
                let mut n = 0usize;
                let _ = h.walk(r"HKEY_LOCAL_MACHINE\SOFTWARE", "", &mut |_| n += 1);
                let mut sink = std::io::sink();
                let _ = tlsreg::export::export(
                    &mut h,
                    &tlsreg::export::ExportOptions {
                        root: r"HKEY_LOCAL_MACHINE\SOFTWARE".into(),
                        ..Default::default()
                    },
                    &mut sink,
                );
                let _ = tlsreg::diff::hive_values(&mut h, r"HKEY_LOCAL_MACHINE\SYSTEM", None);
            }
            Err(e) => {
                refused += 1;
                let msg = e.to_string();
                assert!(
                    msg.contains("offset 0x") || msg.contains("cannot read"),
                    "{}: {msg}",
                    f.display()
                );
            }
        }
        for inputs in [
            tlsreg::audit::Inputs {
                system: Some(f.clone()),
                software: None,
                os_build: Some(17763),
                no_recover: false,
            },
            tlsreg::audit::Inputs {
                system: None,
                software: Some(f.clone()),
                os_build: None,
                no_recover: false,
            },
        ] {
            for effective in [false, true] {
                let _ = tlsreg::audit::audit(
                    &profile,
                    &inputs,
                    tlsreg::audit::Options {
                        effective,
                        ..Default::default()
                    },
                );
            }
        }
        // .reg parsing of arbitrary bytes too.
        if let Ok(bytes) = std::fs::read(f) {
            let _ = tlsreg::regfile::parse(&bytes[..bytes.len().min(1 << 20)], Default::default());
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{} took {:?}",
            f.display(),
            started.elapsed()
        );
    }
    assert!(read > 50 && refused > 5, "read {read}, refused {refused}");
}

/// What one extraction gave: the keys and value lines, or the error's text.
pub(crate) fn outcome(r: Result<tlsreg::memreg::MemRegistry, tlsreg::hive::HiveError>) -> String {
    match r {
        Ok(reg) => format!("{:?}\n{}", reg.key_paths(), reg.value_lines().join("\n")),
        Err(e) => format!("error: {e}"),
    }
}

/// The request sets the equivalence test runs, each on its own and all in turn on one
/// lazily opened hive (cells loaded for one request stay loaded for the next).
fn request_sets(small: bool) -> Vec<Vec<tlsreg::hive::Request>> {
    use tlsreg::hive::Request::{Children, Key, Tree};
    let mut sets = vec![
        vec![Key("Select".into())],
        vec![
            Tree(r"ControlSet001\Control\SecurityProviders\SCHANNEL".into()),
            Key(r"ControlSet001\Control\Session Manager".into()),
            Key(r"ControlSet001\Control\Cryptography\Configuration\Local\SSL\00010002".into()),
            Key(r"CONTROLSET001\control\LSA\FipsAlgorithmPolicy".into()),
        ],
        vec![Children(r"ControlSet001\Services".into())],
        vec![
            Key(r"Microsoft\Windows NT\CurrentVersion".into()),
            Tree(r"Microsoft\.NETFramework".into()),
            Tree(r"Microsoft\Windows\CurrentVersion\Internet Settings\WinHttp".into()),
        ],
        vec![Children(
            r"Microsoft\Windows\CurrentVersion\Component Based Servicing\Packages".into(),
        )],
        vec![Key(String::new()), Children(String::new())],
    ];
    if small {
        sets.push(vec![Tree(String::new())]);
    }
    sets
}

/// A hive opened lazily (only the cells a request reaches are read) gives exactly what a
/// whole read gives, for every corpus file: the same keys and values, the same errors with
/// the same offsets, the same recovery state. And on the large real hives the lazy read
/// must stay partial, or the audit's speed silently falls back to reading everything.
#[test]
fn lazy_reads_equal_whole_reads_over_the_corpus() {
    use tlsreg::hive::HiveFile;
    let Some(files) = corpus_files() else { return };
    let (mut compared, mut stayed_partial) = (0, Vec::new());
    for f in files {
        let size = std::fs::metadata(&f).map_or(0, |m| m.len());
        for recover in [true, false] {
            let lazy = HiveFile::open_lazy(&f, recover);
            let whole = HiveFile::open_with(&f, Vec::new(), recover);
            let (mut lazy, mut whole) = match (lazy, whole) {
                (Ok(l), Ok(w)) => (l, w),
                (Err(l), Err(w)) => {
                    assert_eq!(l.to_string(), w.to_string(), "{}", f.display());
                    continue;
                }
                (l, w) => panic!(
                    "{}: lazy {:?} but whole {:?}",
                    f.display(),
                    l.map(|_| ()),
                    w.map(|_| ())
                ),
            };
            assert_eq!(lazy.header, whole.header, "{}", f.display());
            assert_eq!(lazy.recovery, whole.recovery, "{}", f.display());
            let small = size < 2 << 20;
            for set in request_sets(small) {
                let mut fresh = HiveFile::open_lazy(&f, recover).expect("opened once");
                let want = outcome(whole.extract("HKLM", &set));
                assert_eq!(
                    outcome(fresh.extract("HKLM", &set)),
                    want,
                    "{} {set:?}",
                    f.display()
                );
                // The same requests again on the hive that has loaded cells before.
                assert_eq!(
                    outcome(lazy.extract("HKLM", &set)),
                    want,
                    "{} {set:?}",
                    f.display()
                );
                compared += 1;
            }
            if lazy.is_partial() {
                stayed_partial.push(f.file_name().unwrap().to_string_lossy().into_owned());
            }
        }
    }
    assert!(compared > 1000, "{compared} comparisons");
    // The big real hives (the audit benchmark's pair among them) never needed a whole read
    // for the requests an audit makes.
    for big in ["SYSTEM_WIN_10_1709", "wine8-software", "SYSTEM"] {
        assert!(
            stayed_partial.iter().any(|n| n == big),
            "{big} was read whole; partial: {stayed_partial:?}"
        );
    }
}

/// FNV-1a of a file's bytes: enough to see that a run changed nothing.
fn fingerprint(p: &std::path::Path) -> Option<u64> {
    let bytes = std::fs::read(p).ok()?;
    Some(bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    }))
}

/// The commands a user runs on hives (`audit` of a SYSTEM and of a SOFTWARE hive, `export`
/// to a file, `diff` against a profile), as the real binary, over every file of the shared
/// corpus: exit 0, 1 or 2 and never a signal or a panic; exit 2 comes with an error message;
/// a failed export leaves no file; no input changes.
#[test]
fn every_hive_command_over_the_corpus_exits_cleanly() {
    let Some(files) = corpus_files() else { return };
    let before: Vec<Option<u64>> = files.iter().map(|f| fingerprint(f)).collect();
    let out = util::tempdir();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::<String>::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(f) = files.get(i) else { break };
                let reg = out.path().join(format!("out-{i}.reg"));
                let runs = [
                    (
                        "audit --system",
                        "audit -p best-practices --format json --system HIVE",
                    ),
                    (
                        "audit --software",
                        "audit -p best-practices --format json --software HIVE",
                    ),
                    ("export", "export --system HIVE -o OUT"),
                    ("diff", "diff --format json HIVE best-practices"),
                ];
                for (what, line) in runs {
                    let args: Vec<&std::ffi::OsStr> = line
                        .split(' ')
                        .map(|w| match w {
                            "HIVE" => f.as_os_str(),
                            "OUT" => reg.as_os_str(),
                            w => w.as_ref(),
                        })
                        .collect();
                    let started = Instant::now();
                    let o = util::run(util::tlsreg().args(&args));
                    let err = util::stderr(&o);
                    let code = o.status.code();
                    let mut bad = Vec::new();
                    if !matches!(code, Some(0..=2)) {
                        bad.push(format!("exit {:?}", o.status));
                    }
                    if err.contains("panicked") || err.contains("RUST_BACKTRACE") {
                        bad.push("a panic".into());
                    }
                    // `error: ...` or a diagnostic's `error[code]: file:line:col: ...`.
                    if code == Some(2) && !err.lines().any(|l| l.starts_with("error")) {
                        bad.push("exit 2 without an error message".into());
                    }
                    if what == "export" {
                        match code {
                            Some(0) => {
                                let b = std::fs::read(&reg).unwrap_or_default();
                                if !b.starts_with(&[0xFF, 0xFE]) {
                                    bad.push("an export without a BOM".into());
                                }
                            }
                            _ if reg.exists() => bad.push("a failed export left a file".into()),
                            _ => {}
                        }
                        let _ = std::fs::remove_file(&reg);
                    }
                    if started.elapsed() > Duration::from_secs(60) {
                        bad.push(format!("{:?}", started.elapsed()));
                    }
                    if !bad.is_empty() {
                        failures.lock().unwrap().push(format!(
                            "{what} {}: {}\n{err}",
                            f.display(),
                            bad.join(", ")
                        ));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let after: Vec<Option<u64>> = files.iter().map(|f| fingerprint(f)).collect();
    assert_eq!(before, after, "an input changed");
    // Nothing but the removed exports was written next to the outputs.
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}
