//! The new log format (Windows 8.1 and later, log file type 6): `HvLE` log entries, each
//! hashed with Marvin32, replayed in sequence-number order across the logs.

use super::common::{
    base_from_log, finish_base, grow, seq_before, LogError, Recovery, ValidLog, FORMAT_NEW,
    HBIN_ALIGN, PAGE,
};
use crate::hive::base::{read_u32, read_u64, BaseBlock, BASE_BLOCK, SECTOR};

/// The fixed part of a new-format log entry.
const ENTRY_HEADER: usize = 40;

/// The Marvin32 seed Windows uses for log-entry hashes (spec, "Log entries", note 3:
/// bytes 82 EF 4D 88 7A 4E 55 C5).
pub const MARVIN32_SEED: u64 = 0x82EF_4D88_7A4E_55C5;

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
    let mut off = SECTOR;
    let mut expected = log.base.header.primary_sequence;
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
    let field = |at: usize| read_u32(head, at).unwrap_or(0);
    let (size, flags, seq, hbins, count) = (field(4), field(8), field(12), field(16), field(20));
    let size = size as usize;
    if size < PAGE || !size.is_multiple_of(PAGE) {
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
    if hb < HBIN_ALIGN || !hb.is_multiple_of(HBIN_ALIGN) {
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
    let hash1 = read_u64(head, 24).unwrap_or(0);
    let hash2 = read_u64(head, 32).unwrap_or(0);
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
        let page_off = read_u32(body, r).unwrap_or(0) as usize;
        let page_size = read_u32(body, r + 4).unwrap_or(0) as usize;
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
pub(super) fn recover_new(
    primary: &[u8],
    pbase: &BaseBlock,
    logs: &[ValidLog<'_>],
    limit: usize,
) -> Result<Option<Recovery>, LogError> {
    let chains: Vec<Chain<'_>> = logs.iter().map(|l| chain(l, limit)).collect();
    // Order the logs by their base block's sequence number: the log with the earlier
    // entries first. Sort keys are relative to the primary's secondary sequence number (or
    // to the first log's, for a damaged primary) so that the order survives wrapping.
    let origin = if pbase.header.checksum_ok {
        pbase.header.secondary_sequence
    } else {
        logs.first().map_or(0, |l| l.base.header.primary_sequence)
    };
    let mut order: Vec<usize> = (0..logs.len()).collect();
    order.sort_by_key(|&i| logs[i].base.header.primary_sequence.wrapping_sub(origin) as i32);

    let mut out = primary.to_vec();
    let mut used: Vec<String> = Vec::new();
    let mut applied = 0usize;
    let mut last: Option<(u32, u32, u32)> = None; // (seq, hbins, flags)

    if pbase.header.checksum_ok {
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
                && !seq_before(
                    logs[i].base.header.primary_sequence,
                    pbase.header.secondary_sequence,
                )
                && chains[i].first_error.is_some()
            {
                break 'logs;
            }
            let mut from_this = 0usize;
            for e in &chains[i].entries {
                match last {
                    None if seq_before(e.seq, pbase.header.secondary_sequence) => continue,
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
