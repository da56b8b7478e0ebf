//! The old log format (log file types 1 and 2): a `DIRT` dirty vector and the dirty pages,
//! replayed hive bin by hive bin from the newest applicable log.

use super::common::{
    base_from_log, finish_base, grow, seq_before, LogError, Recovery, ValidLog, FORMAT_OLD,
    HBIN_ALIGN, PAGE,
};
use crate::hive::base::{
    read_u32, read_u64, BaseBlock, BASE_BLOCK, DATA_SIZE_AT, FLAGS_AT, SECTOR,
};

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
    let hbins = log.base.header.data_size as usize;
    let pages = hbins / PAGE;
    let bitmap_len = pages / 8;
    let sig_at = SECTOR;
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
    let hbins = log.base.header.data_size as usize;
    grow(out, log.base.header.data_size);
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
            Some((ok_sig, read_u32(h, 4)? as usize, read_u32(h, 8)? as usize))
        });
        let size_ok = |size: usize| {
            size >= HBIN_ALIGN
                && size.is_multiple_of(HBIN_ALIGN)
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
                            .unwrap_or(SECTOR),
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
pub(super) fn recover_old(
    primary: &[u8],
    pbase: &BaseBlock,
    logs: &[ValidLog<'_>],
    limit: usize,
) -> Result<Option<Recovery>, LogError> {
    // The primary's last-written timestamp; when its base block is damaged, the backup copy
    // in the first hive bin's header. That copy is older than the base block's when the
    // first bin was not rewritten, so there a log applies when it is not older than it
    // (as yarp does).
    let hbin_stamp = read_u64(primary, BASE_BLOCK + 20).unwrap_or(0);
    let applicable = |l: &ValidLog<'_>| {
        if pbase.header.checksum_ok {
            l.base.timestamp == pbase.timestamp
        } else {
            l.base.timestamp >= hbin_stamp
        }
    };
    let mut candidates: Vec<&ValidLog<'_>> = logs.iter().filter(|l| applicable(l)).collect();
    // The newest first.
    candidates.sort_by(|a, b| {
        let (x, y) = (
            a.base.header.primary_sequence,
            b.base.header.primary_sequence,
        );
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
        if BASE_BLOCK + log.base.header.data_size as usize > limit {
            first_error.get_or_insert(LogError::BaseBlock {
                log: log.label.to_string(),
                offset: DATA_SIZE_AT,
                reason: format!(
                    "hive bins data size {} is larger than the primary hive and its logs together ({limit} bytes)",
                    log.base.header.data_size
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
                if !pbase.header.checksum_ok {
                    base_from_log(&mut out, log.bytes);
                }
                let flags = read_u32(log.bytes, FLAGS_AT);
                finish_base(
                    &mut out,
                    log.base.header.primary_sequence,
                    log.base.header.data_size,
                    flags,
                );
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
