//! Windows disk images read straight from the file, read-only and lazily: the container
//! ([`container`]: raw, VHD, VHDX, VMDK, QCOW2) gives the disk's bytes, [`volume`] finds
//! the partitions (GPT, MBR with extended partitions, or a bare volume) and the NTFS
//! volumes that hold Windows, and hands out the hive files and their logs as
//! [`crate::source::ReadAt`] sources, from which [`crate::hive`] reads only the cells it
//! needs.
//!
//! Floor: `source` and `input`; the hive reader and the jobs build on it.

pub mod container;
pub mod volume;
