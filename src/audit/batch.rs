//! Audits of many images at once: the images a command line names (hives given directly,
//! mounted volumes from `--root`, disk image files from `--image`, and the lines of a roots
//! file), one [`Report`] or error per Windows installation, and the exit code of the whole
//! (the worst decides). Rendering is in [`super::render`].

use super::{audit_hives, Hives, ImageInfo, Options, Report};
use crate::hive::{find_hives, HiveSource};
use crate::profile::Profile;
use std::path::{Path, PathBuf};

/// What to audit: hives given directly, or roots (mounted Windows volumes or `config`
/// folders), listed and in a roots file.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    pub system: Option<PathBuf>,
    pub software: Option<PathBuf>,
    pub roots: Vec<PathBuf>,
    /// Disk image files (raw, VHD, VHDX, VMDK, QCOW2): each Windows installation in them.
    pub images: Vec<PathBuf>,
    /// In images, only the installation on this partition.
    pub partition: Option<u32>,
    /// A file listing one root (a folder) or disk image (a file) per line (blank lines and
    /// `#` comments ignored).
    pub roots_file: Option<PathBuf>,
    /// The build when no SOFTWARE hive is given.
    pub os_build: Option<u32>,
    /// Read dirty hives as they are, without replaying their transaction logs.
    pub no_recover: bool,
}

/// Why the images to audit are not known.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("reading {path}")]
    RootsFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("give either --system/--software or --root/--image, not both")]
    HivesAndRoots,
    #[error(
        "give the hives to audit: --system FILE and/or --software FILE, --root DIR or --image FILE"
    )]
    NoTarget,
}

/// One Windows installation to audit: its name (a hive, root or image path), its hives or
/// why they were not found, and where in a disk image they are.
pub struct Image {
    pub name: String,
    pub inputs: Result<Hives, String>,
    pub origin: Option<ImageInfo>,
    /// What was noticed finding it (partitions set aside in a disk image, and why).
    pub notes: Vec<String>,
}

/// The roots a roots file lists: one per line, blank lines and `#` comments ignored.
pub fn parse_roots(text: &str) -> Vec<PathBuf> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(PathBuf::from)
        .collect()
}

/// A hive file given (or found) for an image, opened as a source; its error as text, put
/// in words by `named`.
fn hive_file(
    path: Option<&Path>,
    named: &dyn Fn(String) -> String,
) -> Result<Option<HiveSource>, String> {
    path.map(HiveSource::file)
        .transpose()
        .map_err(|e| named(e.to_string()))
}

/// The largest roots file read: a million paths of 64 bytes.
const MAX_ROOTS_FILE: u64 = 64 << 20;

/// Reads a roots file. A FIFO is allowed (`--roots-file <(find ...)` is one), so the read is
/// bounded instead: a device that never ends (`/dev/zero`) stops at the bound.
fn read_roots(path: &Path) -> Result<Vec<PathBuf>, BatchError> {
    use std::io::Read;
    let err = |source| BatchError::RootsFile {
        path: path.display().to_string(),
        source,
    };
    let f = std::fs::File::open(path).map_err(err)?;
    let mut bytes = Vec::new();
    f.take(MAX_ROOTS_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(err)?;
    if bytes.len() as u64 > MAX_ROOTS_FILE {
        return Err(err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "it is larger than {MAX_ROOTS_FILE} bytes; a roots file lists one folder per line"
            ),
        )));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "it is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        ))
    })?;
    Ok(parse_roots(&text))
}

impl Targets {
    /// The images: one for hives given directly, else one per root (its hives found with
    /// [`crate::hive::find_hives`]; a root without hives is an image that cannot be audited)
    /// and one per Windows installation in each disk image ([`crate::vm::open`]).
    pub fn images(&self) -> Result<Vec<Image>, BatchError> {
        let mut roots = self.roots.clone();
        let mut images = self.images.clone();
        if let Some(f) = &self.roots_file {
            // A line naming a file is a disk image; anything else, a root.
            for line in read_roots(f)? {
                if line.is_file() {
                    images.push(line);
                } else {
                    roots.push(line);
                }
            }
        }
        if self.system.is_some() || self.software.is_some() {
            if !roots.is_empty() || !images.is_empty() {
                return Err(BatchError::HivesAndRoots);
            }
            let name = self
                .system
                .as_ref()
                .or(self.software.as_ref())
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let inputs = hive_file(self.system.as_deref(), &|e| e).and_then(|system| {
                Ok(self.hives(system, hive_file(self.software.as_deref(), &|e| e)?))
            });
            return Ok(vec![Image {
                name,
                inputs,
                origin: None,
                notes: Vec::new(),
            }]);
        }
        if roots.is_empty() && images.is_empty() {
            return Err(BatchError::NoTarget);
        }
        let mut out: Vec<Image> = roots.iter().map(|r| self.root(r)).collect();
        for path in &images {
            out.extend(self.image(path));
        }
        Ok(out)
    }

    fn hives(&self, system: Option<HiveSource>, software: Option<HiveSource>) -> Hives {
        Hives {
            system,
            software,
            os_build: self.os_build,
            no_recover: self.no_recover,
        }
    }

    /// A mounted volume or config folder: its hives found with [`find_hives`].
    fn root(&self, r: &Path) -> Image {
        // Every error names its root.
        let named = |e: String| {
            let shown = r.display().to_string();
            if e.contains(&shown) {
                e
            } else {
                format!("{shown}: {e}")
            }
        };
        let inputs = find_hives(r)
            .map_err(|e| named(e.to_string()))
            .and_then(|found| {
                Ok(self.hives(
                    hive_file(found.system.as_deref(), &named)?,
                    hive_file(found.software.as_deref(), &named)?,
                ))
            });
        Image {
            name: r.display().to_string(),
            inputs,
            origin: None,
            notes: Vec::new(),
        }
    }

    /// A disk image file: one image per Windows installation in it, or one error.
    fn image(&self, path: &Path) -> Vec<Image> {
        match crate::vm::open(path, self.partition) {
            Ok((found, seen)) => found
                .into_iter()
                .enumerate()
                .map(|(i, inst)| Image {
                    name: inst.name,
                    inputs: Ok(self.hives(inst.system, inst.software)),
                    origin: Some(inst.origin),
                    // The partitions set aside are said once per image.
                    notes: if i == 0 {
                        seen.notes.clone()
                    } else {
                        Vec::new()
                    },
                })
                .collect(),
            Err(e) => vec![Image {
                name: path.display().to_string(),
                inputs: Err(e.to_string()),
                origin: None,
                notes: Vec::new(),
            }],
        }
    }
}

/// The audits of a batch: per image its name and its report, or why it could not be audited.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// The profile audited against (its name).
    pub profile: String,
    pub images: Vec<(String, Result<Report, String>)>,
}

impl Batch {
    /// Audits each image in turn; `before_each(i, n, name)` is called before image `i` of `n`
    /// (for progress).
    pub fn run(
        profile: &Profile,
        images: Vec<Image>,
        opts: Options,
        mut before_each: impl FnMut(usize, usize, &str),
    ) -> Batch {
        let n = images.len();
        let images = images
            .into_iter()
            .enumerate()
            .map(|(i, image)| {
                before_each(i, n, &image.name);
                let origin = image.origin;
                let report = image.inputs.and_then(|inp| {
                    audit_hives(profile, &inp, opts)
                        .map(|mut r| {
                            r.image = origin;
                            r
                        })
                        .map_err(|e| e.to_string())
                });
                (image.name, report)
            })
            .collect();
        Batch {
            profile: profile.name.clone(),
            images,
        }
    }

    /// More than one image: reports are headed by their image and followed by a table.
    pub fn is_batch(&self) -> bool {
        self.images.len() > 1
    }

    /// The reports, with their image names.
    pub fn reports(&self) -> Vec<(String, &Report)> {
        self.images
            .iter()
            .filter_map(|(n, r)| r.as_ref().ok().map(|rep| (n.clone(), rep)))
            .collect()
    }

    /// Why images could not be audited, in order.
    pub fn errors(&self) -> impl Iterator<Item = &str> {
        self.images
            .iter()
            .filter_map(|(_, r)| r.as_ref().err().map(String::as_str))
    }

    /// The worst result decides: an image that could not be audited 2, a non-compliant
    /// image 1, else 0.
    pub fn exit_code(&self) -> u8 {
        self.images
            .iter()
            .map(|(_, r)| match r {
                Err(_) => 2,
                Ok(rep) if !rep.compliant => 1,
                Ok(_) => 0,
            })
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_files_skip_blanks_and_comments() {
        assert_eq!(
            parse_roots("# images\n  /a \n\n#/b\n/c\n"),
            [PathBuf::from("/a"), PathBuf::from("/c")]
        );
    }

    #[test]
    fn hives_and_roots_do_not_mix() {
        let t = Targets {
            system: Some("S".into()),
            roots: vec!["/r".into()],
            ..Targets::default()
        };
        assert!(matches!(t.images(), Err(BatchError::HivesAndRoots)));
        assert!(matches!(
            Targets::default().images(),
            Err(BatchError::NoTarget)
        ));
    }

    #[test]
    fn the_worst_image_decides() {
        let mut b = Batch::default();
        assert_eq!(b.exit_code(), 0);
        b.images.push(("a".into(), Err("no hive".into())));
        assert_eq!(b.exit_code(), 2);
        assert_eq!(b.errors().collect::<Vec<_>>(), ["no hive"]);
    }
}
