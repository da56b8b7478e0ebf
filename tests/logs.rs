//! Transaction-log recovery against the real dirty hives of ../shared/testdata.

use crate::util;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use tlsreg::hive::logs::{self, LogError, LogFile, Recovery};
use tlsreg::hive::{HiveFile, WalkEvent};

/// The hive corpus, or `None` after a skip.
fn corpus() -> Option<PathBuf> {
    let d = util::shared().join("testdata/hives");
    if d.is_dir() {
        Some(d)
    } else {
        util::skip(&format!("{} is missing", d.display()));
        None
    }
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A log labelled with its file name.
fn log(p: &Path) -> LogFile {
    LogFile {
        label: p.file_name().unwrap().to_string_lossy().into_owned(),
        bytes: read(p),
    }
}

/// What a hive holds: its key paths, its values as (key, name, type, data), and the number
/// of damaged values and subkeys the walk met.
#[derive(Debug, PartialEq, Eq)]
struct Content {
    keys: BTreeSet<String>,
    values: BTreeSet<(String, String, u32, Vec<u8>)>,
    damaged: usize,
}

fn content(label: &str, bytes: Vec<u8>) -> Content {
    let mut h = HiveFile::from_bytes(Path::new(label), bytes)
        .unwrap_or_else(|e| panic!("{label} does not read: {e}"));
    let mut c = Content {
        keys: BTreeSet::new(),
        values: BTreeSet::new(),
        damaged: 0,
    };
    let mut key = String::new();
    let found = h
        .walk("ROOT", "", &mut |ev| match ev {
            WalkEvent::Key(k) => {
                key = k.to_string();
                c.keys.insert(key.clone());
            }
            WalkEvent::Value {
                name,
                type_code,
                data,
            }
            | WalkEvent::Shadowed {
                name,
                type_code,
                data,
                ..
            } => {
                c.values
                    .insert((key.clone(), name.to_string(), type_code, data.to_vec()));
            }
            WalkEvent::Damaged { .. } => c.damaged += 1,
        })
        .unwrap_or_else(|e| panic!("{label} does not walk: {e}"));
    assert!(found, "{label}: no root key");
    c
}

/// Describes how two contents differ (empty when they are equal).
fn differences(a_name: &str, a: &Content, b_name: &str, b: &Content) -> String {
    let mut out = String::new();
    for k in a.keys.difference(&b.keys).take(20) {
        out += &format!("key only in {a_name}: {k}\n");
    }
    for k in b.keys.difference(&a.keys).take(20) {
        out += &format!("key only in {b_name}: {k}\n");
    }
    for v in a.values.difference(&b.values).take(20) {
        out += &format!("value only in {a_name}: {}\\{} type {}\n", v.0, v.1, v.2);
    }
    for v in b.values.difference(&a.values).take(20) {
        out += &format!("value only in {b_name}: {}\\{} type {}\n", v.0, v.1, v.2);
    }
    out
}

fn seqs(b: &[u8]) -> (u32, u32) {
    let u = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
    (u(4), u(8))
}

fn header(label: &str, bytes: &[u8]) -> tlsreg::hive::Header {
    HiveFile::from_bytes(Path::new(label), bytes.to_vec())
        .unwrap_or_else(|e| panic!("{label}: {e}"))
        .header
}

fn recover_files(dir: &Path, primary: &str, logs: &[&str]) -> Result<Option<Recovery>, LogError> {
    let p = read(&dir.join(primary));
    let logs: Vec<LogFile> = logs.iter().map(|l| log(&dir.join(l))).collect();
    logs::recover(&p, &logs)
}

/// A yarp test folder, or `None` after a skip.
fn yarp(dir: &str) -> Option<PathBuf> {
    corpus().map(|c| c.join("yarp/hives_for_tests").join(dir))
}

const NEW_LOGS: [&str; 2] = ["NewDirtyHive.LOG1", "NewDirtyHive.LOG2"];

/// yarp's NewDirtyHive1 with its two new-format logs: the four entries (sequence numbers 2
/// in .LOG1, 3-5 in .LOG2) give exactly the hive bins Windows 10 wrote when it recovered the
/// hive itself (yarp's own test compares the same bytes), and so the same keys and values.
#[test]
fn new_dirty_hive1_recovers_as_windows_10_did() {
    let Some(dir) = yarp("NewDirtyHive1") else {
        return;
    };
    let primary = read(&dir.join("NewDirtyHive"));
    assert!(logs::is_dirty(&primary));
    let windows = read(&dir.join("RecoveredHive_Windows10"));
    assert!(!logs::is_dirty(&windows));

    let r = recover_files(&dir, "NewDirtyHive", &NEW_LOGS)
        .unwrap()
        .expect("the hive is dirty and the logs hold newer data");
    assert_eq!(r.format, "new (HvLE)");
    assert_eq!(r.logs_used, NEW_LOGS);
    assert_eq!(r.entries, 4);
    assert_eq!(seqs(&r.bytes), (5, 5));
    assert!(!logs::is_dirty(&r.bytes));
    let h = header("recovered", &r.bytes);
    assert!(h.checksum_ok && !h.dirty());
    assert_eq!(h.data_size, 20480);
    assert_eq!(r.bytes.len(), windows.len());
    assert!(
        r.bytes[4096..] == windows[4096..],
        "the hive bins differ from Windows'"
    );
    let ours = content("recovered", r.bytes.clone());
    let theirs = content("RecoveredHive_Windows10", windows);
    assert_eq!(
        ours,
        theirs,
        "{}",
        differences("ours", &ours, "Windows", &theirs)
    );
    assert!(ours.keys.contains(r"ROOT\Key3\Key3_3"));
    assert!(!ours.keys.contains(r"ROOT\Key1"));
    // The data really changed: the primary alone has other keys.
    assert_ne!(content("primary", primary.clone()), ours);

    // The logs' order in the call does not matter: the sequence numbers decide.
    let reversed: Vec<LogFile> = NEW_LOGS.iter().rev().map(|l| log(&dir.join(l))).collect();
    let again = logs::recover(&primary, &reversed).unwrap().unwrap();
    assert_eq!(again, r);
}

/// NewDirtyHive2: the primary's secondary sequence number is 3, so .LOG1 (entry 2, already
/// in the primary) is skipped and only .LOG2's entries 3-5 apply (yarp's test_dirty_new2:
/// one log applied, last sequence number 5). The result has Windows' keys and values.
#[test]
fn new_dirty_hive2_skips_the_older_log() {
    let Some(dir) = yarp("NewDirtyHive2") else {
        return;
    };
    let r = recover_files(&dir, "NewDirtyHive", &NEW_LOGS)
        .unwrap()
        .unwrap();
    assert_eq!(r.logs_used, ["NewDirtyHive.LOG2"]);
    assert_eq!(r.entries, 3);
    assert_eq!(seqs(&r.bytes), (5, 5));
    let windows = read(&dir.join("../NewDirtyHive1/RecoveredHive_Windows10"));
    let ours = content("recovered", r.bytes);
    let theirs = content("RecoveredHive_Windows10", windows);
    assert_eq!(
        ours,
        theirs,
        "{}",
        differences("ours", &ours, "Windows", &theirs)
    );
}

/// yarp's OldDirtyHive with an old-format (DIRT) .LOG1 and an empty .LOG2: 64 dirty pages of
/// 512 bytes (eight dirty 4 KiB blocks) give the keys and values Windows 7 had after its own
/// recovery. (Windows 7 wrote the hive again afterwards, sequence 7, so only the content is
/// compared, not the bytes.)
#[test]
fn old_dirty_hive_recovers_as_windows_7_did() {
    let Some(dir) = yarp("OldDirtyHive") else {
        return;
    };
    let r = recover_files(
        &dir,
        "OldDirtyHive",
        &["OldDirtyHive.LOG1", "OldDirtyHive.LOG2"],
    )
    .unwrap()
    .unwrap();
    assert_eq!(r.format, "old (DIRT)");
    assert_eq!(r.logs_used, ["OldDirtyHive.LOG1"]);
    assert_eq!(r.entries, 64);
    assert_eq!(seqs(&r.bytes), (5, 5));
    let h = header("recovered", &r.bytes);
    assert!(h.checksum_ok && !h.dirty());
    let ours = content("recovered", r.bytes);
    let theirs = content(
        "RecoveredHive_Windows7",
        read(&dir.join("RecoveredHive_Windows7")),
    );
    assert_eq!(
        ours,
        theirs,
        "{}",
        differences("ours", &ours, "Windows", &theirs)
    );
    assert!(ours
        .keys
        .contains(r"ROOT\key_with_many_subkeys\5000\find_me_in_log"));
    assert!(!ours.keys.contains(r"ROOT\key_with_many_subkeys\1"));
    let primary = content("primary", read(&dir.join("OldDirtyHive")));
    assert!(primary.keys.contains(r"ROOT\key_with_many_subkeys\1"));
}

/// BadBaseBlockHive: the primary's base block is damaged (bad checksum, version 1.1), so it
/// is rebuilt from the log's copy (yarp's test_bad_base_block: recovered from .LOG1, format
/// version 1.3 afterwards); the hive bins are OldDirtyHive's, so the result is too.
#[test]
fn bad_base_block_is_rebuilt_from_the_log() {
    let Some(dir) = yarp("BadBaseBlockHive") else {
        return;
    };
    let primary = read(&dir.join("BadBaseBlockHive"));
    assert!(logs::is_dirty(&primary));
    assert!(HiveFile::from_bytes(Path::new("primary"), primary).is_err());
    let r = recover_files(
        &dir,
        "BadBaseBlockHive",
        &["BadBaseBlockHive.LOG1", "BadBaseBlockHive.LOG2"],
    )
    .unwrap()
    .unwrap();
    assert_eq!(r.logs_used, ["BadBaseBlockHive.LOG1"]);
    assert_eq!(r.entries, 64);
    let h = header("recovered", &r.bytes);
    assert_eq!((h.major, h.minor), (1, 3));
    assert!(h.checksum_ok && !h.dirty());
    let ours = content("recovered", r.bytes);
    let windows = read(&dir.join("../OldDirtyHive/RecoveredHive_Windows7"));
    let theirs = content("RecoveredHive_Windows7", windows);
    assert_eq!(
        ours,
        theirs,
        "{}",
        differences("ours", &ours, "Windows", &theirs)
    );
}

/// A damaged primary base block with new-format logs: the base block is rebuilt from the
/// newest log (.LOG2) and that log's entries (3-5) are applied, as yarp does (spec, "Log
/// entries", note 6). No corpus hive has this case, so NewDirtyHive1's checksum is broken.
#[test]
fn bad_base_block_with_new_logs_uses_the_newest_log() {
    let Some(dir) = yarp("NewDirtyHive1") else {
        return;
    };
    let mut primary = read(&dir.join("NewDirtyHive"));
    primary[0x1FC] ^= 0xFF;
    assert!(logs::is_dirty(&primary));
    let logs: Vec<LogFile> = NEW_LOGS.iter().map(|l| log(&dir.join(l))).collect();
    let r = logs::recover(&primary, &logs).unwrap().unwrap();
    assert_eq!(r.logs_used, ["NewDirtyHive.LOG2"]);
    assert_eq!(r.entries, 3);
    assert_eq!(seqs(&r.bytes), (5, 5));
    let h = header("recovered", &r.bytes);
    assert!(h.checksum_ok && !h.dirty());
    let ours = content("recovered", r.bytes);
    let theirs = content(
        "RecoveredHive_Windows10",
        read(&dir.join("RecoveredHive_Windows10")),
    );
    assert_eq!(
        ours,
        theirs,
        "{}",
        differences("ours", &ours, "Windows", &theirs)
    );
}

/// BadLogHive1-3 (yarp's test_bad_log1-3: recovery must fail): a log with a bad checksum, an
/// old log whose dirty vector lost its "DIRT" signature, and two new logs with bad
/// checksums. Each error names the log and the offset of the fault.
#[test]
fn bad_logs_are_refused_with_the_log_and_offset() {
    let Some(base) = yarp("") else {
        return;
    };
    let cases = [
        (
            "BadLogHive1",
            "BadLogHive.LOG1: offset 0x1fc: invalid log base block: checksum",
        ),
        (
            "BadLogHive2",
            "BadLogHive.LOG1: offset 0x200: no dirty vector",
        ),
        (
            "BadLogHive3",
            "BadLogHive.LOG1: offset 0x1fc: invalid log base block: checksum",
        ),
    ];
    for (dir, expected) in cases {
        let e = recover_files(
            &base.join(dir),
            "BadLogHive",
            &["BadLogHive.LOG1", "BadLogHive.LOG2"],
        )
        .expect_err(dir);
        assert!(e.to_string().starts_with(expected), "{dir}: {e}");
    }
    // The second log of BadLogHive3 alone: refused for its own checksum.
    let e = recover_files(
        &base.join("BadLogHive3"),
        "BadLogHive",
        &["BadLogHive.LOG2"],
    )
    .unwrap_err();
    assert!(
        matches!(e, LogError::BaseBlock { ref log, offset: 0x1fc, .. } if log == "BadLogHive.LOG2"),
        "{e}"
    );
}

/// A clean hive needs no recovery, and a dirty one without logs (or with only logs that
/// hold nothing newer) gives `None`.
#[test]
fn clean_hives_and_missing_logs_give_none() {
    let Some(dir) = yarp("NewDirtyHive1") else {
        return;
    };
    let windows = read(&dir.join("RecoveredHive_Windows10"));
    let logs: Vec<LogFile> = NEW_LOGS.iter().map(|l| log(&dir.join(l))).collect();
    assert_eq!(logs::recover(&windows, &logs).unwrap(), None);
    let primary = read(&dir.join("NewDirtyHive"));
    assert_eq!(logs::recover(&primary, &[]).unwrap(), None);
    let empty = LogFile {
        label: "empty.LOG".into(),
        bytes: Vec::new(),
    };
    assert_eq!(logs::recover(&primary, &[empty]).unwrap(), None);
    // NewDirtyHive2's primary (secondary sequence 3) with only .LOG1 (entry 2): nothing newer.
    let dir2 = dir.join("../NewDirtyHive2");
    assert_eq!(
        recover_files(&dir2, "NewDirtyHive", &["NewDirtyHive.LOG1"]).unwrap(),
        None
    );
}

/// Values under a key of a content, as (name, type, data).
fn values_under(c: &Content, key: &str) -> BTreeSet<(String, String, u32, Vec<u8>)> {
    let prefix = format!("{key}\\");
    c.values
        .iter()
        .filter(|v| v.0 == key || v.0.starts_with(&prefix))
        .cloned()
        .collect()
}

/// regipy's SYSTEM_B (Windows 10 1709) with .LOG1 (entries 2107-2110) and .LOG2 (2111-2130):
/// the primary's secondary sequence number is 1621, far below the logs' (Windows reconciled
/// part of the data without updating the base block), so every entry is newer. 24 entries
/// apply and the hive bins grow from 12,398,592 to 12,591,104 bytes. The SCHANNEL values are
/// regipy's; the whole hive differs from regipy's recovery where regipy is wrong (it applies
/// .LOG1 after .LOG2, so older pages overwrite newer ones, and keeps the old hive-bins size):
/// 35,595 keys here (yarp's count too) against regipy's 35,579: 16 keys and 38 values
/// regipy lacks, 10 values where regipy has older data.
#[test]
fn system_b_recovers_and_keeps_its_schannel_values() {
    let Some(base) = corpus() else {
        return;
    };
    let dir = base.join("regipy/regipy_tests/data");
    let r = recover_files(&dir, "SYSTEM_B", &["SYSTEM_B.LOG1", "SYSTEM_B.LOG2"])
        .unwrap()
        .unwrap();
    assert_eq!(r.logs_used, ["SYSTEM_B.LOG1", "SYSTEM_B.LOG2"]);
    assert_eq!(r.entries, 24);
    assert_eq!(seqs(&r.bytes), (2130, 2130));
    let h = header("recovered", &r.bytes);
    assert!(h.checksum_ok && !h.dirty());
    assert_eq!(h.data_size, 12_591_104);

    let ours = content("recovered", r.bytes);
    let regipy = content(
        "SYSTEM_B.regipy-recovered",
        read(&base.join("derived/SYSTEM_B.regipy-recovered")),
    );
    let primary = content("SYSTEM_B", read(&dir.join("SYSTEM_B")));
    assert_eq!(ours.damaged, 0);
    assert_eq!(ours.keys.len(), 35_595);
    assert_eq!(primary.keys.len(), 33_123);
    assert_eq!(regipy.keys.len(), 35_579);

    let schannel = r"ROOT\ControlSet001\Control\SecurityProviders\SCHANNEL";
    let ours_schannel = values_under(&ours, schannel);
    assert_eq!(ours_schannel, values_under(&regipy, schannel));
    let names: Vec<(&str, &str, u32, &[u8])> = ours_schannel
        .iter()
        .map(|v| (v.0.as_str(), v.1.as_str(), v.2, v.3.as_slice()))
        .collect();
    assert_eq!(names, [(schannel, "EventLogging", 4, &[1u8, 0, 0, 0][..])]);
    for sub in [
        "Ciphers",
        "CipherSuites",
        "Hashes",
        "KeyExchangeAlgorithms",
        "Protocols",
    ] {
        assert!(ours.keys.contains(&format!("{schannel}\\{sub}")), "{sub}");
    }

    // Every key regipy found is here too, and every value regipy has that differs from ours
    // is an older version of one of ours (same key and name, other data): regipy's output is
    // .LOG2 then .LOG1 applied, so .LOG1's older copies of two pages won.
    let missing: Vec<_> = regipy.keys.difference(&ours.keys).collect();
    assert!(
        missing.is_empty(),
        "keys regipy has and we lack: {missing:?}"
    );
    let named = |c: &Content| -> BTreeSet<(String, String)> {
        c.values
            .iter()
            .map(|v| (v.0.clone(), v.1.clone()))
            .collect()
    };
    let (our_names, regipy_names) = (named(&ours), named(&regipy));
    assert!(regipy_names.is_subset(&our_names));
    let stale: Vec<_> = regipy.values.difference(&ours.values).collect();
    let new_keys = ours.keys.difference(&regipy.keys).count();
    let new_values = our_names.difference(&regipy_names).count();
    assert_eq!((new_keys, new_values, stale.len()), (16, 38, 10));
    eprintln!(
        "SYSTEM_B: ours {} keys / {} values, regipy {} keys / {} values\n{}",
        ours.keys.len(),
        ours.values.len(),
        regipy.keys.len(),
        regipy.values.len(),
        differences("ours", &ours, "regipy", &regipy)
    );
}

/// A hive, its logs, the logs used, the entries applied and the final sequence number.
type Case = (
    &'static str,
    [&'static str; 2],
    &'static [&'static str],
    usize,
    u32,
);

/// Other real dirty hives of the corpus with new-format logs recover into readable hives.
#[test]
fn other_dirty_hives_recover() {
    let Some(base) = corpus() else {
        return;
    };
    let dir = base.join("regipy/regipy_tests/data");
    let cases: [Case; 2] = [
        (
            "UsrClass.dat",
            ["UsrClass.dat.LOG1", "UsrClass.dat.LOG2"],
            &["UsrClass.dat.LOG1", "UsrClass.dat.LOG2"],
            14,
            300,
        ),
        (
            "transactions_NTUSER.DAT",
            [
                "transactions_ntuser.dat.log1",
                "transactions_ntuser.dat.log2",
            ],
            &["transactions_ntuser.dat.log1"],
            23,
            588,
        ),
    ];
    for (hive, logs, used, entries, seq) in cases {
        let r = recover_files(&dir, hive, &logs).unwrap().unwrap();
        assert_eq!(r.logs_used, used, "{hive}");
        assert_eq!((r.entries, seqs(&r.bytes)), (entries, (seq, seq)), "{hive}");
        let after = content(hive, r.bytes);
        let before = content(hive, read(&dir.join(hive)));
        assert_eq!(after.damaged, 0, "{hive}");
        assert!(after.keys.len() > before.keys.len(), "{hive}");
    }
}

/// Cuts and bit flips of real logs never make recovery panic; a flipped byte inside a
/// new-format entry is caught by its hashes, and recovery stops before that entry.
#[test]
fn damaged_logs_never_panic() {
    let Some(new_dir) = yarp("NewDirtyHive1") else {
        return;
    };
    let primary = read(&new_dir.join("NewDirtyHive"));
    let log1 = read(&new_dir.join("NewDirtyHive.LOG1"));
    let log2 = read(&new_dir.join("NewDirtyHive.LOG2"));
    let with = |b: Vec<u8>| {
        let logs = [
            LogFile {
                label: "LOG1".into(),
                bytes: log1.clone(),
            },
            LogFile {
                label: "LOG2".into(),
                bytes: b,
            },
        ];
        logs::recover(&primary, &logs)
    };
    let mut runs = 0;
    // Cuts: every 509 bytes, and around the entry boundaries.
    let mut cuts: Vec<usize> = (0..log2.len()).step_by(509).collect();
    for edge in [512usize, 552, 8192, 8232, 32768, 40960] {
        cuts.extend(edge.saturating_sub(2)..edge + 2);
    }
    for cut in cuts {
        let r = with(log2[..cut.min(log2.len())].to_vec());
        if let Ok(Some(r)) = &r {
            assert!(r.entries <= 4);
            assert!(!logs::is_dirty(&r.bytes));
        }
        runs += 1;
    }
    // Flips: one bit in every 37th byte of the three entries and the base block.
    for at in (0..40960).step_by(37) {
        let mut b = log2.clone();
        b[at] ^= 1 << (at % 8);
        let r = with(b);
        if at < 512 {
            // The base block's checksum no longer matches: .LOG2 is refused, .LOG1 applies.
            let r = r.unwrap().unwrap();
            assert_eq!((r.entries, r.logs_used.len()), (1, 1), "flip at {at}");
        } else if (512..8192).contains(&at) {
            // The first entry of .LOG2 (sequence 3) is bad: only .LOG1's entry applies.
            let r = r.unwrap().unwrap();
            assert_eq!((r.entries, r.logs_used.len()), (1, 1), "flip at {at}");
        } else if (8192..40960).contains(&at) {
            let r = r.unwrap().unwrap();
            let expected = if at < 32768 { 2 } else { 3 };
            assert_eq!(r.entries, expected, "flip at {at}");
        }
        runs += 1;
    }
    // Flips in the header fields of the first entry, where sizes and counts live.
    for at in 512..552 {
        for bit in 0..8 {
            let mut b = log2.clone();
            b[at] ^= 1 << bit;
            let _ = with(b);
            runs += 1;
        }
    }
    // A bad first entry in .LOG1 (sequence 2, the first one needed): replay stops there,
    // .LOG2's later entries are not applied over the gap, and the error names the entry.
    let mut bad1 = log1.clone();
    bad1[600] ^= 0x10;
    let logs = [
        LogFile {
            label: "LOG1".into(),
            bytes: bad1,
        },
        LogFile {
            label: "LOG2".into(),
            bytes: log2.clone(),
        },
    ];
    let e = logs::recover(&primary, &logs).unwrap_err();
    assert!(
        matches!(e, LogError::Entry { ref log, offset: 0x218, .. } if log == "LOG1"),
        "{e}"
    );
    // An old-format log: cuts and flips too.
    let Some(old_dir) = yarp("OldDirtyHive") else {
        return;
    };
    let old_primary = read(&old_dir.join("OldDirtyHive"));
    let old = read(&old_dir.join("OldDirtyHive.LOG1"));
    let old_with = |b: Vec<u8>| {
        logs::recover(
            &old_primary,
            &[LogFile {
                label: "LOG1".into(),
                bytes: b,
            }],
        )
    };
    for cut in (0..old.len()).step_by(251) {
        let _ = old_with(old[..cut].to_vec());
        runs += 1;
    }
    for at in (0..2048).chain((2048..old.len()).step_by(97)) {
        let mut b = old.clone();
        b[at] ^= 1 << (at % 8);
        let _ = old_with(b);
        runs += 1;
    }
    assert!(runs > 3000, "{runs}");
}

/// A hive-bins size far beyond what the files hold is refused, not allocated.
#[test]
fn huge_hive_bins_sizes_are_not_allocated() {
    let Some(dir) = yarp("OldDirtyHive") else {
        return;
    };
    let primary = read(&dir.join("OldDirtyHive"));
    let mut log_bytes = read(&dir.join("OldDirtyHive.LOG1"));
    log_bytes[40..44].copy_from_slice(&0xFFFF_F000u32.to_le_bytes());
    let sum = (0..127).fold(0u32, |x, i| {
        x ^ u32::from_le_bytes(log_bytes[i * 4..i * 4 + 4].try_into().unwrap())
    });
    log_bytes[508..512].copy_from_slice(&sum.to_le_bytes());
    let e = logs::recover(
        &primary,
        &[LogFile {
            label: "big.LOG1".into(),
            bytes: log_bytes,
        }],
    )
    .unwrap_err();
    assert!(e.to_string().contains("big.LOG1: offset 0x28"), "{e}");
}

/// `find_logs` finds NAME.LOG, NAME.LOG1 and NAME.LOG2 in any case, leaves out empty files
/// and other names, and orders them .LOG, .LOG1, .LOG2.
#[test]
fn find_logs_matches_names_in_any_case() {
    let d = util::tempdir();
    let hive = d.path().join("SYSTEM");
    std::fs::write(&hive, b"regf").unwrap();
    std::fs::write(d.path().join("system.log2"), b"x").unwrap();
    std::fs::write(d.path().join("System.LOG1"), b"x").unwrap();
    std::fs::write(d.path().join("SYSTEM.LOG"), b"").unwrap();
    std::fs::write(d.path().join("SYSTEM.LOG3"), b"x").unwrap();
    std::fs::write(d.path().join("SYSTEM.sav"), b"x").unwrap();
    std::fs::write(d.path().join("SOFTWARE.LOG1"), b"x").unwrap();
    std::fs::create_dir(d.path().join("SYSTEM.LOG")).ok();
    let found: Vec<String> = logs::find_logs(&hive)
        .unwrap()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(found, ["System.LOG1", "system.log2"]);
    std::fs::write(d.path().join("system.LOG"), b"y").unwrap();
    assert_eq!(logs::find_logs(&hive).unwrap().len(), 3);
    assert!(logs::find_logs(&d.path().join("missing/SYSTEM")).is_err());
}

/// A hive whose sequence numbers are equal but whose base-block checksum is wrong is dirty
/// (the one definition, as yarp has it): its header says so, its recovery state says so, and
/// so does the audit report; before, the header said clean while the recovery state said
/// `dirty-no-logs`, and the audit JSON carried `"dirty": false` beside it.
#[test]
fn a_bad_checksum_is_dirty_everywhere() {
    let clean = read(&util::root().join("tests/fixtures/audit/empty-system.hive"));
    let h = header("empty-system.hive", &clean);
    assert!(h.checksum_ok && h.primary_sequence == h.secondary_sequence && !h.dirty());
    let mut bad = clean;
    bad[0x1FC] ^= 1;
    assert!(logs::is_dirty(&bad));
    let d = util::tempdir();
    let path = d.path().join("SYSTEM");
    std::fs::write(&path, &bad).unwrap();

    let whole = HiveFile::open(&path).unwrap();
    let lazy = HiveFile::open_lazy(&path, true).unwrap();
    for h in [&whole, &lazy] {
        assert!(!h.header.checksum_ok);
        assert!(
            h.header.dirty(),
            "the header of a badly check-summed hive is dirty"
        );
        assert_eq!(h.recovery, tlsreg::hive::Recovery::DirtyNoLogs);
    }

    let inputs = tlsreg::audit::Inputs {
        system: Some(path.clone()),
        software: None,
        os_build: Some(20348),
        no_recover: false,
    };
    let report = tlsreg::audit::audit(
        &crate::oracle::builtin("enable-tls12"),
        &inputs,
        Default::default(),
    )
    .unwrap();
    let system = report.system.as_ref().unwrap();
    assert_eq!(system.recovery, tlsreg::hive::Recovery::DirtyNoLogs);
    assert!(system.dirty, "the report calls a dirty-no-logs hive dirty");
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["system"]["dirty"], serde_json::Value::Bool(true));
    assert_eq!(json["system"]["recovery"]["state"], "dirty-no-logs");
    // The stale-hive finding says why it is dirty: not sequence numbers that are equal.
    let stale: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.setting == "hive" && f.reason.starts_with("the hive was dirty"))
        .collect();
    assert_eq!(stale.len(), 1, "{:#?}", report.findings);
    assert_eq!(
        stale[0].actual.as_deref(),
        Some("the base block checksum is wrong")
    );
}
