//! Disk image containers: the virtual disk's bytes as a [`crate::source::ReadAt`], whatever
//! the file format (raw, VHD, VHDX, VMDK, QCOW2), read-only and lazily.
//!
//! [`open`] opens an image file (through [`crate::input::open`]: regular files only, read
//! access only), detects its format by content (magic numbers, never the extension) and
//! returns a [`Container`] whose `disk` reads only the metadata and data sectors a read
//! needs. [`open_source`] does the same for any source (the fuzz target passes bytes in
//! memory). Nothing here ever writes.
//!
//! Detection, in this order:
//! - `vhdxfile` at offset 0: VHDX ([`vhdx`]);
//! - `KDMV` at 0: a VMDK hosted sparse extent ([`vmdk`]);
//! - `QFI\xfb` at 0: QCOW2 ([`qcow2`]; version 1 is refused);
//! - `# Disk DescriptorFile` at 0: a VMDK descriptor naming its extent files ([`vmdk`]);
//! - `conectix` in the last 512 bytes, or at 0 (the footer copy of a dynamic VHD): VHD
//!   ([`vhd`]);
//! - `COWD` (VMware ESX sparse) and VirtualBox VDI are recognised and refused;
//! - anything else: a raw disk ([`raw`]).
//!
//! Each format has a small reader of its own, written from the public specification named
//! in its module. Crates were considered first (November 2026): `qcow2` (2016, v3 only),
//! `vhdx` (0.1, loads all metadata), and the young `qcow2-core`, `vhdx-core` and
//! `vmdk-core` (MIT, read-only, but `Read + Seek` readers that open files themselves,
//! outside [`crate::input::open`], with frequent breaking releases and yanked versions);
//! none gives positioned `&self` reads over an arbitrary source, so each format here is a
//! few hundred lines behind one trait.
//!
//! Hostile images: every offset and size read from the file is checked against the file's
//! size (with overflow checks) before use; virtual sizes above 64 TiB
//! ([`file::MAX_DISK`]) are refused; tables are read entry by entry through a small page
//! cache (never loaded whole, so no allocation grows with a size field); each read walks a
//! fixed number of table levels, so a table pointing back into metadata is just read, and
//! no loop follows a chain.

mod error;
mod file;
pub mod qcow2;
pub mod raw;
pub mod vhd;
pub mod vhdx;
pub mod vmdk;

pub use error::ContainerError;
pub use file::MAX_DISK;

use crate::source::ReadAt;
use file::ImageFile;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The container format of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Format {
    /// The disk's bytes as they are.
    Raw,
    /// A fixed VHD: the disk's bytes followed by a 512-byte footer.
    VhdFixed,
    /// A dynamic (sparse) VHD.
    VhdDynamic,
    /// A VHDX (dynamic or fixed).
    Vhdx,
    /// A VMDK hosted sparse extent (monolithicSparse), or a descriptor naming sparse
    /// extents.
    VmdkSparse,
    /// A VMDK descriptor naming flat extents (monolithicFlat, twoGbMaxExtentFlat).
    VmdkFlat,
    /// A QCOW2 image, version 2 or 3.
    Qcow2,
}

impl Format {
    /// The format's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Format::Raw => "raw",
            Format::VhdFixed => "VHD (fixed)",
            Format::VhdDynamic => "VHD (dynamic)",
            Format::Vhdx => "VHDX",
            Format::VmdkSparse => "VMDK (sparse)",
            Format::VmdkFlat => "VMDK (flat)",
            Format::Qcow2 => "QCOW2",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An opened image: its format and its virtual disk.
pub struct Container {
    /// The format detected.
    pub format: Format,
    /// The virtual disk's bytes (its `size` is the disk's size). Reads fail with an
    /// [`std::io::Error`] wrapping a [`ContainerError`] when the image is damaged where
    /// they reach, or uses something tlsreg does not read there (a compressed cluster).
    pub disk: Arc<dyn ReadAt>,
    /// The files the disk is read from: the image itself, then any VMDK extent files.
    pub files: Vec<PathBuf>,
}

impl std::fmt::Debug for Container {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Container")
            .field("format", &self.format)
            .field("size", &self.disk.size())
            .field("files", &self.files)
            .finish()
    }
}

/// Opens the image file at `path` read-only and detects its format by content. VMDK
/// extent files named by a descriptor are looked for beside it.
pub fn open(path: &Path) -> Result<Container, ContainerError> {
    let (file, _meta) = crate::input::open(path)?;
    let dir = path.parent().map(|d| {
        if d.as_os_str().is_empty() {
            Path::new(".")
        } else {
            d
        }
    });
    open_source(path, Arc::new(file), dir)
}

/// Detects the format of `src` (an image's bytes, named `label` in errors) and opens its
/// disk. `dir` is the folder a VMDK descriptor's extent files are named relative to;
/// without one, a descriptor is refused.
pub fn open_source(
    label: &Path,
    src: Arc<dyn ReadAt>,
    dir: Option<&Path>,
) -> Result<Container, ContainerError> {
    let file = Arc::new(ImageFile::new(label, src));
    let size = file.size();
    let mut head = [0u8; 512];
    let head_len = size.min(512) as usize;
    file.read_into("first sector", 0, &mut head[..head_len])?;
    let head = &head[..head_len];
    let mut tail = [0u8; 512];
    let has_tail = size >= 512;
    if has_tail {
        file.read_into("last sector", size - 512, &mut tail)?;
    }
    let one = |format, disk| {
        Ok(Container {
            format,
            disk,
            files: vec![label.to_path_buf()],
        })
    };
    if head.starts_with(vhdx::SIGNATURE) {
        return one(Format::Vhdx, vhdx::open(file)?);
    }
    if head.starts_with(vmdk::SPARSE_MAGIC) {
        return one(Format::VmdkSparse, vmdk::open_sparse(file)?);
    }
    if head.starts_with(qcow2::MAGIC) {
        return one(Format::Qcow2, qcow2::open(file)?);
    }
    if head.starts_with(vmdk::DESCRIPTOR_MAGIC) {
        return vmdk::open_descriptor(file, dir);
    }
    if (has_tail && tail.starts_with(vhd::COOKIE)) || head.starts_with(vhd::COOKIE) {
        let (format, disk) = vhd::open(file)?;
        return one(format, disk);
    }
    if head.starts_with(b"COWD") {
        return Err(file.unsupported(
            "is a VMware ESX sparse extent (COWD); tlsreg does not read that format: convert it to a monolithic sparse or flat VMDK, or to raw, with `qemu-img convert`",
        ));
    }
    if head.len() >= 68 && head[64..68] == [0x7f, 0x10, 0xda, 0xbe] {
        return Err(file.unsupported(
            "is a VirtualBox VDI image; tlsreg does not read that format: convert it to raw, VHD, VHDX, VMDK or QCOW2 with `qemu-img convert` or `VBoxManage clonemedium`",
        ));
    }
    one(Format::Raw, raw::open(file))
}
