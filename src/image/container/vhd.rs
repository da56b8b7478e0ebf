//! VHD images (Virtual PC, Hyper-V before VHDX, Azure), fixed and dynamic.
//!
//! From Microsoft's "Virtual Hard Disk Image Format Specification" (version 1.0, 2006); all
//! numbers are big-endian:
//! - The 512-byte **footer** is the last 512 bytes of the file: cookie `conectix` (0),
//!   data offset (16, u64: the dynamic header's file offset, all ones for a fixed disk),
//!   current size (48, u64: the disk's size in bytes, which is what Hyper-V and tlsreg
//!   use; Virtual PC and QEMU's own images also derive a size from the CHS geometry at 56,
//!   which QEMU makes equal to the current size when it writes an image), disk type (60,
//!   u32: 2 fixed, 3 dynamic, 4 differencing), checksum (64, u32: the ones' complement of
//!   the sum of the footer's bytes with the checksum field taken as zero). A dynamic disk
//!   also has a copy of the footer at offset 0.
//! - A **fixed** disk is the disk's bytes followed by the footer.
//! - A **dynamic** disk has a 1024-byte dynamic header at the data offset: cookie
//!   `cxsparse` (0), table offset (16, u64: the BAT's file offset), max table entries (28,
//!   u32), block size (32, u32, 2 MiB by default), checksum (36), parent unicode name (64,
//!   512 bytes of UTF-16BE, for differencing disks).
//! - The **BAT** is an array of u32 sector numbers, one per block; `0xFFFFFFFF` is a block
//!   never written (zeros). A block starts with its sector bitmap (one bit per sector,
//!   most significant bit first, padded to a whole sector), then the block's data. A set
//!   bit is a sector holding data; a clear bit in a dynamic disk is a sector never written,
//!   which reads as zeros (in a differencing disk it would be the parent's).
//!
//! Checksums are not enforced (QEMU only warns about them): a footer with a good checksum
//! is preferred, the end one before the copy at 0. Differencing disks are refused.

use super::error::ContainerError;
use super::file::{be32, be64, bytes, check_disk_size, div_ceil, ImageFile, Map, Mapped, Run};
use super::Format;
use crate::source::{ReadAt, Slice};
use std::sync::Arc;

/// The footer's cookie.
pub const COOKIE: &[u8; 8] = b"conectix";
/// The dynamic header's cookie.
const DYNAMIC_COOKIE: &[u8; 8] = b"cxsparse";
const SECTOR: u64 = 512;
const UNUSED: u32 = 0xFFFF_FFFF;
/// The largest block size accepted (the specification's default is 2 MiB, Hyper-V also
/// uses 512 KiB).
const MAX_BLOCK: u64 = 256 << 20;

/// The VHD checksum of a footer or dynamic header: the ones' complement of the byte sum,
/// with the checksum field at `field` counted as zero.
fn checksum(b: &[u8], field: usize) -> u32 {
    let sum = b
        .iter()
        .enumerate()
        .filter(|(i, _)| !(field..field + 4).contains(i))
        .fold(0u32, |s, (_, &x)| s.wrapping_add(u32::from(x)));
    !sum
}

/// Opens a VHD whose footer (at the end, or its copy at 0) has the `conectix` cookie.
pub(super) fn open(file: Arc<ImageFile>) -> Result<(Format, Arc<dyn ReadAt>), ContainerError> {
    let size = file.size();
    let mut candidates: Vec<(u64, Vec<u8>)> = Vec::new();
    if size >= SECTOR {
        candidates.push((size - SECTOR, file.read("VHD footer", size - SECTOR, 512)?));
        candidates.push((0, file.read("VHD footer copy", 0, 512)?));
    }
    candidates.retain(|(_, b)| b.starts_with(COOKIE));
    let good = candidates
        .iter()
        .position(|(_, b)| checksum(b, 64) == be32(b, 64));
    let Some(i) = good.or((!candidates.is_empty()).then_some(0)) else {
        return Err(file.invalid(
            0,
            "the file starts with the VHD cookie \"conectix\" but is shorter than a VHD footer (512 bytes)",
        ));
    };
    let (at, footer) = &candidates[i];
    let at = *at;
    let disk_type = be32(footer, 60);
    let data_offset = be64(footer, 16);
    let disk_size = be64(footer, 48);
    check_disk_size(&file, at + 48, disk_size)?;
    match disk_type {
        2 => {
            if at == 0 && size > SECTOR {
                return Err(file.invalid(
                    size - SECTOR,
                    "a fixed VHD must end with its footer, but the last 512 bytes are not a VHD footer",
                ));
            }
            file.check("data of the fixed VHD", 0, disk_size)?;
            if disk_size > at {
                return Err(ContainerError::Truncated {
                    path: file.path().to_path_buf(),
                    what: "data of the fixed VHD".into(),
                    offset: 0,
                    len: disk_size,
                    size: at,
                });
            }
            let disk = Slice::new(file.src().clone(), 0, disk_size)
                .expect("the range was checked against the file");
            Ok((Format::VhdFixed, Arc::new(disk)))
        }
        3 => open_dynamic(file, data_offset, disk_size),
        4 => {
            let parent = parent_name(&file, data_offset)
                .map(|n| format!(" (\"{n}\")"))
                .unwrap_or_default();
            Err(file.unsupported(format!(
                "is a differencing VHD: it has a parent disk{parent}; tlsreg reads only standalone images (merge it into its parent, or convert it with `qemu-img convert -O vpc`)"
            )))
        }
        t => Err(file.invalid(
            at + 60,
            format!("the VHD footer's disk type is {t}; it should be 2 (fixed), 3 (dynamic) or 4 (differencing)"),
        )),
    }
}

/// The parent's name in a differencing disk's dynamic header, if it can be read.
fn parent_name(file: &ImageFile, header_at: u64) -> Option<String> {
    let h = file.read("VHD dynamic header", header_at, 1024).ok()?;
    let units: Vec<u16> = h[64..576]
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    let name = String::from_utf16_lossy(&units);
    (!name.is_empty()).then_some(name)
}

/// A dynamic VHD's map: the BAT and sector bitmaps.
struct Dynamic {
    file: Arc<ImageFile>,
    size: u64,
    bat_at: u64,
    block: u64,
    /// Bytes of sector bitmap before each block's data (whole sectors).
    bitmap_len: u64,
}

fn open_dynamic(
    file: Arc<ImageFile>,
    header_at: u64,
    disk_size: u64,
) -> Result<(Format, Arc<dyn ReadAt>), ContainerError> {
    let h = file.read("VHD dynamic header", header_at, 1024)?;
    if !h.starts_with(DYNAMIC_COOKIE) {
        return Err(file.invalid(
            header_at,
            "the footer of this dynamic VHD points here for its dynamic header, but there is no \"cxsparse\" cookie",
        ));
    }
    let bat_at = be64(&h, 16);
    let entries = u64::from(be32(&h, 28));
    let block = u64::from(be32(&h, 32));
    if !(SECTOR..=MAX_BLOCK).contains(&block) || block % SECTOR != 0 {
        return Err(file.invalid(
            header_at + 32,
            format!(
                "the VHD block size is {}; it must be a multiple of 512 bytes up to {}",
                bytes(block),
                bytes(MAX_BLOCK)
            ),
        ));
    }
    let blocks = div_ceil(disk_size, block);
    if blocks > entries {
        return Err(file.invalid(
            header_at + 28,
            format!(
                "the VHD block allocation table has {entries} entries, but the disk of {} needs {blocks} blocks of {}",
                bytes(disk_size),
                bytes(block)
            ),
        ));
    }
    file.check("VHD block allocation table", bat_at, blocks * 4)?;
    let bitmap_len = div_ceil(div_ceil(block / SECTOR, 8), SECTOR) * SECTOR;
    let map = Dynamic {
        file: file.clone(),
        size: disk_size,
        bat_at,
        block,
        bitmap_len,
    };
    Ok((
        Format::VhdDynamic,
        Arc::new(Mapped {
            file,
            size: disk_size,
            map,
        }),
    ))
}

impl Map for Dynamic {
    fn map(&self, pos: u64, want: u64) -> Result<(Run, u64), ContainerError> {
        let index = pos / self.block;
        let within = pos % self.block;
        let block_end = (self.block - within).min(self.size - pos);
        let entry_at = self.bat_at + index * 4;
        let entry = self
            .file
            .u32_be("VHD block allocation table entry", entry_at)?;
        if entry == UNUSED {
            return Ok((Run::Zeros, block_end));
        }
        let block_at = u64::from(entry) * SECTOR;
        // The sectors this read covers within the block, and their bits.
        let first = within / SECTOR;
        // At most 4096 sectors (512 bitmap bytes) per run, so alternating bits cost no
        // more than the data they describe.
        let last = ((within + want.min(block_end) - 1) / SECTOR).min(first + 4095);
        let bits_at = block_at + first / 8;
        let nbytes = (last / 8 - first / 8 + 1) as usize;
        let mut bits = vec![0u8; nbytes];
        self.file
            .table_bytes("VHD sector bitmap", bits_at, &mut bits)?;
        let bit = |s: u64| {
            let b = bits[(s / 8 - first / 8) as usize];
            b & (0x80 >> (s % 8)) != 0
        };
        let present = bit(first);
        let mut end = first + 1;
        while end <= last && bit(end) == present {
            end += 1;
        }
        let len = (end * SECTOR - within).min(block_end);
        if present {
            let data_at = block_at
                .checked_add(self.bitmap_len + within)
                .ok_or_else(|| {
                    self.file
                        .invalid(entry_at, "the VHD block's offset overflows")
                })?;
            Ok((Run::Data(data_at), len))
        } else {
            Ok((Run::Zeros, len))
        }
    }
}
