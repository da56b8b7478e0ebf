//! The audit: offline SYSTEM and SOFTWARE hives compared with a profile's plan. Strict mode
//! checks that every operation of the plan holds in the hives (`strict.rs`); effective mode
//! judges what Schannel will do from the values plus the per-build defaults (`effective.rs`).
//! Known traps (`traps.rs`), the "Enabling TLS 1.2" prerequisites (`prerequisites.rs`) and the
//! state of the image ([`image`]) are findings too. The result is data ([`Report`]);
//! [`render`] turns it into text, and [`batch`] audits many images at once.
//!
//! Floor: plan, profile, setting, hive, catalog, keypath, value and memreg. Only the binary
//! and tests import the audit.

pub mod batch;
mod effective;
pub mod image;
pub mod os;
mod prerequisites;
pub mod render;
pub mod report;
mod strict;
mod traps;
pub mod waivers;

pub use os::OsInfo;
pub use report::{
    Check, Finding, FindingCode, HiveInfo, ImageInfo, PartitionInfo, ProfileSource, Report, Status,
    Summary, SCHEMA_VERSION,
};

use crate::hive::{HiveError, HiveSource};
use crate::keypath::{resolve, SOFTWARE_ROOT, SYSTEM_ROOT};
use crate::memreg::{data_field, MemRegistry};
use crate::plan::{Op, Source, SourcedPlan};
use crate::profile::Profile;
use crate::value::{dword, read_text, type_name};
use std::collections::HashMap;
use std::path::PathBuf;

/// What to audit.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The SYSTEM hive file (`Windows\System32\config\SYSTEM`), if it is audited.
    pub system: Option<PathBuf>,
    /// The SOFTWARE hive file, if it is audited; it also names the OS.
    pub software: Option<PathBuf>,
    /// The build when no SOFTWARE hive is given.
    pub os_build: Option<u32>,
    /// Read dirty hives as they are, without replaying their transaction logs.
    pub no_recover: bool,
}

/// How to judge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Judge what Schannel will do (values plus per-build defaults), not only the values.
    pub effective: bool,
    /// Count a check that could not be made for want of a hive as non-compliant.
    pub require_all: bool,
}

/// Why an audit could not run.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// A hive could not be read.
    #[error(transparent)]
    Hive(#[from] HiveError),
    /// Neither a SYSTEM nor a SOFTWARE hive was given.
    #[error("give at least one hive (--system, --software or --root)")]
    NoHive,
    /// The SYSTEM hive has no `Select\Current` DWORD; holds the hive's path (or name inside a disk
    /// image).
    #[error("{0}: SYSTEM\\Select\\Current is missing or not a DWORD, so the current control set is unknown")]
    NoControlSet(String),
}

/// A stored REG_DWORD.
fn reg_dword(r: &MemRegistry, key: &str, name: &str) -> Option<u32> {
    r.get(key, name).and_then(|(t, b)| dword(t, b))
}

/// A stored REG_SZ or REG_EXPAND_SZ.
fn reg_text(r: &MemRegistry, key: &str, name: &str) -> Option<String> {
    r.get(key, name).and_then(|(t, b)| read_text(t, b))
}

/// `REG_DWORD 0x00000001` style rendering of a stored value.
fn show(t: u32, b: &[u8]) -> String {
    format!("{} {}", type_name(t), data_field(t, b))
}

/// What every check reads: the profile, the OS and the hives as read.
struct Ctx<'a> {
    profile: &'a Profile,
    os: Option<&'a OsInfo>,
    system: Option<&'a MemRegistry>,
    software: Option<&'a MemRegistry>,
    control_set: Option<u32>,
}

impl Ctx<'_> {
    /// The registry a full key path lives in, with `CurrentControlSet` resolved; `None` when
    /// that hive was not given.
    fn locate(&self, key: &str) -> (String, Option<&MemRegistry>) {
        if image::below(key, SYSTEM_ROOT).is_some() {
            let k = match self.control_set {
                Some(n) => resolve(key, n),
                None => key.to_string(),
            };
            (k, self.system)
        } else if image::below(key, SOFTWARE_ROOT).is_some() {
            (key.to_string(), self.software)
        } else {
            (key.to_string(), None)
        }
    }
}

/// The findings about the profile's settings: per named setting its effective verdict
/// (`--effective`, where one exists) or the strict check of the plan operations it is the
/// source of, then the raw entries' operations. An operation the plan dropped for a later
/// one (a raw value replacing a named setting's) is not checked: the plan is what the
/// compiled files write.
fn judge_settings(cx: &Ctx, plan: &SourcedPlan, opts: Options) -> Vec<Finding> {
    let mut by_source: HashMap<Source, Vec<&Op>> = HashMap::new();
    for (source, op) in plan.sourced_ops() {
        by_source.entry(source).or_default().push(op);
    }
    let ops_of = |source: Source| by_source.get(&source).into_iter().flatten();
    let mut out = Vec::new();
    for (key, (setting, origin)) in &cx.profile.settings {
        let label = key.label();
        let at = ProfileSource::of(origin);
        if opts.effective {
            if let Some(mut f) = effective::finding(cx, key, setting, &label) {
                f.source = at;
                out.push(f);
                continue;
            }
        }
        out.extend(ops_of(Source::Setting(*key)).map(|op| {
            let mut f = strict::check_op(cx, &label, op);
            f.source = at.clone();
            f
        }));
    }
    out.extend(ops_of(Source::Raw).map(|op| {
        let mut f = strict::check_op(cx, "raw", op);
        // The raw entry that writes this key, the last one as the plan keeps the last.
        f.source = cx
            .profile
            .raw
            .iter()
            .rev()
            .find(|e| crate::keypath::same_name(&e.key, op.key()))
            .and_then(|e| ProfileSource::of(&e.origin));
        f
    }));
    out
}

/// Runs the audit of a profile. Hives are read one at a time and dropped once their keys
/// are copied, so memory stays near the larger hive's size.
pub fn audit(profile: &Profile, inputs: &Inputs, opts: Options) -> Result<Report, AuditError> {
    let file = |p: &Option<PathBuf>| p.as_deref().map(HiveSource::file).transpose();
    let hives = Hives {
        system: file(&inputs.system)?,
        software: file(&inputs.software)?,
        os_build: inputs.os_build,
        no_recover: inputs.no_recover,
    };
    audit_hives(profile, &hives, opts)
}

/// The hives of one Windows installation as sources: files, or files inside a disk image.
#[derive(Clone, Default)]
pub struct Hives {
    /// The SYSTEM hive, if it is audited.
    pub system: Option<HiveSource>,
    /// The SOFTWARE hive, if it is audited; it also names the OS.
    pub software: Option<HiveSource>,
    /// The build when no SOFTWARE hive is given.
    pub os_build: Option<u32>,
    /// Read dirty hives as they are, without replaying their transaction logs.
    pub no_recover: bool,
}

/// Runs the audit of a profile on hives from any source ([`audit`] for files).
pub fn audit_hives(profile: &Profile, inputs: &Hives, opts: Options) -> Result<Report, AuditError> {
    if inputs.system.is_none() && inputs.software.is_none() {
        return Err(AuditError::NoHive);
    }
    let plan = profile.sourced_plan();
    let recover = !inputs.no_recover;
    // SOFTWARE first: the OS build is needed to judge SYSTEM values. Hives are opened
    // lazily: only the cells of the keys asked for are read.
    let software = match &inputs.software {
        Some(src) => Some(image::open_software(src, recover, &plan.plan.ops)?),
        None => None,
    };
    let system = match &inputs.system {
        Some(src) => Some(image::open_system(src, recover, &plan.plan.ops)?),
        None => None,
    };
    let os = software
        .as_ref()
        .and_then(|s| s.os.clone())
        .or_else(|| inputs.os_build.map(OsInfo::from_build));
    // The suite and curve lists as the image's build knows them (what `compile
    // --target-build` writes for it): names its table does not list are not asked for,
    // ECDHE names are asked for in the curve-suffixed spelling before 10240.
    let resolved;
    let (profile, plan) = match &os {
        Some(o) => {
            resolved = profile.for_build(o.build, o.edition()).0;
            let plan = resolved.sourced_plan();
            (&resolved, plan)
        }
        None => (profile, plan),
    };
    let control_sets = system.as_ref().map(|s| s.control_sets);
    let hives: Vec<&HiveInfo> = system
        .iter()
        .map(|s| &s.info)
        .chain(software.iter().map(|s| &s.info))
        .collect();
    let mut findings = image::findings(&hives, control_sets.as_ref());
    for reg in system
        .iter()
        .map(|s| &s.reg)
        .chain(software.iter().map(|s| &s.reg))
    {
        findings.extend(image::shadowed(reg));
    }

    let cx = Ctx {
        profile,
        os: os.as_ref(),
        system: system.as_ref().map(|s| &s.reg),
        software: software.as_ref().map(|s| &s.reg),
        control_set: control_sets.as_ref().map(|c| c.current),
    };
    findings.extend(judge_settings(&cx, &plan, opts));
    findings.extend(traps::traps(&cx));
    findings.extend(prerequisites::prerequisites(&cx));
    findings.extend(image::pending_reboot(&cx));
    findings.extend(image::outside_target(&cx));

    let summary = Summary::of(&findings);
    Ok(Report {
        profile: profile.name.clone(),
        mode: if opts.effective {
            "effective"
        } else {
            "strict"
        },
        image: None,
        compliant: summary.compliant(opts.require_all),
        complete: summary.complete(),
        system: system.map(|s| s.info),
        software: software.map(|s| s.info),
        os,
        control_sets,
        findings,
        summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Client";

    /// A raw value that replaces a named setting's is judged once, as the winner the
    /// compiled files write; `--effective` still judges the setting.
    #[test]
    fn a_raw_value_over_a_named_setting_is_judged_once() {
        let yaml = "protocols:\n  TLS 1.2: enabled\nraw:\n  - key: HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Client\n    values:\n      Enabled: { type: dword, data: 0 }\n";
        let profile = crate::profile::load_with("p.yaml", yaml, None, "p")
            .unwrap()
            .profile;
        let mut sys = MemRegistry::new();
        sys.set_raw(CLIENT, "Enabled", 4, 0u32.to_le_bytes().to_vec());
        let cx = Ctx {
            profile: &profile,
            os: None,
            system: Some(&sys),
            software: None,
            control_set: Some(1),
        };
        let plan = profile.sourced_plan();
        let strict = judge_settings(&cx, &plan, Options::default());
        let enabled: Vec<&Finding> = strict
            .iter()
            .filter(|f| f.key == CLIENT && f.value.as_deref() == Some("Enabled"))
            .collect();
        assert_eq!(enabled.len(), 1, "{strict:#?}");
        assert_eq!(
            (enabled[0].setting.as_str(), enabled[0].status),
            ("raw", Status::Pass)
        );
        assert!(strict
            .iter()
            .any(|f| f.setting == "protocol TLS 1.2 (client)"
                && f.value.as_deref() == Some("DisabledByDefault")));
        let effective = judge_settings(
            &cx,
            &plan,
            Options {
                effective: true,
                ..Options::default()
            },
        );
        assert!(effective.iter().any(|f| f.check == Check::Effective
            && f.setting == "protocol TLS 1.2 (client)"
            && f.status == Status::Fail));
        assert!(effective
            .iter()
            .any(|f| f.setting == "raw" && f.status == Status::Pass));
    }

    /// A cipher's `Enabled` of another type than REG_DWORD is ignored by Schannel, so the
    /// OS default (enabled, except NULL) decides, as for a protocol; it used to fail always.
    #[test]
    fn a_non_dword_enabled_on_a_cipher_means_the_default() {
        const RC4: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Control\SecurityProviders\SCHANNEL\Ciphers\RC4 128/128";
        const NULL: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Control\SecurityProviders\SCHANNEL\Ciphers\NULL";
        let yaml = "ciphers:\n  RC4 128/128: disabled\n  \"NULL\": disabled\n";
        let profile = crate::profile::load_with("p.yaml", yaml, None, "p")
            .unwrap()
            .profile;
        let mut sys = MemRegistry::new();
        // "0" as text: an admin meant disabled; Schannel keeps RC4 enabled.
        sys.set_raw(
            RC4,
            "Enabled",
            1,
            crate::value::RegData::Sz("0".into()).to_bytes(),
        );
        sys.set_raw(NULL, "Enabled", 3, vec![1, 0, 0, 0]);
        let cx = Ctx {
            profile: &profile,
            os: None,
            system: Some(&sys),
            software: None,
            control_set: Some(1),
        };
        let effective = judge_settings(
            &cx,
            &profile.sourced_plan(),
            Options {
                effective: true,
                ..Options::default()
            },
        );
        let got = |key: &str| {
            effective
                .iter()
                .find(|f| f.key == key)
                .map(|f| (f.status, f.actual.clone().unwrap_or_default()))
                .unwrap()
        };
        assert_eq!(
            got(RC4),
            (
                Status::Fail,
                "enabled (the OS default: Enabled is REG_SZ, which Schannel does not read)".into()
            )
        );
        assert_eq!(
            got(NULL),
            (
                Status::Pass,
                "disabled (the OS default: Enabled is REG_BINARY, which Schannel does not read)"
                    .into()
            )
        );
    }
}
