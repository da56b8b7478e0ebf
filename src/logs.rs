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

use std::path::{Path, PathBuf};

/// A primary file's base block is 4 KiB; hive bins follow.
const BASE_BLOCK: usize = 4096;
/// A log starts with the first sector (512 bytes) of a base block.
const LOG_BASE_BLOCK: usize = 512;
/// Dirty-vector bits and old-format dirty pages cover 512-byte pages.
const PAGE: usize = 512;
/// Hive bins (and the hive-bins data size) are multiples of 4 KiB.
const HBIN_ALIGN: usize = 4096;
/// The fixed part of a new-format log entry.
const ENTRY_HEADER: usize = 40;
/// The checksum covers the first 508 bytes of the base block.
const CHECKSUM_AT: usize = 0x1FC;

/// The Marvin32 seed Windows uses for log-entry hashes (spec, "Log entries", note 3:
/// bytes 82 EF 4D 88 7A 4E 55 C5).
pub const MARVIN32_SEED: u64 = 0x82EF_4D88_7A4E_55C5;

/// File types in a base block.
const TYPE_PRIMARY: u32 = 0;
const TYPE_LOG_OLD: u32 = 1;
const TYPE_LOG_VERY_OLD: u32 = 2;
const TYPE_LOG_NEW: u32 = 6;

/// A transaction log's bytes and the label errors and results name it by (usually its path
/// or file name).
pub struct LogFile {
    pub label: String,
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

const FORMAT_NEW: &str = "new (HvLE)";
const FORMAT_OLD: &str = "old (DIRT)";

/// Why a log (or the primary) cannot be used. Offsets are byte offsets in the file named.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The primary hive's base block cannot be read at all.
    #[error("primary hive: offset {offset:#x}: {reason}")]
    Primary { offset: usize, reason: String },
    /// A log's base block is not a valid transaction-log base block.
    #[error("{log}: offset {offset:#x}: invalid log base block: {reason}")]
    BaseBlock {
        log: String,
        offset: usize,
        reason: String,
    },
    /// A log ends inside a structure it declares.
    #[error("{log}: offset {offset:#x}: the log ends inside {what} (the file has {len} bytes)")]
    Truncated {
        log: String,
        offset: usize,
        what: &'static str,
        len: usize,
    },
    /// An old-format log has no `DIRT` dirty vector after its base block.
    #[error("{log}: offset {offset:#x}: no dirty vector: expected \"DIRT\", found {found:02x?}")]
    DirtyVector {
        log: String,
        offset: usize,
        found: Vec<u8>,
    },
    /// A new-format log's first log entry is invalid, and no other log had data to apply.
    #[error("{log}: offset {offset:#x}: invalid log entry: {reason}; nothing was applied")]
    Entry {
        log: String,
        offset: usize,
        reason: String,
    },
    /// An old-format log's first dirty hive bin is invalid, so nothing was applied.
    #[error("{log}: offset {offset:#x}: invalid dirty hive bin: {reason}; nothing was applied")]
    HiveBin {
        log: String,
        offset: usize,
        reason: String,
    },
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    let s = b.get(off..off.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(u64::from_le_bytes(a))
}

fn put_u32(b: &mut [u8], off: usize, v: u32) {
    if let Some(s) = off.checked_add(4).and_then(|end| b.get_mut(off..end)) {
        s.copy_from_slice(&v.to_le_bytes());
    }
}

/// The base-block checksum: XOR of the first 127 little-endian words, with 0 written as 1
/// and 0xFFFFFFFF as 0xFFFFFFFE (as Windows and hive.rs do). `None` when `b` is too short.
fn checksum(b: &[u8]) -> Option<u32> {
    let words = b.get(..CHECKSUM_AT)?;
    let x = words.chunks_exact(4).fold(0u32, |x, w| {
        x ^ u32::from_le_bytes([w[0], w[1], w[2], w[3]])
    });
    Some(match x {
        0 => 1,
        u32::MAX => u32::MAX - 1,
        x => x,
    })
}

/// The fields of a base block (the first 512 bytes) this module uses.
#[derive(Debug, Clone, Copy)]
struct Base {
    seq1: u32,
    seq2: u32,
    timestamp: u64,
    major: u32,
    file_type: u32,
    hbins: u32,
    checksum_ok: bool,
}

/// Reads a base block; `None` unless `b` has 512 bytes starting with `regf`.
fn base(b: &[u8]) -> Option<Base> {
    if b.get(..4)? != b"regf" || b.len() < LOG_BASE_BLOCK {
        return None;
    }
    Some(Base {
        seq1: u32_at(b, 4)?,
        seq2: u32_at(b, 8)?,
        timestamp: u64_at(b, 12)?,
        major: u32_at(b, 20)?,
        file_type: u32_at(b, 28)?,
        hbins: u32_at(b, 40)?,
        checksum_ok: checksum(b)? == u32_at(b, CHECKSUM_AT)?,
    })
}

/// Whether a primary hive is dirty, from its bytes: its primary and secondary sequence
/// numbers differ, or its base-block checksum is wrong (spec, "Dirty state of a hive").
/// Bytes that are not a regf file are not dirty (there is nothing to recover).
pub fn is_dirty(primary: &[u8]) -> bool {
    base(primary).is_some_and(|b| b.seq1 != b.seq2 || !b.checksum_ok)
}

/// Marvin32 of `data` with `seed`, as the 64-bit value log entries store: the final state's
/// low word in the low 32 bits, its high word in the high 32 bits. (The 32-bit Marvin hash
/// .NET uses is the XOR of the two halves.)
pub fn marvin32(data: &[u8], seed: u64) -> u64 {
    fn mix(lo: &mut u32, hi: &mut u32, v: u32) {
        *lo = lo.wrapping_add(v);
        *hi ^= *lo;
        *lo = lo.rotate_left(20).wrapping_add(*hi);
        *hi = hi.rotate_left(9) ^ *lo;
        *lo = lo.rotate_left(27).wrapping_add(*hi);
        *hi = hi.rotate_left(19);
    }
    let (mut lo, mut hi) = (seed as u32, (seed >> 32) as u32);
    let mut words = data.chunks_exact(4);
    for w in &mut words {
        mix(
            &mut lo,
            &mut hi,
            u32::from_le_bytes([w[0], w[1], w[2], w[3]]),
        );
    }
    let rest = words.remainder();
    let mut last = 0x80u32 << (8 * rest.len());
    for (i, &b) in rest.iter().enumerate() {
        last |= u32::from(b) << (8 * i);
    }
    mix(&mut lo, &mut hi, last);
    mix(&mut lo, &mut hi, 0);
    (u64::from(hi) << 32) | u64::from(lo)
}

/// `a` comes before `b` in sequence-number order (serial-number arithmetic, so the order
/// survives the 32-bit counter wrapping).
fn seq_before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// A log whose base block passed the checks.
struct ValidLog<'a> {
    label: &'a str,
    bytes: &'a [u8],
    base: Base,
}

/// Checks a log's base block (spec, "Old format" / "Base block", note 2: a log is valid when
/// its base block is, with the file type of a log, and its sequence numbers are equal).
fn check_log(log: &LogFile) -> Result<ValidLog<'_>, LogError> {
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
    if b.len() < LOG_BASE_BLOCK {
        return Err(LogError::Truncated {
            log: log.label.clone(),
            offset: b.len(),
            what: "the base block",
            len: b.len(),
        });
    }
    let Some(bb) = base(b) else {
        return Err(bad(0, "unreadable".into()));
    };
    if !bb.checksum_ok {
        let stored = u32_at(b, CHECKSUM_AT).unwrap_or(0);
        let computed = checksum(b).unwrap_or(0);
        return Err(bad(
            CHECKSUM_AT,
            format!("checksum {stored:#010x}, computed {computed:#010x}"),
        ));
    }
    if bb.seq1 != bb.seq2 {
        return Err(bad(
            4,
            format!(
                "sequence numbers {} and {} differ (the log itself was not completely written)",
                bb.seq1, bb.seq2
            ),
        ));
    }
    if bb.major != 1 {
        return Err(bad(20, format!("major version {} is not 1", bb.major)));
    }
    if !matches!(
        bb.file_type,
        TYPE_LOG_OLD | TYPE_LOG_VERY_OLD | TYPE_LOG_NEW
    ) {
        return Err(bad(
            28,
            format!(
                "file type {} is not a transaction log (1, 2 or 6)",
                bb.file_type
            ),
        ));
    }
    if (bb.hbins as usize) < HBIN_ALIGN || bb.hbins as usize % HBIN_ALIGN != 0 {
        return Err(bad(
            40,
            format!(
                "hive bins data size {} is not a non-zero multiple of 4096",
                bb.hbins
            ),
        ));
    }
    Ok(ValidLog {
        label: &log.label,
        bytes: b,
        base: bb,
    })
}

/// One valid new-format log entry.
struct Entry<'a> {
    seq: u32,
    flags: u32,
    hbins: u32,
    /// (offset in the hive-bins data, page bytes)
    pages: Vec<(usize, &'a [u8])>,
}

/// The valid chain of entries of a new-format log, from its first entry, and, when not even
/// the first entry is valid, why (`None` when the log simply holds no entry).
struct Chain<'a> {
    entries: Vec<Entry<'a>>,
    first_error: Option<LogError>,
}

/// Reads the entries of a new-format log while they are valid and their sequence numbers
/// follow the log's base block (spec, "Log entries" and its notes 1-3, 7, 8). `limit` is the
/// largest hive (base block included) the recovery may produce.
fn chain<'a>(log: &ValidLog<'a>, limit: usize) -> Chain<'a> {
    let b = log.bytes;
    let mut entries = Vec::new();
    let mut first_error = None;
    let mut off = LOG_BASE_BLOCK;
    let mut expected = log.base.seq1;
    loop {
        match entry(b, off, expected, limit) {
            Ok(Some((e, size))) => {
                entries.push(e);
                expected = expected.wrapping_add(1);
                match off.checked_add(size) {
                    Some(next) if next < b.len() => off = next,
                    _ => break,
                }
            }
            Ok(None) => break,
            Err((offset, reason)) => {
                if entries.is_empty() {
                    first_error = Some(LogError::Entry {
                        log: log.label.to_string(),
                        offset,
                        reason,
                    });
                }
                break;
            }
        }
    }
    Chain {
        entries,
        first_error,
    }
}

/// An entry and its size, `None` where no entry starts, or where and why an entry is bad.
type EntryRead<'a> = Result<Option<(Entry<'a>, usize)>, (usize, String)>;

/// The log entry at `off`: `Ok(None)` where no entry starts (the end of the log, or old
/// bytes past its last entry), `Err((offset, reason))` for an entry that is invalid.
fn entry(b: &[u8], off: usize, expected: u32, limit: usize) -> EntryRead<'_> {
    let Some(head) = off
        .checked_add(ENTRY_HEADER)
        .and_then(|end| b.get(off..end))
    else {
        return Ok(None);
    };
    if &head[..4] != b"HvLE" {
        return Ok(None);
    }
    let field = |at: usize| u32_at(head, at).unwrap_or(0);
    let (size, flags, seq, hbins, count) = (field(4), field(8), field(12), field(16), field(20));
    let size = size as usize;
    if size < PAGE || size % PAGE != 0 {
        return Err((
            off + 4,
            format!("entry size {size} is not a non-zero multiple of 512"),
        ));
    }
    let Some(body) = off.checked_add(size).and_then(|end| b.get(off..end)) else {
        return Err((
            off + 4,
            format!(
                "entry size {size} runs past the end of the log ({} bytes)",
                b.len()
            ),
        ));
    };
    let hb = hbins as usize;
    if hb < HBIN_ALIGN || hb % HBIN_ALIGN != 0 {
        return Err((
            off + 16,
            format!("hive bins data size {hbins} is not a non-zero multiple of 4096"),
        ));
    }
    if hb.checked_add(BASE_BLOCK).is_none_or(|total| total > limit) {
        return Err((
            off + 16,
            format!(
                "hive bins data size {hbins} is larger than the primary hive and its logs together ({limit} bytes)"
            ),
        ));
    }
    let count = count as usize;
    let refs_end = count
        .checked_mul(8)
        .and_then(|n| n.checked_add(ENTRY_HEADER))
        .filter(|&end| end <= size);
    let Some(refs_end) = refs_end.filter(|_| count > 0) else {
        return Err((
            off + 20,
            format!("{count} dirty pages do not fit an entry of {size} bytes"),
        ));
    };
    let hash1 = u64_at(head, 24).unwrap_or(0);
    let hash2 = u64_at(head, 32).unwrap_or(0);
    let got2 = marvin32(&body[..32], MARVIN32_SEED);
    if got2 != hash2 {
        return Err((
            off + 32,
            format!("hash-2 {hash2:#018x} does not match the header's Marvin32 {got2:#018x}"),
        ));
    }
    let got1 = marvin32(&body[ENTRY_HEADER..], MARVIN32_SEED);
    if got1 != hash1 {
        return Err((
            off + 24,
            format!("hash-1 {hash1:#018x} does not match the entry's Marvin32 {got1:#018x}"),
        ));
    }
    if seq != expected {
        return Err((
            off + 12,
            format!("sequence number {seq}, expected {expected}"),
        ));
    }
    let mut pages = Vec::with_capacity(count);
    let mut data = refs_end;
    for i in 0..count {
        let r = ENTRY_HEADER + 8 * i;
        let page_off = u32_at(body, r).unwrap_or(0) as usize;
        let page_size = u32_at(body, r + 4).unwrap_or(0) as usize;
        let Some(bytes) = data
            .checked_add(page_size)
            .and_then(|end| body.get(data..end))
        else {
            return Err((
                off + r + 4,
                format!("dirty page {i} ({page_size} bytes) runs past the end of its entry"),
            ));
        };
        if page_off.checked_add(page_size).is_none_or(|end| end > hb) {
            return Err((
                off + r,
                format!(
                    "dirty page {i} at hive-bins offset {page_off:#x} ({page_size} bytes) lies past the hive bins data size {hbins}"
                ),
            ));
        }
        pages.push((page_off, bytes));
        data += page_size;
    }
    Ok(Some((
        Entry {
            seq,
            flags,
            hbins,
            pages,
        },
        size,
    )))
}

/// Writes the final base block: `base` (the primary's, or a log's when the primary's is
/// damaged) with synchronized sequence numbers, the new hive-bins size and flags, file type
/// 0 and a fixed checksum.
fn finish_base(out: &mut [u8], seq: u32, hbins: u32, flags: Option<u32>) {
    put_u32(out, 4, seq);
    put_u32(out, 8, seq);
    put_u32(out, 28, TYPE_PRIMARY);
    put_u32(out, 40, hbins);
    if let Some(f) = flags {
        put_u32(out, 144, f);
    }
    if let Some(c) = checksum(out) {
        put_u32(out, CHECKSUM_AT, c);
    }
}

/// Grows `out` (zero-filled) to hold `hbins` bytes of hive bins.
fn grow(out: &mut Vec<u8>, hbins: u32) {
    let want = BASE_BLOCK + hbins as usize;
    if out.len() < want {
        out.resize(want, 0);
    }
}

/// Replaces a damaged primary base block with a log's 512-byte copy (the rest zeroed).
fn base_from_log(out: &mut [u8], log: &[u8]) {
    if let (Some(dst), Some(src)) = (out.get_mut(..BASE_BLOCK), log.get(..LOG_BASE_BLOCK)) {
        dst.fill(0);
        dst[..LOG_BASE_BLOCK].copy_from_slice(src);
    }
}

/// Writes an entry's dirty pages, growing the hive to the entry's hive-bins data size.
fn apply_entry(out: &mut Vec<u8>, e: &Entry<'_>) {
    grow(out, e.hbins);
    for &(page_off, bytes) in &e.pages {
        let at = BASE_BLOCK + page_off;
        if let Some(dst) = out.get_mut(at..at + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
    }
}

/// Replays new-format logs (spec, "Log entries" notes 4-11 and "Multiple transaction log
/// files" / "New format"). `Ok(None)` when no entry is newer than the primary.
fn recover_new(
    primary: &[u8],
    pbase: &Base,
    logs: &[ValidLog<'_>],
    limit: usize,
) -> Result<Option<Recovery>, LogError> {
    let chains: Vec<Chain<'_>> = logs.iter().map(|l| chain(l, limit)).collect();
    // Order the logs by their base block's sequence number: the log with the earlier
    // entries first. Sort keys are relative to the primary's secondary sequence number (or
    // to the first log's, for a damaged primary) so that the order survives wrapping.
    let origin = if pbase.checksum_ok {
        pbase.seq2
    } else {
        logs.first().map_or(0, |l| l.base.seq1)
    };
    let mut order: Vec<usize> = (0..logs.len()).collect();
    order.sort_by_key(|&i| logs[i].base.seq1.wrapping_sub(origin) as i32);

    let mut out = primary.to_vec();
    let mut used: Vec<String> = Vec::new();
    let mut applied = 0usize;
    let mut last: Option<(u32, u32, u32)> = None; // (seq, hbins, flags)

    if pbase.checksum_ok {
        // Only subsequent entries apply: those at or after the secondary sequence number;
        // after the first one applied, each must follow the previous one, across logs. The
        // spec (note 7) also wants the first one to carry the secondary sequence number
        // itself, but Windows' partial reconcile writes the primary's bins without updating
        // its base block, leaving such a gap (regipy's SYSTEM_B: secondary 1621, first entry
        // 2107), so the first subsequent entry is accepted, as yarp does.
        'logs: for &i in &order {
            // A log that should hold subsequent entries but whose first entry is bad: replay
            // stops here (the entries it held cannot be skipped).
            if last.is_none()
                && !seq_before(logs[i].base.seq1, pbase.seq2)
                && chains[i].first_error.is_some()
            {
                break 'logs;
            }
            let mut from_this = 0usize;
            for e in &chains[i].entries {
                match last {
                    None if seq_before(e.seq, pbase.seq2) => continue,
                    Some((seq, _, _)) if e.seq != seq.wrapping_add(1) => break 'logs,
                    _ => {}
                }
                apply_entry(&mut out, e);
                last = Some((e.seq, e.hbins, e.flags));
                applied += 1;
                from_this += 1;
            }
            if from_this > 0 {
                used.push(logs[i].label.to_string());
            }
        }
    } else if let Some(&i) = order.iter().rev().find(|&&i| !chains[i].entries.is_empty()) {
        // A damaged primary base block: it is replaced with the newest log's copy and that
        // log's entries are applied (spec, "Log entries" note 6; yarp does the same, applying
        // only the newer of two logs).
        base_from_log(&mut out, logs[i].bytes);
        for e in &chains[i].entries {
            apply_entry(&mut out, e);
            last = Some((e.seq, e.hbins, e.flags));
            applied += 1;
        }
        used.push(logs[i].label.to_string());
    }

    let Some((seq, hbins, flags)) = last else {
        return match chains.into_iter().find_map(|c| c.first_error) {
            Some(e) => Err(e),
            None => Ok(None),
        };
    };
    finish_base(&mut out, seq, hbins, Some(flags));
    Ok(Some(Recovery {
        bytes: out,
        logs_used: used,
        entries: applied,
        format: FORMAT_NEW,
    }))
}

/// Where the dirty pages of an old-format log are, page by page of the hive bins data.
struct DirtyMap<'a> {
    /// For each 512-byte page of the hive bins: `Some(log offset)` when it is dirty.
    slots: Vec<Option<usize>>,
    bytes: &'a [u8],
}

impl DirtyMap<'_> {
    fn page(&self, index: usize) -> Option<&[u8]> {
        let at = (*self.slots.get(index)?)?;
        self.bytes.get(at..at.checked_add(PAGE)?)
    }
}

/// Reads an old-format log's dirty vector (spec, "Dirty vector" and "Dirty pages").
fn dirty_map<'a>(log: &ValidLog<'a>) -> Result<DirtyMap<'a>, LogError> {
    let b = log.bytes;
    let hbins = log.base.hbins as usize;
    let pages = hbins / PAGE;
    let bitmap_len = pages / 8;
    let sig_at = LOG_BASE_BLOCK;
    let bitmap_at = sig_at + 4;
    let Some(bitmap) = b.get(bitmap_at..bitmap_at + bitmap_len) else {
        return Err(LogError::Truncated {
            log: log.label.to_string(),
            offset: b.len(),
            what: "the dirty vector",
            len: b.len(),
        });
    };
    if &b[sig_at..sig_at + 4] != b"DIRT" {
        return Err(LogError::DirtyVector {
            log: log.label.to_string(),
            offset: sig_at,
            found: b[sig_at..sig_at + 4].to_vec(),
        });
    }
    // Dirty pages start at the sector after the dirty vector.
    let first = (bitmap_at + bitmap_len).div_ceil(PAGE) * PAGE;
    let mut slots = vec![None; pages];
    let mut next = first;
    for (i, slot) in slots.iter_mut().enumerate() {
        if bitmap[i / 8] >> (i % 8) & 1 == 1 {
            *slot = Some(next);
            next = next.saturating_add(PAGE);
        }
    }
    Ok(DirtyMap { slots, bytes: b })
}

/// Replays one old-format log: hive bin by hive bin, each bin with a dirty page checked
/// first (signature, its own offset, a size of at least 4096 that stays inside the hive
/// bins); replay stops at the first bad dirty bin. Returns the pages applied.
fn apply_old(
    primary: &[u8],
    out: &mut Vec<u8>,
    log: &ValidLog<'_>,
    map: &DirtyMap<'_>,
) -> Result<usize, LogError> {
    let hbins = log.base.hbins as usize;
    grow(out, log.base.hbins);
    let mut applied = 0usize;
    let mut bin = 0usize;
    while bin < hbins {
        // The bin's header, as it will be after recovery: from the log when its page is
        // dirty, else from the primary.
        let first_page = bin / PAGE;
        let header: Option<&[u8]> = match map.slots.get(first_page).copied().flatten() {
            Some(_) => map.page(first_page),
            None => primary.get(BASE_BLOCK + bin..BASE_BLOCK + bin + PAGE),
        };
        let parsed = header.and_then(|h| {
            let ok_sig = h.get(..4)? == b"hbin";
            Some((ok_sig, u32_at(h, 4)? as usize, u32_at(h, 8)? as usize))
        });
        let size_ok = |size: usize| {
            size >= HBIN_ALIGN
                && size % HBIN_ALIGN == 0
                && bin.checked_add(size).is_some_and(|end| end <= hbins)
        };
        let (valid, size) = match parsed {
            Some((true, at, size)) if at == bin && size_ok(size) => (true, size),
            _ => (false, HBIN_ALIGN),
        };
        let pages = first_page..(bin + size) / PAGE;
        let is_dirty = |p: usize| map.slots.get(p).copied().flatten().is_some();
        let dirty = pages.clone().any(is_dirty);
        if dirty {
            let problem = if !valid {
                Some(match parsed {
                    None => "its header cannot be read".to_string(),
                    Some((false, _, _)) => "its signature is not \"hbin\"".to_string(),
                    Some((true, at, _)) if at != bin => {
                        format!("its header says offset {at:#x}")
                    }
                    Some((_, _, size)) => format!("its size {size} is invalid"),
                })
            } else {
                pages
                    .clone()
                    .find(|&p| is_dirty(p) && map.page(p).is_none())
                    .map(|p| format!("dirty page {:#x} is missing from the log", p * PAGE))
            };
            if let Some(reason) = problem {
                if applied == 0 {
                    return Err(LogError::HiveBin {
                        log: log.label.to_string(),
                        offset: pages
                            .clone()
                            .find_map(|p| map.slots.get(p).copied().flatten())
                            .unwrap_or(LOG_BASE_BLOCK),
                        reason: format!("hive bin at hive-bins offset {bin:#x}: {reason}"),
                    });
                }
                break;
            }
            for p in pages {
                if let Some(src) = map.page(p) {
                    let at = BASE_BLOCK + p * PAGE;
                    if let Some(dst) = out.get_mut(at..at + PAGE) {
                        dst.copy_from_slice(src);
                        applied += 1;
                    }
                }
            }
        }
        bin += size;
    }
    Ok(applied)
}

/// Replays an old-format log (spec, "Old format" and "Multiple transaction log files" /
/// "Old format"): the first applicable log (same last-written timestamp as the primary)
/// that applies.
fn recover_old(
    primary: &[u8],
    pbase: &Base,
    logs: &[ValidLog<'_>],
    limit: usize,
) -> Result<Option<Recovery>, LogError> {
    // The primary's last-written timestamp; when its base block is damaged, the backup copy
    // in the first hive bin's header. That copy is older than the base block's when the
    // first bin was not rewritten, so there a log applies when it is not older than it
    // (as yarp does).
    let hbin_stamp = u64_at(primary, BASE_BLOCK + 20).unwrap_or(0);
    let applicable = |l: &ValidLog<'_>| {
        if pbase.checksum_ok {
            l.base.timestamp == pbase.timestamp
        } else {
            l.base.timestamp >= hbin_stamp
        }
    };
    let mut candidates: Vec<&ValidLog<'_>> = logs.iter().filter(|l| applicable(l)).collect();
    // The newest first.
    candidates.sort_by(|a, b| {
        let (x, y) = (a.base.seq1, b.base.seq1);
        if x == y {
            std::cmp::Ordering::Equal
        } else if seq_before(x, y) {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Less
        }
    });
    let mut first_error = None;
    for log in candidates {
        if BASE_BLOCK + log.base.hbins as usize > limit {
            first_error.get_or_insert(LogError::BaseBlock {
                log: log.label.to_string(),
                offset: 40,
                reason: format!(
                    "hive bins data size {} is larger than the primary hive and its logs together ({limit} bytes)",
                    log.base.hbins
                ),
            });
            continue;
        }
        let result = dirty_map(log).and_then(|map| {
            let mut out = primary.to_vec();
            let n = apply_old(primary, &mut out, log, &map)?;
            Ok((out, n))
        });
        match result {
            Ok((_, 0)) => {}
            Ok((mut out, n)) => {
                if !pbase.checksum_ok {
                    base_from_log(&mut out, log.bytes);
                }
                let flags = u32_at(log.bytes, 144);
                finish_base(&mut out, log.base.seq1, log.base.hbins, flags);
                return Ok(Some(Recovery {
                    bytes: out,
                    logs_used: vec![log.label.to_string()],
                    entries: n,
                    format: FORMAT_OLD,
                }));
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(None),
    }
}

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
    let Some(pbase) = base(primary) else {
        return Err(LogError::Primary {
            offset: 0,
            reason: "the base block cannot be read".into(),
        });
    };
    if pbase.seq1 == pbase.seq2 && pbase.checksum_ok {
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
        result = recover_new(primary, &pbase, &new, limit);
    }
    if matches!(result, Ok(None) | Err(_)) && !old.is_empty() {
        match recover_old(primary, &pbase, &old, limit) {
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
