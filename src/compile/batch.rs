//! Several profiles' outputs made in memory and written all-or-nothing (or checked
//! against what is on disk), with the report rows and the `--report json` document.

use super::{outputs, CompileError, Formats, Note, Options, Output};
use crate::output::{self, Drift, OutputError};
use crate::profile::{Loaded, ProfileRef};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The files a loaded profile was read from: the profile itself and every file in its
/// `extends` chain (built-ins are not files). No output may replace one of them.
pub fn profile_inputs(r: &ProfileRef, loaded: &Loaded) -> Vec<PathBuf> {
    let mut inputs = Vec::new();
    if let ProfileRef::File(p) = r {
        inputs.push(p.clone());
    }
    inputs.extend(
        loaded
            .profile
            .chain
            .iter()
            .filter(|c| !c.starts_with("builtin:"))
            .map(PathBuf::from),
    );
    inputs
}

/// The outputs of several profiles, made in memory first so that nothing is written when
/// any of them fails, and the files they were read from (never to be overwritten).
///
/// ```
/// use tlsreg::compile::{Batch, FileStatus, Formats};
/// use tlsreg::profile::{load, ProfileRef};
/// let r = ProfileRef::parse("enable-tls12");
/// let loaded = load(&r).expect("the built-in loads");
/// let mut batch = Batch::default();
/// let formats = Formats::ALL;
/// batch.add("enable-tls12", &r, &loaded, Default::default(), formats)?;
/// let out = tempfile::tempdir()?;
/// let rows = batch.write(out.path(), false)?;
/// assert_eq!(rows.len(), 2);
/// assert!(rows.iter().all(|row| row.status == FileStatus::Written));
/// // Checking again finds the files up to date.
/// assert!(batch.write(out.path(), true)?.iter().all(|row| row.status == FileStatus::UpToDate));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// Each output with the profile argument it came from.
    pub outputs: Vec<(String, Output)>,
    /// Every profile file read, `extends` included.
    pub inputs: Vec<PathBuf>,
}

/// What happened to one output file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileStatus {
    /// Without `check`: written and put in place.
    Written,
    /// With `check`: the file holds exactly the output's bytes.
    UpToDate,
    /// With `check`: there is no file at the path.
    Missing,
    /// With `check`: the file's bytes differ from the output's.
    Differs,
}

impl FileStatus {
    /// The word the human report prints.
    pub fn as_str(self) -> &'static str {
        match self {
            FileStatus::Written => "written",
            FileStatus::UpToDate => "up-to-date",
            FileStatus::Missing => "missing",
            FileStatus::Differs => "differs",
        }
    }
}

/// One row of the report: a file, the profile it came from, what happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileRow {
    /// The path as the user will recognise it (lossy where it is not Unicode).
    pub file: String,
    /// The profile argument the output came from, as the user gave it.
    pub profile: String,
    /// What happened to it.
    pub status: FileStatus,
}

/// The `--report json` document.
#[derive(Debug, Clone, Serialize)]
pub struct Report<'a> {
    /// [`crate::SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Always `compile`.
    pub command: &'static str,
    /// Every diagnostic of loading the profiles (when one is an error, nothing was written
    /// and `files` is empty).
    pub diagnostics: &'a [crate::diag::Diagnostic],
    /// One row per output file, in the order the outputs were added.
    pub files: &'a [FileRow],
}

/// Why a batch could not be written or checked.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// Two profiles (or two outputs of one) would write the same file name; nothing was written.
    #[error("{first} and {second} would both write {file}; compile them into different folders")]
    SameName {
        /// The profile argument of the first output with that name.
        first: String,
        /// The profile argument of the second.
        second: String,
        /// The file name.
        file: String,
    },
    /// Two outputs' file names differ only in case: one file on a case-insensitive file
    /// system (Windows, a GPO's SYSVOL share, macOS), where the second would replace the
    /// first; nothing was written.
    #[error("{first} and {second} would write {file} and {other}, one file where names are compared without case (Windows, SYSVOL, macOS); compile them into different folders")]
    CaseOnly {
        /// The profile argument of the first output.
        first: String,
        /// The profile argument of the second.
        second: String,
        /// The first output's file name.
        file: String,
        /// The second output's file name.
        other: String,
    },
    /// An output could not be staged (then nothing was written) or put in place (then the
    /// outputs put in place before it stay).
    #[error("compiling {profile}")]
    Write {
        /// The profile argument the output came from.
        profile: String,
        /// Why.
        #[source]
        source: OutputError,
    },
    /// An output could not be compared (`check`): it is not a regular file, or cannot be read.
    #[error(transparent)]
    Check(OutputError),
}

impl Batch {
    /// Adds the outputs of one loaded profile, named as the user gave it (`arg`).
    pub fn add(
        &mut self,
        arg: &str,
        r: &ProfileRef,
        loaded: &Loaded,
        opts: Options,
        formats: Formats,
    ) -> Result<Vec<Note>, CompileError> {
        let name = r.output_name();
        let compiled = outputs(&name, &loaded.profile, opts, formats)?;
        self.inputs.extend(profile_inputs(r, loaded));
        self.outputs
            .extend(compiled.outputs.into_iter().map(|o| (arg.to_string(), o)));
        Ok(compiled.notes)
    }

    /// Writes every output into `out_dir` atomically, or with `check` compares them with
    /// what is there and writes nothing. Two profiles writing one file name (or two names
    /// that differ only in case) is an error before anything is written; so is an output
    /// that would replace an input.
    pub fn write(&self, out_dir: &Path, check: bool) -> Result<Vec<FileRow>, BatchError> {
        // By name as the file systems the outputs go to compare it (case folded).
        let mut seen: HashMap<String, (&str, &str)> = HashMap::new();
        for (arg, o) in &self.outputs {
            let folded = crate::keypath::fold(&o.file_name);
            if let Some((prev, file)) = seen.insert(folded, (arg, &o.file_name)) {
                return Err(if file == o.file_name {
                    BatchError::SameName {
                        first: prev.to_string(),
                        second: arg.clone(),
                        file: o.file_name.clone(),
                    }
                } else {
                    BatchError::CaseOnly {
                        first: prev.to_string(),
                        second: arg.clone(),
                        file: file.to_string(),
                        other: o.file_name.clone(),
                    }
                });
            }
        }
        let mut rows = Vec::new();
        if check {
            for (arg, o) in &self.outputs {
                let path = out_dir.join(&o.file_name);
                let status = match output::check(&path, &o.bytes).map_err(BatchError::Check)? {
                    Drift::UpToDate => FileStatus::UpToDate,
                    Drift::Missing => FileStatus::Missing,
                    Drift::Differs => FileStatus::Differs,
                };
                rows.push(FileRow {
                    file: path.display().to_string(),
                    profile: arg.clone(),
                    status,
                });
            }
            return Ok(rows);
        }
        // All or nothing: every output is staged (written to a temporary file beside it, or
        // checked when it is a device) before any is put in place; an error while staging
        // drops the temporary files and leaves every output path as it was.
        let mut staged = Vec::new();
        for (arg, o) in &self.outputs {
            let path = out_dir.join(&o.file_name);
            let s = output::stage(&path, &o.bytes, &self.inputs).map_err(|source| {
                BatchError::Write {
                    profile: arg.clone(),
                    source,
                }
            })?;
            staged.push((arg, path, s));
        }
        // Devices and FIFOs first: their writes can fail (`/dev/full`) and cannot be undone;
        // the renames that follow do not fail on a staged file.
        staged.sort_by_key(|(_, _, s)| !s.in_place());
        for (arg, path, s) in staged {
            s.commit().map_err(|source| BatchError::Write {
                profile: arg.clone(),
                source,
            })?;
            rows.push(FileRow {
                file: path.display().to_string(),
                profile: arg.clone(),
                status: FileStatus::Written,
            });
        }
        let order: HashMap<String, usize> = self
            .outputs
            .iter()
            .enumerate()
            .map(|(i, (_, o))| (out_dir.join(&o.file_name).display().to_string(), i))
            .collect();
        rows.sort_by_key(|r| order.get(&r.file).copied());
        Ok(rows)
    }
}
