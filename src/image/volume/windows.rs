//! Which volumes of a disk hold Windows: tbd.
