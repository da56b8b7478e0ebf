//! QCOW2 images (QEMU, libvirt, Proxmox, OpenStack), versions 2 and 3.
//!
//! From QEMU's `docs/interop/qcow2.txt` ("QCOW2 Image Format"); all numbers big-endian:
//! - **Header**: magic `QFI\xfb` (0), version (4, u32: 2 or 3), backing file offset and
//!   size (8, u64; 16, u32: a backing file means clusters not in this file come from
//!   another image), cluster bits (20, u32: clusters of `1 << cluster_bits` bytes, 9 to
//!   21), virtual size (24, u64), encryption method (32, u32: 0 none), L1 size (36, u32
//!   entries), L1 table offset (40, u64), refcount table offset and clusters (48, 56),
//!   snapshots (60, 64). Version 3 adds incompatible features (72, u64: bit 0 dirty, bit
//!   1 corrupt, bit 2 external data file, bit 3 compression type, bit 4 extended L2
//!   entries; an unknown bit must make a reader refuse the image), compatible and
//!   autoclear features (80, 88), refcount order (96, u32), header length (100, u32).
//! - The **L1 table** holds u64 entries, one per L2 table: bits 9-55 the L2 table's
//!   offset (cluster-aligned; 0 = no L2 table, all its clusters unallocated). An L2
//!   table is one cluster of u64 entries (128-bit entries with extended L2): bit 62
//!   "compressed", and for a standard cluster bits 9-55 the host cluster offset (0 =
//!   unallocated: zeros here, since backing files are refused) and bit 0 "reads as
//!   zeros" (version 3). With extended L2 entries the second u64 is a bitmap of the
//!   cluster's 32 subclusters: bit `x` allocated, bit `32 + x` reads as zeros.
//! - A **compressed cluster**'s L2 entry holds, with x = 62 - (cluster_bits - 8), the
//!   host byte offset of its data in bits 0 to x-1 (not aligned) and in bits x to 61 the
//!   number of 512-byte sectors it takes after the one holding that offset. The data is a
//!   raw deflate stream (compression type 0; zstd, type 1 in header byte 104, is refused
//!   at the disk offset that reaches one) that inflates to exactly one cluster.
//! - Refcounts and snapshots are not needed to read the active disk and are ignored, and so
//!   are the dirty and corrupt bits (reads never change anything). Encryption, backing
//!   files and external data files are refused when the image is opened.

use super::error::ContainerError;
use super::file::{
    be32, be64, bytes, check_disk_size, div_ceil, inflate, ImageFile, Inflated, Map, Mapped, Run,
};
use crate::source::ReadAt;
use std::sync::Arc;

/// The magic at offset 0.
pub const MAGIC: &[u8; 4] = b"QFI\xfb";
/// Bits 9-55 of an L1 or L2 entry: a host offset.
const OFFSET_MASK: u64 = 0x00FF_FFFF_FFFF_FE00;
const COMPRESSED: u64 = 1 << 62;
const ZERO: u64 = 1;
const INCOMPAT_EXTERNAL_DATA: u64 = 1 << 2;
const INCOMPAT_COMPRESSION_TYPE: u64 = 1 << 3;
const INCOMPAT_EXTENDED_L2: u64 = 1 << 4;
/// The incompatible feature bits this reader knows: dirty, corrupt, compression type and
/// extended L2 entries.
const INCOMPAT_KNOWN: u64 = 0b1_1011;
/// The longest backing file name QEMU writes.
const MAX_BACKING_NAME: u64 = 1023;

/// Opens a QCOW2 image.
pub(super) fn open(file: Arc<ImageFile>) -> Result<Arc<dyn ReadAt>, ContainerError> {
    let h = file.read("QCOW2 header", 0, 72)?;
    let version = be32(&h, 4);
    if version != 2 && version != 3 {
        return Err(file.unsupported(format!(
            "is a QCOW image of version {version}; tlsreg reads QCOW2 versions 2 and 3 (convert it with `qemu-img convert -O qcow2`)"
        )));
    }
    let backing_at = be64(&h, 8);
    let backing_len = u64::from(be32(&h, 16));
    let cluster_bits = be32(&h, 20);
    let size = be64(&h, 24);
    let crypt = be32(&h, 32);
    let l1_size = u64::from(be32(&h, 36));
    let l1_at = be64(&h, 40);

    let mut incompatible = 0;
    let mut compression = 0;
    if version == 3 {
        let v3 = file.read("QCOW2 version 3 header", 0, 104)?;
        incompatible = be64(&v3, 72);
        let header_len = be32(&v3, 100);
        if header_len < 104 {
            return Err(file.invalid(
                100,
                format!(
                    "the QCOW2 version 3 header length is {header_len}; it must be at least 104"
                ),
            ));
        }
        if header_len > 104 && incompatible & INCOMPAT_COMPRESSION_TYPE != 0 {
            compression = file.read("QCOW2 compression type", 104, 1)?[0];
        }
    }
    if backing_at != 0 {
        let name = if backing_len <= MAX_BACKING_NAME {
            file.read("QCOW2 backing file name", backing_at, backing_len as usize)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_else(|_| "(its name cannot be read)".into())
        } else {
            "(its name is too long to be real)".into()
        };
        return Err(file.unsupported(format!(
            "the QCOW2 image has a backing file, {name:?}: clusters it does not hold itself come from that image; tlsreg reads only standalone images (flatten it with `qemu-img convert -O qcow2` first)"
        )));
    }
    if crypt != 0 {
        return Err(file.unsupported(format!(
            "the QCOW2 image is encrypted (method {crypt}); tlsreg does not read encrypted images"
        )));
    }
    if incompatible & INCOMPAT_EXTERNAL_DATA != 0 {
        return Err(file.unsupported(
            "the QCOW2 image keeps its data in an external data file; tlsreg reads only self-contained images (convert it with `qemu-img convert -O qcow2` first)",
        ));
    }
    if incompatible & !INCOMPAT_KNOWN != 0 {
        return Err(file.unsupported(format!(
            "the QCOW2 image uses incompatible features tlsreg does not know (bits {:#x} of the feature field at offset 0x48)",
            incompatible & !INCOMPAT_KNOWN
        )));
    }
    if !(9..=21).contains(&cluster_bits) {
        return Err(file.invalid(
            20,
            format!("the QCOW2 cluster bits are {cluster_bits}; they must be 9 to 21 (512 bytes to 2 MiB clusters)"),
        ));
    }
    check_disk_size(&file, 24, size)?;
    let cluster = 1u64 << cluster_bits;
    let extended = incompatible & INCOMPAT_EXTENDED_L2 != 0;
    let entry_len = if extended { 16 } else { 8 };
    let l2_entries = cluster / entry_len;
    let needed = div_ceil(size, cluster * l2_entries);
    if l1_size < needed {
        return Err(file.invalid(
            36,
            format!(
                "the QCOW2 L1 table has {l1_size} entries, but a disk of {} in clusters of {} needs {needed}",
                bytes(size),
                bytes(cluster)
            ),
        ));
    }
    if !l1_at.is_multiple_of(cluster) {
        return Err(file.invalid(
            40,
            format!("the QCOW2 L1 table offset {l1_at:#x} is not aligned to a cluster"),
        ));
    }
    file.check("QCOW2 L1 table", l1_at, l1_size * 8)?;
    let map = L1 {
        file: file.clone(),
        size,
        cluster_bits,
        l1_at,
        l2_entries,
        entry_len,
        extended,
        compression,
        inflated: Inflated::default(),
    };
    Ok(Arc::new(Mapped { file, size, map }))
}

/// A QCOW2 image's map: the L1 table and the L2 tables it points to.
struct L1 {
    file: Arc<ImageFile>,
    size: u64,
    cluster_bits: u32,
    l1_at: u64,
    l2_entries: u64,
    entry_len: u64,
    extended: bool,
    /// The compression type (v3 header byte 104): 0 deflate, 1 zstd.
    compression: u8,
    inflated: Inflated,
}

impl L1 {
    /// The inflated bytes of the compressed cluster whose L2 entry is `l2`.
    fn compressed(
        &self,
        l2: u64,
        l2_entry_at: u64,
        cluster_start: u64,
    ) -> Result<Arc<Vec<u8>>, ContainerError> {
        if self.compression != 0 {
            return Err(self.file.unsupported(format!(
                "the QCOW2 cluster at disk offset {cluster_start:#x} is compressed with zstd (compression type {}); tlsreg inflates only deflate: convert the image (`qemu-img convert -O qcow2`) first",
                self.compression
            )));
        }
        // Bits 0 to x-1 the host byte offset, x to 61 the number of sectors after the
        // one holding that offset, x = 62 - (cluster_bits - 8).
        let x = 62 - (self.cluster_bits - 8);
        let host = l2 & ((1u64 << x) - 1) & 0x00FF_FFFF_FFFF_FFFF;
        let more = (l2 & !COMPRESSED & !(1 << 63)) >> x;
        let end = (host & !511) + (more + 1) * 512;
        // The last sectors of the last compressed cluster may lie past the end of the
        // file (QEMU does not pad it).
        let end = end.min(self.file.size());
        if host >= end {
            return Err(self.file.invalid(
                l2_entry_at,
                format!("the QCOW2 compressed cluster of disk offset {cluster_start:#x} starts at {host:#x}, past the end of the file"),
            ));
        }
        self.inflated.get(host, || {
            let input = self.file.read("QCOW2 compressed cluster", host, (end - host) as usize)?;
            let cluster = 1usize << self.cluster_bits;
            match inflate(&input, cluster, false) {
                Ok((out, n)) if n == cluster => Ok(out),
                Ok((_, n)) => Err(self.file.invalid(
                    host,
                    format!("the QCOW2 compressed cluster of disk offset {cluster_start:#x} inflates to {n} bytes instead of {cluster}"),
                )),
                Err(why) => Err(self.file.invalid(
                    host,
                    format!("the QCOW2 compressed cluster of disk offset {cluster_start:#x} is damaged: {why}"),
                )),
            }
        })
    }
}

impl Map for L1 {
    fn map(&self, pos: u64, _want: u64) -> Result<(Run, u64), ContainerError> {
        let cluster = 1u64 << self.cluster_bits;
        let index = pos >> self.cluster_bits;
        let within = pos & (cluster - 1);
        let to_cluster_end = (cluster - within).min(self.size - pos);
        let l1_entry_at = self.l1_at + 8 * (index / self.l2_entries);
        let l1 = self.file.u64_be("QCOW2 L1 table entry", l1_entry_at)?;
        let l2_at = l1 & OFFSET_MASK;
        if l2_at == 0 {
            return Ok((Run::Zeros, to_cluster_end));
        }
        if !l2_at.is_multiple_of(cluster) {
            return Err(self.file.invalid(
                l1_entry_at,
                format!("the QCOW2 L1 entry for disk offset {pos:#x} points to an L2 table at {l2_at:#x}, which is not aligned to a cluster"),
            ));
        }
        let l2_entry_at = l2_at + self.entry_len * (index % self.l2_entries);
        let l2 = self.file.u64_be("QCOW2 L2 table entry", l2_entry_at)?;
        let cluster_start = pos - within;
        if l2 & COMPRESSED != 0 {
            let buf = self.compressed(l2, l2_entry_at, cluster_start)?;
            return Ok((Run::Buffer(buf, within as usize), to_cluster_end));
        }
        let host = l2 & OFFSET_MASK;
        if !host.is_multiple_of(cluster) {
            return Err(self.file.invalid(
                l2_entry_at,
                format!("the QCOW2 L2 entry for disk offset {cluster_start:#x} points to data at {host:#x}, which is not aligned to a cluster"),
            ));
        }
        if !self.extended {
            if l2 & ZERO != 0 || host == 0 {
                return Ok((Run::Zeros, to_cluster_end));
            }
            return Ok((Run::Data(host + within), to_cluster_end));
        }
        let bitmap = self
            .file
            .u64_be("QCOW2 extended L2 subcluster bitmap", l2_entry_at + 8)?;
        let sub_bits = self.cluster_bits - 5;
        let sub = within >> sub_bits;
        let len = (((sub + 1) << sub_bits) - within).min(self.size - pos);
        let allocated = bitmap & (1 << sub) != 0;
        let zero = bitmap & (1 << (32 + sub)) != 0;
        match (allocated, zero) {
            (true, true) => Err(self.file.invalid(
                l2_entry_at + 8,
                format!("the QCOW2 subcluster at disk offset {:#x} is marked both allocated and zero", pos - (within & ((1 << sub_bits) - 1))),
            )),
            (true, false) if host != 0 => Ok((Run::Data(host + within), len)),
            (true, false) => Err(self.file.invalid(
                l2_entry_at,
                format!("the QCOW2 subcluster at disk offset {pos:#x} is marked allocated in a cluster with no host offset"),
            )),
            _ => Ok((Run::Zeros, len)),
        }
    }
}
