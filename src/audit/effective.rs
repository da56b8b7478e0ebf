//! Effective mode (`--effective`): what Schannel will do with a protocol, an algorithm or the
//! cipher-suite order, from the values plus the per-build defaults of
//! [`crate::catalog::defaults`], judged against what the profile asks.

use super::report::{Check, Finding, FindingCode, Status};
use super::{reg_dword, reg_text, Ctx};
use crate::catalog::defaults::{
    algorithm_default, experimental_tls13, protocol_default_for, ProtocolDefault,
};
use crate::catalog::traps::POLICY_FUNCTIONS_TYPE;
use crate::catalog::{
    Protocol, ProtocolId, Side, DISABLED_BY_DEFAULT, ENABLED, FUNCTIONS, LOCAL_SSL, SSL_POLICY,
};
use crate::keypath::resolve;
use crate::memreg::MemRegistry;
use crate::setting::{Setting, SettingKey, State};
use crate::value::read_multi_sz;
use crate::value::type_name;

/// The Local cipher-suite list (SYSTEM hive), used when no policy `Functions` is set.
// TODO(catalog): a home beside `SSL_POLICY`, with the type it is read as (REG_MULTI_SZ).
/// The type Windows reads the Local `Functions` list as.
const LOCAL_FUNCTIONS_TYPE: u32 = 7;

/// What Schannel does with a protocol side, and why.
fn effective_protocol(
    reg: &MemRegistry,
    key: &str,
    protocol: &Protocol,
    side: Side,
    os: Option<&super::OsInfo>,
) -> (ProtocolDefault, String) {
    let enabled = reg_dword(reg, key, ENABLED);
    let dbd = reg_dword(reg, key, DISABLED_BY_DEFAULT);
    let build = os.map(|o| o.build);
    let mut default = match os {
        Some(o) => protocol_default_for(protocol, side, o.build, o.is_server()),
        None => ProtocolDefault::Unknown,
    };
    // TLS 1.3 on Windows 10 1903-22H2: not supported, but the registry can switch it on
    // (experimental, "not a safe system configuration"): judged from the values like a
    // protocol that is off by default, and said so.
    let experimental = protocol.id == ProtocolId::Tls13
        && build.is_some_and(experimental_tls13)
        && default == ProtocolDefault::NotSupported;
    if experimental {
        default = ProtocolDefault::OffByDefault;
    }
    if experimental && dbd.is_none() && enabled.is_some_and(|e| e != 0) {
        // Which DisabledByDefault experimental TLS 1.3 assumes is documented nowhere.
        return (
            ProtocolDefault::Unknown,
            "Enabled is set without DisabledByDefault on a build whose TLS 1.3 is experimental: what Schannel does is not documented".into(),
        );
    }
    let (state, why) = judged(enabled, dbd, default);
    if experimental && state == ProtocolDefault::Enabled {
        return (
            state,
            format!("{why}: experimental TLS 1.3 on this Windows 10 build, which Microsoft calls not a safe system configuration"),
        );
    }
    if experimental && state == ProtocolDefault::OffByDefault && enabled.is_none() && dbd.is_none()
    {
        return (
            ProtocolDefault::NotSupported,
            "not supported on this build (no value switches on its experimental TLS 1.3)".into(),
        );
    }
    (state, why)
}

/// A protocol's state from its `Enabled` and `DisabledByDefault` DWORDs and the build's
/// default.
fn judged(
    enabled: Option<u32>,
    dbd: Option<u32>,
    default: ProtocolDefault,
) -> (ProtocolDefault, String) {
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

/// The `--effective` judgement of a setting, where one exists (protocols, algorithms,
/// cipher-suite order); `None` falls back to the strict check.
pub(super) fn finding(
    cx: &Ctx,
    key: &SettingKey,
    setting: &Setting,
    label: &str,
) -> Option<Finding> {
    let (k, reg) = cx.locate(&key.key_path());
    let not_audited = |reason: &str| Finding {
        code: FindingCode::SettingEffective,
        waiver: None,
        source: None,
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
            let (state, why) = effective_protocol(reg, &k, p.entry(), *side, cx.os);
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
                code: FindingCode::SettingEffective,
                waiver: None,
                source: None,
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
            // Schannel reads Enabled only as a REG_DWORD; absent or of another type, the OS
            // default applies (KB245030), exactly as for a protocol.
            let (on, why) = match (reg_dword(reg, &k, ENABLED), reg.get(&k, ENABLED)) {
                (Some(v), _) => (v != 0, None),
                (None, stored) => {
                    let default = algorithm_default(key.algorithm()?);
                    let because = match stored {
                        None => "no Enabled value".to_string(),
                        Some((t, _)) => {
                            format!("Enabled is {}, which Schannel does not read", type_name(t))
                        }
                    };
                    (default, Some(because))
                }
            };
            let status = if on == want {
                Status::Pass
            } else {
                Status::Fail
            };
            let state = if on { "enabled" } else { "disabled" };
            let why = match why {
                Some(because) => format!("{state} (the OS default: {because})"),
                None => state.to_string(),
            };
            let reason = if status == Status::Pass {
                "Schannel does what the profile asks"
            } else {
                "Schannel will not do what the profile asks"
            };
            Some(Finding {
                code: FindingCode::SettingEffective,
                waiver: None,
                source: None,
                check: Check::Effective,
                setting: label.into(),
                key: k.clone(),
                value: Some(ENABLED.into()),
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
            let local_key = cx.control_set.map(|n| resolve(LOCAL_SSL, n));
            let (source, list) = match sw.get(SSL_POLICY, FUNCTIONS) {
                Some((POLICY_FUNCTIONS_TYPE, _)) => (
                    "the Group Policy list (Policies, REG_SZ)",
                    reg_text(sw, SSL_POLICY, FUNCTIONS)
                        .map(|s| s.split(',').map(str::to_string).collect::<Vec<_>>()),
                ),
                _ => match (cx.system, &local_key) {
                    (Some(sys), Some(lk)) => match sys.get(lk, FUNCTIONS) {
                        Some((LOCAL_FUNCTIONS_TYPE, b)) => {
                            ("the Local list (no usable policy)", Some(read_multi_sz(b)))
                        }
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
                code: FindingCode::SettingEffective,
                waiver: None,
                source: None,
                check: Check::Effective,
                setting: label.into(),
                key: k.clone(),
                value: Some(FUNCTIONS.into()),
                expected: Some(want.join(",")),
                actual: Some(actual),
                status,
                reason: format!("Schannel uses {source}"),
            })
        }
        _ => None,
    }
}
