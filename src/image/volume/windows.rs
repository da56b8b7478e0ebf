//! Finding Windows inside a disk: each partition (or the bare volume) is looked at in
//! partition order; NTFS volumes with `Windows\System32\config\SYSTEM` and/or `SOFTWARE`
//! (any case) give their hives and the `.LOG1`, `.LOG2` and `.LOG` files beside them, and
//! every other partition is set aside with the reason (BitLocker, a dynamic disk, Storage
//! Spaces, another file system, no Windows folder), which is also what the error says when
//! no Windows is found.

use super::ntfs::{Entry, NtfsVolume};
use super::partition::{
    boot_sector_kind, human_size, read_table, BootKind, Kind, PartitionInfo, Scheme,
};
use super::VolumeError;
use crate::source::{ReadAt, Slice};
use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// Where Windows keeps its hives, from the volume's root.
pub const CONFIG: [&str; 3] = ["Windows", "System32", "config"];
/// The transaction logs looked for beside a hive, in this order.
pub const LOG_SUFFIXES: [&str; 3] = [".LOG1", ".LOG2", ".LOG"];

/// One hive file on a volume, read lazily.
#[derive(Clone)]
pub struct HiveSource {
    /// The path as found on the volume, with the case it has there
    /// (`Windows\System32\config\SYSTEM`).
    pub path: String,
    /// The file's bytes, read from the volume's clusters on demand.
    pub data: Arc<dyn ReadAt>,
    /// The logs beside it: the on-disk name (`SYSTEM.LOG1`) and the bytes.
    pub logs: Vec<(String, Arc<dyn ReadAt>)>,
    /// How many data runs the file has on the volume (0 when its data is resident).
    pub fragments: usize,
}

impl fmt::Debug for HiveSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HiveSource")
            .field("path", &self.path)
            .field("size", &self.data.size())
            .field(
                "logs",
                &self
                    .logs
                    .iter()
                    .map(|(n, d)| (n, d.size()))
                    .collect::<Vec<_>>(),
            )
            .field("fragments", &self.fragments)
            .finish()
    }
}

/// A Windows installation: the volume and its hives (at least one is there).
#[derive(Debug, Clone)]
pub struct WindowsVolume {
    /// The partition, or `None` for a disk without a partition table.
    pub partition: Option<PartitionInfo>,
    /// Where the volume starts in the disk.
    pub offset: u64,
    /// The SYSTEM hive, if the config folder has one.
    pub system: Option<HiveSource>,
    /// The SOFTWARE hive, if the config folder has one.
    pub software: Option<HiveSource>,
}

/// Why a partition holds no Windows tlsreg can read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "kebab-case")]
pub enum SkipReason {
    /// The table entry itself is unusable (overlapping another, inverted).
    BadEntry(String),
    /// The table entry reaches past the end of the disk (a truncated image?).
    PastEnd(String),
    /// An extended partition or the GPT's protective entry: a container, not a volume.
    Container,
    /// A Microsoft reserved partition (MSR), which holds no file system.
    MicrosoftReserved,
    /// The volume boot sector's OEM ID is `-FVE-FS-`.
    BitLocker,
    /// A dynamic disk's partition (LDM).
    Ldm,
    /// A Storage Spaces pool member.
    StorageSpaces,
    /// Another file system (`FAT`, `exFAT`, `ReFS`), or none tlsreg knows (`None`).
    NotNtfs(Option<String>),
    /// An NTFS volume without `Windows\System32\config`.
    NoWindows,
    /// `Windows\System32\config` without a SYSTEM or SOFTWARE hive (`detail`: why, when
    /// a hive is there but cannot be read).
    NoHives(Option<String>),
    /// An NTFS volume whose structures cannot be read.
    Unreadable(String),
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::BadEntry(why) | SkipReason::PastEnd(why) => {
                write!(f, "the table entry is not usable: {why}")
            }
            SkipReason::Container => f.write_str("a container of other partitions, not a volume"),
            SkipReason::MicrosoftReserved => {
                f.write_str("a Microsoft reserved partition, which holds no file system")
            }
            SkipReason::BitLocker => {
                f.write_str("BitLocker-encrypted (-FVE-FS-); tlsreg reads only unencrypted volumes")
            }
            SkipReason::Ldm => {
                f.write_str("part of a dynamic disk (LDM), which tlsreg does not read")
            }
            SkipReason::StorageSpaces => {
                f.write_str("part of a Storage Spaces pool, which tlsreg does not read")
            }
            SkipReason::NotNtfs(Some(fs)) => write!(f, "not NTFS ({fs})"),
            SkipReason::NotNtfs(None) => f.write_str("not NTFS (no file system tlsreg knows)"),
            SkipReason::NoWindows => {
                f.write_str("an NTFS volume without a Windows\\System32\\config folder")
            }
            SkipReason::NoHives(None) => {
                f.write_str("Windows\\System32\\config holds no SYSTEM or SOFTWARE hive")
            }
            SkipReason::NoHives(Some(why)) => write!(
                f,
                "Windows\\System32\\config has no readable SYSTEM or SOFTWARE hive: {why}"
            ),
            SkipReason::Unreadable(why) => write!(f, "an NTFS volume that cannot be read: {why}"),
        }
    }
}

/// A partition (or the bare volume) that holds no Windows, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// `None` for a disk without a partition table.
    pub partition: Option<PartitionInfo>,
    /// Where the volume starts in the disk.
    pub offset: u64,
    /// Why it holds no Windows tlsreg can read.
    pub reason: SkipReason,
}

impl Skipped {
    /// `partition 1 (EFI system, offset 0x100000, 32 MiB): not NTFS (FAT)`.
    pub fn describe(&self) -> String {
        format!(
            "{}: {}",
            place(self.partition.as_ref(), self.offset),
            self.reason
        )
    }
}

fn place(p: Option<&PartitionInfo>, offset: u64) -> String {
    match p {
        Some(p) => p.describe(),
        None => format!("the volume at offset {offset:#x} (no partition table)"),
    }
}

/// Everything found on a disk: the Windows volumes in partition order, the partitions
/// set aside, and what was noticed (a damaged primary GPT, a log that cannot be read).
#[derive(Debug, Clone)]
pub struct Scan {
    /// How the disk is partitioned.
    pub scheme: Scheme,
    /// The volumes with Windows, in partition order; never empty (no Windows is an error).
    pub volumes: Vec<WindowsVolume>,
    /// The partitions set aside, in partition order.
    pub skipped: Vec<Skipped>,
    /// What was noticed on the way, a sentence each: the partition table's notes (a damaged
    /// primary GPT, a looping EBR chain), then each log left out.
    pub notes: Vec<String>,
}

/// The Windows installations on `disk` (named `label` in messages), in partition order;
/// an error saying why, partition by partition, when there is none.
pub fn find_windows(disk: Arc<dyn ReadAt>, label: &str) -> Result<Vec<WindowsVolume>, VolumeError> {
    scan(disk, label).map(|s| s.volumes)
}

/// [`find_windows`] with the partitions set aside and the notes, for the report.
pub fn scan(disk: Arc<dyn ReadAt>, label: &str) -> Result<Scan, VolumeError> {
    let table = read_table(&*disk, label)?;
    let mut scan = Scan {
        scheme: table.scheme,
        volumes: Vec::new(),
        skipped: Vec::new(),
        notes: table.notes,
    };
    let mut candidates: Vec<(Option<PartitionInfo>, u64, u64)> = Vec::new();
    let mut rejected = table.rejected;
    if table.scheme == Scheme::None {
        candidates.push((None, 0, disk.size()));
    } else {
        let mut parts = table.partitions;
        parts.sort_by_key(|p| p.number);
        for p in parts {
            let reason = match p.kind {
                Kind::MicrosoftReserved => Some(SkipReason::MicrosoftReserved),
                Kind::Ldm => Some(SkipReason::Ldm),
                Kind::StorageSpaces => Some(SkipReason::StorageSpaces),
                Kind::Extended | Kind::Protective => Some(SkipReason::Container),
                _ => None,
            };
            match reason {
                Some(reason) => scan.skipped.push(Skipped {
                    offset: p.offset,
                    partition: Some(p),
                    reason,
                }),
                None => candidates.push((Some(p.clone()), p.offset, p.size)),
            }
        }
    }
    for (partition, offset, size) in candidates {
        match look_at(
            &disk,
            label,
            partition.as_ref(),
            offset,
            size,
            &mut scan.notes,
        ) {
            Ok(v) => scan.volumes.push(v),
            Err(reason) => scan.skipped.push(Skipped {
                partition,
                offset,
                reason,
            }),
        }
    }
    rejected.sort_by_key(|r| r.partition.number);
    for r in rejected {
        scan.skipped.push(Skipped {
            offset: r.partition.offset,
            partition: Some(r.partition),
            reason: if r.past_end {
                SkipReason::PastEnd(r.reason)
            } else {
                SkipReason::BadEntry(r.reason)
            },
        });
    }
    scan.skipped
        .sort_by_key(|s| s.partition.as_ref().map(|p| p.number));
    if scan.volumes.is_empty() {
        return Err(no_windows(label, &disk, &scan));
    }
    Ok(scan)
}

/// The error when no volume holds Windows: the most telling reason first, then every
/// partition looked at.
fn no_windows(label: &str, disk: &Arc<dyn ReadAt>, scan: &Scan) -> VolumeError {
    let numbers = |want: &dyn Fn(&SkipReason) -> bool| -> Vec<String> {
        scan.skipped
            .iter()
            .filter(|s| want(&s.reason))
            .map(|s| match &s.partition {
                Some(p) => p.number.to_string(),
                None => String::new(),
            })
            .collect()
    };
    let listed = |n: &[String]| match n {
        [one] => format!("partition {one} is"),
        [rest @ .., last] => format!("partitions {} and {last} are", rest.join(", ")),
        [] => String::new(),
    };
    let bitlocker = numbers(&|r| *r == SkipReason::BitLocker);
    let is_ntfs = |r: &SkipReason| {
        matches!(
            r,
            SkipReason::NoWindows | SkipReason::NoHives(_) | SkipReason::Unreadable(_)
        )
    };
    let headline = if !bitlocker.is_empty() {
        if scan.scheme == Scheme::None {
            "the volume is BitLocker-encrypted (-FVE-FS-)".to_string()
        } else {
            format!("{} BitLocker-encrypted (-FVE-FS-)", listed(&bitlocker))
        }
    } else if scan.skipped.iter().any(|s| s.reason == SkipReason::Ldm) {
        "the disk is a dynamic disk (LDM), which tlsreg does not read".to_string()
    } else if scan
        .skipped
        .iter()
        .any(|s| s.reason == SkipReason::StorageSpaces)
    {
        "the disk is part of a Storage Spaces pool, which tlsreg does not read".to_string()
    } else if let Some(n) = scan
        .skipped
        .iter()
        .find_map(|s| match (&s.reason, &s.partition) {
            (SkipReason::PastEnd(_), Some(p)) => Some(p.number),
            _ => None,
        })
    {
        format!("partition {n} reaches past the end of the disk (is the image truncated?)")
    } else if !scan.skipped.iter().any(|s| is_ntfs(&s.reason)) {
        match scan.scheme {
            Scheme::None => format!(
                "the disk ({}) has no partition table and no NTFS volume",
                human_size(disk.size())
            ),
            _ if scan.skipped.is_empty() => format!(
                "the {} has no partitions",
                if scan.scheme == Scheme::Gpt {
                    "GPT"
                } else {
                    "MBR"
                }
            ),
            _ => "no NTFS partition".to_string(),
        }
    } else if scan
        .skipped
        .iter()
        .filter(|s| is_ntfs(&s.reason))
        .all(|s| s.reason == SkipReason::NoWindows)
    {
        "no Windows folder on any NTFS volume".to_string()
    } else {
        "no NTFS volume with readable Windows hives".to_string()
    };
    let mut looked: Vec<String> = scan.skipped.iter().map(Skipped::describe).collect();
    looked.extend(scan.notes.iter().map(|n| format!("note: {n}")));
    VolumeError::NoWindows {
        label: label.to_string(),
        headline,
        looked,
    }
}

/// The message of an error without the leading `label: ` (it is said once, outside).
fn detail(e: &VolumeError, label: &str) -> String {
    let s = e.to_string();
    s.strip_prefix(label)
        .and_then(|s| s.strip_prefix(": "))
        .map(str::to_string)
        .unwrap_or(s)
}

fn look_at(
    disk: &Arc<dyn ReadAt>,
    label: &str,
    partition: Option<&PartitionInfo>,
    offset: u64,
    size: u64,
    notes: &mut Vec<String>,
) -> Result<WindowsVolume, SkipReason> {
    let mut boot = [0u8; 512];
    if size < 512 || disk.read_exact_at(&mut boot, offset).is_err() {
        return Err(SkipReason::NotNtfs(Some(format!(
            "its boot sector at offset {offset:#x} cannot be read"
        ))));
    }
    match boot_sector_kind(&boot) {
        Some(BootKind::Ntfs) => {}
        Some(BootKind::BitLocker) => return Err(SkipReason::BitLocker),
        Some(other) => return Err(SkipReason::NotNtfs(Some(other.name().to_string()))),
        None => return Err(SkipReason::NotNtfs(None)),
    }
    let slice = Slice::new(disk.clone(), offset, size).ok_or_else(|| {
        SkipReason::BadEntry(format!(
            "it reaches past the end of the disk at offset {offset:#x}"
        ))
    })?;
    let vol = NtfsVolume::open(Arc::new(slice), offset, label)
        .map_err(|e| SkipReason::Unreadable(detail(&e, label)))?;
    let config = match vol.lookup(&CONFIG) {
        Ok(Some(path)) => path,
        Ok(None) => return Err(SkipReason::NoWindows),
        Err(e) => return Err(SkipReason::Unreadable(detail(&e, label))),
    };
    let folder = config
        .iter()
        .map(|e| e.name.as_str())
        .collect::<Vec<_>>()
        .join("\\");
    let dir = config.last().expect("three components").record;
    let mut problems = Vec::new();
    let mut hive = |name: &str| -> Option<HiveSource> {
        match open_hive(&vol, dir, &folder, name, label, notes) {
            Ok(h) => h,
            Err(e) => {
                problems.push(detail(&e, label));
                None
            }
        }
    };
    let system = hive("SYSTEM");
    let software = hive("SOFTWARE");
    if system.is_none() && software.is_none() {
        return Err(SkipReason::NoHives(
            (!problems.is_empty()).then(|| problems.join("; ")),
        ));
    }
    notes.extend(
        problems
            .into_iter()
            .map(|p| format!("{label}: {}: {p}", place(partition, offset))),
    );
    Ok(WindowsVolume {
        partition: partition.cloned(),
        offset,
        system,
        software,
    })
}

/// The hive `name` in the config folder (MFT record `dir`, path `folder`) with its logs,
/// `None` when there is no such file.
fn open_hive(
    vol: &NtfsVolume,
    dir: u64,
    folder: &str,
    name: &str,
    label: &str,
    notes: &mut Vec<String>,
) -> Result<Option<HiveSource>, VolumeError> {
    let Some(Entry {
        record,
        name: on_disk,
        is_dir: false,
    }) = vol.child(dir, name)?
    else {
        return Ok(None);
    };
    let path = format!("{folder}\\{on_disk}");
    let data = vol.data(record, &path)?;
    let fragments = data.runs().len();
    let mut logs: Vec<(String, Arc<dyn ReadAt>)> = Vec::new();
    for suffix in LOG_SUFFIXES {
        let log = format!("{name}{suffix}");
        let found = vol.child(dir, &log).and_then(|e| match e {
            Some(e) if !e.is_dir => {
                let p = format!("{folder}\\{}", e.name);
                vol.data(e.record, &p).map(|d| Some((e.name, d)))
            }
            _ => Ok(None),
        });
        match found {
            Ok(Some((n, d))) => logs.push((n, Arc::new(d))),
            Ok(None) => {}
            Err(e) => notes.push(format!(
                "{label}: the log {folder}\\{log} is left out: {}",
                detail(&e, label)
            )),
        }
    }
    Ok(Some(HiveSource {
        path,
        data: Arc::new(data),
        logs,
        fragments,
    }))
}
