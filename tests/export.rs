//! `tlsreg export` against the oracles: every primary hive of `../shared/testdata` that
//! hivex reads is exported, imported back by hivex's regedit parser (`reg2values.sh`), and
//! must give exactly what `hive2values.sh` dumps from the hive (values and types, big data,
//! non-ASCII names), less only what a `.reg` file cannot carry (names with NUL, CR, LF),
//! which the export reports.

use crate::util::{self, lines, run, stderr, tlsreg};
use std::path::{Path, PathBuf};
use std::process::Command;
use tlsreg::export::{export, ExportOptions};
use tlsreg::hive::HiveFile;

const ROOT: &str = r"HKEY_LOCAL_MACHINE\SOFTWARE";

/// Every primary hive (regf, file type 0) below `dir`.
/// Whether a file is a primary hive (regf, file type 0).
fn is_primary_hive(p: &Path) -> bool {
    std::fs::read(p).is_ok_and(|b| b.len() >= 32 && &b[..4] == b"regf" && b[28..32] == [0, 0, 0, 0])
}

/// Checks one hive; `Err` describes a mismatch.
fn check(hive: &Path, dir: &Path) -> Result<&'static str, String> {
    let dump = Command::new(util::shared().join("oracles/hive2values.sh"))
        .arg(hive)
        .arg(ROOT)
        .output()
        .unwrap();
    // hivex does not replay transaction logs, so neither does the export compared with it.
    let ours = HiveFile::open_with(hive, Vec::new(), false)
        .map_err(|e| e.to_string())
        .and_then(|mut h| {
            let mut buf = Vec::new();
            export(
                &mut h,
                &ExportOptions {
                    root: ROOT.into(),
                    ..Default::default()
                },
                &mut buf,
            )
            .map(|ex| (ex, buf))
            .map_err(|e| e.to_string())
        });
    match dump.status.code() {
        Some(5) => return Ok("hivex refuses this hive (corrupt); tlsreg's export did not panic"),
        Some(0) => {}
        code => {
            return Err(format!(
                "hive2values.sh exited {code:?}: {}",
                String::from_utf8_lossy(&dump.stderr)
            ))
        }
    }
    let (ex, bytes) = ours.map_err(|e| format!("hivex reads it, tlsreg's export failed: {e}"))?;
    if ex.damaged > 0 {
        return Err(format!(
            "hivex reads it, tlsreg left out damaged data: {:?}",
            ex.warnings
        ));
    }
    let file = dir.join(format!(
        "{}.reg",
        hive.display().to_string().replace(['/', '\\', ' '], "_")
    ));
    std::fs::write(&file, &bytes).unwrap();
    let imported = Command::new(util::shared().join("oracles/reg2values.sh"))
        .arg(&file)
        .output()
        .unwrap();
    if imported.status.code() != Some(0) {
        return Err(format!(
            "reg2values.sh rejected the export: {}",
            String::from_utf8_lossy(&imported.stderr)
        ));
    }
    let skipped = |l: &String| {
        let mut f = l.split('\t');
        let (key, name) = (f.next().unwrap_or_default(), f.next().unwrap_or_default());
        ex.skipped_keys
            .iter()
            .any(|k| key == k || key.starts_with(&format!("{k}\\")))
            || ex.skipped_values.iter().any(|(k, n)| {
                key == k
                    && name
                        == n.replace('\0', "\\0")
                            .replace('\r', "\\r")
                            .replace('\n', "\\n")
            })
    };
    let want: Vec<String> = lines(&String::from_utf8_lossy(&dump.stdout))
        .into_iter()
        .filter(|l| !skipped(l))
        .collect();
    let got = lines(&String::from_utf8_lossy(&imported.stdout));
    if got != want {
        let missing: Vec<_> = want.iter().filter(|l| !got.contains(l)).take(3).collect();
        let extra: Vec<_> = got.iter().filter(|l| !want.contains(l)).take(3).collect();
        return Err(format!(
            "{} lines from hivex, {} from the export; missing {missing:?}, extra {extra:?}",
            want.len(),
            got.len()
        ));
    }
    Ok("equal")
}

#[test]
fn every_hive_exports_to_what_the_oracles_read() {
    let base = util::shared().join("testdata/hives");
    if util::oracle("hive2values.sh").is_none() || util::oracle("reg2values.sh").is_none() {
        return;
    }
    if !base.is_dir() {
        util::skip(&format!("{} is missing", base.display()));
        return;
    }
    let all: Vec<PathBuf> = util::files_below(&base)
        .into_iter()
        .filter(|p| is_primary_hive(p))
        .collect();
    assert!(all.len() > 50, "the corpus has {} hives", all.len());
    let dir = util::tempdir();
    // Two workers: the large hives take hivex's Perl importer a while.
    let (tx, rx) = std::sync::mpsc::channel();
    let queue = std::sync::Mutex::new(all.into_iter());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let Some(h) = queue.lock().unwrap().next() else {
                    break;
                };
                tx.send((h.clone(), check(&h, dir.path()))).unwrap();
            });
        }
    });
    drop(tx);
    let results: Vec<_> = rx.into_iter().collect();
    let failures: Vec<String> = results
        .iter()
        .filter_map(|(h, r)| r.as_ref().err().map(|e| format!("{}: {e}", h.display())))
        .collect();
    let equal = results
        .iter()
        .filter(|(_, r)| matches!(r, Ok("equal")))
        .count();
    assert!(
        failures.is_empty(),
        "{} of {} hives differ:\n{}",
        failures.len(),
        results.len(),
        failures.join("\n")
    );
    assert!(equal > 50, "only {equal} hives were compared");
}

#[test]
fn subtrees_and_the_current_control_set() {
    let h = util::root().join("tests/fixtures/audit/ccs2-system.hive");
    let d = util::tempdir();
    let out = d.path().join("schannel.reg");
    let o = run(tlsreg()
        .args(["export", "--system"])
        .arg(&h)
        .args([
            "--key",
            r"CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols",
            "--current-control-set",
            "-o",
        ])
        .arg(&out));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let bytes = std::fs::read(&out).unwrap();
    let text = String::from_utf16(
        &bytes[2..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let p =
        r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols";
    assert_eq!(
        text,
        format!("Windows Registry Editor Version 5.00\r\n\r\n[{p}]\r\n\r\n[{p}\\TLS 1.2]\r\n\r\n[{p}\\TLS 1.2\\Client]\r\n\"Enabled\"=dword:00000001\r\n\"DisabledByDefault\"=dword:00000000\r\n\r\n[{p}\\TLS 1.2\\Server]\r\n\"Enabled\"=dword:00000001\r\n\"DisabledByDefault\"=dword:00000000\r\n\r\n")
    );
    // Without the option, keys are named as stored: ControlSet002 is the current one.
    let o = run(tlsreg().args(["export", "--system"]).arg(&h).args(["--key", r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Server"]));
    let text = String::from_utf16(
        &o.stdout[2..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(text.contains(r"[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet002\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Server]"), "{text}");
    // A missing key is an error; the input is never overwritten.
    let o = run(tlsreg()
        .args(["export", "--system"])
        .arg(&h)
        .args(["--key", "NoSuchKey"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("there is no key NoSuchKey in this hive"),
        "{}",
        stderr(&o)
    );
    let copy = d.path().join("SYSTEM");
    std::fs::copy(&h, &copy).unwrap();
    let o = run(tlsreg()
        .args(["export", "--system"])
        .arg(&copy)
        .arg("-o")
        .arg(&copy));
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read(&copy).unwrap(), std::fs::read(&h).unwrap());
}

#[test]
fn dirty_hives_are_recovered_from_their_logs_like_windows_does() {
    let dir = util::shared().join("testdata/hives/yarp/hives_for_tests/NewDirtyHive1");
    if !dir.is_dir() {
        util::skip(&format!("{} is missing", dir.display()));
        return;
    }
    let export_of = |file: &str, extra: &[&str]| {
        let o = run(tlsreg()
            .args(["export", "--software"])
            .arg(dir.join(file))
            .args(extra));
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let err = stderr(&o);
        (o.stdout, err)
    };
    let (windows, _) = export_of("RecoveredHive_Windows10", &[]);
    let (recovered, note) = export_of("NewDirtyHive", &[]);
    assert_eq!(
        recovered, windows,
        "replaying the logs gives what Windows 10 recovered"
    );
    assert!(
        note.starts_with("note: ")
            && note.contains("NewDirtyHive.LOG1")
            && note.contains("(4 log entries in the new (HvLE) log format)"),
        "{note}"
    );
    let (stale, warning) = export_of("NewDirtyHive", &["--no-recover"]);
    assert_ne!(stale, windows);
    assert!(
        warning.starts_with("warning: ") && warning.contains("read as it is (--no-recover)"),
        "{warning}"
    );
}
