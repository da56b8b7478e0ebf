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

/// One hive's export cut into key blocks (`[key]`, its values, the blank line after them),
/// with what hivex's dump of the hive says it must hold.
struct Exported {
    hive: PathBuf,
    /// The export as UTF-16 units, without its BOM.
    units: Vec<u16>,
    /// Where the header ends and each block ends, in `units`.
    header: usize,
    ends: Vec<usize>,
    /// Each block's key path as written (`[path]`), when the block may be read by hivex
    /// in another hive's import: its path is unique in this hive (case-insensitively) and
    /// plain; else `None` and the block is always imported with this hive.
    paths: Vec<Option<String>>,
    /// The dump of the hive, less what the export reports it could not carry.
    want: Vec<String>,
}

impl Exported {
    fn block(&self, i: usize) -> &[u16] {
        let from = if i == 0 {
            self.header
        } else {
            self.ends[i - 1]
        };
        &self.units[from..self.ends[i]]
    }
}

/// Dumps the hive with hivex and exports it with tlsreg: `Ok(Err(note))` when the check
/// ends here (hivex refuses the hive), `Err` for a failure.
fn prepare(hive: &Path) -> Result<Result<Exported, &'static str>, String> {
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
        Some(5) => {
            return Ok(Err(
                "hivex refuses this hive (corrupt); tlsreg's export did not panic",
            ))
        }
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
    if bytes.len() < 2 || bytes.len() % 2 != 0 || bytes[..2] != [0xFF, 0xFE] {
        return Err("the export is not UTF-16LE with a BOM".into());
    }
    let units: Vec<u16> = bytes[2..]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    // A block starts at a `[` that follows a blank line; the header is what comes before
    // the first. Where the cut is made does not matter for what is proven: every block
    // is read by hivex, in order, in some import (see `every_hive_exports_...`).
    let starts_block =
        |i: usize| i >= 4 && units[i] == u16::from(b'[') && units[i - 4..i] == *CRLF2;
    let mut cuts: Vec<usize> = (0..units.len()).filter(|&i| starts_block(i)).collect();
    let header = if cuts.is_empty() {
        units.len()
    } else {
        cuts.remove(0)
    };
    let mut ends = cuts;
    if header < units.len() {
        ends.push(units.len());
    }
    let mut e = Exported {
        hive: hive.to_path_buf(),
        units,
        header,
        ends,
        paths: Vec::new(),
        want,
    };
    let first_lines: Vec<Option<String>> = (0..e.ends.len())
        .map(|i| {
            let b = e.block(i);
            let n = b.windows(2).position(|w| *w == CRLF2[..2])?;
            let line = String::from_utf16(&b[..n]).ok()?;
            let path = line.strip_prefix('[')?.strip_suffix(']')?;
            (!path.is_empty() && !path.starts_with('-') && !path.contains(['\t', '[', ']']))
                .then(|| path.to_string())
        })
        .collect();
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for p in first_lines.iter().flatten() {
        *seen.entry(p.to_lowercase()).or_default() += 1;
    }
    // The first block (the export's root key) is never shared: with it first in every
    // import, reg2values.sh's header scan (wine_prep.py's "topmost" keys, a search of the
    // headers before each header for an ancestor) finds an ancestor at once; without it,
    // it searches the whole list for each key (68 s for one SYSTEM hive's export).
    e.paths = first_lines
        .into_iter()
        .enumerate()
        .map(|(i, p)| p.filter(|p| i > 0 && seen[&p.to_lowercase()] == 1))
        .collect();
    Ok(Ok(e))
}

const CRLF2: &[u16; 4] = &[13, 10, 13, 10];

/// What hivex's regedit parser (`reg2values.sh`) reads from `units` (a `.reg` file's text).
fn import(units: &[u16], file: &Path) -> Result<Vec<String>, String> {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(units.iter().flat_map(|u| u.to_le_bytes()));
    std::fs::write(file, &bytes).unwrap();
    let imported = Command::new(util::shared().join("oracles/reg2values.sh"))
        .arg(file)
        .output()
        .unwrap();
    if imported.status.code() != Some(0) {
        return Err(format!(
            "reg2values.sh rejected the export: {}",
            String::from_utf8_lossy(&imported.stderr)
        ));
    }
    Ok(lines(&String::from_utf8_lossy(&imported.stdout)))
}

/// A value line longer than this (joined, in UTF-16 units) is given to hivex on one line.
const LONG: usize = 16 * 1024;

/// `units` with every logical line longer than [`LONG`] units joined exactly as hivex's
/// parser joins it before reading it (the backslash and the line end dropped, the next line
/// appended as it is, its two leading spaces included), and how many were joined.
///
/// hivex re-scans the joined line for every continuation line it appends, so a value of
/// n characters costs it about n²/80 character steps: the 880,000-character AppCompatCache
/// of a real SYSTEM hive alone took 36 s. Doing its first step for it on those few lines,
/// in linear time, leaves hivex the same text to read; the continuation form itself is
/// still read by hivex in every shorter wrapped value of the corpus and in `oracle.rs`'s
/// random plans.
fn join_long_values(units: &[u16]) -> (Vec<u16>, usize) {
    const CONT: [u16; 3] = [b'\\' as u16, 13, 10];
    let mut out = Vec::with_capacity(units.len());
    let mut joined = 0;
    let mut rest = units;
    while !rest.is_empty() {
        // One logical line: physical lines up to one that does not end in `\` CR LF.
        let mut ends = Vec::new();
        let mut end = 0;
        loop {
            end = rest[end..]
                .iter()
                .position(|&u| u == 10)
                .map_or(rest.len(), |i| end + i + 1);
            ends.push(end);
            if !rest[..end].ends_with(&CONT) || end == rest.len() {
                break;
            }
        }
        if end > LONG && ends.len() > 1 {
            joined += 1;
            let mut from = 0;
            for (i, &to) in ends.iter().enumerate() {
                let cut = if i + 1 < ends.len() { 3 } else { 0 };
                out.extend_from_slice(&rest[from..to - cut]);
                from = to;
            }
        } else {
            out.extend_from_slice(&rest[..end]);
        }
        rest = &rest[end..];
    }
    (out, joined)
}

#[test]
fn long_values_are_joined_as_hivex_joins_them() {
    let text = |s: &str| s.encode_utf16().collect::<Vec<u16>>();
    let long = "00,".repeat(LONG / 3);
    let wrapped =
        format!("[k]\r\n\"a\"=hex:{long}\\\r\n  {long}\\\r\n  01\r\n\"b\"=hex:02,\\\r\n  03\r\n");
    let (got, n) = join_long_values(&text(&wrapped));
    let want = format!("[k]\r\n\"a\"=hex:{long}  {long}  01\r\n\"b\"=hex:02,\\\r\n  03\r\n");
    assert_eq!((String::from_utf16(&got).unwrap(), n), (want, 1));
    let short = text("[k]\r\n\"b\"=hex:02,\\\r\n  03\r\n\\\r\n");
    assert_eq!(join_long_values(&short), (short.clone(), 0));
}

/// Every primary hive of the corpus is exported, and hivex's regedit parser must read from
/// the export exactly what hivex's dump of the hive holds.
///
/// hivex's parser takes time quadratic in a value's length (each continuation line of a
/// wrapped `hex:` list scans the whole joined line), and the corpus holds the same large
/// values many times (six yarp hives export byte for byte the same; a derived hive is a
/// real one with a few keys merged in). So each distinct key block is read by hivex once:
/// a hive's import holds its header and, in export order, its blocks that no earlier hive
/// had, and a block read in an earlier hive's import gives its key's lines from there.
/// A block's lines depend on nothing but its text (its key is named once in each export,
/// case-insensitively, or the block is never shared), so the hive is compared with
/// exactly what hivex read from the bytes of its export, as when it was read whole.
/// Values longer than [`LONG`] characters reach hivex already joined onto one line, as its
/// parser would join them itself ([`join_long_values`]).
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
    let mut results: Vec<(PathBuf, Result<&str, String>)> = Vec::new();
    let mut hives: Vec<Exported> = Vec::new();
    for (h, r) in all.iter().zip(util::in_parallel(2, &all, |h| prepare(h))) {
        match r {
            Ok(Ok(e)) => hives.push(e),
            Ok(Err(note)) => results.push((h.clone(), Ok(note))),
            Err(e) => results.push((h.clone(), Err(e))),
        }
    }
    // Each shareable block's first hive (in corpus order) reads it.
    let mut owner = std::collections::HashMap::<&[u16], usize>::new();
    for (h, e) in hives.iter().enumerate() {
        for b in 0..e.ends.len() {
            if e.paths[b].is_some() {
                owner.entry(e.block(b)).or_insert(h);
            }
        }
    }
    // Which hive reads each block (itself, or the first with the same block).
    let owners: Vec<Vec<usize>> = hives
        .iter()
        .enumerate()
        .map(|(h, e)| {
            (0..e.ends.len())
                .map(|b| match e.paths[b] {
                    Some(_) => owner[e.block(b)],
                    None => h,
                })
                .collect()
        })
        .collect();
    drop(owner);
    // Each hive's import: its header and its own blocks, in export order.
    let joined = std::sync::atomic::AtomicUsize::new(0);
    let files: Vec<(usize, Vec<u16>, u128)> = {
        let mut v: Vec<(usize, Vec<u16>, u128)> = (0..hives.len())
            .filter_map(|h| {
                let e = &hives[h];
                let own: Vec<usize> = (0..e.ends.len()).filter(|&b| owners[h][b] == h).collect();
                if own.is_empty() && !e.ends.is_empty() {
                    return None;
                }
                let mut units = e.units[..e.header].to_vec();
                for &b in &own {
                    units.extend_from_slice(e.block(b));
                }
                let (units, n) = join_long_values(&units);
                joined.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                // hivex's time: the square of each logical line's length, summed.
                let cost = units
                    .split(|&u| u == 10)
                    .fold((0u128, 0u128), |(sum, run), l| {
                        let run = run + l.len() as u128;
                        if l.ends_with(&[u16::from(b'\\'), 13]) {
                            (sum, run)
                        } else {
                            (sum + run * run, 0)
                        }
                    })
                    .0;
                Some((h, units, cost))
            })
            .collect();
        v.sort_by_key(|f| std::cmp::Reverse(f.2));
        v
    };
    let imported = util::in_parallel(2, &files, |(h, units, _)| {
        let name = hives[*h]
            .hive
            .display()
            .to_string()
            .replace(['/', '\\', ' '], "_");
        import(units, &dir.path().join(format!("{name}.reg")))
    });
    let mut read: Vec<Option<Result<Vec<String>, String>>> =
        (0..hives.len()).map(|_| None).collect();
    for ((h, _, _), r) in files.iter().zip(imported) {
        read[*h] = Some(r);
    }
    let shared_blocks = owners
        .iter()
        .enumerate()
        .map(|(h, o)| o.iter().filter(|&&o| o != h).count())
        .sum::<usize>();
    // Each import's lines by key path (the text before the first tab).
    let by_key: Vec<Option<std::collections::HashMap<&str, Vec<&str>>>> = read
        .iter()
        .map(|r| match r {
            Some(Ok(lines)) => {
                let mut m = std::collections::HashMap::<&str, Vec<&str>>::new();
                for l in lines {
                    m.entry(l.split('\t').next().unwrap_or_default())
                        .or_default()
                        .push(l);
                }
                Some(m)
            }
            Some(Err(_)) => None,
            None => Some(Default::default()),
        })
        .collect();
    for (h, e) in hives.iter().enumerate() {
        let r = (|| -> Result<&str, String> {
            let mut got = match &read[h] {
                Some(Err(e)) => return Err(e.clone()),
                Some(Ok(l)) => l.clone(),
                None => Vec::new(),
            };
            for (&o, path) in owners[h].iter().zip(&e.paths) {
                if o == h {
                    continue;
                }
                let path = path.as_deref().expect("only named blocks are shared");
                match &by_key[o] {
                    Some(k) => got.extend(k.get(path).into_iter().flatten().map(|l| l.to_string())),
                    None => {
                        return Err(format!(
                            "{} (which read a block of this hive) failed",
                            hives[o].hive.display()
                        ))
                    }
                }
            }
            got.sort();
            let want = &e.want;
            if got != *want {
                let missing: Vec<_> = want.iter().filter(|l| !got.contains(l)).take(3).collect();
                let extra: Vec<_> = got.iter().filter(|l| !want.contains(l)).take(3).collect();
                return Err(format!(
                    "{} lines from hivex, {} from the export; missing {missing:?}, extra {extra:?}",
                    want.len(),
                    got.len()
                ));
            }
            Ok("equal")
        })();
        results.push((e.hive.clone(), r));
    }
    eprintln!(
        "export: {} hives, {} hivex imports, {shared_blocks} blocks read in another hive's import, \
         {} values over {LONG} characters given to hivex on one line",
        results.len(),
        files.len(),
        joined.into_inner()
    );
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
