//! Audits of many images at once: the images a command line names (hives given directly, or
//! mounted volumes from `--root` and a roots file), one [`Report`] or error per image, and the
//! exit code of the whole (the worst image decides). Rendering is in [`super::render`].

use super::{audit, Inputs, Options, Report};
use crate::hive::find_hives;
use crate::profile::Profile;
use std::path::{Path, PathBuf};

/// What to audit: hives given directly, or roots (mounted Windows volumes or `config`
/// folders), listed and in a roots file.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    pub system: Option<PathBuf>,
    pub software: Option<PathBuf>,
    pub roots: Vec<PathBuf>,
    /// A file listing one root per line (blank lines and `#` comments ignored).
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
    #[error("give either --system/--software or --root, not both")]
    HivesAndRoots,
    #[error("give the hives to audit: --system FILE and/or --software FILE, or --root DIR")]
    NoTarget,
}

/// One image to audit: its name (a hive or root path) and its hives, or why they were not
/// found.
#[derive(Debug)]
pub struct Image {
    pub name: String,
    pub inputs: Result<Inputs, String>,
}

/// The roots a roots file lists: one per line, blank lines and `#` comments ignored.
pub fn parse_roots(text: &str) -> Vec<PathBuf> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(PathBuf::from)
        .collect()
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
    /// [`crate::hive::find_hives`]; a root without hives is an image that cannot be audited).
    pub fn images(&self) -> Result<Vec<Image>, BatchError> {
        let mut roots = self.roots.clone();
        if let Some(f) = &self.roots_file {
            roots.extend(read_roots(f)?);
        }
        if self.system.is_some() || self.software.is_some() {
            if !roots.is_empty() {
                return Err(BatchError::HivesAndRoots);
            }
            let name = self
                .system
                .as_ref()
                .or(self.software.as_ref())
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            return Ok(vec![Image {
                name,
                inputs: Ok(Inputs {
                    system: self.system.clone(),
                    software: self.software.clone(),
                    os_build: self.os_build,
                    no_recover: self.no_recover,
                }),
            }]);
        }
        if roots.is_empty() {
            return Err(BatchError::NoTarget);
        }
        Ok(roots
            .iter()
            .map(|r| Image {
                name: r.display().to_string(),
                inputs: find_hives(r)
                    .map(|found| Inputs {
                        system: found.system,
                        software: found.software,
                        os_build: self.os_build,
                        no_recover: self.no_recover,
                    })
                    .map_err(|e| {
                        // Every error names its root.
                        let shown = r.display().to_string();
                        let e = e.to_string();
                        if e.contains(&shown) {
                            e
                        } else {
                            format!("{shown}: {e}")
                        }
                    }),
            })
            .collect())
    }
}

/// The audits of a batch: per image its name and its report, or why it could not be audited.
#[derive(Debug, Clone, Default)]
pub struct Batch {
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
                let report = image
                    .inputs
                    .and_then(|inp| audit(profile, &inp, opts).map_err(|e| e.to_string()));
                (image.name, report)
            })
            .collect();
        Batch { images }
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
