//! The partitions of a disk: GPT (primary header, or the backup at the disk's last LBA when
//! the primary is damaged), MBR with the EBR chain of an extended partition, or no table at
//! all (the disk starts with a volume boot sector). Read by hand, for hostile disks: every
//! count and size is bounded before anything is allocated, entries that reach past the
//! disk or overlap another are set aside with the reason, and the EBR chain is guarded
//! against loops.

use super::VolumeError;
use crate::source::ReadAt;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

/// The sector size of MBR disks and of GPT disks unless the GPT header says otherwise.
pub const SECTOR: u64 = 512;
/// The sector size of 4Kn disks (their GPT header is at offset 4096).
pub const SECTOR_4K: u64 = 4096;
/// The most bytes of GPT entries read (the usual array is 128 entries of 128 bytes).
pub const MAX_GPT_ENTRY_BYTES: u64 = 1 << 20;
/// The most logical partitions followed along an EBR chain.
pub const MAX_LOGICAL: u32 = 256;

/// How the disk is partitioned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// A GUID partition table.
    Gpt,
    /// An MBR, with the logical partitions of its extended partition.
    Mbr,
    /// No partition table: the disk is one volume (or holds nothing tlsreg knows).
    None,
}

/// What a partition type says the partition holds, as far as finding Windows goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// GPT "Microsoft basic data" or MBR 0x07 (NTFS, exFAT): where Windows is.
    BasicData,
    /// GPT "EFI system".
    EfiSystem,
    /// GPT "Microsoft reserved" (MSR): no file system.
    MicrosoftReserved,
    /// GPT "Windows recovery" or MBR 0x27.
    Recovery,
    /// A dynamic disk (GPT LDM metadata/data, MBR 0x42).
    Ldm,
    /// A Storage Spaces pool member.
    StorageSpaces,
    /// FAT (MBR 0x01, 0x04, 0x06, 0x0b, 0x0c, 0x0e).
    Fat,
    /// An MBR extended partition (0x05, 0x0f, 0x85): a container of logical partitions.
    Extended,
    /// The MBR entry that protects a GPT disk (0xee).
    Protective,
    /// Anything else (Linux, swap, unknown): probed like basic data.
    Other,
}

/// One partition: its number as Windows and Linux count them (GPT: entry index + 1; MBR:
/// 1-4 for the primary slots, 5 and up for logical partitions), where it is in the disk
/// and its type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionInfo {
    /// GPT: entry index + 1; MBR: 1-4 for the primary slots, 5 and up for logical partitions along
    /// the EBR chain.
    pub number: u32,
    /// Byte offset in the disk.
    pub offset: u64,
    /// Size in bytes.
    pub size: u64,
    /// The GPT type GUID (upper case, as Windows shows it) or the MBR type byte (`0x07`).
    pub type_id: String,
    /// The type's name (`Microsoft basic data`, `NTFS/exFAT`, `unknown`).
    pub type_name: String,
    /// What the type says the partition holds.
    pub kind: Kind,
    /// The GPT partition name, when it has one.
    pub name: Option<String>,
}

impl PartitionInfo {
    /// `partition 2 (Microsoft basic data "Basic data partition", offset 0x100000, 60 MiB)`.
    pub fn describe(&self) -> String {
        let name = match &self.name {
            Some(n) => format!(" \"{n}\""),
            None => String::new(),
        };
        format!(
            "partition {} ({}{name}, offset {:#x}, {})",
            self.number,
            self.type_name,
            self.offset,
            human_size(self.size)
        )
    }
}

/// A size in the largest binary unit that keeps a whole or one-decimal number.
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} bytes")
    } else if v.fract() == 0.0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// An entry of the table that was set aside, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    /// The entry as read.
    pub partition: PartitionInfo,
    /// Why it was set aside, as a clause starting with `it` (`it overlaps partition 1 (...)`).
    pub reason: String,
    /// The entry reaches past the end of the disk (a truncated image?).
    pub past_end: bool,
}

/// The partitions of a disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    /// How the disk is partitioned.
    pub scheme: Scheme,
    /// The logical sector size the table counts in (512, or 4096 for a 4Kn GPT disk).
    pub sector_size: u64,
    /// The usable partitions, in partition-number order.
    pub partitions: Vec<PartitionInfo>,
    /// Entries set aside: past the end of the disk, overlapping another, inverted.
    pub rejected: Vec<Rejected>,
    /// What was noticed on the way (a damaged primary GPT, a looping EBR chain).
    pub notes: Vec<String>,
}

/// Reads the partition table of `disk` (`label` names it in messages).
pub fn read_table(disk: &dyn ReadAt, label: &str) -> Result<Table, VolumeError> {
    let size = disk.size();
    if size < SECTOR {
        return Err(VolumeError::Table {
            label: label.to_string(),
            offset: 0,
            message: format!(
                "the disk is {size} bytes, too small to hold a partition table or a volume"
            ),
        });
    }
    let mut mbr = [0u8; 512];
    read(disk, label, &mut mbr, 0, "the first sector")?;
    let signature = mbr[510] == 0x55 && mbr[511] == 0xaa;
    let entries = mbr_entries(&mbr);
    let protective = signature && entries.iter().any(|e| e.ty == 0xee);
    let gpt_at = [SECTOR, SECTOR_4K]
        .into_iter()
        .find(|&ss| has_efi_part(disk, ss));
    if protective || gpt_at.is_some() {
        match read_gpt(disk, label, gpt_at.unwrap_or(SECTOR)) {
            Ok(t) => return Ok(t),
            Err(e) => {
                let usable = signature
                    && valid_boot_flags(&entries)
                    && entries.iter().any(|e| e.ty != 0 && e.ty != 0xee);
                if !usable {
                    return Err(e);
                }
                let mut t = read_mbr(disk, label, &entries)?;
                t.notes.push(format!(
                    "the GPT could not be read ({e}); the MBR's entries were used"
                ));
                return Ok(t);
            }
        }
    }
    if boot_sector_kind(&mbr).is_some() {
        return Ok(bare(SECTOR));
    }
    if signature && valid_boot_flags(&entries) {
        return read_mbr(disk, label, &entries);
    }
    Ok(bare(SECTOR))
}

fn bare(sector_size: u64) -> Table {
    Table {
        scheme: Scheme::None,
        sector_size,
        partitions: Vec::new(),
        rejected: Vec::new(),
        notes: Vec::new(),
    }
}

/// What a volume boot sector says it is, from its OEM ID and file-system labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BootKind {
    /// OEM ID `NTFS` and four spaces.
    Ntfs,
    /// A BitLocker-encrypted volume (OEM ID `-FVE-FS-`).
    BitLocker,
    /// FAT12, FAT16 or FAT32, from the file-system label.
    Fat,
    /// OEM ID `EXFAT` and three spaces.
    ExFat,
    /// OEM ID `ReFS` (then four NULs).
    Refs,
}

impl BootKind {
    /// The file system's name for messages (`NTFS`, `BitLocker`, `FAT`, `exFAT`, `ReFS`).
    pub fn name(self) -> &'static str {
        match self {
            BootKind::Ntfs => "NTFS",
            BootKind::BitLocker => "BitLocker",
            BootKind::Fat => "FAT",
            BootKind::ExFat => "exFAT",
            BootKind::Refs => "ReFS",
        }
    }
}

/// The file system a boot sector announces, or `None`.
pub fn boot_sector_kind(sector: &[u8]) -> Option<BootKind> {
    let at = |o: usize, s: &[u8]| sector.get(o..o + s.len()) == Some(s);
    if at(3, b"NTFS    ") {
        Some(BootKind::Ntfs)
    } else if at(3, b"-FVE-FS-") {
        Some(BootKind::BitLocker)
    } else if at(3, b"EXFAT   ") {
        Some(BootKind::ExFat)
    } else if at(3, b"ReFS\0\0\0\0") {
        Some(BootKind::Refs)
    } else if at(0x36, b"FAT12   ") || at(0x36, b"FAT16   ") || at(0x52, b"FAT32   ") {
        Some(BootKind::Fat)
    } else {
        None
    }
}

fn read(
    disk: &dyn ReadAt,
    label: &str,
    buf: &mut [u8],
    offset: u64,
    what: &str,
) -> Result<(), VolumeError> {
    disk.read_exact_at(buf, offset)
        .map_err(|source| VolumeError::Io {
            label: label.to_string(),
            what: what.to_string(),
            offset,
            source,
        })
}

fn has_efi_part(disk: &dyn ReadAt, ss: u64) -> bool {
    let mut sig = [0u8; 8];
    disk.read_exact_at(&mut sig, ss).is_ok() && &sig == b"EFI PART"
}

fn u16le(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32le(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64le(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

// ---------------------------------------------------------------------------------------
// GPT

/// Known GPT partition types: GUID, name, kind.
const GPT_TYPES: &[(&str, &str, Kind)] = &[
    (
        "C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
        "EFI system",
        Kind::EfiSystem,
    ),
    (
        "E3C9E316-0B5C-4DB8-817D-F92DF00215AE",
        "Microsoft reserved",
        Kind::MicrosoftReserved,
    ),
    (
        "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7",
        "Microsoft basic data",
        Kind::BasicData,
    ),
    (
        "DE94BBA4-06D1-4D40-A16A-BFD50179D6AC",
        "Windows recovery",
        Kind::Recovery,
    ),
    (
        "5808C8AA-7E8F-42E0-85D2-E1E90434CFB3",
        "LDM metadata",
        Kind::Ldm,
    ),
    (
        "AF9B60A0-1431-4F62-BC68-3311714A69AD",
        "LDM data",
        Kind::Ldm,
    ),
    (
        "E75CAF8F-F680-4CEE-AFA3-B001E56EFC2D",
        "Storage Spaces",
        Kind::StorageSpaces,
    ),
    (
        "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
        "Linux filesystem",
        Kind::Other,
    ),
    (
        "21686148-6449-6E6F-744E-656564454649",
        "BIOS boot",
        Kind::Other,
    ),
];

/// A GUID as stored on disk (the first three fields little-endian), in upper case.
pub fn guid_string(b: &[u8]) -> String {
    format!(
        "{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}",
        u32le(b, 0),
        u16le(b, 4),
        u16le(b, 6),
        b[8],
        b[9],
        b[10],
        b[11],
        b[12],
        b[13],
        b[14],
        b[15]
    )
}

fn gpt_type(guid: &str) -> (String, Kind) {
    GPT_TYPES
        .iter()
        .find(|(g, _, _)| *g == guid)
        .map(|(_, n, k)| (n.to_string(), *k))
        .unwrap_or_else(|| ("unknown".to_string(), Kind::Other))
}

struct GptHeader {
    lba: u64,
    alternate_lba: u64,
    first_usable: u64,
    last_usable: u64,
    entries_lba: u64,
    num_entries: u64,
    entry_size: u64,
    entries_crc: u32,
}

/// The header at `lba`, checked (signature, size, CRC32, its own LBA, entry size and
/// count, the entries inside the disk), or why not.
fn gpt_header(disk: &dyn ReadAt, lba: u64, ss: u64) -> Result<GptHeader, String> {
    let mut b = vec![0u8; ss as usize];
    let at = lba
        .checked_mul(ss)
        .ok_or_else(|| "its LBA is past the end of any disk".to_string())?;
    disk.read_exact_at(&mut b, at)
        .map_err(|e| format!("cannot be read ({e})"))?;
    if &b[..8] != b"EFI PART" {
        return Err("has no \"EFI PART\" signature".into());
    }
    let header_size = u32le(&b, 12) as u64;
    if !(92..=ss).contains(&header_size) {
        return Err(format!(
            "says it is {header_size} bytes (expected 92 to {ss})"
        ));
    }
    let stored = u32le(&b, 16);
    let mut h = b[..header_size as usize].to_vec();
    h[16..20].fill(0);
    let computed = crc32(&h);
    if stored != computed {
        return Err(format!(
            "has a header CRC32 mismatch (stored {stored:#010x}, computed {computed:#010x})"
        ));
    }
    let header = GptHeader {
        lba: u64le(&b, 24),
        alternate_lba: u64le(&b, 32),
        first_usable: u64le(&b, 40),
        last_usable: u64le(&b, 48),
        entries_lba: u64le(&b, 72),
        num_entries: u32le(&b, 80) as u64,
        entry_size: u32le(&b, 84) as u64,
        entries_crc: u32le(&b, 88),
    };
    if header.lba != lba {
        return Err(format!(
            "says it is at LBA {} (it is at LBA {lba})",
            header.lba
        ));
    }
    let es = header.entry_size;
    if es < 128 || !es.is_power_of_two() {
        return Err(format!(
            "has an entry size of {es} bytes (it must be 128 times a power of two)"
        ));
    }
    let total = header.num_entries.saturating_mul(es);
    if total > MAX_GPT_ENTRY_BYTES {
        return Err(format!(
            "has {} entries of {es} bytes ({total} bytes, more than the {MAX_GPT_ENTRY_BYTES} tlsreg reads)",
            header.num_entries
        ));
    }
    let end = header
        .entries_lba
        .checked_mul(ss)
        .and_then(|o| o.checked_add(total));
    if end.is_none_or(|e| e > disk.size()) {
        return Err(format!(
            "has its entries at LBA {} past the end of the disk",
            header.entries_lba
        ));
    }
    Ok(header)
}

/// The entry array of a checked header, with its CRC32 checked.
fn gpt_entries(disk: &dyn ReadAt, h: &GptHeader, ss: u64) -> Result<Vec<u8>, String> {
    let mut b = vec![0u8; (h.num_entries * h.entry_size) as usize];
    disk.read_exact_at(&mut b, h.entries_lba * ss)
        .map_err(|e| format!("has entries that cannot be read ({e})"))?;
    let computed = crc32(&b);
    if computed != h.entries_crc {
        return Err(format!(
            "has an entries CRC32 mismatch (stored {:#010x}, computed {computed:#010x})",
            h.entries_crc
        ));
    }
    Ok(b)
}

fn read_gpt(disk: &dyn ReadAt, label: &str, ss: u64) -> Result<Table, VolumeError> {
    let last_lba = disk.size() / ss - 1;
    let primary = gpt_header(disk, 1, ss);
    let primary_problem = match primary.as_ref().map(|h| (h, gpt_entries(disk, h, ss))) {
        Ok((h, Ok(entries))) => {
            return Ok(gpt_table(disk, h, &entries, ss, Vec::new()));
        }
        Ok((_, Err(why))) => why,
        Err(why) => why.clone(),
    };
    // The backup header is at the last LBA; a readable primary header also says where.
    let mut candidates = vec![last_lba];
    if let Ok(h) = &primary {
        if h.alternate_lba != last_lba && h.alternate_lba > 1 && h.alternate_lba <= last_lba {
            candidates.insert(0, h.alternate_lba);
        }
    }
    let mut backup_problems = Vec::new();
    for lba in candidates {
        match gpt_header(disk, lba, ss).and_then(|h| gpt_entries(disk, &h, ss).map(|e| (h, e))) {
            Ok((h, entries)) => {
                let note = format!(
                    "the primary GPT header at LBA 1 {primary_problem}; the backup GPT header at LBA {lba} (offset {:#x}) was used",
                    lba * ss
                );
                return Ok(gpt_table(disk, &h, &entries, ss, vec![note]));
            }
            Err(why) => backup_problems.push(format!("the backup header at LBA {lba} {why}")),
        }
    }
    Err(VolumeError::Table {
        label: label.to_string(),
        offset: ss,
        message: format!(
            "no usable GPT: the primary header at LBA 1 {primary_problem}; {}",
            backup_problems.join("; ")
        ),
    })
}

fn gpt_table(
    disk: &dyn ReadAt,
    h: &GptHeader,
    entries: &[u8],
    ss: u64,
    notes: Vec<String>,
) -> Table {
    let mut t = Table {
        scheme: Scheme::Gpt,
        sector_size: ss,
        partitions: Vec::new(),
        rejected: Vec::new(),
        notes,
    };
    let mut placed = Placed::default();
    for (i, e) in entries.chunks_exact(h.entry_size as usize).enumerate() {
        if e[..16].iter().all(|&b| b == 0) {
            continue;
        }
        let type_id = guid_string(&e[..16]);
        let (type_name, kind) = gpt_type(&type_id);
        let first = u64le(e, 32);
        let last = u64le(e, 40);
        let name: Vec<u16> = e[56..128]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .take_while(|&c| c != 0)
            .collect();
        let name = String::from_utf16_lossy(&name);
        let offset = first.saturating_mul(ss);
        let size = last
            .checked_sub(first)
            .map(|n| n.saturating_add(1).saturating_mul(ss))
            .unwrap_or(0);
        let info = PartitionInfo {
            number: i as u32 + 1,
            offset,
            size,
            type_id,
            type_name,
            kind,
            name: (!name.is_empty()).then_some(name),
        };
        let why = if last < first {
            Some(format!(
                "its last LBA {last} is before its first LBA {first}"
            ))
        } else if first < h.first_usable || last > h.last_usable {
            Some(format!(
                "LBAs {first} to {last} lie outside the usable LBAs {} to {} of the GPT",
                h.first_usable, h.last_usable
            ))
        } else {
            placed.check(&info, disk.size())
        };
        match why {
            Some(reason) => t.rejected.push(Rejected {
                past_end: reason.contains(PAST_END),
                partition: info,
                reason,
            }),
            None => t.partitions.push(info),
        }
    }
    t
}

/// What [`Placed::check`] says of an entry that ends past the disk.
const PAST_END: &str = "reaches past the end of the disk";

/// The partitions accepted so far, by offset, to refuse one that overlaps another.
#[derive(Default)]
struct Placed(BTreeMap<u64, (u64, u32)>);

impl Placed {
    /// Why `p` cannot be used (past the end of the disk, overlapping), or `None` after
    /// recording it.
    fn check(&mut self, p: &PartitionInfo, disk_size: u64) -> Option<String> {
        if p.size == 0 {
            return Some("it is empty (0 sectors)".into());
        }
        let end = match p.offset.checked_add(p.size) {
            Some(e) if e <= disk_size => e,
            _ => {
                return Some(format!(
                    "it {PAST_END} (it ends at offset {:#x}, the disk is {disk_size:#x} bytes; is the image truncated?)",
                    p.offset as u128 + p.size as u128
                ))
            }
        };
        let before = self.0.range(..=p.offset).next_back();
        let after = self.0.range(p.offset..).next();
        for (&start, &(stop, number)) in before.into_iter().chain(after) {
            if start < end && p.offset < stop {
                return Some(format!(
                    "it overlaps partition {number} (offsets {start:#x} to {stop:#x})"
                ));
            }
        }
        self.0.insert(p.offset, (end, p.number));
        None
    }
}

// ---------------------------------------------------------------------------------------
// MBR

#[derive(Clone, Copy)]
struct MbrEntry {
    boot: u8,
    ty: u8,
    lba: u32,
    count: u32,
}

fn mbr_entries(sector: &[u8]) -> [MbrEntry; 4] {
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

fn valid_boot_flags(entries: &[MbrEntry]) -> bool {
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

fn read_mbr(disk: &dyn ReadAt, label: &str, entries: &[MbrEntry; 4]) -> Result<Table, VolumeError> {
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
        match why {
            Some(reason) => t.rejected.push(Rejected {
                past_end: reason.contains(PAST_END),
                partition: info,
                reason,
            }),
            None => {
                if is_extended(e.ty) {
                    extended = Some((e.lba as u64, e.count as u64));
                }
                t.partitions.push(info);
            }
        }
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
            match why {
                Some(reason) => t.rejected.push(Rejected {
                    past_end: reason.contains(PAST_END),
                    partition: info,
                    reason,
                }),
                None => t.partitions.push(info),
            }
            number += 1;
        }
        if !is_extended(next.ty) || next.lba == 0 {
            return;
        }
        ebr = start + next.lba as u64;
    }
}

// ---------------------------------------------------------------------------------------
// CRC32 (IEEE 802.3, as GPT uses it)

/// The CRC32 of `data` (the checksum of GPT headers and entry arrays).
pub fn crc32(data: &[u8]) -> u32 {
    crate::crc::crc32(&crate::crc::IEEE, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_is_the_ieee_one() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn guids_are_written_as_windows_writes_them() {
        let b = [
            0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e,
            0xc9, 0x3b,
        ];
        assert_eq!(guid_string(&b), "C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
        assert_eq!(gpt_type(&guid_string(&b)).1, Kind::EfiSystem);
    }

    #[test]
    fn sizes_read_like_sizes() {
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(64 << 20), "64 MiB");
        assert_eq!(human_size(1536), "1.5 KiB");
    }

    fn mbr_disk(entries: &[(u8, u32, u32)], size: usize) -> Vec<u8> {
        let mut d = vec![0u8; size];
        for (i, &(ty, lba, count)) in entries.iter().enumerate() {
            let e = 446 + 16 * i;
            d[e + 4] = ty;
            d[e + 8..e + 12].copy_from_slice(&lba.to_le_bytes());
            d[e + 12..e + 16].copy_from_slice(&count.to_le_bytes());
        }
        d[510] = 0x55;
        d[511] = 0xaa;
        d
    }

    fn ebr(d: &mut [u8], at: u32, logical: (u8, u32, u32), next: Option<(u32, u32)>) {
        let base = at as usize * 512;
        let e = base + 446;
        d[e + 4] = logical.0;
        d[e + 8..e + 12].copy_from_slice(&logical.1.to_le_bytes());
        d[e + 12..e + 16].copy_from_slice(&logical.2.to_le_bytes());
        if let Some((lba, count)) = next {
            let e = base + 446 + 16;
            d[e + 4] = 0x05;
            d[e + 8..e + 12].copy_from_slice(&lba.to_le_bytes());
            d[e + 12..e + 16].copy_from_slice(&count.to_le_bytes());
        }
        d[base + 510] = 0x55;
        d[base + 511] = 0xaa;
    }

    #[test]
    fn an_ebr_chain_that_loops_back_ends_with_a_note() {
        // Extended partition at LBA 100 (200 sectors): EBR 100 -> EBR 150 -> EBR 150 (a
        // next-EBR field of 0 ends a chain, so a loop points at a later EBR again).
        let mut d = mbr_disk(&[(0x07, 2048, 64), (0x05, 100, 200)], 2048 * 512 + 64 * 512);
        ebr(&mut d, 100, (0x07, 1, 40), Some((50, 40)));
        ebr(&mut d, 150, (0x07, 1, 30), Some((50, 40)));
        let t = read_table(&d, "loop.img").unwrap();
        assert_eq!(t.scheme, Scheme::Mbr);
        let numbers: Vec<u32> = t.partitions.iter().map(|p| p.number).collect();
        assert_eq!(numbers, [1, 2, 5, 6]);
        assert_eq!(t.partitions[2].offset, 101 * 512);
        assert_eq!(t.partitions[3].offset, 151 * 512);
        assert_eq!(t.notes.len(), 1, "{:?}", t.notes);
        assert!(
            t.notes[0].contains("loops back to the EBR at offset 0x12c00"),
            "{}",
            t.notes[0]
        );
    }

    #[test]
    fn mbr_entries_past_the_end_or_overlapping_are_set_aside() {
        let d = mbr_disk(
            &[(0x07, 1, 100), (0x07, 50, 100), (0x07, 200, 1000)],
            300 * 512,
        );
        let t = read_table(&d, "x.img").unwrap();
        assert_eq!(t.partitions.len(), 1);
        assert_eq!(t.rejected.len(), 2);
        assert!(t.rejected[0].reason.contains("overlaps partition 1"));
        assert!(t.rejected[1].reason.contains("past the end of the disk"));
    }

    #[test]
    fn a_boot_sector_at_the_start_is_a_bare_volume() {
        let mut d = vec![0u8; 4096];
        d[3..11].copy_from_slice(b"NTFS    ");
        d[510] = 0x55;
        d[511] = 0xaa;
        assert_eq!(read_table(&d, "x").unwrap().scheme, Scheme::None);
        assert!(read_table(&vec![0u8; 100], "tiny.img")
            .unwrap_err()
            .to_string()
            .starts_with("tiny.img: offset 0x0: the disk is 100 bytes"));
    }

    /// A GPT disk of `sectors` sectors of `ss` bytes: protective MBR, primary and backup
    /// headers, `count` entries of `es` bytes holding `parts` (type, first LBA, last LBA).
    fn gpt_disk(ss: u64, sectors: u64, parts: &[(&str, u64, u64)], count: u32, es: u32) -> Vec<u8> {
        let mut d = vec![0u8; (ss * sectors) as usize];
        d[446 + 4] = 0xee;
        d[446 + 8..446 + 12].copy_from_slice(&1u32.to_le_bytes());
        d[510] = 0x55;
        d[511] = 0xaa;
        let mut entries = vec![0u8; count.min(128) as usize * es as usize];
        for (i, (ty, first, last)) in parts.iter().enumerate() {
            let e = &mut entries[i * es as usize..];
            let (a, rest) = ty.split_at(8);
            let hex = |s: &str| u64::from_str_radix(s, 16).unwrap();
            e[0..4].copy_from_slice(&(hex(a) as u32).to_le_bytes());
            e[4..6].copy_from_slice(&(hex(&rest[1..5]) as u16).to_le_bytes());
            e[6..8].copy_from_slice(&(hex(&rest[6..10]) as u16).to_le_bytes());
            let tail: String = rest[11..].chars().filter(|c| *c != '-').collect();
            for k in 0..8 {
                e[8 + k] = hex(&tail[2 * k..2 * k + 2]) as u8;
            }
            e[16] = 1;
            e[32..40].copy_from_slice(&first.to_le_bytes());
            e[40..48].copy_from_slice(&last.to_le_bytes());
            for (k, c) in "Basic data".encode_utf16().enumerate() {
                e[56 + 2 * k..58 + 2 * k].copy_from_slice(&c.to_le_bytes());
            }
        }
        let entry_sectors = (entries.len() as u64).div_ceil(ss);
        let last = sectors - 1;
        for (lba, alt, table) in [(1, last, 2), (last, 1, last.saturating_sub(entry_sectors))] {
            let mut h = vec![0u8; 92];
            h[..8].copy_from_slice(b"EFI PART");
            h[8..12].copy_from_slice(&0x0001_0000u32.to_le_bytes());
            h[12..16].copy_from_slice(&92u32.to_le_bytes());
            h[24..32].copy_from_slice(&lba.to_le_bytes());
            h[32..40].copy_from_slice(&alt.to_le_bytes());
            h[40..48].copy_from_slice(&(2 + entry_sectors).to_le_bytes());
            h[48..56].copy_from_slice(&last.saturating_sub(entry_sectors + 1).to_le_bytes());
            h[72..80].copy_from_slice(&table.to_le_bytes());
            h[80..84].copy_from_slice(&count.to_le_bytes());
            h[84..88].copy_from_slice(&es.to_le_bytes());
            h[88..92].copy_from_slice(&crc32(&entries).to_le_bytes());
            let c = crc32(&h);
            h[16..20].copy_from_slice(&c.to_le_bytes());
            let at = (lba * ss) as usize;
            d[at..at + 92].copy_from_slice(&h);
            let at = (table * ss) as usize;
            if at + entries.len() <= d.len() {
                d[at..at + entries.len()].copy_from_slice(&entries);
            }
        }
        d
    }

    const BASIC: &str = "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7";

    #[test]
    fn a_4k_sector_gpt_is_read_in_4k_sectors() {
        let d = gpt_disk(4096, 64, &[(BASIC, 10, 19)], 128, 128);
        let t = read_table(&d, "4kn.img").unwrap();
        assert_eq!(t.scheme, Scheme::Gpt);
        assert_eq!(t.sector_size, 4096);
        assert_eq!(t.partitions.len(), 1, "{t:?}");
        let p = &t.partitions[0];
        assert_eq!((p.number, p.offset, p.size), (1, 10 * 4096, 10 * 4096));
        assert_eq!(p.kind, Kind::BasicData);
        assert_eq!(p.name.as_deref(), Some("Basic data"));
        assert!(t.notes.is_empty());
    }

    #[test]
    fn gpt_entries_past_the_end_overlapping_or_inverted_are_set_aside() {
        let d = gpt_disk(
            512,
            200,
            &[
                (BASIC, 40, 79),
                (BASIC, 60, 99),
                (BASIC, 120, 110),
                (BASIC, 150, 5000),
            ],
            128,
            128,
        );
        let t = read_table(&d, "x.img").unwrap();
        assert_eq!(t.partitions.len(), 1);
        let why: Vec<(u32, &str)> = t
            .rejected
            .iter()
            .map(|r| (r.partition.number, r.reason.as_str()))
            .collect();
        assert_eq!(
            why,
            [
                (2, "it overlaps partition 1 (offsets 0x5000 to 0xa000)"),
                (3, "its last LBA 110 is before its first LBA 120"),
                (
                    4,
                    "LBAs 150 to 5000 lie outside the usable LBAs 34 to 166 of the GPT"
                ),
            ]
        );
    }

    #[test]
    fn hostile_gpt_headers_are_refused_with_the_reason() {
        // An entry size that is not 128 times a power of two, in both headers.
        let d = gpt_disk(512, 200, &[(BASIC, 40, 79)], 128, 100);
        let e = read_table(&d, "es.img").unwrap_err().to_string();
        assert_eq!(
            e,
            "es.img: offset 0x200: no usable GPT: the primary header at LBA 1 has an entry size of 100 bytes (it must be 128 times a power of two); the backup header at LBA 199 has an entry size of 100 bytes (it must be 128 times a power of two)"
        );
        // An absurd count is refused before anything is allocated.
        let d = gpt_disk(512, 64, &[], u32::MAX, 128);
        let e = read_table(&d, "count.img").unwrap_err().to_string();
        assert!(
            e.contains("has 4294967295 entries of 128 bytes (549755813760 bytes, more than the 1048576 tlsreg reads)"),
            "{e}"
        );
        // A primary whose entries are damaged: the backup is used, and the note says so.
        let mut d = gpt_disk(512, 200, &[(BASIC, 40, 79)], 128, 128);
        d[1024 + 40] ^= 1;
        let t = read_table(&d, "crc.img").unwrap();
        assert_eq!(t.partitions.len(), 1);
        assert_eq!(t.partitions[0].offset, 40 * 512);
        assert!(
            t.notes[0].starts_with("the primary GPT header at LBA 1 has an entries CRC32 mismatch")
        );
        assert!(t.notes[0].ends_with("the backup GPT header at LBA 199 (offset 0x18e00) was used"));
    }
}
