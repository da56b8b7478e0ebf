//! Audits of many images at once: the images a command line names (hives given directly,
//! mounted volumes from `--root`, disk image files from `--image`, and the lines of a roots
//! file), audited on a thread pool ([`stream`]) into one [`Outcome`] per Windows
//! installation, handed back in input order; a [`Row`] per image keeps what the exit code
//! (the worst decides) and the closing table need. Rendering is in [`super::render`].

use super::waivers::Waivers;
use super::{audit_hives, Hives, ImageInfo, Options, Report, Summary};
use crate::hive::{find_hives, HiveSource};
use crate::profile::Profile;
use std::path::{Path, PathBuf};

/// What to audit: hives given directly, or roots (mounted Windows volumes or `config`
/// folders), listed and in a roots file.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    /// A SYSTEM hive file given directly.
    pub system: Option<PathBuf>,
    /// A SOFTWARE hive file given directly.
    pub software: Option<PathBuf>,
    /// Mounted Windows volumes or `config` folders.
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
    /// The roots file cannot be read, or is not a list of paths.
    #[error("reading {path}")]
    RootsFile {
        /// The roots file as given.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Hives given directly and roots or images at once.
    #[error("give either --system/--software or --root/--image, not both")]
    HivesAndRoots,
    /// Nothing to audit.
    #[error(
        "give the hives to audit: --system FILE and/or --software FILE, --root DIR or --image FILE"
    )]
    NoTarget,
}

/// One Windows installation to audit: its name (a hive, root or image path), its hives or
/// why they were not found, and where in a disk image they are.
pub struct Image {
    /// A hive, root or disk image path (with the partition for an image).
    pub name: String,
    /// Its hives, or why they could not be found or opened.
    pub inputs: Result<Hives, String>,
    /// Where in a disk image the hives are; none for hive files and roots.
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

/// One thing the command line names to audit, opened only when its turn comes (so a batch
/// of thousands of images never holds more than a few open at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// The hives given directly (`--system`, `--software`).
    Hives,
    /// A mounted Windows volume or `config` folder.
    Root(PathBuf),
    /// A disk image file: each Windows installation in it.
    Image(PathBuf),
}

impl Targets {
    /// What to audit, in input order: one job for hives given directly, else one per root
    /// and per disk image (a roots-file line naming a file is a disk image, anything else a
    /// root). Nothing is opened yet but the roots file.
    pub fn jobs(&self) -> Result<Vec<Job>, BatchError> {
        let mut roots = self.roots.clone();
        let mut images = self.images.clone();
        if let Some(f) = &self.roots_file {
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
            return Ok(vec![Job::Hives]);
        }
        if roots.is_empty() && images.is_empty() {
            return Err(BatchError::NoTarget);
        }
        Ok(roots
            .into_iter()
            .map(Job::Root)
            .chain(images.into_iter().map(Job::Image))
            .collect())
    }

    /// The Windows installations of a job: one for hives given directly or a root (its
    /// hives found with [`crate::hive::find_hives`]; a root without hives is an image that
    /// cannot be audited), one per installation in a disk image ([`crate::vm::open`]).
    pub fn open(&self, job: &Job) -> Vec<Image> {
        match job {
            Job::Hives => {
                let name = job_name(self, job);
                let inputs = hive_file(self.system.as_deref(), &|e| e).and_then(|system| {
                    Ok(self.hives(system, hive_file(self.software.as_deref(), &|e| e)?))
                });
                vec![Image {
                    name,
                    inputs,
                    origin: None,
                    notes: Vec::new(),
                }]
            }
            Job::Root(r) => vec![self.root(r)],
            Job::Image(path) => self.image(path),
        }
    }

    /// Every installation of every job, opened now ([`Targets::jobs`], [`Targets::open`]).
    pub fn images(&self) -> Result<Vec<Image>, BatchError> {
        Ok(self.jobs()?.iter().flat_map(|j| self.open(j)).collect())
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

/// The audit of one Windows installation: its report, or why it could not be audited.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The image's name: a hive, root or image path (with the partition for an image).
    pub name: String,
    /// What was noticed finding it (partitions of a disk image set aside, and why).
    pub notes: Vec<String>,
    /// The report, or why there is none.
    pub result: Result<Report, String>,
}

/// Audits one installation, applying `waivers` (on `today`) to its report.
pub fn audit_image(
    profile: &Profile,
    image: Image,
    opts: Options,
    waivers: Option<(&Waivers, time::Date)>,
) -> Outcome {
    let origin = image.origin;
    let name = image.name;
    let result = image.inputs.and_then(|inp| {
        audit_hives(profile, &inp, opts)
            .map(|mut r| {
                r.image = origin;
                if let Some((w, today)) = waivers {
                    w.apply(&name, &mut r, today, opts.require_all);
                }
                r
            })
            .map_err(|e| e.to_string())
    });
    Outcome {
        name,
        notes: image.notes,
        result,
    }
}

/// How a batch runs: on how many threads, and which waivers apply.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions<'a> {
    /// How to judge.
    pub audit: Options,
    /// Worker threads (at least 1); [`default_threads`] uses every core.
    pub threads: usize,
    /// Waivers to apply, and the day their expiry is judged on.
    pub waivers: Option<(&'a Waivers, time::Date)>,
}

/// One thread per core (1 when that cannot be told).
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Audits `jobs` on `run.threads` threads and hands each job's outcomes to `done`, on the
/// calling thread, in input order, as soon as it and every job before it are finished.
/// Memory stays flat as the batch grows: a job is opened only when a thread takes it, its
/// outcomes are dropped once `done` returns, and threads wait rather than run more than a
/// few jobs ahead of the oldest unfinished one. `done` gets the job's index and the number
/// of jobs, and returns whether to go on: `false` (its reader has gone) stops the batch
/// after the jobs already under way.
pub fn stream(
    profile: &Profile,
    targets: &Targets,
    jobs: &[Job],
    run: RunOptions<'_>,
    mut done: impl FnMut(usize, usize, Vec<Outcome>) -> bool,
) {
    use std::collections::BTreeMap;
    use std::sync::{mpsc, Condvar, Mutex};
    let n = jobs.len();
    let threads = run.threads.clamp(1, n.max(1));
    // How far ahead of the oldest unfinished job a thread may start one.
    let window = threads * 4;
    // (next job to hand out, jobs already passed to `done`)
    let state = Mutex::new((0usize, 0usize));
    let wake = Condvar::new();
    let (tx, rx) = mpsc::channel::<(usize, Vec<Outcome>)>();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (state, wake) = (&state, &wake);
            scope.spawn(move || loop {
                let i = {
                    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
                    while s.0 < n && s.0 >= s.1 + window {
                        s = wake.wait(s).unwrap_or_else(|p| p.into_inner());
                    }
                    if s.0 >= n {
                        return;
                    }
                    s.0 += 1;
                    s.0 - 1
                };
                let outcomes = crate::quiet::quietly(|| {
                    targets
                        .open(&jobs[i])
                        .into_iter()
                        .map(|img| audit_image(profile, img, run.audit, run.waivers))
                        .collect()
                })
                .unwrap_or_else(|p| {
                    vec![Outcome {
                        name: job_name(targets, &jobs[i]),
                        notes: Vec::new(),
                        result: Err(format!(
                            "{}: internal error auditing it: {}",
                            job_name(targets, &jobs[i]),
                            crate::quiet::message(&*p)
                        )),
                    }]
                });
                if tx.send((i, outcomes)).is_err() {
                    return;
                }
            });
        }
        drop(tx);
        let mut pending = BTreeMap::new();
        let mut next = 0;
        let mut going = true;
        for (i, outcomes) in rx {
            if !going {
                continue;
            }
            pending.insert(i, outcomes);
            while let Some(outcomes) = pending.remove(&next) {
                going = done(next, n, outcomes);
                next += 1;
                let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
                s.1 = next;
                if !going {
                    // Hand out nothing more; the jobs under way finish and are dropped.
                    s.0 = n;
                    pending.clear();
                }
                drop(s);
                wake.notify_all();
                if !going {
                    break;
                }
            }
        }
    });
}

/// The name a job's outcome has when the job itself failed.
fn job_name(targets: &Targets, job: &Job) -> String {
    match job {
        Job::Hives => targets
            .system
            .as_ref()
            .or(targets.software.as_ref())
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        Job::Root(p) | Job::Image(p) => p.display().to_string(),
    }
}

/// What a batch keeps of each image once it is rendered: enough for the closing table and
/// the exit code, not the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The image's name.
    pub name: String,
    /// Its counts and verdict, or its error.
    pub result: Result<(Summary, bool), String>,
}

impl Row {
    /// 2 when the image could not be audited, 1 when it is not compliant, else 0.
    pub fn exit_code(&self) -> u8 {
        match &self.result {
            Err(_) => 2,
            Ok((_, false)) => 1,
            Ok(_) => 0,
        }
    }

    /// The row of an outcome.
    pub fn of(o: &Outcome) -> Row {
        Row {
            name: o.name.clone(),
            result: match &o.result {
                Ok(r) => Ok((r.summary.clone(), r.compliant)),
                Err(e) => Err(e.clone()),
            },
        }
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
        assert!(matches!(t.jobs(), Err(BatchError::HivesAndRoots)));
        assert!(matches!(
            Targets::default().images(),
            Err(BatchError::NoTarget)
        ));
    }

    #[test]
    fn the_worst_image_decides() {
        use crate::audit::render::{Format, Renderer, Verbosity};
        let mut r = Renderer::new(Format::Jsonl, "p", 1, false, Verbosity::Normal);
        assert_eq!(r.exit_code(&[]), 0);
        r.outcomes(&[Outcome {
            name: "a".into(),
            notes: Vec::new(),
            result: Err("no hive".into()),
        }]);
        assert_eq!(r.exit_code(&[]), 2);
    }
}
