//! From loaded profiles to named output files: picks the plan (or its revert), the flavour
//! and the file names (`NAME.reg`, `NAME.revert.reg`, `NAME.system.reg`, `NAME.pol` ...),
//! and writes or checks a [`Batch`] of them all-or-nothing.

mod batch;
mod families;

pub use batch::{profile_inputs, Batch, BatchError, FileRow, FileStatus, Report};
pub use families::{families, resolve, resolve_for_build, Family, Resolved};

use crate::emit::powershell::ScriptKind;
use crate::emit::reg::{self, EmitError, HiveRoot};
use crate::profile::{BuildChange, Profile};

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
    let stem = stem(name, opts.revert);
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
    /// The Ansible playbook could not be made.
    #[error(transparent)]
    Ansible(#[from] crate::emit::ansible::AnsibleError),
    /// The Group Policy `Registry.pol` output could not be made.
    #[error(transparent)]
    Pol(#[from] crate::emit::pol::PolError),
    /// The Group Policy Preferences `Registry.xml` output could not be made.
    #[error(transparent)]
    Gpp(#[from] crate::emit::gpp::GppError),
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

/// Which kinds of output to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Formats {
    /// `.reg` files (in the options' flavour).
    pub reg: bool,
    /// PowerShell scripts.
    pub ps1: bool,
    /// Group Policy `Registry.pol` files (`NAME.pol`).
    pub pol: bool,
    /// Intune Remediations' detection and remediation scripts (`NAME.detect.ps1`,
    /// `NAME.remediate.ps1`).
    pub intune: bool,
    /// An Ansible playbook of `win_regedit` tasks (`NAME.playbook.yml`).
    pub ansible: bool,
    /// Group Policy Preferences Registry extension files (`NAME.gpp.xml`, a GPO's
    /// `Machine\Preferences\Registry\Registry.xml`).
    pub gpp: bool,
}

impl Formats {
    /// What `--format all` makes: the `.reg` files and the PowerShell script. The other
    /// formats are made only when named.
    pub const ALL: Formats = Formats {
        reg: true,
        ps1: true,
        pol: false,
        intune: false,
        ansible: false,
        gpp: false,
    };
}

/// The Group Policy `Registry.pol` of a profile under `name` (`NAME.pol`, or
/// `NAME.revert.pol`). Group Policy applies it on a live system, so `CurrentControlSet`
/// stays as it is.
pub fn pol_outputs(
    name: &str,
    profile: &Profile,
    revert: bool,
) -> Result<Vec<Output>, CompileError> {
    let mut plan = profile.plan();
    if revert {
        plan = plan.revert();
    }
    Ok(vec![Output {
        file_name: format!("{}.pol", stem(name, revert)),
        bytes: crate::emit::pol::to_pol(&plan)?,
    }])
}

/// The PowerShell script of a profile under `name` (`NAME.ps1`, or `NAME.revert.ps1`).
/// Scripts run on a live system, so `CurrentControlSet` stays as it is.
pub fn ps1_output(name: &str, profile: &Profile, revert: bool) -> Result<Output, CompileError> {
    ps1_for_families(name, &[whole(profile)], revert, ScriptKind::Apply)
}

/// The Intune remediation pair of a profile's families under `name`: `NAME.detect.ps1`,
/// which checks and changes nothing, and `NAME.remediate.ps1`, which applies
/// (`NAME.revert.detect.ps1` and `NAME.revert.remediate.ps1` for the undo).
pub fn intune_outputs(
    name: &str,
    fams: &[Family],
    revert: bool,
) -> Result<Vec<Output>, CompileError> {
    [ScriptKind::IntuneDetect, ScriptKind::IntuneRemediate]
        .into_iter()
        .map(|k| ps1_for_families(name, fams, revert, k))
        .collect()
}

/// The Ansible playbook of a profile's families under `name` (`NAME.playbook.yml`, or
/// `NAME.revert.playbook.yml`): one for every family, each family's tasks under a `when` on
/// the build the play reads first.
pub fn ansible_output(name: &str, fams: &[Family], revert: bool) -> Result<Output, CompileError> {
    use crate::emit::ansible::{to_ansible_by_build, AnsibleError, PlaybookInfo};
    let Some(first) = fams.first() else {
        return Err(AnsibleError::Misaligned.into());
    };
    let info = PlaybookInfo {
        profile: first.profile.name.clone(),
        revert,
    };
    let range = (first.first, fams.last().and_then(|f| f.last));
    Ok(Output {
        file_name: format!("{}.playbook.yml", stem(name, revert)),
        bytes: to_ansible_by_build(&branches(fams, revert), range, &info)?,
    })
}

/// The Group Policy Preferences file of a profile's families under `name`: `NAME.gpp.xml`
/// (`NAME.revert.gpp.xml` for the undo), one file for every family, whose items that differ
/// by build are targeted at their family's builds ([`crate::emit::gpp::to_gpp_by_build`]).
/// Group Policy applies it on a live system, so `CurrentControlSet` stays as it is.
pub fn gpp_outputs(name: &str, fams: &[Family], revert: bool) -> Result<Vec<Output>, CompileError> {
    use crate::emit::gpp::{to_gpp_by_build, GppError, GppInfo};
    let Some(first) = fams.first() else {
        return Err(GppError::Misaligned.into());
    };
    let info = GppInfo {
        profile: first.profile.name.clone(),
        revert,
    };
    let range = (first.first, fams.last().and_then(|f| f.last));
    Ok(vec![Output {
        file_name: format!("{}.gpp.xml", stem(name, revert)),
        bytes: to_gpp_by_build(&branches(fams, revert), range, &info)?,
    }])
}

/// The file name before its suffix: `NAME`, or `NAME.revert` for the undo.
fn stem(name: &str, revert: bool) -> String {
    if revert {
        format!("{name}.revert")
    } else {
        name.to_string()
    }
}

/// The families' plans (or their undo plans) for the writers that serve every family in one
/// file; one branch when they are all the same (an undo deletes the lists whatever they
/// held), which needs no choice by build.
fn branches(fams: &[Family], revert: bool) -> Vec<crate::emit::Branch> {
    let mut branches: Vec<crate::emit::Branch> = fams
        .iter()
        .map(|f| crate::emit::Branch {
            first: f.first,
            builds: f.builds(),
            plan: if revert {
                f.profile.plan().revert()
            } else {
                f.profile.plan()
            },
        })
        .collect();
    if branches.windows(2).all(|w| w[0].plan == w[1].plan) {
        branches.truncate(1);
    }
    branches
}

/// The whole range of a profile whose lists are resolved as one.
fn whole(profile: &Profile) -> Family {
    Family {
        first: 0,
        last: None,
        profile: profile.clone(),
        changes: Vec::new(),
    }
}

/// One script for every family: it reads the build when it runs and writes that family's
/// lists ([`crate::emit::powershell::to_powershell_by_build`]).
fn ps1_for_families(
    name: &str,
    fams: &[Family],
    revert: bool,
    kind: ScriptKind,
) -> Result<Output, CompileError> {
    use crate::emit::powershell::{to_powershell_by_build, ScriptInfo};
    let Some(first) = fams.first() else {
        return Err(crate::emit::powershell::PsError::Misaligned.into());
    };
    let info = ScriptInfo {
        profile: first.profile.name.clone(),
        prerequisites: !revert
            && crate::setting::needs_prerequisites(
                first.profile.settings.iter().map(|(k, (v, _))| (k, v)),
            ),
        revert,
        kind,
    };
    let range = (first.first, fams.last().and_then(|f| f.last));
    let suffix = match kind {
        ScriptKind::Apply => "ps1",
        ScriptKind::IntuneDetect => "detect.ps1",
        ScriptKind::IntuneRemediate => "remediate.ps1",
    };
    Ok(Output {
        file_name: format!("{}.{suffix}", stem(name, revert)),
        bytes: to_powershell_by_build(&branches(fams, revert), range, &info)?,
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
    /// A Group Policy Preferences file whose items for each family's lists are targeted at
    /// that family's builds.
    ItemsByBuild {
        /// The file's name.
        file: String,
        /// How many families it targets.
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
            Note::ItemsByBuild { file, families } => write!(
                f,
                "{file} holds each family's lists as items that a WMI filter on the Windows build targets at that family ({families} families)"
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
/// lists when it runs (and one `NAME.gpp.xml` whose items are targeted at each family's
/// builds). Files that would be the same for every family (an undo) are one.
pub fn outputs(
    name: &str,
    profile: &Profile,
    opts: Options,
    formats: Formats,
) -> Result<Compiled, CompileError> {
    type Make<'a> = Box<dyn Fn(&str, &Profile) -> Result<Vec<Output>, CompileError> + 'a>;
    // The formats that cannot choose a family's lists when they run: one file per family.
    let mut fixed: Vec<Make> = Vec::new();
    if formats.reg {
        fixed.push(Box::new(|n, p| Ok(reg_outputs(n, p, opts)?)));
    }
    if formats.pol {
        fixed.push(Box::new(|n, p| pol_outputs(n, p, opts.revert)));
    }
    let mut outs = Vec::new();
    let mut notes = Vec::new();
    match resolve(profile, opts)? {
        Resolved::One { profile, changes } => {
            for make in &fixed {
                outs.extend(make(name, &profile)?);
            }
            if formats.ps1 {
                outs.push(ps1_output(name, &profile, opts.revert)?);
            }
            if formats.intune {
                outs.extend(intune_outputs(name, &[whole(&profile)], opts.revert)?);
            }
            if formats.gpp {
                outs.extend(gpp_outputs(name, &[whole(&profile)], opts.revert)?);
            }
            if formats.ansible {
                outs.push(ansible_output(name, &[whole(&profile)], opts.revert)?);
            }
            notes.extend(changes.into_iter().map(Note::Changed));
        }
        Resolved::Families(fams) => {
            let mut family_files: Vec<Vec<String>> = vec![Vec::new(); fams.len()];
            for make in &fixed {
                let per = fams
                    .iter()
                    .map(|f| make(&format!("{name}.{}", f.label()), &f.profile))
                    .collect::<Result<Vec<_>, _>>()?;
                let bytes = |o: &Vec<Output>| o.iter().map(|o| o.bytes.clone()).collect::<Vec<_>>();
                if per.windows(2).all(|w| bytes(&w[0]) == bytes(&w[1])) {
                    outs.extend(make(name, &fams[0].profile)?);
                } else {
                    for (files, o) in family_files.iter_mut().zip(per) {
                        files.extend(o.iter().map(|o| o.file_name.clone()));
                        outs.extend(o);
                    }
                }
            }
            for (f, files) in fams.iter().zip(family_files) {
                if !files.is_empty() {
                    notes.push(Note::Family {
                        builds: f.builds(),
                        files,
                        changes: f.changes.clone(),
                    });
                }
            }
            if formats.ps1 {
                let o = ps1_for_families(name, &fams, opts.revert, ScriptKind::Apply)?;
                if !opts.revert {
                    notes.push(Note::ScriptByBuild {
                        file: o.file_name.clone(),
                        families: fams.len(),
                    });
                }
                outs.push(o);
            }
            if formats.intune {
                outs.extend(intune_outputs(name, &fams, opts.revert)?);
            }
            if formats.gpp {
                let o = gpp_outputs(name, &fams, opts.revert)?;
                if !opts.revert {
                    notes.extend(o.iter().map(|o| Note::ItemsByBuild {
                        file: o.file_name.clone(),
                        families: fams.len(),
                    }));
                }
                outs.extend(o);
            }
            if formats.ansible {
                outs.push(ansible_output(name, &fams, opts.revert)?);
            }
        }
    }
    Ok(Compiled {
        outputs: outs,
        notes,
    })
}
