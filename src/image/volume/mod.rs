//! Partitions, NTFS volumes and the Windows installations on them. (Being written:
//! issue 13.)
