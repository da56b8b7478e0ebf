//! The audit: offline SYSTEM and SOFTWARE hives compared with a profile. Strict mode checks
//! that every value the profile sets is there with its type and data (and every deletion is
//! absent); `effective` mode judges what Schannel will do from the values plus the per-build
//! defaults. Known traps, the "Enabling TLS 1.2" prerequisites and a pending reboot are
//! findings too. The result is data ([`Report`]); rendering is in [`crate::report`].

use crate::catalog::defaults::{algorithm_default, protocol_default, ProtocolDefault};
use crate::catalog::{self, CIPHERS, HASHES, KEY_EXCHANGES, PROTOCOLS, SCHANNEL, SSL_POLICY};
use crate::hive::{HiveError, HiveFile, Request};
use crate::keypath::fold;
use crate::keypath::resolve as map_control_set;
use crate::memreg::{data_field, MemRegistry};
use crate::osinfo::OsInfo;
use crate::plan::{Op, PlanBuilder};
use crate::profile::{Profile, RawOp};
use crate::setting::{Setting, SettingKey, State};
use crate::value::type_name;
use serde::Serialize;
use std::path::PathBuf;

/// Version of the JSON report schema.
pub const SCHEMA_VERSION: u32 = 1;

const SYSTEM_ROOT: &str = r"HKEY_LOCAL_MACHINE\SYSTEM";
const SOFTWARE_ROOT: &str = r"HKEY_LOCAL_MACHINE\SOFTWARE";
const CURRENT_VERSION: &str = r"Microsoft\Windows NT\CurrentVersion";
const NDP_FULL: &str = r"Microsoft\NET Framework Setup\NDP\v4\Full";
const CBS: &str = r"Microsoft\Windows\CurrentVersion\Component Based Servicing";
const WU_REBOOT: &str =
    r"Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired";
/// Lowest `Release` of .NET Framework 4.5 ([NETVER]).
const NET45_RELEASE: u32 = 378389;

/// What to audit.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub system: Option<PathBuf>,
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
}

/// One finding's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    /// The OS default for this build is not known: never a silent pass.
    Unknown,
    /// The hive holding this setting was not given.
    NotAudited,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Unknown => "unknown",
            Status::NotAudited => "not-audited",
        }
    }
}

/// What kind of check produced a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// A value the profile sets or deletes.
    Value,
    /// What Schannel will do (`--effective`).
    Effective,
    /// A known mistake in the registry.
    Trap,
    /// The "Enabling TLS 1.2" prerequisites.
    Prerequisite,
    /// Something about the image (dirty hive, control sets, pending reboot).
    Image,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub check: Check,
    /// The setting, e.g. `protocol TLS 1.2 (server)` or `raw`.
    pub setting: String,
    /// Full key path with the real control set.
    pub key: String,
    pub value: Option<String>,
    pub expected: Option<String>,
    pub actual: Option<String>,
    pub status: Status,
    pub reason: String,
}

/// A hive that was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HiveInfo {
    pub path: String,
    /// The header as read was dirty (after any recovery).
    pub dirty: bool,
    /// What was done about a dirty hive: clean, recovered from logs, or read as it is.
    pub recovery: crate::hive::Recovery,
    pub checksum_ok: bool,
    pub primary_sequence: u32,
    pub secondary_sequence: u32,
}

/// `SYSTEM\Select`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlSets {
    pub current: u32,
    pub default: Option<u32>,
    pub last_known_good: Option<u32>,
}

/// Counts per status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub unknown: usize,
    pub not_audited: usize,
}

/// The whole result of one audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub profile: String,
    pub mode: &'static str,
    pub system: Option<HiveInfo>,
    pub software: Option<HiveInfo>,
    pub os: Option<OsInfo>,
    pub control_sets: Option<ControlSets>,
    pub findings: Vec<Finding>,
    pub summary: Summary,
    /// No finding failed, none is unknown and nothing went unaudited.
    pub compliant: bool,
}

/// Why an audit could not run.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Hive(#[from] HiveError),
    #[error("give at least one hive (--system, --software or --root)")]
    NoHive,
    #[error("{0}: SYSTEM\\Select\\Current is missing or not a DWORD, so the current control set is unknown")]
    NoControlSet(String),
}

fn dword(r: &MemRegistry, key: &str, name: &str) -> Option<u32> {
    match r.get(key, name) {
        Some((4, b)) if b.len() == 4 => Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        _ => None,
    }
}

fn text(r: &MemRegistry, key: &str, name: &str) -> Option<String> {
    match r.get(key, name) {
        Some((1 | 2, b)) if b.len() % 2 == 0 => {
            let units: Vec<u16> = b
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            let s = String::from_utf16_lossy(&units);
            Some(s.trim_end_matches('\0').to_string())
        }
        _ => None,
    }
}

/// `REG_DWORD 0x00000001` style rendering of a stored value.
fn show(t: u32, b: &[u8]) -> String {
    format!("{} {}", type_name(t), data_field(t, b))
}

fn show_op_data(op: &Op) -> Option<String> {
    match op {
        Op::SetValue { data, .. } => Some(show(data.type_code(), &data.to_bytes())),
        Op::DeleteValue { .. } => Some("absent".into()),
        Op::DeleteKey { .. } => Some("key absent".into()),
    }
}

struct Ctx<'a> {
    profile: &'a Profile,
    os: Option<&'a OsInfo>,
    system: Option<&'a MemRegistry>,
    software: Option<&'a MemRegistry>,
    control_set: Option<u32>,
    findings: Vec<Finding>,
}

impl Ctx<'_> {
    /// The registry a full key path lives in, with `CurrentControlSet` resolved; `None` when
    /// that hive was not given.
    fn locate(&self, key: &str) -> (String, Option<&MemRegistry>) {
        let upper = key.to_ascii_uppercase();
        if upper.starts_with(r"HKEY_LOCAL_MACHINE\SYSTEM\") {
            let k = match self.control_set {
                Some(n) => map_control_set(key, n),
                None => key.to_string(),
            };
            (k, self.system)
        } else if upper.starts_with(r"HKEY_LOCAL_MACHINE\SOFTWARE\") {
            (key.to_string(), self.software)
        } else {
            (key.to_string(), None)
        }
    }

    fn push(&mut self, f: Finding) {
        self.findings.push(f);
    }

    /// The strict check of one operation.
    fn check_op(&mut self, setting: &str, op: &Op) {
        let (key, reg) = self.locate(op.key());
        let (value, expected) = match op {
            Op::SetValue { name, .. } | Op::DeleteValue { name, .. } => {
                (Some(display_name(name)), show_op_data(op))
            }
            Op::DeleteKey { .. } => (None, show_op_data(op)),
        };
        let Some(reg) = reg else {
            let reason = if key
                .to_ascii_uppercase()
                .starts_with(r"HKEY_LOCAL_MACHINE\SYSTEM\")
            {
                "no SYSTEM hive was given"
            } else if key
                .to_ascii_uppercase()
                .starts_with(r"HKEY_LOCAL_MACHINE\SOFTWARE\")
            {
                "no SOFTWARE hive was given"
            } else {
                "tlsreg audits only the SYSTEM and SOFTWARE hives"
            };
            self.push(Finding {
                check: Check::Value,
                setting: setting.into(),
                key,
                value,
                expected,
                actual: None,
                status: Status::NotAudited,
                reason: reason.into(),
            });
            return;
        };
        let (status, actual, reason) = match op {
            Op::SetValue { name, data, .. } => match reg.get(&key, name) {
                None if !reg.key_exists(&key) => {
                    (Status::Fail, None, "the key is missing".to_string())
                }
                None => (Status::Fail, None, "the value is missing".to_string()),
                Some((t, b)) => {
                    let want_t = data.type_code();
                    let want_b = data.to_bytes();
                    let actual = Some(show(t, b));
                    if t != want_t {
                        (
                            Status::Fail,
                            actual,
                            format!("the value is {}, not {}", type_name(t), type_name(want_t)),
                        )
                    } else if data_field(t, b) != data_field(want_t, &want_b) {
                        (Status::Fail, actual, "the data differs".to_string())
                    } else {
                        (Status::Pass, actual, "as the profile says".to_string())
                    }
                }
            },
            Op::DeleteValue { name, .. } => match reg.get(&key, name) {
                None => (
                    Status::Pass,
                    Some("absent".into()),
                    "absent, as the profile says".to_string(),
                ),
                Some((t, b)) => (
                    Status::Fail,
                    Some(show(t, b)),
                    "the profile removes this value, but it is set".to_string(),
                ),
            },
            Op::DeleteKey { .. } => {
                if reg.key_exists(&key) {
                    (
                        Status::Fail,
                        Some("key present".into()),
                        "the profile deletes this key, but it exists".to_string(),
                    )
                } else {
                    (
                        Status::Pass,
                        Some("key absent".into()),
                        "absent, as the profile says".to_string(),
                    )
                }
            }
        };
        self.push(Finding {
            check: Check::Value,
            setting: setting.into(),
            key,
            value,
            expected,
            actual,
            status,
            reason,
        });
    }
}

fn display_name(name: &str) -> String {
    if name.is_empty() {
        "(default)".into()
    } else {
        name.to_string()
    }
}

/// The ops one named setting means.
fn ops_of(key: &SettingKey, setting: &Setting) -> Vec<Op> {
    let mut b = PlanBuilder::default();
    key.add_ops(setting, &mut b);
    b.finish().ops
}

/// What Schannel does with a protocol side, and why.
fn effective_protocol(
    reg: &MemRegistry,
    key: &str,
    protocol: &catalog::Protocol,
    side: catalog::Side,
    build: Option<u32>,
) -> (ProtocolDefault, String) {
    let enabled = dword(reg, key, "Enabled");
    let dbd = dword(reg, key, "DisabledByDefault");
    let default = match build {
        Some(b) => protocol_default(protocol, side, b),
        None => ProtocolDefault::Unknown,
    };
    let vals = format!(
        "Enabled={}, DisabledByDefault={}",
        enabled.map_or("absent".into(), |v| format!("{v:#x}")),
        dbd.map_or("absent".into(), |v| format!("{v:#x}"))
    );
    if default == ProtocolDefault::NotSupported {
        return (
            ProtocolDefault::NotSupported,
            format!("not supported on this build ({vals})"),
        );
    }
    match (enabled, dbd) {
        (Some(0), _) => (ProtocolDefault::NotSupported, format!("disabled ({vals})")),
        (_, Some(d)) if d != 0 => (ProtocolDefault::OffByDefault, format!("off unless an application asks for it ({vals})")),
        (Some(_), Some(0)) | (None, Some(0)) => (ProtocolDefault::Enabled, format!("enabled ({vals})")),
        (Some(_), None) => match default {
            ProtocolDefault::OffByDefault => (ProtocolDefault::OffByDefault, format!("off unless an application asks for it: the build's default, Enabled alone does not change it ({vals})")),
            ProtocolDefault::Unknown => (ProtocolDefault::Unknown, format!("Enabled is set but the build's DisabledByDefault default is unknown ({vals})")),
            _ => (ProtocolDefault::Enabled, format!("enabled ({vals})")),
        },
        (None, None) => match default {
            ProtocolDefault::Unknown => (ProtocolDefault::Unknown, "no value set, and the OS default for this build is not known".into()),
            d => (d, format!("the OS default for this build ({})", describe_default(d))),
        },
        _ => unreachable!("Some(d) with d != 0 is handled above"),
    }
}

fn describe_default(d: ProtocolDefault) -> &'static str {
    match d {
        ProtocolDefault::Enabled => "enabled",
        ProtocolDefault::OffByDefault => "off unless an application asks for it",
        ProtocolDefault::NotSupported => "not supported",
        ProtocolDefault::Unknown => "unknown",
    }
}

/// Runs the audit of a profile. Hives are read one at a time and dropped once their keys
/// are copied, so memory stays near the larger hive's size.
pub fn audit(profile: &Profile, inputs: &Inputs, opts: Options) -> Result<Report, AuditError> {
    if inputs.system.is_none() && inputs.software.is_none() {
        return Err(AuditError::NoHive);
    }
    let plan = profile.plan();
    let mut findings = Vec::new();

    // SOFTWARE first: the OS build is needed to judge SYSTEM values. Hives are opened
    // lazily: only the cells of the keys asked for are read.
    let (software, software_info, software_os) = match &inputs.software {
        Some(path) => {
            let mut h = HiveFile::open_lazy(path, !inputs.no_recover)?;
            let mut req = vec![
                Request::Key(CURRENT_VERSION.into()),
                Request::Key(rel(SSL_POLICY, SOFTWARE_ROOT)),
                Request::Key(NDP_FULL.into()),
                Request::Key(format!(r"{CBS}\RebootPending")),
                Request::Key(WU_REBOOT.into()),
            ];
            for op in &plan.ops {
                if op
                    .key()
                    .to_ascii_uppercase()
                    .starts_with(r"HKEY_LOCAL_MACHINE\SOFTWARE\")
                {
                    req.push(Request::Key(rel(op.key(), SOFTWARE_ROOT)));
                }
            }
            let mut reg = h.extract(SOFTWARE_ROOT, &req)?;
            let cv = format!(r"{SOFTWARE_ROOT}\{CURRENT_VERSION}");
            let os = OsInfo::from_values(|n| text(&reg, &cv, n), dword(&reg, &cv, "UBR"));
            // The servicing packages (thousands of keys) matter only on Server 2008 SP2.
            if os
                .as_ref()
                .is_some_and(|os| (6000..7000).contains(&os.build))
            {
                let packages = Request::Children(format!(r"{CBS}\Packages"));
                reg.merge(&h.extract(SOFTWARE_ROOT, &[packages])?);
            }
            (Some(reg), Some(hive_info(&h)), os)
        }
        None => (None, None, None),
    };
    let os = software_os.or_else(|| inputs.os_build.map(OsInfo::from_build));

    let (system, system_info, control_sets) = match &inputs.system {
        Some(path) => {
            let mut h = HiveFile::open_lazy(path, !inputs.no_recover)?;
            let select = h.extract(SYSTEM_ROOT, &[Request::Key("Select".into())])?;
            let sel = format!(r"{SYSTEM_ROOT}\Select");
            let current = dword(&select, &sel, "Current")
                .ok_or_else(|| AuditError::NoControlSet(path.display().to_string()))?;
            let cs = ControlSets {
                current,
                default: dword(&select, &sel, "Default"),
                last_known_good: dword(&select, &sel, "LastKnownGood"),
            };
            let ccs = format!("ControlSet{current:03}");
            let mut req = vec![
                Request::Tree(format!(r"{ccs}\Control\SecurityProviders\SCHANNEL")),
                Request::Key(format!(r"{ccs}\Control\Lsa\FIPSAlgorithmPolicy")),
                Request::Key(format!(
                    r"{ccs}\Control\Cryptography\Configuration\Local\SSL\00010002"
                )),
                Request::Key(format!(r"{ccs}\Control\Session Manager")),
            ];
            for op in &plan.ops {
                if op
                    .key()
                    .to_ascii_uppercase()
                    .starts_with(r"HKEY_LOCAL_MACHINE\SYSTEM\")
                {
                    req.push(Request::Key(rel(
                        &map_control_set(op.key(), current),
                        SYSTEM_ROOT,
                    )));
                }
            }
            let reg = h.extract(SYSTEM_ROOT, &req)?;
            (Some(reg), Some(hive_info(&h)), Some(cs))
        }
        None => (None, None, None),
    };

    for info in [&system_info, &software_info].into_iter().flatten() {
        if info.recovery != crate::hive::Recovery::Clean {
            let stale = info.recovery.stale();
            findings.push(Finding {
                check: Check::Image,
                setting: "hive".into(),
                key: info.path.clone(),
                value: None,
                expected: None,
                actual: stale.then(|| {
                    format!(
                        "primary sequence {} != secondary {}",
                        info.primary_sequence, info.secondary_sequence
                    )
                }),
                status: if stale { Status::Warn } else { Status::Pass },
                reason: format!("the hive was {}", info.recovery.describe()),
            });
        }
        if !info.checksum_ok {
            findings.push(Finding {
                check: Check::Image,
                setting: "hive".into(),
                key: info.path.clone(),
                value: None,
                expected: None,
                actual: None,
                status: Status::Warn,
                reason: "the base block checksum is wrong (read anyway)".into(),
            });
        }
    }
    if let Some(cs) = &control_sets {
        for (what, n) in [
            ("Default", cs.default),
            ("LastKnownGood", cs.last_known_good),
        ] {
            if let Some(n) = n.filter(|n| *n != cs.current) {
                findings.push(Finding {
                    check: Check::Image,
                    setting: "control set".into(),
                    key: format!(r"{SYSTEM_ROOT}\Select"),
                    value: Some(what.into()),
                    expected: Some(format!("{}", cs.current)),
                    actual: Some(format!("{n}")),
                    status: Status::Warn,
                    reason: format!("Select\\{what} is ControlSet{n:03}, Current is ControlSet{:03}; the audit reads the current one", cs.current),
                });
            }
        }
    }

    let mut cx = Ctx {
        profile,
        os: os.as_ref(),
        system: system.as_ref(),
        software: software.as_ref(),
        control_set: control_sets.as_ref().map(|c| c.current),
        findings,
    };
    judge_settings(&mut cx, opts);
    traps(&mut cx);
    prerequisites(&mut cx);

    let mut summary = Summary::default();
    for f in &cx.findings {
        match f.status {
            Status::Pass => summary.pass += 1,
            Status::Warn => summary.warn += 1,
            Status::Fail => summary.fail += 1,
            Status::Unknown => summary.unknown += 1,
            Status::NotAudited => summary.not_audited += 1,
        }
    }
    let compliant = summary.fail == 0 && summary.unknown == 0 && summary.not_audited == 0;
    let findings = cx.findings;
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        profile: profile.name.clone(),
        mode: if opts.effective {
            "effective"
        } else {
            "strict"
        },
        system: system_info,
        software: software_info,
        os,
        control_sets,
        findings,
        summary,
        compliant,
    })
}

fn rel(key: &str, root: &str) -> String {
    key.get(root.len() + 1..).unwrap_or_default().to_string()
}

fn hive_info(h: &HiveFile) -> HiveInfo {
    HiveInfo {
        path: h.path.display().to_string(),
        dirty: h.header.dirty(),
        recovery: h.recovery.clone(),
        checksum_ok: h.header.checksum_ok,
        primary_sequence: h.header.primary_sequence,
        secondary_sequence: h.header.secondary_sequence,
    }
}

fn judge_settings(cx: &mut Ctx, opts: Options) {
    let build = cx.os.map(|o| o.build);
    for (key, (setting, _)) in &cx.profile.settings {
        let label = key.label();
        if opts.effective {
            if let Some(f) = effective_finding(cx, key, setting, &label, build) {
                cx.push(f);
                continue;
            }
        }
        for op in ops_of(key, setting) {
            cx.check_op(&label, &op);
        }
    }
    for e in &cx.profile.raw {
        let op = match &e.op {
            RawOp::Set { name, data } => Op::SetValue {
                key: e.key.clone(),
                name: name.clone(),
                data: data.clone(),
            },
            RawOp::DeleteValue { name } => Op::DeleteValue {
                key: e.key.clone(),
                name: name.clone(),
            },
            RawOp::DeleteKey => Op::DeleteKey { key: e.key.clone() },
        };
        cx.check_op("raw", &op);
    }
}

/// The `--effective` judgement of a setting, where one exists (protocols, algorithms,
/// cipher-suite order); `None` falls back to the strict check.
fn effective_finding(
    cx: &Ctx,
    key: &SettingKey,
    setting: &Setting,
    label: &str,
    build: Option<u32>,
) -> Option<Finding> {
    let (k, reg) = cx.locate(&key.key_path());
    let not_audited = |reason: &str| Finding {
        check: Check::Effective,
        setting: label.into(),
        key: k.clone(),
        value: None,
        expected: None,
        actual: None,
        status: Status::NotAudited,
        reason: reason.into(),
    };
    match key {
        SettingKey::Protocol(p, side) => {
            let Some(reg) = reg else {
                return Some(not_audited("no SYSTEM hive was given"));
            };
            let (state, why) = effective_protocol(reg, &k, &PROTOCOLS[*p], *side, build);
            let (expected, ok) = match setting {
                Setting::State(State::Enabled) => ("enabled", state == ProtocolDefault::Enabled),
                Setting::State(State::Disabled) => {
                    ("disabled", state == ProtocolDefault::NotSupported)
                }
                _ => ("the OS default", true),
            };
            let status =
                if state == ProtocolDefault::Unknown && matches!(setting, Setting::State(_)) {
                    Status::Unknown
                } else if ok {
                    Status::Pass
                } else {
                    Status::Fail
                };
            let reason = match status {
                Status::Pass => "Schannel does what the profile asks".to_string(),
                Status::Unknown => {
                    "the outcome depends on an OS default no public source gives for this build"
                        .to_string()
                }
                _ => "Schannel will not do what the profile asks".to_string(),
            };
            Some(Finding {
                check: Check::Effective,
                setting: label.into(),
                key: k.clone(),
                value: None,
                expected: Some(expected.into()),
                actual: Some(why),
                status,
                reason,
            })
        }
        SettingKey::Cipher(_) | SettingKey::Hash(_) | SettingKey::KeyExchange(_) => {
            let Some(reg) = reg else {
                return Some(not_audited("no SYSTEM hive was given"));
            };
            let want = match setting {
                Setting::State(State::Enabled) => true,
                Setting::State(State::Disabled) => false,
                _ => return None,
            };
            let on = match dword(reg, &k, "Enabled") {
                Some(v) => Some(v != 0),
                // KB245030: an unconfigured algorithm is enabled, except NULL.
                None if reg.get(&k, "Enabled").is_none() => key.algorithm().map(algorithm_default),
                None => None,
            };
            let (status, why) = match on {
                Some(on) if on == want => (
                    Status::Pass,
                    if on {
                        "enabled".to_string()
                    } else {
                        "disabled".to_string()
                    },
                ),
                Some(on) => (
                    Status::Fail,
                    if on {
                        "enabled".to_string()
                    } else {
                        "disabled".to_string()
                    },
                ),
                None => (
                    Status::Fail,
                    "Enabled is not a DWORD, which Schannel does not read".to_string(),
                ),
            };
            let why = if reg.get(&k, "Enabled").is_none() {
                format!("{why} (the OS default: no Enabled value)")
            } else {
                why
            };
            let reason = if status == Status::Pass {
                "Schannel does what the profile asks"
            } else {
                "Schannel will not do what the profile asks"
            };
            Some(Finding {
                check: Check::Effective,
                setting: label.into(),
                key: k.clone(),
                value: Some("Enabled".into()),
                expected: Some(if want { "enabled" } else { "disabled" }.into()),
                actual: Some(why),
                status,
                reason: reason.into(),
            })
        }
        SettingKey::CipherSuites => {
            let Setting::List(want) = setting else {
                return None;
            };
            let Some(sw) = cx.software else {
                return Some(not_audited("no SOFTWARE hive was given"));
            };
            let local_key = cx.control_set.map(|n| format!(r"{SYSTEM_ROOT}\ControlSet{n:03}\Control\Cryptography\Configuration\Local\SSL\00010002"));
            let (source, list) = match sw.get(SSL_POLICY, "Functions") {
                Some((1, _)) => (
                    "the Group Policy list (Policies, REG_SZ)",
                    text(sw, SSL_POLICY, "Functions")
                        .map(|s| s.split(',').map(str::to_string).collect::<Vec<_>>()),
                ),
                _ => match (cx.system, &local_key) {
                    (Some(sys), Some(lk)) => match sys.get(lk, "Functions") {
                        Some((7, b)) => ("the Local list (no usable policy)", Some(multi_sz(b))),
                        _ => ("the OS default order (no policy, no Local list)", None),
                    },
                    _ => (
                        "the Local list or the OS default (no SYSTEM hive given)",
                        None,
                    ),
                },
            };
            let (status, actual) = match list {
                Some(l) if &l == want => (Status::Pass, l.join(",")),
                Some(l) => (Status::Fail, l.join(",")),
                None => (Status::Unknown, "not known".into()),
            };
            Some(Finding {
                check: Check::Effective,
                setting: label.into(),
                key: k.clone(),
                value: Some("Functions".into()),
                expected: Some(want.join(",")),
                actual: Some(actual),
                status,
                reason: format!("Schannel uses {source}"),
            })
        }
        _ => None,
    }
}

fn multi_sz(b: &[u8]) -> Vec<String> {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
        .split('\0')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Looks for the known traps under SCHANNEL and in the cipher-suite policy.
fn traps(cx: &mut Ctx) {
    let build = cx.os.map(|o| o.build);
    let mut out = Vec::new();
    let trap = |key: &str, value: Option<&str>, actual: Option<String>, reason: String| Finding {
        check: Check::Trap,
        setting: "trap".into(),
        key: key.into(),
        value: value.map(str::to_string),
        expected: None,
        actual,
        status: Status::Warn,
        reason,
    };
    if let (Some(sys), Some(n)) = (cx.system, cx.control_set) {
        let sch = map_control_set(SCHANNEL, n);
        let known_values = [
            "Enabled",
            "DisabledByDefault",
            "ServerMinKeyBitLength",
            "ClientMinKeyBitLength",
            "ClientMaxKeyBitLength",
        ];
        // Values of the wrong type, and 0xffffffff.
        for (group, names) in [
            ("Ciphers", CIPHERS),
            ("Hashes", HASHES),
            ("KeyExchangeAlgorithms", KEY_EXCHANGES),
        ] {
            let base = format!(r"{sch}\{group}");
            for sub in sys.subkeys(&base) {
                let k = format!(r"{base}\{sub}");
                let known = names.iter().any(|a| fold(a.name) == fold(&sub));
                if !known {
                    let reason = if sub
                        .chars()
                        .any(|c| matches!(c, '\u{2215}' | '\u{2044}' | '\u{ff0f}' | '\u{29f8}'))
                    {
                        format!("\"{sub}\" uses a look-alike slash; Schannel reads only the ASCII \"/\" name, so this key does nothing")
                    } else if fold(&sub) == fold("Triple DES 168/168")
                        && build.is_none_or(|b| b >= 6000)
                    {
                        "\"Triple DES 168/168\" is the pre-Vista name; Vista and later read \"Triple DES 168\", so this key does nothing".to_string()
                    } else if let Some(nested) = names.iter().find(|a| {
                        a.name.split_once('/').is_some_and(|(head, tail)| {
                            fold(head) == fold(&sub) && sys.key_exists(&format!(r"{k}\{tail}"))
                        })
                    }) {
                        format!("\"{sub}\\{}\" is a nested key (what New-Item makes of \"{}\"); Schannel reads only \"{}\"", nested.name.split_once('/').map(|x| x.1).unwrap_or_default(), nested.name, nested.name)
                    } else {
                        format!(
                            "Schannel has no {group} entry named \"{sub}\"; this key does nothing"
                        )
                    };
                    out.push(trap(&k, None, None, reason));
                }
                value_traps(sys, &k, &known_values, &mut out, &trap);
            }
        }
        let protos = format!(r"{sch}\Protocols");
        for sub in sys.subkeys(&protos) {
            let k = format!(r"{protos}\{sub}");
            let known = PROTOCOLS.iter().find(|p| fold(p.name) == fold(&sub));
            match known {
                None => {
                    let norm = catalog::normalize(&sub);
                    let reason = if norm == "dtls1.1" || norm == "dtls1.3" {
                        format!("Windows has no \"{sub}\" (its DTLS versions are DTLS 1.0 and DTLS 1.2); this key does nothing")
                    } else {
                        format!("Schannel has no protocol \"{sub}\"; this key does nothing")
                    };
                    out.push(trap(&k, None, None, reason));
                }
                Some(p)
                    if p.name == "TLS 1.3"
                        && build.is_some_and(|b| b < catalog::TLS13_MIN_BUILD) =>
                {
                    out.push(trap(&k, None, None, format!("a TLS 1.3 key on build {}: Schannel has TLS 1.3 only from build 20348; enabled on Server 2019 it resets connections", build.unwrap_or(0))));
                }
                _ => {}
            }
            for side in ["Client", "Server"] {
                value_traps(sys, &format!(r"{k}\{side}"), &known_values, &mut out, &trap);
            }
            let c = dword(sys, &format!(r"{k}\Client"), "Enabled").map(|v| v != 0);
            let s = dword(sys, &format!(r"{k}\Server"), "Enabled").map(|v| v != 0);
            if let (Some(c), Some(s)) = (c, s) {
                if c != s {
                    let on = |b: bool| if b { "enabled" } else { "disabled" };
                    out.push(trap(&k, Some("Enabled"), Some(format!("Client {}, Server {}", on(c), on(s))), format!("\"{sub}\" is {} for Client and {} for Server; a server that is also a client (most are) gets a mixed result", on(c), on(s))));
                }
            }
        }
    }
    if let Some(sw) = cx.software {
        if let Some((t, b)) = sw.get(SSL_POLICY, "Functions") {
            if t != 1 {
                out.push(trap(SSL_POLICY, Some("Functions"), Some(show(t, b)), format!("the policy Functions is {}; Windows reads it only as REG_SZ (comma-separated) and ignores this one", type_name(t))));
            }
        }
    }
    cx.findings.extend(out);
}

fn value_traps(
    reg: &MemRegistry,
    key: &str,
    known: &[&str],
    out: &mut Vec<Finding>,
    trap: &impl Fn(&str, Option<&str>, Option<String>, String) -> Finding,
) {
    for (name, t, b) in reg.values(key) {
        if !known.iter().any(|k| fold(k) == fold(name)) {
            continue;
        }
        if t != 4 || b.len() != 4 {
            out.push(trap(
                key,
                Some(name),
                Some(show(t, b)),
                format!(
                    "{name} is {}; Schannel reads only a REG_DWORD, so this value does nothing",
                    type_name(t)
                ),
            ));
        } else if name.eq_ignore_ascii_case("Enabled")
            && u32::from_le_bytes([b[0], b[1], b[2], b[3]]) == 0xffff_ffff
        {
            out.push(trap(key, Some(name), Some(show(t, b)), "Enabled=0xffffffff works as enabled, but current documentation asks for 1 and Exchange HealthChecker flags it".to_string()));
        }
    }
}

/// The "Enabling TLS 1.2" prerequisites and a pending reboot.
fn prerequisites(cx: &mut Ctx) {
    let mut out = Vec::new();
    let find = |what: &str,
                key: &str,
                expected: &str,
                actual: Option<String>,
                status: Status,
                reason: String| Finding {
        check: Check::Prerequisite,
        setting: what.into(),
        key: key.into(),
        value: None,
        expected: Some(expected.into()),
        actual,
        status,
        reason,
    };
    if crate::compile::needs_prerequisites(cx.profile) {
        let cv = format!(r"{SOFTWARE_ROOT}\{CURRENT_VERSION}");
        match cx.os {
            None => out.push(find(
                "operating system",
                &cv,
                "a build that supports TLS 1.2",
                None,
                Status::NotAudited,
                "no SOFTWARE hive and no --os-build: the OS is unknown".into(),
            )),
            Some(os) => {
                let b = os.build;
                if b < 6002 {
                    out.push(find(
                        "operating system",
                        &cv,
                        "Windows Server 2008 SP2 (6002) or later",
                        Some(os.name.clone()),
                        Status::Fail,
                        "TLS 1.2 needs Windows Server 2008 SP2 or later".into(),
                    ));
                } else if b < 7000 {
                    let pk = format!(r"{SOFTWARE_ROOT}\{CBS}\Packages");
                    match cx.software {
                        Some(sw) => {
                            let has = sw.subkeys(&pk).iter().any(|n| {
                                n.to_ascii_uppercase().starts_with("PACKAGE_FOR_KB4019276")
                            });
                            let status = if has { Status::Pass } else { Status::Fail };
                            out.push(find("KB4019276", &pk, "installed", Some(if has { "installed" } else { "not installed" }.into()), status, "Windows Server 2008 SP2 needs update KB4019276 for TLS 1.1 and 1.2".into()));
                        }
                        None => out.push(find(
                            "KB4019276",
                            &pk,
                            "installed",
                            None,
                            Status::NotAudited,
                            "no SOFTWARE hive was given".into(),
                        )),
                    }
                } else if b == 7600 {
                    out.push(find(
                        "service pack",
                        &cv,
                        "Service Pack 1 (build 7601)",
                        Some(os.name.clone()),
                        Status::Fail,
                        "Windows Server 2008 R2 and Windows 7 need Service Pack 1 for TLS 1.2"
                            .into(),
                    ));
                } else {
                    out.push(find(
                        "operating system",
                        &cv,
                        "a build that supports TLS 1.2",
                        Some(os.name.clone()),
                        Status::Pass,
                        "this build supports TLS 1.2".into(),
                    ));
                }
            }
        }
        let ndp = format!(r"{SOFTWARE_ROOT}\{NDP_FULL}");
        match cx.software {
            Some(sw) => {
                let release = dword(sw, &ndp, "Release");
                let status = if release.is_some_and(|r| r >= NET45_RELEASE) {
                    Status::Pass
                } else {
                    Status::Fail
                };
                out.push(find(
                    ".NET Framework 4.5",
                    &ndp,
                    &format!("Release {NET45_RELEASE} or more"),
                    Some(release.map_or("absent (no .NET 4.5 or later)".into(), |r| {
                        format!("Release {r}")
                    })),
                    status,
                    ".NET Framework apps need 4.5 or later for TLS 1.2".into(),
                ));
            }
            None => out.push(find(
                ".NET Framework 4.5",
                &ndp,
                &format!("Release {NET45_RELEASE} or more"),
                None,
                Status::NotAudited,
                "no SOFTWARE hive was given".into(),
            )),
        }
    }
    // A pending reboot means the registry may not be what Windows runs with yet.
    let mut pending = Vec::new();
    if let Some(sw) = cx.software {
        for k in [
            format!(r"{SOFTWARE_ROOT}\{CBS}\RebootPending"),
            format!(r"{SOFTWARE_ROOT}\{WU_REBOOT}"),
        ] {
            if sw.key_exists(&k) {
                pending.push(k);
            }
        }
    }
    if let (Some(sys), Some(n)) = (cx.system, cx.control_set) {
        let sm = format!(r"{SYSTEM_ROOT}\ControlSet{n:03}\Control\Session Manager");
        if sys.get(&sm, "PendingFileRenameOperations").is_some() {
            pending.push(format!(r"{sm}\PendingFileRenameOperations"));
        }
    }
    for k in pending {
        out.push(Finding {
            check: Check::Image,
            setting: "pending reboot".into(),
            key: k,
            value: None,
            expected: None,
            actual: Some("present".into()),
            status: Status::Warn,
            reason:
                "a reboot is pending: settings applied since the last boot are not in effect yet"
                    .into(),
        });
    }
    cx.findings.extend(out);
}

/// The SYSTEM and SOFTWARE hives of a mounted Windows volume (`DIR/Windows/System32/config`)
/// or of a `config` folder itself, matched case-insensitively as on Windows.
pub fn find_hives(dir: &std::path::Path) -> std::io::Result<Inputs> {
    fn entry(
        dir: &std::path::Path,
        name: &str,
        want_dir: bool,
    ) -> std::io::Result<Option<PathBuf>> {
        for e in std::fs::read_dir(dir)? {
            let e = e?;
            if e.file_name().to_string_lossy().eq_ignore_ascii_case(name) {
                let is_dir = e.file_type()?.is_dir() || e.path().is_dir();
                if is_dir == want_dir {
                    return Ok(Some(e.path()));
                }
            }
        }
        Ok(None)
    }
    let mut config = dir.to_path_buf();
    if entry(dir, "SYSTEM", false)?.is_none() && entry(dir, "SOFTWARE", false)?.is_none() {
        for part in ["Windows", "System32", "config"] {
            match entry(&config, part, true)? {
                Some(p) => config = p,
                None => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        format!(
                            "{} has neither SYSTEM/SOFTWARE hives nor Windows/System32/config",
                            dir.display()
                        ),
                    ))
                }
            }
        }
    }
    let system = entry(&config, "SYSTEM", false)?;
    let software = entry(&config, "SOFTWARE", false)?;
    if system.is_none() && software.is_none() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{} holds no SYSTEM or SOFTWARE hive", config.display()),
        ));
    }
    Ok(Inputs {
        system,
        software,
        os_build: None,
        no_recover: false,
    })
}
