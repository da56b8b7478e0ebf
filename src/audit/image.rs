//! The image under audit: opening its hives lazily with
//! exactly the keys the audit reads, what was read ([`HiveInfo`]), the control sets, and the
//! findings about the image itself (a dirty hive, a bad checksum, control sets that differ, a
//! pending reboot).

use super::os::OsInfo;
use super::report::{Check, Finding, FindingCode, HiveInfo, Status};
use super::{AuditError, Ctx};
use crate::catalog::traps::prerequisites::{
    needs_server_2008_update, CBS, NDP_CLIENT, NDP_FULL, NDP_V35, NET_V2, NET_V4, WOW64,
};
use crate::catalog::{CURRENT_VERSION, FIPS_POLICY, LOCAL_SSL, SCHANNEL, SSL_POLICY};
use crate::hive::{ControlSets, HiveFile, HiveSource, Recovery, Request};
use crate::keypath::{
    control_set_name, resolve, strip_key_prefix, SELECT, SOFTWARE_ROOT, SYSTEM_ROOT,
};
use crate::memreg::MemRegistry;
use crate::plan::Op;

/// Windows Update's pending-reboot marker, below the SOFTWARE root.
const WU_REBOOT: &str =
    r"Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired";
/// The key holding `PendingFileRenameOperations`, below a control set.
const SESSION_MANAGER: &str = r"Control\Session Manager";

/// A full key path below `root`, relative to it; `None` for other keys and the root itself.
pub(super) fn below<'a>(key: &'a str, root: &str) -> Option<&'a str> {
    strip_key_prefix(key, root)
        .and_then(|rest| rest.strip_prefix('\\'))
        .filter(|rest| !rest.is_empty())
}

/// The relative paths of the plan's keys in the hive loaded under `root`.
fn plan_keys(ops: &[Op], root: &str, control_set: Option<u32>) -> Vec<Request> {
    ops.iter()
        .filter_map(|op| {
            let key = match control_set {
                Some(n) => resolve(op.key(), n),
                None => op.key().to_string(),
            };
            below(&key, root).map(|rel| Request::Key(rel.to_string()))
        })
        .collect()
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

/// A SOFTWARE hive read for the audit of `ops`: the OS, the cipher-suite policy, .NET, the
/// reboot markers, every key the plan names, and the servicing packages where they matter.
pub(super) struct Software {
    pub reg: MemRegistry,
    pub info: HiveInfo,
    pub os: Option<OsInfo>,
}

pub(super) fn open_software(
    src: &HiveSource,
    recover: bool,
    ops: &[Op],
) -> Result<Software, AuditError> {
    let mut h = HiveFile::open_source_lazy(src, recover)?;
    let mut req = vec![
        Request::Key(CURRENT_VERSION.into()),
        Request::Key(below(SSL_POLICY, SOFTWARE_ROOT).unwrap_or_default().into()),
        Request::Key(NDP_FULL.into()),
        Request::Key(NDP_CLIENT.into()),
        Request::Key(NDP_V35.into()),
        Request::Key(NET_V4.into()),
        Request::Key(format!(r"{WOW64}\{NET_V4}")),
        Request::Key(NET_V2.into()),
        Request::Key(format!(r"{WOW64}\{NET_V2}")),
        Request::Key(format!(r"{CBS}\RebootPending")),
        Request::Key(WU_REBOOT.into()),
    ];
    req.extend(plan_keys(ops, SOFTWARE_ROOT, None));
    let mut reg = h.extract(SOFTWARE_ROOT, &req)?;
    let os = OsInfo::read(&reg);
    // The servicing packages (thousands of keys) matter only on Server 2008 SP2.
    if os
        .as_ref()
        .is_some_and(|os| needs_server_2008_update(os.build))
    {
        let packages = Request::Children(format!(r"{CBS}\Packages"));
        reg.merge(&h.extract(SOFTWARE_ROOT, &[packages])?);
    }
    Ok(Software {
        reg,
        info: hive_info(&h),
        os,
    })
}

/// A SYSTEM hive read for the audit of `ops`: its control sets, and in the current one
/// SCHANNEL (whole), the FIPS policy, the Local cipher-suite list, the Session Manager and
/// every key the plan names.
pub(super) struct System {
    pub reg: MemRegistry,
    pub info: HiveInfo,
    pub control_sets: ControlSets,
}

pub(super) fn open_system(
    src: &HiveSource,
    recover: bool,
    ops: &[Op],
) -> Result<System, AuditError> {
    let mut h = HiveFile::open_source_lazy(src, recover)?;
    let control_sets = h
        .control_sets(SYSTEM_ROOT)?
        .ok_or_else(|| AuditError::NoControlSet(src.path.display().to_string()))?;
    let n = control_sets.current;
    let in_current = |key: &str| {
        Request::Key(
            below(&resolve(key, n), SYSTEM_ROOT)
                .unwrap_or_default()
                .to_string(),
        )
    };
    let schannel = below(&resolve(SCHANNEL, n), SYSTEM_ROOT)
        .unwrap_or_default()
        .to_string();
    let mut req = vec![
        Request::Tree(schannel),
        in_current(FIPS_POLICY),
        in_current(LOCAL_SSL),
        Request::Key(format!(r"{}\{SESSION_MANAGER}", control_set_name(n))),
    ];
    req.extend(plan_keys(ops, SYSTEM_ROOT, Some(n)));
    let reg = h.extract(SYSTEM_ROOT, &req)?;
    Ok(System {
        reg,
        info: hive_info(&h),
        control_sets,
    })
}

/// Findings about the hives read: recovered or stale, a wrong checksum, and `Select` values
/// that name another control set than `Current`.
pub(super) fn findings(hives: &[&HiveInfo], control_sets: Option<&ControlSets>) -> Vec<Finding> {
    let mut out = Vec::new();
    for info in hives {
        if info.recovery != Recovery::Clean {
            let stale = info.recovery.stale();
            out.push(Finding {
                code: FindingCode::HiveRecovered,
                waiver: None,
                source: None,
                check: Check::Image,
                setting: "hive".into(),
                key: info.path.clone(),
                value: None,
                expected: None,
                // Dirty means the sequence numbers differ or the checksum is wrong.
                actual: stale.then(|| {
                    if info.primary_sequence != info.secondary_sequence {
                        format!(
                            "primary sequence {} != secondary {}",
                            info.primary_sequence, info.secondary_sequence
                        )
                    } else {
                        "the base block checksum is wrong".to_string()
                    }
                }),
                status: if stale { Status::Warn } else { Status::Pass },
                reason: format!("the hive was {}", info.recovery.describe()),
            });
        }
        if !info.checksum_ok {
            out.push(Finding {
                code: FindingCode::HiveChecksum,
                waiver: None,
                source: None,
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
    if let Some(cs) = control_sets {
        for (what, n) in [
            ("Default", cs.default),
            ("LastKnownGood", cs.last_known_good),
        ] {
            if let Some(n) = n.filter(|n| *n != cs.current) {
                out.push(Finding {
                    code: FindingCode::ControlSetSelect,
                    waiver: None,
                    source: None,
                    check: Check::Image,
                    setting: "control set".into(),
                    key: format!(r"{SYSTEM_ROOT}\{SELECT}"),
                    value: Some(what.into()),
                    expected: Some(format!("{}", cs.current)),
                    actual: Some(format!("{n}")),
                    status: Status::Warn,
                    reason: format!(
                        "Select\\{what} is {}, Current is {}; the audit reads the current one",
                        control_set_name(n),
                        control_set_name(cs.current)
                    ),
                });
            }
        }
    }
    out
}

/// Values a key holds twice (names that differ only in case, or not at all): Windows reads
/// the first, and so does the audit; the later one is reported, since a tool that reads the
/// last one sees another value than Windows does.
pub(super) fn shadowed(reg: &MemRegistry) -> Vec<Finding> {
    reg.shadowed()
        .iter()
        .map(|s| {
            let winner = reg
                .get(&s.key, &s.first)
                .map(|(t, b)| super::show(t, b))
                .unwrap_or_default();
            Finding {
                code: FindingCode::DuplicateValue,
                waiver: None,
                source: None,
                check: Check::Image,
                setting: "duplicate value".into(),
                key: s.key.clone(),
                value: Some(s.name.clone()),
                expected: None,
                actual: Some(super::show(s.type_code, &s.data)),
                status: Status::Warn,
                reason: format!(
                    "the key holds two values named {:?} and {:?} (Windows compares value names case-insensitively): Windows reads the first, {winner}, and so does this audit; the later one is ignored",
                    s.first, s.name
                ),
            }
        })
        .collect()
}

/// A pending reboot: the registry may not be what Windows runs with yet.
pub(super) fn pending_reboot(cx: &Ctx) -> Vec<Finding> {
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
        let sm = format!(r"{SYSTEM_ROOT}\{}\{SESSION_MANAGER}", control_set_name(n));
        if sys.get(&sm, "PendingFileRenameOperations").is_some() {
            pending.push(format!(r"{sm}\PendingFileRenameOperations"));
        }
    }
    pending
        .into_iter()
        .map(|k| Finding {
            code: FindingCode::PendingReboot,
            waiver: None,
            source: None,
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
        })
        .collect()
}

/// A warning when the image's build is outside the profile's `target`: compile writes no
/// file for that build (its script stops there), so the lists were resolved for a build
/// the profile was not written for.
pub(super) fn outside_target(cx: &Ctx) -> Option<Finding> {
    let (target, os) = (cx.profile.target?, cx.os?);
    let inside = os.build >= target.min_build && target.max_build.is_none_or(|m| os.build <= m);
    if inside {
        return None;
    }
    let range = match target.max_build {
        Some(m) => format!("builds {} to {m}", target.min_build),
        None => format!("builds {} and later", target.min_build),
    };
    Some(Finding {
        code: FindingCode::OutsideTarget,
        waiver: None,
        source: None,
        check: Check::Image,
        setting: "target".into(),
        key: super::os::current_version_key(),
        value: None,
        expected: Some(range),
        actual: Some(os.name.clone()),
        status: Status::Warn,
        reason: "the profile is not meant for this build: compile writes no file for it and its script stops there".into(),
    })
}
