//! A disk image's Windows installations as hive sources, for the jobs (`audit --image`,
//! `export --image`, `diff` of an image): the container opened ([`crate::image::container`]),
//! the Windows volumes found ([`crate::image::volume`]), and each volume's SYSTEM and
//! SOFTWARE hives, with the logs beside them, as [`HiveSource`]s named after the image, the
//! partition and the path inside it. Nothing is written; only what is read is read.

use crate::hive::{HiveSource, Logs};
use crate::image::container::{self, ContainerError};
use crate::image::volume::{self, VolumeError};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Where in a disk image the hives of an installation were found (for reports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageInfo {
    /// The image file.
    pub path: String,
    /// Its container format (`QCOW2`, `VHDX`, `VHD (dynamic)`, ...).
    pub format: String,
    /// The partition holding the Windows volume; `None` for a disk that is one bare volume.
    pub partition: Option<PartitionInfo>,
    /// The hives' paths inside the volume, as found there (`Windows\System32\config\SYSTEM`).
    pub system_path: Option<String>,
    /// As `system_path`, for the SOFTWARE hive.
    pub software_path: Option<String>,
}

/// A partition of a disk image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionInfo {
    /// As Windows and Linux number them: GPT entry index + 1; MBR 1-4 primary, 5 on logical.
    pub number: u32,
    /// Its first byte on the disk.
    pub offset: u64,
    /// Its size in bytes.
    pub size: u64,
    /// Its type, in words (`Microsoft basic data`), and as stored (GUID or MBR byte).
    #[serde(rename = "type")]
    pub kind: String,
    /// The type as stored: the GPT type GUID in upper case, or the MBR type byte (`0x07`).
    pub type_id: String,
    /// The GPT partition name, when it has one.
    pub name: Option<String>,
}

/// One Windows installation in an image.
#[derive(Clone)]
pub struct Installation {
    /// What reports call it: the image path, with `(partition N)` when the image holds more
    /// than one installation.
    pub name: String,
    /// Where in the image it was found.
    pub origin: ImageInfo,
    /// The SYSTEM hive, named `IMAGE: partition N: PATH` (`IMAGE: PATH` without a partition table),
    /// with its logs; `None` when the config folder has none.
    pub system: Option<HiveSource>,
    /// The SOFTWARE hive, named and found as `system` is.
    pub software: Option<HiveSource>,
}

/// Why an image's hives cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum VmError {
    /// The image could not be opened as a disk (not a readable file, damaged, a feature
    /// tlsreg does not read).
    #[error(transparent)]
    Container(#[from] ContainerError),
    /// The disk could not be read as far as its Windows hives, or holds none.
    #[error(transparent)]
    Volume(#[from] VolumeError),
    /// `--partition N` names no partition with Windows.
    #[error("{image}: partition {wanted} holds no Windows installation; {}", if .found.is_empty() { "none does".to_string() } else { format!("Windows is on partition {}", .found.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")) })]
    NoSuchPartition {
        /// The image path.
        image: String,
        /// The partition number asked for.
        wanted: u32,
        /// The partitions that do hold Windows (may be empty).
        found: Vec<u32>,
    },
    /// A command that reads one installation was given an image with several.
    #[error("{image}: Windows is on partitions {}; pick one with {flag}", partitions.iter().map(u32::to_string).collect::<Vec<_>>().join(", "))]
    SeveralWindows {
        /// The image path.
        image: String,
        /// The partitions that hold Windows.
        partitions: Vec<u32>,
        /// The option that picks one, for the message (`--partition N`).
        flag: &'static str,
    },
}

/// The one Windows installation of `image` (the one on `partition` when given); an image
/// holding several without a partition named is [`VmError::SeveralWindows`], whose
/// message tells to pick one with `flag` (`--partition N`).
pub fn open_one(
    image: &Path,
    partition: Option<u32>,
    flag: &'static str,
) -> Result<(Installation, Seen), VmError> {
    let (mut found, seen) = open(image, partition)?;
    if found.len() == 1 {
        return Ok((found.remove(0), seen));
    }
    Err(VmError::SeveralWindows {
        image: image.display().to_string(),
        partitions: found
            .iter()
            .filter_map(|i| i.origin.partition.as_ref().map(|p| p.number))
            .collect(),
        flag,
    })
}

/// What was seen while looking for Windows, for the user: partitions set aside and why, and
/// anything noticed on the way (a damaged primary GPT).
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// A sentence each: the scan's notes ([`crate::image::volume::Scan::notes`]), then each
    /// partition set aside with the reason, prefixed with the image path
    /// ([`crate::image::volume::Skipped::describe`]).
    pub notes: Vec<String>,
}

/// Opens `image` read-only and returns its Windows installations in partition order (only
/// the one on partition `partition` when given), with what was noticed on the way.
pub fn open(image: &Path, partition: Option<u32>) -> Result<(Vec<Installation>, Seen), VmError> {
    let c = container::open(image)?;
    let label = image.display().to_string();
    let scan = volume::windows::scan(c.disk.clone(), &label)?;
    let mut seen = Seen {
        notes: scan.notes.clone(),
    };
    for s in &scan.skipped {
        seen.notes.push(format!("{label}: {}", s.describe()));
    }
    let mut vols = scan.volumes;
    if let Some(n) = partition {
        let found: Vec<u32> = vols
            .iter()
            .filter_map(|v| v.partition.as_ref().map(|p| p.number))
            .collect();
        vols.retain(|v| v.partition.as_ref().is_some_and(|p| p.number == n));
        if vols.is_empty() {
            return Err(VmError::NoSuchPartition {
                image: label,
                wanted: n,
                found,
            });
        }
    }
    let several = vols.len() > 1;
    let out = vols
        .into_iter()
        .map(|v| {
            let part = v.partition.as_ref().map(|p| PartitionInfo {
                number: p.number,
                offset: p.offset,
                size: p.size,
                kind: p.type_name.clone(),
                type_id: p.type_id.clone(),
                name: p.name.clone(),
            });
            let place = match &part {
                Some(p) => format!("{label}: partition {}", p.number),
                None => label.clone(),
            };
            let hive = |h: &Option<volume::windows::HiveSource>| {
                h.as_ref().map(|h| HiveSource {
                    path: PathBuf::from(format!("{place}: {}", h.path)),
                    data: h.data.clone(),
                    logs: Logs::Given(h.logs.clone()),
                    files: c.files.clone(),
                })
            };
            Installation {
                name: match (&part, several) {
                    (Some(p), true) => format!("{label} (partition {})", p.number),
                    _ => label.clone(),
                },
                origin: ImageInfo {
                    path: label.clone(),
                    format: c.format.name().to_string(),
                    partition: part.clone(),
                    system_path: v.system.as_ref().map(|h| h.path.clone()),
                    software_path: v.software.as_ref().map(|h| h.path.clone()),
                },
                system: hive(&v.system),
                software: hive(&v.software),
            }
        })
        .collect();
    Ok((out, seen))
}
