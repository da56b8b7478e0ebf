//! What both log formats share: the log file and result types, the errors, the check of a
//! log's base block, and the writing of the recovered hive's base block.

use crate::hive::base::{
    checksum, put_u32, read_u32, BaseBlock, BASE_BLOCK, CHECKSUM_AT, DATA_SIZE_AT, FILE_TYPE_AT,
    FLAGS_AT, MAJOR_AT, PRIMARY_SEQUENCE_AT, SECONDARY_SEQUENCE_AT, SECTOR, TYPE_LOG_NEW,
    TYPE_LOG_OLD, TYPE_LOG_VERY_OLD, TYPE_PRIMARY,
};

/// Dirty-vector bits and old-format dirty pages cover 512-byte pages.
pub(super) const PAGE: usize = 512;
/// Hive bins (and the hive-bins data size) are multiples of 4 KiB.
pub(super) const HBIN_ALIGN: usize = 4096;

/// A transaction log's bytes and the label errors and results name it by (usually its path
/// or file name).
pub struct LogFile {
    /// What errors and [`Recovery::logs_used`] call the log (its path, or its name inside a disk
    /// image).
    pub label: String,
    /// The whole log file.
    pub bytes: Vec<u8>,
}

/// A primary hive with its logs replayed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Recovery {
    /// The recovered hive: base block updated (sequence numbers equal, hive-bins data size
    /// from the log, flags from the last entry, file type 0, checksum fixed).
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// Labels of the logs applied, in order.
    pub logs_used: Vec<String>,
    /// Log entries (new format) or 512-byte dirty pages (old format) applied.
    pub entries: usize,
    /// `"new (HvLE)"` or `"old (DIRT)"`.
    pub format: &'static str,
}

pub(super) const FORMAT_NEW: &str = "new (HvLE)";
pub(super) const FORMAT_OLD: &str = "old (DIRT)";

/// Why a log (or the primary) cannot be used. Offsets are byte offsets in the file named.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The primary hive's base block cannot be read at all.
    #[error("primary hive: offset {offset:#x}: {reason}")]
    Primary {
        /// The byte offset in the primary of the fault (its length when it is too short).
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// A log's base block is not a valid transaction-log base block.
    #[error("{log}: offset {offset:#x}: invalid log base block: {reason}")]
    BaseBlock {
        /// The log's label ([`LogFile::label`]).
        log: String,
        /// The byte offset in the log of the field that fails.
        offset: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A log ends inside a structure it declares.
    #[error("{log}: offset {offset:#x}: the log ends inside {what} (the file has {len} bytes)")]
    Truncated {
        /// The log's label ([`LogFile::label`]).
        log: String,
        /// Where the missing bytes start: the log's length.
        offset: usize,
        /// The structure cut short (`"the base block"`, `"the dirty vector"`).
        what: &'static str,
        /// The log's length in bytes.
        len: usize,
    },
    /// An old-format log has no `DIRT` dirty vector after its base block.
    #[error("{log}: offset {offset:#x}: no dirty vector: expected \"DIRT\", found {found:02x?}")]
    DirtyVector {
        /// The log's label ([`LogFile::label`]).
        log: String,
        /// The byte offset where `DIRT` was expected.
        offset: usize,
        /// The first bytes found there (up to four).
        found: Vec<u8>,
    },
    /// A new-format log's first log entry is invalid, and no other log had data to apply.
    #[error("{log}: offset {offset:#x}: invalid log entry: {reason}; nothing was applied")]
    Entry {
        /// The log's label ([`LogFile::label`]).
        log: String,
        /// The byte offset of the entry in the log.
        offset: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// An old-format log's first dirty hive bin is invalid, so nothing was applied.
    #[error("{log}: offset {offset:#x}: invalid dirty hive bin: {reason}; nothing was applied")]
    HiveBin {
        /// The log's label ([`LogFile::label`]).
        log: String,
        /// The byte offset of the dirty hive bin in the log.
        offset: usize,
        /// What is wrong with it.
        reason: String,
    },
}

/// `a` comes before `b` in sequence-number order (serial-number arithmetic, so the order
/// survives the 32-bit counter wrapping).
pub(super) fn seq_before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// A log whose base block passed the checks.
pub(super) struct ValidLog<'a> {
    pub label: &'a str,
    pub bytes: &'a [u8],
    pub base: BaseBlock,
}

/// Checks a log's base block (spec, "Old format" / "Base block", note 2: a log is valid when
/// its base block is, with the file type of a log, and its sequence numbers are equal).
pub(super) fn check_log(log: &LogFile) -> Result<ValidLog<'_>, LogError> {
    let bad = |offset: usize, reason: String| LogError::BaseBlock {
        log: log.label.clone(),
        offset,
        reason,
    };
    let b = &log.bytes;
    if b.len() < 4 || &b[..4] != b"regf" {
        let found: Vec<u8> = b.iter().take(4).copied().collect();
        return Err(bad(
            0,
            format!("the file starts with {found:02x?}, not \"regf\""),
        ));
    }
    if b.len() < SECTOR {
        return Err(LogError::Truncated {
            log: log.label.clone(),
            offset: b.len(),
            what: "the base block",
            len: b.len(),
        });
    }
    let Some(bb) = BaseBlock::read(b) else {
        return Err(bad(0, "unreadable".into()));
    };
    if !bb.header.checksum_ok {
        let stored = read_u32(b, CHECKSUM_AT).unwrap_or(0);
        let computed = checksum(b).unwrap_or(0);
        return Err(bad(
            CHECKSUM_AT,
            format!("checksum {stored:#010x}, computed {computed:#010x}"),
        ));
    }
    if bb.header.primary_sequence != bb.header.secondary_sequence {
        return Err(bad(
            PRIMARY_SEQUENCE_AT,
            format!(
                "sequence numbers {} and {} differ (the log itself was not completely written)",
                bb.header.primary_sequence, bb.header.secondary_sequence
            ),
        ));
    }
    if bb.header.major != 1 {
        return Err(bad(
            MAJOR_AT,
            format!("major version {} is not 1", bb.header.major),
        ));
    }
    if !matches!(
        bb.file_type,
        TYPE_LOG_OLD | TYPE_LOG_VERY_OLD | TYPE_LOG_NEW
    ) {
        return Err(bad(
            FILE_TYPE_AT,
            format!(
                "file type {} is not a transaction log (1, 2 or 6)",
                bb.file_type
            ),
        ));
    }
    if (bb.header.data_size as usize) < HBIN_ALIGN
        || !(bb.header.data_size as usize).is_multiple_of(HBIN_ALIGN)
    {
        return Err(bad(
            DATA_SIZE_AT,
            format!(
                "hive bins data size {} is not a non-zero multiple of 4096",
                bb.header.data_size
            ),
        ));
    }
    Ok(ValidLog {
        label: &log.label,
        bytes: b,
        base: bb,
    })
}

/// Writes the final base block: `base` (the primary's, or a log's when the primary's is
/// damaged) with synchronized sequence numbers, the new hive-bins size and flags, file type
/// 0 and a fixed checksum.
pub(super) fn finish_base(out: &mut [u8], seq: u32, hbins: u32, flags: Option<u32>) {
    put_u32(out, PRIMARY_SEQUENCE_AT, seq);
    put_u32(out, SECONDARY_SEQUENCE_AT, seq);
    put_u32(out, FILE_TYPE_AT, TYPE_PRIMARY);
    put_u32(out, DATA_SIZE_AT, hbins);
    if let Some(f) = flags {
        put_u32(out, FLAGS_AT, f);
    }
    if let Some(c) = checksum(out) {
        put_u32(out, CHECKSUM_AT, c);
    }
}

/// Grows `out` (zero-filled) to hold `hbins` bytes of hive bins.
pub(super) fn grow(out: &mut Vec<u8>, hbins: u32) {
    let want = BASE_BLOCK + hbins as usize;
    if out.len() < want {
        out.resize(want, 0);
    }
}

/// Replaces a damaged primary base block with a log's 512-byte copy (the rest zeroed).
pub(super) fn base_from_log(out: &mut [u8], log: &[u8]) {
    if let (Some(dst), Some(src)) = (out.get_mut(..BASE_BLOCK), log.get(..SECTOR)) {
        dst.fill(0);
        dst[..SECTOR].copy_from_slice(src);
    }
}
