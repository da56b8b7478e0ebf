//! From loaded profiles to named output files: picks the plan (or its revert), the flavour
//! and the file names (`NAME.reg`, `NAME.revert.reg`, `NAME.system.reg` ...), and writes or
//! checks a [`Batch`] of them all-or-nothing.

use crate::emit::reg::{self, EmitError, HiveRoot};
use crate::output::{self, Drift, OutputError};
use crate::profile::{BuildChange, Loaded, Profile, ProfileRef};
use crate::setting::{Setting, SettingKey};
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
    /// Which program the `.reg` files are for.
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
    /// The file name: the profile's name, `.revert` for an undo, the family's builds and the hive
    /// where there are several (`NAME.build-14393.system.reg`).
    pub file_name: String,
    /// The whole file, as [`reg::to_regedit`], [`reg::to_hivex`] or
    /// [`crate::emit::powershell::to_powershell_by_build`] wrote it.
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
    /// The `.reg` output could not be made (a key path or value name that cannot be written;
    /// for the hivex flavour, a key outside SYSTEM and SOFTWARE or under `CurrentControlSet`).
    #[error(transparent)]
    Reg(#[from] EmitError),
    /// The PowerShell output could not be made.
    #[error(transparent)]
    PowerShell(#[from] crate::emit::powershell::PsError),
    /// Build `build` knows none of the list's names: writing an empty list would leave
    /// Windows no suite (or curve) at all.
    #[error("build {build} knows none of the names in the {list} list; nothing would be left")]
    NothingLeft {
        /// The build resolved for.
        build: u32,
        /// Which list: `"cipher-suite"` or `"curve"`.
        list: &'static str,
    },
    /// The target range spans builds that know different names: one file would be wrong
    /// for part of it.
    #[error("the cipher-suite or curve list cannot be one list for every build of the target: builds know different names from build {}; compile once per build with --target-build (for example --target-build {}), or narrow the target", starts.iter().map(u32::to_string).collect::<Vec<_>>().join(", from build "), starts.first().copied().unwrap_or_default())]
    ListsDifferInRange {
        /// The first build of each family, oldest first.
        starts: Vec<u32>,
    },
}

/// A run of builds of a profile's target range that get the same cipher-suite and curve
/// lists: one `.reg` file each when the lists differ across the range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Family {
    /// Its first build.
    pub first: u32,
    /// Its last build: the last one a Microsoft table names before the next family (or the
    /// target's `max-build`); `None` for every later build.
    pub last: Option<u32>,
    /// The profile with these builds' lists.
    pub profile: Profile,
    /// What resolving the lists for `first` changed.
    pub changes: Vec<BuildChange>,
}

impl Family {
    /// The part of its file names: `build-7601-9600`, `build-14393`, `build-20348-up`.
    pub fn label(&self) -> String {
        match self.last {
            None => format!("build-{}-up", self.first),
            Some(l) if l == self.first => format!("build-{l}"),
            Some(l) => format!("build-{}-{l}", self.first),
        }
    }

    /// Its builds in words: `builds 7601 to 9600`, `build 14393`, `builds 20348 and later`.
    pub fn builds(&self) -> String {
        match self.last {
            None => format!("builds {} and later", self.first),
            Some(l) if l == self.first => format!("build {l}"),
            Some(l) => format!("builds {} to {l}", self.first),
        }
    }
}

/// A profile's lists as they will be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// One profile for every build it is compiled for (`--target-build`, no target, or a
    /// target whose builds all get the same lists), with what resolving changed.
    One {
        /// The profile with its lists resolved.
        profile: Profile,
        /// What resolving changed (names left out, respelled).
        changes: Vec<BuildChange>,
    },
    /// Builds of the target that get different lists, oldest first (at least two).
    Families(Vec<Family>),
}

/// The lists of `list` keys of a profile, for comparing families.
fn lists(p: &Profile) -> Vec<Option<&Vec<String>>> {
    [SettingKey::CipherSuites, SettingKey::EccCurves]
        .iter()
        .map(|k| match p.settings.get(k) {
            Some((Setting::List(l), _)) => Some(l),
            _ => None,
        })
        .collect()
}

/// A list the profile writes that resolving for `build` emptied: writing it would leave
/// Windows no suite (or curve) at all.
fn check_not_emptied(before: &Profile, after: &Profile, build: u32) -> Result<(), CompileError> {
    for (key, list) in [
        (SettingKey::CipherSuites, "cipher-suite"),
        (SettingKey::EccCurves, "curve"),
    ] {
        let len = |p: &Profile| match p.settings.get(&key) {
            Some((Setting::List(l), _)) => l.len(),
            _ => 0,
        };
        if len(before) > 0 && len(after) == 0 {
            return Err(CompileError::NothingLeft { build, list });
        }
    }
    Ok(())
}

/// The families of a profile whose `target` is a range: its lists resolved at the first
/// build of every Microsoft table in the range (and at `min-build`); neighbours with the
/// same lists are one family. A profile without a target or without lists is one family.
pub fn families(profile: &Profile) -> Result<Vec<Family>, CompileError> {
    use crate::catalog::suite_builds::TABLES;
    let whole = || Family {
        first: profile.target.map_or(0, |t| t.min_build),
        last: profile.target.and_then(|t| t.max_build),
        profile: profile.clone(),
        changes: Vec::new(),
    };
    let Some(target) = profile.target else {
        return Ok(vec![whole()]);
    };
    if lists(profile).iter().all(Option::is_none) {
        return Ok(vec![whole()]);
    }
    let mut probes: Vec<u32> = TABLES
        .iter()
        .map(|t| t.min_build.max(target.min_build))
        .filter(|b| target.max_build.is_none_or(|m| *b <= m))
        .collect();
    probes.push(target.min_build);
    probes.sort_unstable();
    probes.dedup();
    let mut out: Vec<Family> = Vec::new();
    for b in probes {
        let (p, changes) = profile.for_build(b, None);
        check_not_emptied(profile, &p, b)?;
        if out.last().is_none_or(|f| lists(&f.profile) != lists(&p)) {
            out.push(Family {
                first: b,
                last: None,
                profile: p,
                changes,
            });
        }
    }
    // Each family ends where the next begins; its last build is the last one a table
    // names in between (there are no Windows releases between Microsoft's tables).
    let starts: Vec<u32> = out.iter().map(|f| f.first).skip(1).collect();
    for (f, next) in out.iter_mut().zip(starts) {
        let end = next - 1;
        f.last = Some(
            TABLES
                .iter()
                .filter(|t| t.min_build <= end && t.max_build.is_none_or(|m| m >= f.first))
                .map(|t| t.max_build.unwrap_or(end).min(end))
                .max()
                .unwrap_or(f.first)
                .max(f.first),
        );
    }
    if let Some(f) = out.last_mut() {
        f.last = target.max_build;
    }
    Ok(out)
}

/// The profile's lists as compiled with `opts`: for `opts.target_build` (names that build
/// does not know left out, ECDHE names respelled), else per family of its target range.
/// A list that would be emptied is an error.
pub fn resolve(profile: &Profile, opts: Options) -> Result<Resolved, CompileError> {
    if let Some(build) = opts.target_build {
        let (resolved, changes) = profile.for_build(build, None);
        check_not_emptied(profile, &resolved, build)?;
        return Ok(Resolved::One {
            profile: resolved,
            changes,
        });
    }
    let mut fams = families(profile)?;
    if fams.len() == 1 {
        let f = fams.remove(0);
        return Ok(Resolved::One {
            profile: f.profile,
            changes: f.changes,
        });
    }
    Ok(Resolved::Families(fams))
}

/// The profile as compiled for `opts.target_build`, or for its whole target when that gets
/// one list ([`resolve`]), with what changed; a target whose builds get different lists is
/// [`CompileError::ListsDifferInRange`] here (use [`outputs`], which writes one file per
/// family).
pub fn resolve_for_build(
    profile: &Profile,
    opts: Options,
) -> Result<(Profile, Vec<BuildChange>), CompileError> {
    match resolve(profile, opts)? {
        Resolved::One { profile, changes } => Ok((profile, changes)),
        Resolved::Families(f) => Err(CompileError::ListsDifferInRange {
            starts: f.iter().map(|f| f.first).collect(),
        }),
    }
}

/// The PowerShell script of a profile under `name` (`NAME.ps1`, or `NAME.revert.ps1`).
/// Scripts run on a live system, so `CurrentControlSet` stays as it is.
pub fn ps1_output(name: &str, profile: &Profile, revert: bool) -> Result<Output, CompileError> {
    let whole = Family {
        first: 0,
        last: None,
        profile: profile.clone(),
        changes: Vec::new(),
    };
    ps1_for_families(name, std::slice::from_ref(&whole), revert)
}

/// One script for every family: it reads the build when it runs and writes that family's
/// lists ([`crate::emit::powershell::to_powershell_by_build`]).
fn ps1_for_families(name: &str, fams: &[Family], revert: bool) -> Result<Output, CompileError> {
    use crate::emit::powershell::{to_powershell_by_build, Branch, ScriptInfo};
    let Some(first) = fams.first() else {
        return Err(crate::emit::powershell::PsError::Misaligned.into());
    };
    let mut branches: Vec<Branch> = fams
        .iter()
        .map(|f| Branch {
            first: f.first,
            builds: f.builds(),
            plan: if revert {
                f.profile.plan().revert()
            } else {
                f.profile.plan()
            },
        })
        .collect();
    // Families whose plans are the same (an undo deletes the lists whatever they held)
    // need no choice at run time.
    if branches.windows(2).all(|w| w[0].plan == w[1].plan) {
        branches.truncate(1);
    }
    let info = ScriptInfo {
        profile: first.profile.name.clone(),
        prerequisites: !revert
            && crate::setting::needs_prerequisites(
                first.profile.settings.iter().map(|(k, (v, _))| (k, v)),
            ),
        revert,
    };
    let stem = if revert {
        format!("{name}.revert")
    } else {
        name.to_string()
    };
    let range = (first.first, fams.last().and_then(|f| f.last));
    Ok(Output {
        file_name: format!("{stem}.ps1"),
        bytes: to_powershell_by_build(&branches, range, &info)?,
    })
}

/// What resolving the lists did, for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A name left out or respelled for the one build (or target) compiled for.
    Changed(BuildChange),
    /// A family of the target range got its own `.reg` files.
    Family {
        /// Its builds in words ([`Family::builds`]).
        builds: String,
        /// The files written for it.
        files: Vec<String>,
        /// What its lists leave out or respell.
        changes: Vec<BuildChange>,
    },
    /// A script that chooses between the families' lists when it runs.
    ScriptByBuild {
        /// The script's file name.
        file: String,
        /// How many families it chooses between.
        families: usize,
    },
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Note::Changed(c) => write!(f, "{c}"),
            Note::Family {
                builds,
                files,
                changes,
            } => {
                write!(f, "{builds}: {}", files.join(", "))?;
                let left: Vec<&str> = changes
                    .iter()
                    .filter_map(|c| match c {
                        BuildChange::LeftOut { name, .. } => Some(name.as_str()),
                        BuildChange::Respelled { .. } => None,
                    })
                    .collect();
                let respelled: Vec<String> = changes
                    .iter()
                    .filter_map(|c| match c {
                        BuildChange::Respelled { name, into, .. } => {
                            Some(format!("{name} as {}", into.join(", ")))
                        }
                        BuildChange::LeftOut { .. } => None,
                    })
                    .collect();
                if left.is_empty() && respelled.is_empty() {
                    return write!(f, " (the lists as the profile writes them)");
                }
                let mut parts = Vec::new();
                if !left.is_empty() {
                    parts.push(format!(
                        "left out, not in Microsoft's tables for these builds: {}",
                        left.join(", ")
                    ));
                }
                if !respelled.is_empty() {
                    parts.push(format!(
                        "written with the curve-suffixed names these builds know: {}",
                        respelled.join("; ")
                    ));
                }
                write!(f, " ({})", parts.join("; "))
            }
            Note::ScriptByBuild { file, families } => write!(
                f,
                "{file} reads the Windows build when it runs and writes the lists of that build's family ({families} families)"
            ),
        }
    }
}

/// What compiling one profile made: its files, and what resolving its lists did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiled {
    /// The files of the outputs, in the order they were added.
    pub outputs: Vec<Output>,
    /// What resolving the lists did, for the user.
    pub notes: Vec<Note>,
}

/// Every output of one profile under `name`, as `compile` writes them. With
/// `opts.target_build`, or when every build of its target gets the same lists: `NAME.reg`
/// (per hive with the hivex flavour) and `NAME.ps1`. Otherwise one set of `.reg` files per
/// [`Family`], `NAME.build-FIRST-LAST.reg` (`NAME.build-FIRST-up.reg` for the newest), so
/// that no file is wrong for part of the range, and one `NAME.ps1` that picks the family's
/// lists when it runs. Files that would be the same for every family (an undo) are one.
pub fn outputs(
    name: &str,
    profile: &Profile,
    opts: Options,
    formats: Formats,
) -> Result<Compiled, CompileError> {
    let mut outs = Vec::new();
    let mut notes = Vec::new();
    match resolve(profile, opts)? {
        Resolved::One { profile, changes } => {
            if formats.reg {
                outs.extend(reg_outputs(name, &profile, opts)?);
            }
            if formats.ps1 {
                outs.push(ps1_output(name, &profile, opts.revert)?);
            }
            notes.extend(changes.into_iter().map(Note::Changed));
        }
        Resolved::Families(fams) => {
            if formats.reg {
                let per = fams
                    .iter()
                    .map(|f| reg_outputs(&format!("{name}.{}", f.label()), &f.profile, opts))
                    .collect::<Result<Vec<_>, _>>()?;
                let bytes = |o: &Vec<Output>| o.iter().map(|o| o.bytes.clone()).collect::<Vec<_>>();
                if per.windows(2).all(|w| bytes(&w[0]) == bytes(&w[1])) {
                    outs.extend(reg_outputs(name, &fams[0].profile, opts)?);
                } else {
                    for (f, o) in fams.iter().zip(per) {
                        notes.push(Note::Family {
                            builds: f.builds(),
                            files: o.iter().map(|o| o.file_name.clone()).collect(),
                            changes: f.changes.clone(),
                        });
                        outs.extend(o);
                    }
                }
            }
            if formats.ps1 {
                let o = ps1_for_families(name, &fams, opts.revert)?;
                if !opts.revert {
                    notes.push(Note::ScriptByBuild {
                        file: o.file_name.clone(),
                        families: fams.len(),
                    });
                }
                outs.push(o);
            }
        }
    }
    Ok(Compiled {
        outputs: outs,
        notes,
    })
}

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

/// Which kinds of output to make.
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
