//! Hive transaction logs (.LOG1/.LOG2/.LOG): replayed in memory onto a dirty primary hive.
//!
//! Windows writes changes to a hive's transaction logs before it writes them to the primary
//! file. After a crash (or when a hive is copied off a live system) the primary is *dirty*:
//! its base block's primary and secondary sequence numbers differ, or its checksum is wrong,
//! and the newest data sits in the logs. This module replays the logs onto a copy of the
//! primary's bytes, as Maxim Suhanov's "Windows registry file format specification"
//! describes (sections "Base block", "Format of transaction log files", "Dirty state of a
//! hive" and "Multiple transaction log files"):
//!
//! - **new format** (Windows 8.1 and later, log file type 6): after a 512-byte copy of the
//!   base block come `HvLE` log entries, each with a sequence number, the hive-bins data size
//!   at its time, dirty page references and the pages themselves, protected by two Marvin32
//!   hashes. Entries are applied in sequence-number order, from the log with the lower
//!   sequence number to the other, skipping entries older than the primary's secondary
//!   sequence number; replay stops at the first invalid entry (bad signature, size, hive-bins
//!   size, hash, or a sequence number that does not follow the previous one).
//! - **old format** (log file type 1 or 2): after the base-block copy comes a `DIRT` dirty
//!   vector (one bit per 512-byte page of the hive-bins data) and the dirty pages in bit
//!   order. A log applies when its last-written timestamp matches the primary's. Pages are
//!   applied hive bin by hive bin; a dirty bin whose header is not a valid `hbin` at its own
//!   offset stops the replay.
//!
//! Nothing is written to disk and nothing is printed; every size, offset and count read from
//! a log is checked before use, and the recovered hive never grows beyond the primary's size
//! plus the logs' sizes, so no input can make this code panic or allocate without bound.

mod common;
mod new;
mod old;

pub use super::base::is_dirty;
pub use common::{LogError, LogFile, Recovery};
pub use new::{marvin32, MARVIN32_SEED};

use super::base::{BaseBlock, BASE_BLOCK, TYPE_LOG_NEW};
use common::check_log;
use std::path::{Path, PathBuf};

/// Replays the logs onto the primary (never writing anything to disk). Returns `Ok(None)`
/// when the hive is clean or no log holds data newer than the primary.
///
/// Empty logs are ignored (Windows leaves an empty `.LOG` beside `.LOG1`/`.LOG2`). New-format
/// logs are preferred over old-format ones. An error comes back when the hive is dirty and
/// nothing could be applied because of a damaged log: every non-empty log was invalid, or
/// the first entry (or first dirty hive bin) of a log was; the error names the first such
/// log and the offset of the fault.
pub fn recover(primary: &[u8], logs: &[LogFile]) -> Result<Option<Recovery>, LogError> {
    if primary.len() < 4 || &primary[..4] != b"regf" {
        let found: Vec<u8> = primary.iter().take(4).copied().collect();
        return Err(LogError::Primary {
            offset: 0,
            reason: format!("not a registry hive: the file starts with {found:02x?}, not \"regf\""),
        });
    }
    if primary.len() < BASE_BLOCK {
        return Err(LogError::Primary {
            offset: primary.len(),
            reason: format!(
                "the file ends after {} bytes, inside the base block",
                primary.len()
            ),
        });
    }
    let Some(pbase) = BaseBlock::read(primary) else {
        return Err(LogError::Primary {
            offset: 0,
            reason: "the base block cannot be read".into(),
        });
    };
    if !pbase.header.dirty() {
        return Ok(None);
    }
    // The recovered hive may grow, but only by what the logs can fill.
    let limit = logs
        .iter()
        .fold(primary.len(), |n, l| n.saturating_add(l.bytes.len()));
    let mut errors = Vec::new();
    let (mut new, mut old) = (Vec::new(), Vec::new());
    for log in logs.iter().filter(|l| !l.bytes.is_empty()) {
        match check_log(log) {
            Ok(v) if v.base.file_type == TYPE_LOG_NEW => new.push(v),
            Ok(v) => old.push(v),
            Err(e) => errors.push(e),
        }
    }
    let mut result = Ok(None);
    if !new.is_empty() {
        result = new::recover_new(primary, &pbase, &new, limit);
    }
    if matches!(result, Ok(None) | Err(_)) && !old.is_empty() {
        match old::recover_old(primary, &pbase, &old, limit) {
            Ok(Some(r)) => return Ok(Some(r)),
            Ok(None) => {}
            Err(e) => {
                if result.is_ok() {
                    result = Err(e);
                }
            }
        }
    }
    match result {
        Ok(None) => match errors.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(None),
        },
        other => other,
    }
}

/// The log files beside a hive file: `NAME.LOG`, `NAME.LOG1`, `NAME.LOG2` in that order,
/// matched in any case, empty files left out.
pub fn find_logs(hive: &Path) -> std::io::Result<Vec<PathBuf>> {
    let Some(name) = hive.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Ok(Vec::new());
    };
    let dir = match hive.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let wanted: Vec<String> = ["LOG", "LOG1", "LOG2"]
        .iter()
        .map(|ext| format!("{name}.{ext}"))
        .collect();
    let mut found: Vec<(usize, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let entry = entry?;
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        let Some(rank) = wanted
            .iter()
            .position(|w| w.eq_ignore_ascii_case(&file_name))
        else {
            continue;
        };
        let meta = match std::fs::metadata(entry.path()) {
            Ok(m) => m,
            Err(_) => continue,
        };
        if meta.is_file() && meta.len() > 0 {
            found.push((rank, entry.path()));
        }
    }
    found.sort();
    Ok(found.into_iter().map(|(_, p)| p).collect())
}

#[cfg(test)]
mod tests {
    use super::common::seq_before;
    use super::*;

    /// The 32-bit Marvin hash (.NET's `Marvin.ComputeHash32`): the XOR of the two halves.
    fn marvin32_32(data: &[u8], seed: u64) -> u32 {
        let h = marvin32(data, seed);
        (h as u32) ^ ((h >> 32) as u32)
    }

    #[test]
    fn marvin32_known_answers() {
        // Published test vectors of the Marvin32 reference (SymCrypt / .NET).
        assert_eq!(marvin32_32(b"", MARVIN32_SEED), 0xb008_92ac);
        assert_eq!(marvin32_32(b"h", MARVIN32_SEED), 0xf41a_608e);
        assert_eq!(marvin32_32(b"he", MARVIN32_SEED), 0x1110_7c6b);
        assert_eq!(marvin32_32(b"hel", MARVIN32_SEED), 0x2405_6a46);
        assert_eq!(marvin32_32(b"hell", MARVIN32_SEED), 0x7f91_e021);
        let abcdefg: Vec<u8> = "Abcdefg"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(marvin32_32(&abcdefg, 0x5D70_D359_C498_B3F8), 0xba62_7c81);
    }

    #[test]
    fn serial_order_wraps() {
        assert!(seq_before(1, 2));
        assert!(!seq_before(2, 1));
        assert!(seq_before(u32::MAX, 0));
        assert!(!seq_before(5, 5));
    }

    #[test]
    fn not_a_hive() {
        assert!(!is_dirty(b""));
        assert!(!is_dirty(b"regf"));
        assert!(matches!(
            recover(b"nope", &[]),
            Err(LogError::Primary { offset: 0, .. })
        ));
        let mut short = b"regf".to_vec();
        short.resize(600, 0);
        assert!(matches!(
            recover(&short, &[]),
            Err(LogError::Primary { offset: 600, .. })
        ));
    }
}
