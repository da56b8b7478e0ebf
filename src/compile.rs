//! From loaded profiles to named output files: picks the plan (or its revert), the flavour
//! and the file names (`NAME.reg`, `NAME.revert.reg`, `NAME.system.reg` ...), and writes or
//! checks a [`Batch`] of them all-or-nothing.

use crate::emit::reg::{self, EmitError, HiveRoot};
use crate::output::{self, Drift, OutputError};
use crate::profile::{Loaded, Profile, ProfileRef};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Which program the `.reg` output is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavor {
    /// regedit.exe / reg import on Windows.
    #[default]
    Regedit,
    /// hivexregedit --merge / virt-win-reg --merge on an offline hive (one file per hive).
    Hivex,
}

/// What to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    pub flavor: Flavor,
    /// Write the undo file instead.
    pub revert: bool,
    /// Replace `CurrentControlSet` with `ControlSet00N` (required for the hivex flavour when
    /// the plan writes to the SYSTEM hive).
    pub control_set: Option<u32>,
    /// Write the suite and curve lists for this Windows build ([`Profile::for_build`]).
    pub target_build: Option<u32>,
}

/// One output file: its name (no folder) and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The `.reg` outputs of a profile under `name`.
pub fn reg_outputs(name: &str, profile: &Profile, opts: Options) -> Result<Vec<Output>, EmitError> {
    let mut plan = profile.plan();
    if opts.revert {
        plan = plan.revert();
    }
    if let Some(n) = opts.control_set {
        plan = plan.with_control_set(n);
    }
    let stem = if opts.revert {
        format!("{name}.revert")
    } else {
        name.to_string()
    };
    match opts.flavor {
        Flavor::Regedit => Ok(vec![Output {
            file_name: format!("{stem}.reg"),
            bytes: reg::to_regedit(&plan)?,
        }]),
        Flavor::Hivex => HiveRoot::ALL
            .into_iter()
            .map(|h| {
                Ok(Output {
                    file_name: format!("{stem}.{}.reg", h.file_part()),
                    bytes: reg::to_hivex(&plan, h)?,
                })
            })
            .collect(),
    }
}

/// Why a profile's outputs could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    #[error(transparent)]
    Reg(#[from] EmitError),
    #[error(transparent)]
    PowerShell(#[from] crate::emit::powershell::PsError),
    /// Build `build` knows none of the list's names: writing an empty list would leave
    /// Windows no suite (or curve) at all.
    #[error("build {build} knows none of the names in the {list} list; nothing would be left")]
    NothingLeft { build: u32, list: &'static str },
    /// The target range spans builds that know different names: one file would be wrong
    /// for part of it.
    #[error("the cipher-suite or curve list cannot be one list for every build of the target: builds know different names from build {}; compile once per build with --target-build (for example --target-build {}), or narrow the target", starts.iter().map(u32::to_string).collect::<Vec<_>>().join(", from build "), starts[0])]
    ListsDifferInRange { starts: Vec<u32> },
}

/// The lists of a profile whose `target` is a range, without `--target-build`: resolved at
/// the first build of every Microsoft table in the range. One file is right for the whole
/// range only when they all agree; then it is written with those lists. Otherwise the
/// compile is refused, naming the builds where the lists change, so that no file is wrong
/// for part of the range. A profile without a target is written as it says.
fn resolve_for_target(
    profile: &Profile,
) -> Result<(Profile, Vec<crate::profile::BuildChange>), CompileError> {
    use crate::catalog::suite_builds::TABLES;
    let lists = |p: &Profile| -> Vec<Option<Vec<String>>> {
        [
            crate::setting::SettingKey::CipherSuites,
            crate::setting::SettingKey::EccCurves,
        ]
        .iter()
        .map(|k| match p.settings.get(k) {
            Some((crate::setting::Setting::List(l), _)) => Some(l.clone()),
            _ => None,
        })
        .collect()
    };
    let Some(target) = profile.target else {
        return Ok((profile.clone(), Vec::new()));
    };
    if lists(profile).iter().all(Option::is_none) {
        return Ok((profile.clone(), Vec::new()));
    }
    let mut builds: Vec<u32> = TABLES
        .iter()
        .map(|t| t.min_build.max(target.min_build))
        .filter(|b| target.max_build.is_none_or(|m| *b <= m))
        .collect();
    builds.push(target.min_build);
    builds.sort_unstable();
    builds.dedup();
    // (first build, its lists, the profile resolved there, what changed)
    type Family = (
        u32,
        Vec<Option<Vec<String>>>,
        Profile,
        Vec<crate::profile::BuildChange>,
    );
    let mut families: Vec<Family> = Vec::new();
    for b in builds {
        let (p, changes) = profile.for_build(b, None);
        let l = lists(&p);
        if families.last().is_none_or(|f| f.1 != l) {
            families.push((b, l, p, changes));
        }
    }
    match families.len() {
        0 => Ok((profile.clone(), Vec::new())),
        1 => {
            let (_, _, p, changes) = families.remove(0);
            Ok((p, changes))
        }
        _ => Err(CompileError::ListsDifferInRange {
            starts: families.iter().map(|f| f.0).collect(),
        }),
    }
}

/// The profile as compiled for `opts.target_build` (itself when none is given), with what
/// changed in its lists. An emptied list is an error.
pub fn resolve_for_build(
    profile: &Profile,
    opts: Options,
) -> Result<(Profile, Vec<crate::profile::BuildChange>), CompileError> {
    let Some(build) = opts.target_build else {
        return resolve_for_target(profile);
    };
    let (resolved, changes) = profile.for_build(build, None);
    for (key, list) in [
        (crate::setting::SettingKey::CipherSuites, "cipher-suite"),
        (crate::setting::SettingKey::EccCurves, "curve"),
    ] {
        let len = |p: &Profile| match p.settings.get(&key) {
            Some((crate::setting::Setting::List(l), _)) => l.len(),
            _ => 0,
        };
        if len(profile) > 0 && len(&resolved) == 0 {
            return Err(CompileError::NothingLeft { build, list });
        }
    }
    Ok((resolved, changes))
}

/// The PowerShell script of a profile under `name` (`NAME.ps1`, or `NAME.revert.ps1`).
/// Scripts run on a live system, so `CurrentControlSet` stays as it is.
pub fn ps1_output(name: &str, profile: &Profile, revert: bool) -> Result<Output, CompileError> {
    let plan = if revert {
        profile.plan().revert()
    } else {
        profile.plan()
    };
    let info = crate::emit::powershell::ScriptInfo {
        profile: profile.name.clone(),
        prerequisites: !revert
            && crate::setting::needs_prerequisites(
                profile.settings.iter().map(|(k, (v, _))| (k, v)),
            ),
        revert,
    };
    let stem = if revert {
        format!("{name}.revert")
    } else {
        name.to_string()
    };
    Ok(Output {
        file_name: format!("{stem}.ps1"),
        bytes: crate::emit::powershell::to_powershell(&plan, &info)?,
    })
}

/// Which kinds of output to make.
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    /// `.reg` files (in the options' flavour).
    pub reg: bool,
    /// PowerShell scripts.
    pub ps1: bool,
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
/// let formats = Formats { reg: true, ps1: true };
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
    Written,
    UpToDate,
    Missing,
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
    pub profile: String,
    pub status: FileStatus,
}

/// The `--report json` document (fields in the order the JSON has always had).
#[derive(Debug, Clone, Serialize)]
pub struct Report<'a> {
    pub diagnostics: &'a [crate::diag::Diagnostic],
    pub files: &'a [FileRow],
    pub version: u32,
}

/// Why a batch could not be written or checked.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("{first} and {second} would both write {file}; compile them into different folders")]
    SameName {
        first: String,
        second: String,
        file: String,
    },
    #[error("compiling {profile}")]
    Write {
        profile: String,
        #[source]
        source: OutputError,
    },
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
    ) -> Result<Vec<crate::profile::BuildChange>, CompileError> {
        let name = r.output_name();
        let (profile, changes) = resolve_for_build(&loaded.profile, opts)?;
        let mut outs = Vec::new();
        if formats.reg {
            outs.extend(reg_outputs(&name, &profile, opts)?);
        }
        if formats.ps1 {
            outs.push(ps1_output(&name, &profile, opts.revert)?);
        }
        self.inputs.extend(profile_inputs(r, loaded));
        self.outputs
            .extend(outs.into_iter().map(|o| (arg.to_string(), o)));
        Ok(changes)
    }

    /// Writes every output into `out_dir` atomically, or with `check` compares them with
    /// what is there and writes nothing. Two profiles writing one file name is an error
    /// before anything is written; so is an output that would replace an input.
    pub fn write(&self, out_dir: &Path, check: bool) -> Result<Vec<FileRow>, BatchError> {
        let mut seen = HashMap::new();
        for (arg, o) in &self.outputs {
            if let Some(prev) = seen.insert(o.file_name.clone(), arg.clone()) {
                return Err(BatchError::SameName {
                    first: prev,
                    second: arg.clone(),
                    file: o.file_name.clone(),
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
