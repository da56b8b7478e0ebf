//! Disk image containers: the disk's bytes as a [`crate::source::ReadAt`], whatever the
//! file format. (Being written: issue 13.)
