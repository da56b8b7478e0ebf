//! From a loaded profile to named output files: picks the plan (or its revert), the flavour
//! and the file names (`NAME.reg`, `NAME.revert.reg`, `NAME.system.reg` ...).

use crate::emit::reg::{self, EmitError, HiveRoot};
use crate::profile::Profile;

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
