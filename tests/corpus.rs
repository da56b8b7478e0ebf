//! Every file of the shared hive corpus (real, dirty, corrupt, crafted, and files that are
//! not hives at all) through every command that reads hives: a result or a clear error with
//! an offset, never a panic or a hang.

use crate::util;
use std::time::{Duration, Instant};

#[test]
fn every_corpus_file_reads_or_fails_cleanly() {
    let base = util::shared().join("testdata/hives");
    if !base.is_dir() {
        util::skip(&format!("{} is missing", base.display()));
        return;
    }
    let all = util::files_below(&base);
    assert!(all.len() > 100, "{} files", all.len());
    let profile = crate::oracle::builtin("best-practices");
    let (mut read, mut refused) = (0, 0);
    for f in &all {
        let started = Instant::now();
        // The hive reader: an error must name an offset or say what is wrong.
        match tlsreg::hive::HiveFile::open(f) {
            // The large real hives are walked whole by the export test already.
            Ok(_) if std::fs::metadata(f).map_or(0, |m| m.len()) > 4 << 20 => read += 1,
            Ok(h) => {
                read += 1;
                let mut n = 0usize;
                let _ = h.walk(r"HKEY_LOCAL_MACHINE\SOFTWARE", "", &mut |_| n += 1);
                let mut sink = std::io::sink();
                let _ = tlsreg::export::export(
                    &h,
                    &tlsreg::export::ExportOptions {
                        root: r"HKEY_LOCAL_MACHINE\SOFTWARE".into(),
                        ..Default::default()
                    },
                    &mut sink,
                );
                let _ = tlsreg::diff::hive_values(&h, r"HKEY_LOCAL_MACHINE\SYSTEM", None);
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
                let _ =
                    tlsreg::audit::audit(&profile, &inputs, tlsreg::audit::Options { effective });
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
