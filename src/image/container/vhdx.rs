//! VHDX images (Hyper-V since Windows Server 2012), dynamic and fixed.
//!
//! From Microsoft's [MS-VHDX] "Virtual Hard Disk v2 (VHDX) File Format" (version 1.0); all
//! numbers are little-endian, GUIDs are stored as a u32, two u16 and eight bytes:
//! - **File type identifier** at 0: `vhdxfile`.
//! - Two **headers** at 64 KiB and 128 KiB, 4 KiB each: signature `head` (0), CRC-32C (4,
//!   over the 4 KiB with this field zero), sequence number (8, u64), file write, data
//!   write and log GUIDs (16, 32, 48), log version (64, u16), version (66, u16, must be 1),
//!   log length (68, u32), log offset (72, u64). A header is valid when its signature,
//!   checksum and version are; the valid one with the higher sequence number is current.
//!   A **log GUID that is not zero** means the log may hold writes not yet applied to the
//!   file: the file alone is then not the disk, and tlsreg refuses it (Hyper-V replays the
//!   log when it next opens the disk).
//! - Two **region tables** at 192 KiB and 256 KiB, 64 KiB each: signature `regi` (0),
//!   CRC-32C (4, over the 64 KiB), entry count (8, u32, at most 2047), entries of 32 bytes
//!   from 16: GUID, file offset (u64), length (u32), flags (u32, bit 0 "required"). The
//!   BAT region is `2DC27766-F623-4200-9D64-115E9BFD4A08`, the metadata region
//!   `8B7CA206-4790-4B9A-B8FE-575F050F886E`; an unknown required region is refused.
//! - The **metadata region** starts with a table: signature `metadata` (0), entry count
//!   (10, u16, at most 2047), entries of 32 bytes from 32: item GUID, offset (u32, from the
//!   region's start, at least 64 KiB), length (u32), flags (u32, bit 2 "required"). Items:
//!   file parameters `CAA16737-FA36-4D43-B3B6-33F0AA44E76B` (block size u32, 1 to 256 MiB
//!   and a power of two; flags u32, bit 1 "has parent"), virtual disk size
//!   `2FA54224-CD1B-4876-B211-5DBED83BF4B8` (u64), logical sector size
//!   `8141BF1D-A96F-4709-BA47-F233A8FAAB5F` (u32, 512 or 4096), parent locator
//!   `A8D35F2D-B30B-454D-ABF7-D3D84834AB0C` (differencing disks, refused).
//! - The **BAT** is an array of u64 entries: state in bits 0-2, file offset in MiB in bits
//!   20-63. Payload block entries are interleaved with sector bitmap entries: after every
//!   `chunk ratio` = 2^23 × logical sector size / block size payload entries comes one
//!   sector bitmap entry, so payload block `i` is entry `i + i / chunk ratio`. Payload
//!   states: 0 not present, 1 undefined, 2 zero, 3 unmapped (all read as zeros here), 6
//!   fully present (the block's data at the file offset), 7 partially present (only in
//!   differencing disks, where clear sector bitmap bits mean the parent's data: refused).
//!   A fixed VHDX is a VHDX whose blocks are all fully present.

use super::error::ContainerError;
use super::file::{
    bytes, check_disk_size, div_ceil, le16, le32, le64, ImageFile, Map, Mapped, Run,
};
use crate::source::ReadAt;
use std::sync::Arc;

/// The file type identifier's signature.
pub const SIGNATURE: &[u8; 8] = b"vhdxfile";
const KIB: u64 = 1024;
const MIB: u64 = 1024 * 1024;
const HEADERS: [u64; 2] = [64 * KIB, 128 * KIB];
const HEADER_LEN: usize = 4096;
const REGION_TABLES: [u64; 2] = [192 * KIB, 256 * KIB];
const REGION_TABLE_LEN: usize = 64 * 1024;
const MAX_ENTRIES: u64 = 2047;

/// A GUID as stored: u32, u16, u16 little-endian, then eight bytes.
type Guid = [u8; 16];

/// Makes a stored GUID from its text form's numbers.
const fn guid(d1: u32, d2: u16, d3: u16, d4: [u8; 8]) -> Guid {
    let a = d1.to_le_bytes();
    let b = d2.to_le_bytes();
    let c = d3.to_le_bytes();
    [
        a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], d4[0], d4[1], d4[2], d4[3], d4[4], d4[5],
        d4[6], d4[7],
    ]
}

const BAT_REGION: Guid = guid(
    0x2DC2_7766,
    0xF623,
    0x4200,
    [0x9D, 0x64, 0x11, 0x5E, 0x9B, 0xFD, 0x4A, 0x08],
);
const METADATA_REGION: Guid = guid(
    0x8B7C_A206,
    0x4790,
    0x4B9A,
    [0xB8, 0xFE, 0x57, 0x5F, 0x05, 0x0F, 0x88, 0x6E],
);
const FILE_PARAMETERS: Guid = guid(
    0xCAA1_6737,
    0xFA36,
    0x4D43,
    [0xB3, 0xB6, 0x33, 0xF0, 0xAA, 0x44, 0xE7, 0x6B],
);
const VIRTUAL_DISK_SIZE: Guid = guid(
    0x2FA5_4224,
    0xCD1B,
    0x4876,
    [0xB2, 0x11, 0x5D, 0xBE, 0xD8, 0x3B, 0xF4, 0xB8],
);
const LOGICAL_SECTOR_SIZE: Guid = guid(
    0x8141_BF1D,
    0xA96F,
    0x4709,
    [0xBA, 0x47, 0xF2, 0x33, 0xA8, 0xFA, 0xAB, 0x5F],
);
const PARENT_LOCATOR: Guid = guid(
    0xA8D3_5F2D,
    0xB30B,
    0x454D,
    [0xAB, 0xF7, 0xD3, 0xD8, 0x48, 0x34, 0xAB, 0x0C],
);

/// A stored GUID in its text form.
fn guid_text(g: &[u8]) -> String {
    format!(
        "{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{}",
        le32(g, 0),
        le16(g, 4),
        le16(g, 6),
        g[8],
        g[9],
        g[10..16]
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<String>()
    )
}

/// CRC-32C of `b` with the 4 bytes at `field` taken as zero, as VHDX checksums are made.
pub fn checksum(b: &[u8], field: usize) -> u32 {
    let bytes = b.iter().enumerate().map(|(i, &x)| {
        if (field..field + 4).contains(&i) {
            0
        } else {
            x
        }
    });
    !crate::crc::update(&crate::crc::CASTAGNOLI, !0, bytes)
}

/// The current header, or why there is none.
fn current_header(file: &ImageFile) -> Result<(u64, Vec<u8>), ContainerError> {
    let mut best: Option<(u64, u64, Vec<u8>)> = None;
    let mut why = Vec::new();
    for at in HEADERS {
        let h = file.read("VHDX header", at, HEADER_LEN)?;
        if &h[0..4] != b"head" {
            why.push(format!("the one at {at:#x} has no \"head\" signature"));
        } else if checksum(&h, 4) != le32(&h, 4) {
            why.push(format!("the one at {at:#x} fails its CRC-32C checksum"));
        } else if le16(&h, 66) != 1 {
            why.push(format!(
                "the one at {at:#x} is version {}, not 1",
                le16(&h, 66)
            ));
        } else {
            let seq = le64(&h, 8);
            if best.as_ref().is_none_or(|(s, _, _)| seq > *s) {
                best = Some((seq, at, h));
            }
        }
    }
    match best {
        Some((_, at, h)) => Ok((at, h)),
        None => Err(file.invalid(
            HEADERS[0],
            format!("neither VHDX header is valid: {}", why.join("; ")),
        )),
    }
}

/// The valid region table (the first, else its copy).
fn region_table(file: &ImageFile) -> Result<(u64, Vec<u8>), ContainerError> {
    let mut why = Vec::new();
    for at in REGION_TABLES {
        let t = file.read("VHDX region table", at, REGION_TABLE_LEN)?;
        if &t[0..4] != b"regi" {
            why.push(format!("the one at {at:#x} has no \"regi\" signature"));
        } else if checksum(&t, 4) != le32(&t, 4) {
            why.push(format!("the one at {at:#x} fails its CRC-32C checksum"));
        } else if u64::from(le32(&t, 8)) > MAX_ENTRIES {
            why.push(format!(
                "the one at {at:#x} claims {} entries (at most 2047)",
                le32(&t, 8)
            ));
        } else {
            return Ok((at, t));
        }
    }
    Err(file.invalid(
        REGION_TABLES[0],
        format!("neither VHDX region table is valid: {}", why.join("; ")),
    ))
}

/// Opens a VHDX file.
pub(super) fn open(file: Arc<ImageFile>) -> Result<Arc<dyn ReadAt>, ContainerError> {
    let (header_at, header) = current_header(&file)?;
    let log = &header[48..64];
    if log.iter().any(|&b| b != 0) {
        return Err(file.unsupported(format!(
            "the VHDX log is not empty (the header at {header_at:#x} names log {}): the disk was not closed cleanly and its latest writes are still in the log, which must be replayed before the file can be read as it is; attach the disk once in Hyper-V (or run `qemu-img check -r all` on it, which replays the log) and try again",
            guid_text(log)
        )));
    }

    let (rt_at, rt) = region_table(&file)?;
    let mut bat: Option<(u64, u64)> = None;
    let mut meta: Option<(u64, u64)> = None;
    for i in 0..u64::from(le32(&rt, 8)) {
        let e = &rt[16 + 32 * i as usize..16 + 32 * (i as usize + 1)];
        let entry_at = rt_at + 16 + 32 * i;
        let (offset, len, required) = (le64(e, 16), u64::from(le32(e, 24)), le32(e, 28) & 1 != 0);
        let id: Guid = e[0..16].try_into().expect("16 bytes");
        let slot = if id == BAT_REGION {
            &mut bat
        } else if id == METADATA_REGION {
            &mut meta
        } else if required {
            return Err(file.unsupported(format!(
                "the VHDX region table entry at {entry_at:#x} names a required region {} that tlsreg does not know",
                guid_text(&id)
            )));
        } else {
            continue;
        };
        if offset < MIB || offset % MIB != 0 || len % MIB != 0 {
            return Err(file.invalid(
                entry_at,
                format!("the VHDX region at {offset:#x} of {len} bytes is not aligned to 1 MiB past the header section"),
            ));
        }
        file.check(
            if id == BAT_REGION {
                "VHDX BAT region"
            } else {
                "VHDX metadata region"
            },
            offset,
            len,
        )?;
        *slot = Some((offset, len));
    }
    let Some((bat_at, bat_len)) = bat else {
        return Err(file.invalid(rt_at, "the VHDX region table has no BAT region"));
    };
    let Some((meta_at, meta_len)) = meta else {
        return Err(file.invalid(rt_at, "the VHDX region table has no metadata region"));
    };

    let m = Metadata::read(&file, meta_at, meta_len)?;
    if m.has_parent {
        return Err(file.unsupported(
            "is a differencing VHDX: it has a parent disk; tlsreg reads only standalone images (merge it into its parent in Hyper-V, or convert it with `qemu-img convert -O vhdx`)",
        ));
    }
    let chunk_ratio = ((1u64 << 23) * m.sector) / m.block;
    let blocks = div_ceil(m.size, m.block);
    let entries = if blocks == 0 {
        0
    } else {
        blocks + (blocks - 1) / chunk_ratio
    };
    if entries * 8 > bat_len {
        return Err(file.invalid(
            bat_at,
            format!(
                "the VHDX BAT region holds {} entries, but a disk of {} in blocks of {} needs {entries}",
                bat_len / 8,
                bytes(m.size),
                bytes(m.block)
            ),
        ));
    }
    let map = Bat {
        file: file.clone(),
        size: m.size,
        bat_at,
        block: m.block,
        chunk_ratio,
    };
    Ok(Arc::new(Mapped {
        file,
        size: m.size,
        map,
    }))
}

/// What the metadata region says.
struct Metadata {
    block: u64,
    size: u64,
    sector: u64,
    has_parent: bool,
}

impl Metadata {
    fn read(file: &ImageFile, at: u64, len: u64) -> Result<Metadata, ContainerError> {
        let table = file.read("VHDX metadata table", at, 64 * 1024)?;
        if &table[0..8] != b"metadata" {
            return Err(file.invalid(
                at,
                "the VHDX metadata region does not start with \"metadata\"",
            ));
        }
        let count = u64::from(le16(&table, 10));
        if count > MAX_ENTRIES {
            return Err(file.invalid(
                at + 10,
                format!("the VHDX metadata table claims {count} entries (at most 2047)"),
            ));
        }
        let mut params: Option<(u32, u32)> = None;
        let mut size: Option<u64> = None;
        let mut sector: Option<u32> = None;
        let mut has_parent = false;
        for i in 0..count as usize {
            let e = &table[32 + 32 * i..64 + 32 * i];
            let entry_at = at + 32 + 32 * i as u64;
            let id: Guid = e[0..16].try_into().expect("16 bytes");
            let (off, n, flags) = (u64::from(le32(e, 16)), u64::from(le32(e, 20)), le32(e, 24));
            let value = |want: u64| -> Result<Vec<u8>, ContainerError> {
                if n < want || off < 64 * 1024 || off + want > len {
                    return Err(file.invalid(
                        entry_at,
                        format!("the VHDX metadata item {} at region offset {off:#x} ({n} bytes) does not fit its region of {len} bytes", guid_text(&id)),
                    ));
                }
                file.read("VHDX metadata item", at + off, want as usize)
            };
            if id == FILE_PARAMETERS {
                let v = value(8)?;
                params = Some((le32(&v, 0), le32(&v, 4)));
            } else if id == VIRTUAL_DISK_SIZE {
                size = Some(le64(&value(8)?, 0));
            } else if id == LOGICAL_SECTOR_SIZE {
                sector = Some(le32(&value(4)?, 0));
            } else if id == PARENT_LOCATOR {
                has_parent = true;
            } else if flags & 4 != 0 && flags & 1 == 0 {
                // Known system items (disk id, physical sector size) are not needed; an
                // unknown required system item changes how the disk reads.
                let known = [
                    guid(
                        0xBECA_12AB,
                        0xB2E6,
                        0x4523,
                        [0x93, 0xEF, 0xC3, 0x09, 0xE0, 0x00, 0xC7, 0x46],
                    ),
                    guid(
                        0xCDA3_48C7,
                        0x445D,
                        0x4471,
                        [0x9C, 0xC9, 0xE9, 0x88, 0x52, 0x51, 0xC5, 0x56],
                    ),
                ];
                if !known.contains(&id) {
                    return Err(file.unsupported(format!(
                        "the VHDX metadata entry at {entry_at:#x} names a required item {} that tlsreg does not know",
                        guid_text(&id)
                    )));
                }
            }
        }
        let missing =
            |what: &str| file.invalid(at, format!("the VHDX metadata has no {what} item"));
        let (block, flags) = params.ok_or_else(|| missing("file parameters"))?;
        let size = size.ok_or_else(|| missing("virtual disk size"))?;
        let sector = sector.ok_or_else(|| missing("logical sector size"))?;
        let block = u64::from(block);
        if !(MIB..=256 * MIB).contains(&block) || !block.is_power_of_two() {
            return Err(file.invalid(
                at,
                format!(
                    "the VHDX block size is {}; it must be a power of two from 1 MiB to 256 MiB",
                    bytes(block)
                ),
            ));
        }
        if sector != 512 && sector != 4096 {
            return Err(file.invalid(
                at,
                format!("the VHDX logical sector size is {sector}; it must be 512 or 4096"),
            ));
        }
        check_disk_size(file, at, size)?;
        Ok(Metadata {
            block,
            size,
            sector: u64::from(sector),
            has_parent: has_parent || flags & 2 != 0,
        })
    }
}

/// A VHDX's map: the BAT.
struct Bat {
    file: Arc<ImageFile>,
    size: u64,
    bat_at: u64,
    block: u64,
    chunk_ratio: u64,
}

impl Map for Bat {
    fn map(&self, pos: u64, _want: u64) -> Result<(Run, u64), ContainerError> {
        let index = pos / self.block;
        let within = pos % self.block;
        let len = (self.block - within).min(self.size - pos);
        let entry_at = self.bat_at + 8 * (index + index / self.chunk_ratio);
        let entry = self.file.u64_le("VHDX BAT entry", entry_at)?;
        match entry & 7 {
            0..=3 => Ok((Run::Zeros, len)),
            6 => {
                let at = (entry >> 20).checked_mul(MIB).and_then(|a| a.checked_add(within));
                let Some(at) = at.filter(|&a| a >= MIB) else {
                    return Err(self.file.invalid(
                        entry_at,
                        format!("the VHDX BAT entry of disk offset {:#x} places its block inside the header section or past any file", pos - within),
                    ));
                };
                Ok((Run::Data(at), len))
            }
            7 => Err(self.file.unsupported(format!(
                "the VHDX block at disk offset {:#x} is partially present (its BAT entry at {entry_at:#x}), which only a differencing disk with a parent may have; tlsreg reads only standalone images",
                pos - within
            ))),
            s => Err(self.file.invalid(
                entry_at,
                format!("the VHDX BAT entry of disk offset {:#x} has the undefined state {s}", pos - within),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_and_guids_are_the_published_ones() {
        // The CRC-32C check value (RFC 3720, B.4: "123456789" → E3069283).
        // (The checksum field, at 100, lies outside these 9 bytes.)
        assert_eq!(checksum(b"123456789", 100), 0xE306_9283);
        assert_eq!(
            guid_text(&BAT_REGION),
            "2DC27766-F623-4200-9D64-115E9BFD4A08"
        );
        assert_eq!(
            &METADATA_REGION[..4],
            &[0x06, 0xA2, 0x7C, 0x8B],
            "the first field is stored little-endian"
        );
    }
}
