//! The named sections of a profile: target, protocols, ciphers, hashes, key exchanges, the
//! cipher-suite and curve lists, .NET, WinHTTP and the SCHANNEL scalars.

use super::ctx::{field_name, with, Ctx};
use crate::catalog::{
    self, did_you_mean, Domain, DotNetValue, DotNetVersion, Found, KeyBits, NameKind, ScalarRef,
    Side, View, NAMED_BUILDS, NAMED_RANGES,
};
use crate::diag::quote;
use crate::diag::Code;
use crate::profile::lists::{self, EntryError};
use crate::profile::{Profile, Target};
use crate::setting::{Setting, SettingKey};
use crate::yamlpos::{Path, Seg};
use serde_yaml::Value;
use std::collections::HashMap;

fn put(
    cx: &mut Ctx,
    profile: &mut Profile,
    path: &[Seg],
    seen: &mut HashMap<SettingKey, String>,
    k: SettingKey,
    s: Setting,
    typed: &str,
) {
    if let Some(prev) = seen.insert(k, typed.to_string()) {
        if prev != typed {
            let what = match k {
                SettingKey::Protocol(..) => "protocol",
                SettingKey::Cipher(_) => "cipher",
                SettingKey::Hash(_) => "hash",
                _ => "key exchange",
            };
            cx.at_key(
                path,
                Code::DuplicateName,
                format!(
                    "{} and {} name the same {what}; keep one",
                    quote(&prev),
                    quote(typed)
                ),
            );
            return;
        }
    }
    let o = cx.origin(path, true);
    profile.settings.insert(k, (s, o));
}

pub(super) fn target(cx: &mut Ctx, path: &[Seg], v: &Value) -> Option<Target> {
    // A named range: `windows-server-2016` (its builds) or `windows-server-2016+` (and
    // every later build).
    if let Value::String(s) = v {
        let (name, later) = match s.strip_suffix('+') {
            Some(n) => (n, true),
            None => (s.as_str(), false),
        };
        return match NAMED_RANGES
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
        {
            Some((_, min, max)) => Some(Target {
                min_build: *min,
                max_build: if later { None } else { *max },
            }),
            None => {
                let hint = did_you_mean(name, NAMED_RANGES.iter().map(|(n, _, _)| *n))
                    .map(|x| format!("; did you mean \"{x}{}\"?", if later { "+" } else { "" }))
                    .unwrap_or_default();
                cx.at(path, Code::OutOfRange, format!("target {} is not a Windows release name (such as windows-server-2016, or windows-server-2016+ for it and later) or a mapping with min-build and/or max-build{hint}", quote(s)));
                None
            }
        };
    }
    let f = cx.fields(
        path,
        v,
        &["min-build", "max-build"],
        "a mapping with min-build and/or max-build",
    )?;
    let mut build = |field: &str| -> Option<Option<u32>> {
        let Some((p, v)) = f.get(field) else {
            return Some(None);
        };
        match v {
            Value::String(s) => {
                match NAMED_BUILDS.iter().find(|(n, _)| n.eq_ignore_ascii_case(s)) {
                    Some((_, b)) => Some(Some(*b)),
                    None => {
                        let hint = did_you_mean(s, NAMED_BUILDS.iter().map(|(n, _)| *n))
                            .map(|x| format!("; did you mean \"{x}\"?"))
                            .unwrap_or_default();
                        cx.at(p, Code::OutOfRange, format!("target.{field} {} is not a build number or a known Windows name{hint}", quote(s)));
                        None
                    }
                }
            }
            other => cx.u32_in(p, other, 2195, 99_999).map(Some),
        }
    };
    let (min, max) = (build("min-build")?, build("max-build")?);
    if min.is_none() && max.is_none() {
        // An unknown field has had its own error; an empty mapping gets this one.
        if v.as_mapping().is_some_and(|m| m.is_empty()) {
            cx.at(
                path,
                Code::WrongType,
                "target needs min-build, max-build or both".into(),
            );
        }
        return None;
    }
    if let (Some(lo), Some(hi)) = (min, max) {
        if hi < lo {
            let (p, _) = f.get("max-build")?;
            cx.at(
                p,
                Code::OutOfRange,
                format!("target.max-build {hi} is below target.min-build {lo}"),
            );
            return None;
        }
    }
    Some(Target {
        min_build: min.unwrap_or(0),
        max_build: max,
    })
}

pub(super) fn protocols(cx: &mut Ctx, path: &[Seg], v: &Value, profile: &mut Profile) {
    let mut seen = HashMap::new();
    for (typed, p, val) in cx.entries(path, v, "a mapping of protocol names to states") {
        let Some(Found::Protocol(i)) = cx.name(&p, NameKind::Protocol, &typed) else {
            continue;
        };
        match val {
            Value::Mapping(_) => {
                let Some(f) = cx.fields(
                    &p,
                    val,
                    &["client", "server"],
                    "a state or a mapping with client and server",
                ) else {
                    continue;
                };
                for side in Side::ALL {
                    if let Some((sp, sv)) = f.get(side.field()) {
                        if let Some(s) = cx.state(sp, sv) {
                            put(
                                cx,
                                profile,
                                &p,
                                &mut seen,
                                SettingKey::Protocol(i, side),
                                s,
                                &typed,
                            );
                        }
                    }
                }
            }
            _ => {
                if let Some(s) = cx.state(&p, val) {
                    for side in Side::ALL {
                        put(
                            cx,
                            profile,
                            &p,
                            &mut seen,
                            SettingKey::Protocol(i, side),
                            s.clone(),
                            &typed,
                        );
                    }
                }
            }
        }
    }
}

pub(super) fn algorithms(
    cx: &mut Ctx,
    path: &[Seg],
    v: &Value,
    kind: NameKind,
    profile: &mut Profile,
) {
    let mut seen = HashMap::new();
    for (typed, p, val) in cx.entries(
        path,
        v,
        &format!("a mapping of {} names to states", kind.noun()),
    ) {
        let k = match cx.name(&p, kind, &typed) {
            Some(Found::Cipher(c)) => SettingKey::Cipher(c),
            Some(Found::Hash(h)) => SettingKey::Hash(h),
            _ => continue,
        };
        if let Some(s) = cx.state(&p, val) {
            put(cx, profile, &p, &mut seen, k, s, &typed);
        }
    }
}

pub(super) fn key_exchanges(cx: &mut Ctx, path: &[Seg], v: &Value, profile: &mut Profile) {
    let mut seen = HashMap::new();
    for (typed, p, val) in cx.entries(path, v, "a mapping of key-exchange names") {
        let Some(Found::KeyExchange(i)) = cx.name(&p, NameKind::KeyExchange, &typed) else {
            continue;
        };
        // `ECDH: enabled` is shorthand for `ECDH: { state: enabled }`.
        let allowed = [
            "state",
            "server-min-key-bits",
            "client-min-key-bits",
            "client-max-key-bits",
        ];
        let f = if val.is_mapping() {
            match cx.fields(&p, val, &allowed, "a state or a mapping") {
                Some(f) => f,
                None => continue,
            }
        } else {
            HashMap::from([("state".to_string(), (p.clone(), val))])
        };
        if let Some((sp, sv)) = f.get("state") {
            if let Some(s) = cx.state(sp, sv) {
                put(
                    cx,
                    profile,
                    &p,
                    &mut seen,
                    SettingKey::KeyExchange(i),
                    s,
                    &typed,
                );
            }
        }
        for bits in KeyBits::ALL {
            let Some((bp, bv)) = f.get(bits.field()) else {
                continue;
            };
            if !bits.applies_to(i) {
                let name = i.entry().name;
                let ok = crate::profile::key_bits_fields(i);
                let msg = if ok.is_empty() {
                    format!("{name} has no key-size values (its strength comes from the ECC curve order); remove {}", bits.field())
                } else {
                    format!(
                        "{name} has no {} value; it takes {}",
                        bits.value_name(),
                        ok.join(", ")
                    )
                };
                cx.at_key(bp, Code::NotApplicable, msg);
                continue;
            }
            let s = if Ctx::is_os_default(bv) {
                Some(Setting::OsDefault)
            } else {
                let (lo, hi) = catalog::KEY_BITS_RANGE;
                cx.u32_in(bp, bv, lo, hi).map(Setting::Dword)
            };
            if let Some(s) = s {
                put(
                    cx,
                    profile,
                    &p,
                    &mut seen,
                    SettingKey::KeyBits(i, bits),
                    s,
                    &typed,
                );
            }
        }
    }
}

pub(super) fn list_setting(
    cx: &mut Ctx,
    path: &[Seg],
    v: &Value,
    k: SettingKey,
    profile: &mut Profile,
) {
    let suites = k == SettingKey::CipherSuites;
    if Ctx::is_os_default(v) {
        let o = cx.origin(path, true);
        profile.settings.insert(k, (Setting::OsDefault, o));
        return;
    }
    if !v.is_sequence() {
        cx.wrong_type(path, "a list of names or os-default", v);
        return;
    }
    let Some(items) = cx.string_list(path, v) else {
        return;
    };
    if items.is_empty() {
        cx.at(
            path,
            Code::InvalidList,
            format!(
                "{} is empty; to remove the value write os-default",
                field_name(path)
            ),
        );
        return;
    }
    let mut ok = true;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, (name, p)) in items.iter().enumerate() {
        if let Some(first) = seen.insert(lists::entry_id(name), i) {
            cx.at(
                p,
                Code::InvalidList,
                format!("{} is listed twice (first at [{first}])", quote(name)),
            );
            ok = false;
        } else if let Some(e) = lists::entry_error(name, suites) {
            let msg = match e {
                EntryError::Unwritable => format!(
                    "{} cannot be an entry: names have no spaces, commas or control characters",
                    quote(name)
                ),
                EntryError::OpenSslName => format!(
                    "{} looks like an OpenSSL name; Windows uses IANA names such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", quote(name)
                ),
            };
            cx.at(p, Code::InvalidList, msg);
            ok = false;
        } else if suites && !catalog::suites::is_known_suite(name) {
            if cx.diags.0.len() >= crate::diag::MAX_LISTED {
                // A warning past the list's end is dropped: skip the costly did-you-mean.
                continue;
            }
            let hint = did_you_mean(name, catalog::suites::CIPHER_SUITES.iter().copied())
                .map(|s| format!("; did you mean \"{s}\"?"))
                .unwrap_or_default();
            cx.at(
                p,
                Code::UnknownCipherSuite,
                format!(
                    "{} is not a cipher suite any Windows version lists{hint}",
                    quote(name)
                ),
            );
        } else if !suites
            && !catalog::suites::ECC_CURVES
                .iter()
                .any(|c| c.eq_ignore_ascii_case(name))
        {
            let hint = did_you_mean(name, catalog::suites::ECC_CURVES.iter().copied())
                .map(|s| format!("; did you mean \"{s}\"?"))
                .unwrap_or_default();
            cx.at(
                p,
                Code::UnknownCurve,
                format!("{} is not a known CNG curve name{hint}", quote(name)),
            );
        }
    }
    if ok {
        let o = cx.origin(path, true);
        profile.settings.insert(
            k,
            (
                Setting::List(items.into_iter().map(|(s, _)| s).collect()),
                o,
            ),
        );
    }
}

/// `dotnet:` and `winhttp:` take one mapping or a list of them.
pub(super) fn per_entry(
    cx: &mut Ctx,
    path: &[Seg],
    v: &Value,
    profile: &mut Profile,
    f: fn(&mut Ctx, &[Seg], &Value, &mut Profile),
) {
    match v {
        Value::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                f(cx, &with(path, Seg::Index(i)), item, profile);
            }
        }
        _ => f(cx, path, v, profile),
    }
}

/// The spellings of `dotnet: versions:` entries and the .NET Framework key each names.
pub const DOTNET_VERSIONS: &[(&str, DotNetVersion)] = &[
    ("v4.0.30319", DotNetVersion::V4),
    ("v4", DotNetVersion::V4),
    ("4", DotNetVersion::V4),
    ("v2.0.50727", DotNetVersion::V2),
    ("v2", DotNetVersion::V2),
    ("2", DotNetVersion::V2),
];

fn views(cx: &mut Ctx, f: &HashMap<String, (Path, &Value)>) -> Option<Vec<View>> {
    let Some((p, v)) = f.get("views") else {
        return Some(View::ALL.to_vec());
    };
    let list = cx.string_list(p, v)?;
    let mut out = Vec::new();
    for (s, ip) in list {
        match View::ALL.iter().find(|x| x.field() == s) {
            Some(x) => out.push(*x),
            None => {
                cx.at(
                    &ip,
                    Code::InvalidList,
                    format!("view {} is not native or wow64", quote(&s)),
                );
                return None;
            }
        }
    }
    Some(out)
}

pub(super) fn dotnet(cx: &mut Ctx, path: &[Seg], v: &Value, profile: &mut Profile) {
    let allowed = [
        "strong-crypto",
        "system-default-tls-versions",
        "versions",
        "views",
    ];
    let Some(f) = cx.fields(path, v, &allowed, "a mapping (or a list of mappings)") else {
        return;
    };
    let Some(views) = views(cx, &f) else { return };
    let versions = match f.get("versions") {
        None => DotNetVersion::ALL.to_vec(),
        Some((p, v)) => {
            let Some(list) = cx.string_list(p, v) else {
                return;
            };
            let mut out = Vec::new();
            for (s, ip) in list {
                let v = match DOTNET_VERSIONS.iter().find(|(n, _)| *n == s) {
                    Some((_, v)) => *v,
                    None => {
                        cx.at(
                            &ip,
                            Code::InvalidList,
                            format!(
                                "{} is not a .NET Framework key; use v4.0.30319 or v2.0.50727",
                                quote(&s)
                            ),
                        );
                        return;
                    }
                };
                if !out.contains(&v) {
                    out.push(v);
                }
            }
            out
        }
    };
    for val in DotNetValue::ALL {
        let Some((p, v)) = f.get(val.field()) else {
            continue;
        };
        let s = if Ctx::is_os_default(v) {
            Some(Setting::OsDefault)
        } else {
            cx.bool(p, v).map(Setting::Bool)
        };
        let Some(s) = s else { continue };
        for ver in &versions {
            for view in &views {
                let o = cx.origin(p, true);
                profile
                    .settings
                    .insert(SettingKey::DotNet(*ver, *view, val), (s.clone(), o));
            }
        }
    }
}

pub(super) fn winhttp(cx: &mut Ctx, path: &[Seg], v: &Value, profile: &mut Profile) {
    let Some(f) = cx.fields(
        path,
        v,
        &["default-secure-protocols", "views"],
        "a mapping (or a list of mappings)",
    ) else {
        return;
    };
    let Some(views) = views(cx, &f) else { return };
    let Some((p, v)) = f.get("default-secure-protocols") else {
        return;
    };
    let s = if Ctx::is_os_default(v) {
        Setting::OsDefault
    } else {
        let Some(list) = cx.string_list(p, v) else {
            return;
        };
        if list.is_empty() {
            cx.at(p, Code::InvalidList, "winhttp.default-secure-protocols is empty, which would leave WinHTTP no protocol; to remove the value write os-default".to_string());
            return;
        }
        let mut out = Vec::new();
        for (s, ip) in list {
            let Some(Found::Protocol(i)) = cx.name(&ip, NameKind::Protocol, &s) else {
                return;
            };
            if i.entry().winhttp_bit.is_none() {
                cx.at(&ip, Code::InvalidList, format!("WinHTTP has no flag for {}; it knows SSL 2.0, SSL 3.0 and TLS 1.0 to TLS 1.3", i.entry().name));
                return;
            }
            if !out.contains(&i) {
                out.push(i);
            }
        }
        out.sort();
        Setting::Protocols(out)
    };
    for view in views {
        let o = cx.origin(p, true);
        profile
            .settings
            .insert(SettingKey::WinHttp(view), (s.clone(), o));
    }
}

pub(super) fn schannel(cx: &mut Ctx, path: &[Seg], v: &Value, profile: &mut Profile) {
    let allowed: Vec<&str> = ScalarRef::all().map(|s| s.entry().field).collect();
    let Some(f) = cx.fields(path, v, &allowed, "a mapping of SCHANNEL values") else {
        return;
    };
    for i in ScalarRef::all() {
        let sc = i.entry();
        let Some((p, v)) = f.get(sc.field) else {
            continue;
        };
        let s = if Ctx::is_os_default(v) {
            Some(Setting::OsDefault)
        } else {
            match sc.domain {
                Domain::Bool => cx.bool(p, v).map(Setting::Bool),
                Domain::Range(lo, hi) => cx.u32_in(p, v, lo, hi).map(Setting::Dword),
            }
        };
        if let Some(s) = s {
            let o = cx.origin(p, true);
            profile.settings.insert(SettingKey::Scalar(i), (s, o));
        }
    }
}
