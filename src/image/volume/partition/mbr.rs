//! MBR: the four primary entries, what their type bytes mean, and the EBR chain of an
//! extended partition (guarded against loops and overlong chains).

use super::{u32le, Kind, PartitionInfo, Placed, Scheme, Table, MAX_LOGICAL, SECTOR};
use crate::image::volume::VolumeError;
use crate::source::ReadAt;
use std::collections::HashSet;

#[derive(Clone, Copy)]
pub(super) struct MbrEntry {
    boot: u8,
    pub(super) ty: u8,
    lba: u32,
    count: u32,
}

pub(super) fn mbr_entries(sector: &[u8]) -> [MbrEntry; 4] {
    std::array::from_fn(|i| {
        let e = &sector[446 + 16 * i..446 + 16 * (i + 1)];
        MbrEntry {
            boot: e[0],
            ty: e[4],
            lba: u32le(e, 8),
            count: u32le(e, 12),
        }
    })
}

pub(super) fn valid_boot_flags(entries: &[MbrEntry]) -> bool {
    entries.iter().all(|e| e.boot == 0 || e.boot == 0x80)
}

fn is_extended(ty: u8) -> bool {
    matches!(ty, 0x05 | 0x0f | 0x85)
}

/// The name and kind of an MBR type byte.
pub fn mbr_type(ty: u8) -> (&'static str, Kind) {
    match ty {
        0x07 => ("NTFS/exFAT", Kind::BasicData),
        0x17 => ("hidden NTFS", Kind::BasicData),
        0x01 | 0x04 | 0x06 | 0x0e => ("FAT", Kind::Fat),
        0x0b | 0x0c => ("FAT32", Kind::Fat),
        0x27 => ("Windows recovery", Kind::Recovery),
        0x42 => ("LDM dynamic disk", Kind::Ldm),
        0x05 | 0x0f | 0x85 => ("extended", Kind::Extended),
        0xee => ("GPT protective", Kind::Protective),
        0xef => ("EFI system", Kind::EfiSystem),
        0x82 => ("Linux swap", Kind::Other),
        0x83 => ("Linux", Kind::Other),
        _ => ("unknown", Kind::Other),
    }
}

fn mbr_info(number: u32, ty: u8, lba: u64, count: u64) -> PartitionInfo {
    let (name, kind) = mbr_type(ty);
    PartitionInfo {
        number,
        offset: lba * SECTOR,
        size: count * SECTOR,
        type_id: format!("{ty:#04x}"),
        type_name: name.to_string(),
        kind,
        name: None,
    }
}

pub(super) fn read_mbr(
    disk: &dyn ReadAt,
    label: &str,
    entries: &[MbrEntry; 4],
) -> Result<Table, VolumeError> {
    let mut t = Table {
        scheme: Scheme::Mbr,
        sector_size: SECTOR,
        partitions: Vec::new(),
        rejected: Vec::new(),
        notes: Vec::new(),
    };
    let mut placed = Placed::default();
    let mut extended = None;
    for (i, e) in entries.iter().enumerate() {
        if e.ty == 0 || (e.count == 0 && e.lba == 0) {
            continue;
        }
        let info = mbr_info(i as u32 + 1, e.ty, e.lba as u64, e.count as u64);
        let why = if e.lba == 0 {
            Some("it starts at LBA 0, over the MBR itself".to_string())
        } else if is_extended(e.ty) && extended.is_some() {
            Some("a second extended partition (only the first is followed)".to_string())
        } else {
            placed.check(&info, disk.size())
        };
        if why.is_none() && is_extended(e.ty) {
            extended = Some((e.lba as u64, e.count as u64));
        }
        t.place(info, why);
    }
    if let Some((start, count)) = extended {
        logical_partitions(disk, label, start, count, &mut t);
    }
    Ok(t)
}

/// Follows the EBR chain of the extended partition at LBA `start` (`count` sectors): each
/// EBR's first entry is a logical partition (relative to that EBR), its second the next
/// EBR (relative to the extended partition). Loops, EBRs outside the extended partition
/// and overlong chains end the walk with a note; the logical partitions read so far stay.
fn logical_partitions(disk: &dyn ReadAt, label: &str, start: u64, count: u64, t: &mut Table) {
    // Logical partitions lie inside the extended partition; they are checked against each
    // other (the extended partition itself overlaps them all).
    let mut placed = Placed::default();
    let mut seen = HashSet::new();
    let mut ebr = start;
    let mut number = 5;
    loop {
        if !seen.insert(ebr) {
            t.notes.push(format!(
                "{label}: the EBR chain of the extended partition at offset {:#x} loops back to the EBR at offset {:#x}; logical partitions after partition {} were not read",
                start * SECTOR,
                ebr * SECTOR,
                number - 1
            ));
            return;
        }
        if ebr < start || ebr >= start.saturating_add(count) {
            t.notes.push(format!(
                "{label}: an EBR of the extended partition at offset {:#x} is at offset {:#x}, outside the extended partition; logical partitions after partition {} were not read",
                start * SECTOR,
                ebr.saturating_mul(SECTOR),
                number - 1
            ));
            return;
        }
        if number - 4 > MAX_LOGICAL {
            t.notes.push(format!(
                "{label}: the extended partition at offset {:#x} has more than {MAX_LOGICAL} logical partitions; the rest were not read",
                start * SECTOR
            ));
            return;
        }
        let mut sector = [0u8; 512];
        if let Err(e) = disk.read_exact_at(&mut sector, ebr * SECTOR) {
            t.notes.push(format!(
                "{label}: the EBR at offset {:#x} cannot be read ({e}); logical partitions after partition {} were not read",
                ebr * SECTOR,
                number - 1
            ));
            return;
        }
        if sector[510] != 0x55 || sector[511] != 0xaa {
            t.notes.push(format!(
                "{label}: the EBR at offset {:#x} has no 55 AA signature; logical partitions after partition {} were not read",
                ebr * SECTOR,
                number - 1
            ));
            return;
        }
        let [first, next, ..] = mbr_entries(&sector);
        if first.ty != 0 && first.count != 0 {
            let info = mbr_info(number, first.ty, ebr + first.lba as u64, first.count as u64);
            let why = if first.lba == 0 {
                Some("it starts on its own EBR".to_string())
            } else if info.offset + info.size > (start + count) * SECTOR {
                Some(format!(
                    "it reaches past the end of its extended partition (offset {:#x})",
                    (start + count) * SECTOR
                ))
            } else {
                placed.check(&info, disk.size())
            };
            t.place(info, why);
            number += 1;
        }
        if !is_extended(next.ty) || next.lba == 0 {
            return;
        }
        ebr = start + next.lba as u64;
    }
}
