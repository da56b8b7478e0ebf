//! The known traps found in the hives: unknown or misspelled SCHANNEL keys (look-alike
//! slashes, the pre-Vista Triple DES name, nested cipher keys, DTLS versions Windows lacks,
//! TLS 1.3 on a build without it), values of the wrong type, `Enabled=0xffffffff`, mixed
//! client/server protocol states, and a policy `Functions` of the wrong type. The facts are
//! [`crate::catalog::traps`]; the wording is the audit's.

use super::report::{Check, Finding, FindingCode, Status};
use super::{reg_dword, reg_text, show, Ctx};
use crate::catalog::traps::{
    name_trap, nested_cipher, protocol_too_new, NameTrap, DWORD_VALUES, ENABLED_ALL_ONES,
    POLICY_FUNCTIONS_TYPE,
};
use crate::catalog::{
    NameKind, CIPHERS, ENABLED, FUNCTIONS, HASHES, KEY_EXCHANGES, PROTOCOLS, SCHANNEL, SSL_POLICY,
    TLS13_MIN_BUILD,
};
use crate::keypath::{resolve, same_name};
use crate::memreg::MemRegistry;
use crate::value::{dword, type_name};

fn trap(
    code: FindingCode,
    key: &str,
    value: Option<&str>,
    actual: Option<String>,
    reason: String,
) -> Finding {
    Finding {
        code,
        waiver: None,
        source: None,
        check: Check::Trap,
        setting: "trap".into(),
        key: key.into(),
        value: value.map(str::to_string),
        expected: None,
        actual,
        status: Status::Warn,
        reason,
    }
}

/// Looks for the known traps under SCHANNEL and in the cipher-suite policy.
pub(super) fn traps(cx: &Ctx) -> Vec<Finding> {
    let build = cx.os.map(|o| o.build);
    let mut out = Vec::new();
    if let (Some(sys), Some(n)) = (cx.system, cx.control_set) {
        let sch = resolve(SCHANNEL, n);
        for (group, kind, entries) in [
            ("Ciphers", NameKind::Cipher, CIPHERS),
            ("Hashes", NameKind::Hash, HASHES),
            (
                "KeyExchangeAlgorithms",
                NameKind::KeyExchange,
                KEY_EXCHANGES,
            ),
        ] {
            let base = format!(r"{sch}\{group}");
            for sub in sys.subkeys(&base) {
                let k = format!(r"{base}\{sub}");
                if !entries.iter().any(|a| same_name(a.name, &sub)) {
                    let (code, reason) = unknown_algorithm(sys, &k, &sub, group, kind, build);
                    out.push(trap(code, &k, None, None, reason));
                }
                value_traps(sys, &k, &mut out);
            }
        }
        let protos = format!(r"{sch}\Protocols");
        for sub in sys.subkeys(&protos) {
            let k = format!(r"{protos}\{sub}");
            match PROTOCOLS.iter().find(|p| same_name(p.name, &sub)) {
                None => {
                    let (code, reason) = match name_trap(NameKind::Protocol, &sub, build) {
                        Some(NameTrap::NoSuchDtls) => (FindingCode::DtlsVersion, format!("Windows has no \"{sub}\" (its DTLS versions are DTLS 1.0 and DTLS 1.2); this key does nothing")),
                        _ => (FindingCode::UnknownProtocol, format!("Schannel has no protocol \"{sub}\"; this key does nothing")),
                    };
                    out.push(trap(code, &k, None, None, reason));
                }
                Some(p) => {
                    if let Some(b) = build.filter(|b| protocol_too_new(p.id, *b)) {
                        let reason = if crate::catalog::defaults::experimental_tls13(b) {
                            format!("a TLS 1.3 key on build {b}: TLS 1.3 is supported only from build {TLS13_MIN_BUILD}; on this Windows 10 build the key switches on experimental TLS 1.3, which Microsoft calls not a safe system configuration")
                        } else {
                            format!("a TLS 1.3 key on build {b}: Schannel has TLS 1.3 only from build {TLS13_MIN_BUILD}; enabled on Server 2019 it resets connections")
                        };
                        out.push(trap(FindingCode::Tls13Below20348, &k, None, None, reason));
                    }
                }
            }
            for side in ["Client", "Server"] {
                value_traps(sys, &format!(r"{k}\{side}"), &mut out);
            }
            let c = reg_dword(sys, &format!(r"{k}\Client"), ENABLED).map(|v| v != 0);
            let s = reg_dword(sys, &format!(r"{k}\Server"), ENABLED).map(|v| v != 0);
            if let (Some(c), Some(s)) = (c, s) {
                if c != s {
                    let on = |b: bool| if b { "enabled" } else { "disabled" };
                    out.push(trap(FindingCode::ClientServerMismatch, &k, Some(ENABLED), Some(format!("Client {}, Server {}", on(c), on(s))), format!("\"{sub}\" is {} for Client and {} for Server; a server that is also a client (most are) gets a mixed result", on(c), on(s))));
                }
            }
        }
    }
    if let Some(sw) = cx.software {
        if let Some((t, b)) = sw.get(SSL_POLICY, FUNCTIONS) {
            if t != POLICY_FUNCTIONS_TYPE {
                out.push(trap(FindingCode::FunctionsType, SSL_POLICY, Some(FUNCTIONS), Some(show(t, b)), format!("the policy Functions is {}; Windows reads it only as REG_SZ (comma-separated) and ignores this one", type_name(t))));
            } else if let (Some(list), Some(os)) = (reg_text(sw, SSL_POLICY, FUNCTIONS), cx.os) {
                out.extend(unknown_suites(&list, os));
            }
        }
    }
    out
}

/// The names in the policy `Functions` list that Microsoft's suite table for the image's
/// build (and edition, when known) does not list: that Windows does not know them. What
/// Schannel does with an unknown name there is documented nowhere; a Windows 10-style
/// ECDHE name on 2012 R2, for one, is no suite at all.
fn unknown_suites(list: &str, os: &super::OsInfo) -> Vec<Finding> {
    use crate::catalog::suite_builds::known_for;
    let mut out = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if known_for(name, os.build, os.edition()) == Some(false) {
            out.push(trap(
                FindingCode::UnknownOnBuild,
                SSL_POLICY,
                Some(FUNCTIONS),
                Some(name.to_string()),
                format!("{name} is in no Microsoft cipher-suite table for {} (build {}): that Windows does not know it, and what Schannel does with an unknown name in Functions is not documented", os.name, os.build),
            ));
        }
    }
    out
}

/// Why a key under Ciphers, Hashes or KeyExchangeAlgorithms that names no entry does nothing.
fn unknown_algorithm(
    sys: &MemRegistry,
    key: &str,
    sub: &str,
    group: &str,
    kind: NameKind,
    build: Option<u32>,
) -> (FindingCode, String) {
    match name_trap(kind, sub, build) {
        Some(NameTrap::LookalikeSlash(_)) => {
            return (FindingCode::LookalikeSlash, format!("\"{sub}\" uses a look-alike slash; Schannel reads only the ASCII \"/\" name, so this key does nothing"));
        }
        Some(NameTrap::PreVistaTripleDes) => {
            return (FindingCode::TripleDes168168, "\"Triple DES 168/168\" is the pre-Vista name; Vista and later read \"Triple DES 168\", so this key does nothing".to_string());
        }
        _ => {}
    }
    let nested = (kind == NameKind::Cipher)
        .then(|| {
            sys.subkeys(key)
                .iter()
                .find_map(|tail| nested_cipher(sub, tail))
        })
        .flatten();
    match nested {
        Some(name) => {
            let tail = name.split_once('/').map(|x| x.1).unwrap_or_default();
            (FindingCode::NestedCipherKey, format!("\"{sub}\\{tail}\" is a nested key (what New-Item makes of \"{name}\"); Schannel reads only \"{name}\""))
        }
        None => (
            FindingCode::UnknownAlgorithm,
            format!("Schannel has no {group} entry named \"{sub}\"; this key does nothing"),
        ),
    }
}

/// Values Schannel reads only as a REG_DWORD that are something else, and `Enabled` set to
/// all ones.
fn value_traps(reg: &MemRegistry, key: &str, out: &mut Vec<Finding>) {
    for (name, t, b) in reg.values(key) {
        if !DWORD_VALUES.iter().any(|k| same_name(k, name)) {
            continue;
        }
        match dword(t, b) {
            None => out.push(trap(
                FindingCode::NotADword,
                key,
                Some(name),
                Some(show(t, b)),
                format!(
                    "{name} is {}; Schannel reads only a REG_DWORD, so this value does nothing",
                    type_name(t)
                ),
            )),
            Some(ENABLED_ALL_ONES) if same_name(name, ENABLED) => out.push(trap(FindingCode::EnabledFfffffff, key, Some(name), Some(show(t, b)), "Enabled=0xffffffff works as enabled, but current documentation asks for 1 and Exchange HealthChecker flags it".to_string())),
            Some(_) => {}
        }
    }
}
