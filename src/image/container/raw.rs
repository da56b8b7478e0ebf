//! Raw disk images (`dd`, `.img`, `.raw`): the file's bytes are the disk's bytes, sector 0
//! at offset 0. Anything [`super::open_source`] recognises as no other format is read so.

use super::file::ImageFile;
use crate::source::ReadAt;
use std::sync::Arc;

/// The disk of a raw image: the file itself.
pub(super) fn open(file: Arc<ImageFile>) -> Arc<dyn ReadAt> {
    file.src().clone()
}
