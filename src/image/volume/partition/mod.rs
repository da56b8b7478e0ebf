//! The partitions of a disk: GPT (primary header, or the backup at the disk's last LBA when
//! the primary is damaged), MBR with the EBR chain of an extended partition, or no table at
//! all (the disk starts with a volume boot sector). Read by hand, for hostile disks: every
//! count and size is bounded before anything is allocated, entries that reach past the
//! disk or overlap another are set aside with the reason, and the EBR chain is guarded
//! against loops.

use super::VolumeError;
use crate::source::ReadAt;
use serde::Serialize;
use std::collections::BTreeMap;

mod gpt;
mod mbr;
#[cfg(test)]
mod tests;

pub use gpt::guid_string;
pub use mbr::mbr_type;

use gpt::read_gpt;
use mbr::{mbr_entries, read_mbr, valid_boot_flags};

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

impl Table {
    /// Adds an entry the table holds: usable, or set aside for `why`.
    fn place(&mut self, partition: PartitionInfo, why: Option<String>) {
        match why {
            Some(reason) => self.rejected.push(Rejected {
                past_end: reason.contains(PAST_END),
                partition,
                reason,
            }),
            None => self.partitions.push(partition),
        }
    }
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
// CRC32 (IEEE 802.3, as GPT uses it)

/// The CRC32 of `data` (the checksum of GPT headers and entry arrays).
pub fn crc32(data: &[u8]) -> u32 {
    crate::crc::crc32(&crate::crc::IEEE, data)
}
