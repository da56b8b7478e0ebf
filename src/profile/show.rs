//! The resolved profile written back as YAML in the profile format (`tlsreg show`), so a
//! reviewer sees exactly what a profile and everything it extends add up to.

use super::{Profile, RawOp};
use crate::catalog::{
    CipherRef, DotNetValue, DotNetVersion, HashRef, KeyBits, KeyExchangeRef, ProtocolId, ScalarRef,
    Side, View,
};
use crate::setting::{Setting, SettingKey, State};
use crate::value::RegData;
use serde_yaml::{Mapping, Number, Value};

fn s(x: &str) -> Value {
    Value::String(x.to_string())
}

fn setting_value(v: &Setting) -> Value {
    match v {
        Setting::State(State::Enabled) => s("enabled"),
        Setting::State(State::Disabled) => s("disabled"),
        Setting::OsDefault => s("os-default"),
        Setting::Dword(n) => Value::Number(Number::from(*n)),
        Setting::Bool(b) => Value::Bool(*b),
        Setting::List(l) => Value::Sequence(l.iter().map(|x| s(x)).collect()),
        Setting::Protocols(ps) => Value::Sequence(ps.iter().map(|p| s(p.entry().name)).collect()),
    }
}

fn get(p: &Profile, k: SettingKey) -> Option<&Setting> {
    p.settings.get(&k).map(|(v, _)| v)
}

fn raw_data(d: &RegData) -> Value {
    let data = match d {
        RegData::Sz(x) | RegData::ExpandSz(x) => s(x),
        RegData::MultiSz(items) => Value::Sequence(items.iter().map(|x| s(x)).collect()),
        RegData::Dword(n) => Value::Number(Number::from(*n)),
        RegData::Qword(n) => Value::Number(Number::from(*n)),
        RegData::Binary(b) | RegData::None(b) => s(&b
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(" ")),
    };
    let mut m = Mapping::new();
    m.insert(s("type"), s(d.profile_type()));
    m.insert(s("data"), data);
    Value::Mapping(m)
}

/// Groups of locations (for dotnet and winhttp) with the same settings.
fn located<L: Copy + PartialEq>(
    locs: &[L],
    mut read: impl FnMut(L) -> Mapping,
) -> Vec<(Vec<L>, Mapping)> {
    let mut groups: Vec<(Vec<L>, Mapping)> = Vec::new();
    for &l in locs {
        let m = read(l);
        if m.is_empty() {
            continue;
        }
        match groups.iter_mut().find(|(_, g)| *g == m) {
            Some((ls, _)) => ls.push(l),
            None => groups.push((vec![l], m)),
        }
    }
    groups
}

/// The YAML text of a resolved profile.
pub fn to_yaml(p: &Profile) -> String {
    let mut top = Mapping::new();
    top.insert(s("name"), s(&p.name));
    if let Some(d) = &p.description {
        top.insert(s("description"), s(d));
    }
    if !p.references.is_empty() {
        top.insert(
            s("references"),
            Value::Sequence(p.references.iter().map(|r| s(r)).collect()),
        );
    }
    if let Some(t) = p.target {
        let mut m = Mapping::new();
        if t.min_build > 0 || t.max_build.is_none() {
            m.insert(s("min-build"), Value::Number(Number::from(t.min_build)));
        }
        if let Some(max) = t.max_build {
            m.insert(s("max-build"), Value::Number(Number::from(max)));
        }
        top.insert(s("target"), Value::Mapping(m));
    }

    let mut protocols = Mapping::new();
    for i in ProtocolId::all() {
        let proto = i.entry();
        let c = get(p, SettingKey::Protocol(i, Side::Client));
        let sv = get(p, SettingKey::Protocol(i, Side::Server));
        match (c, sv) {
            (Some(a), Some(b)) if a == b => {
                protocols.insert(s(proto.name), setting_value(a));
            }
            (None, None) => {}
            _ => {
                let mut m = Mapping::new();
                for (side, v) in [(Side::Client, c), (Side::Server, sv)] {
                    if let Some(v) = v {
                        m.insert(s(side.field()), setting_value(v));
                    }
                }
                protocols.insert(s(proto.name), Value::Mapping(m));
            }
        }
    }
    if !protocols.is_empty() {
        top.insert(s("protocols"), Value::Mapping(protocols));
    }
    let ciphers: Vec<(&str, SettingKey)> = CipherRef::all()
        .map(|c| (c.entry().name, SettingKey::Cipher(c)))
        .collect();
    let hashes: Vec<(&str, SettingKey)> = HashRef::all()
        .map(|h| (h.entry().name, SettingKey::Hash(h)))
        .collect();
    for (field, keys) in [("ciphers", ciphers), ("hashes", hashes)] {
        let mut m = Mapping::new();
        for (name, key) in keys {
            if let Some(v) = get(p, key) {
                m.insert(s(name), setting_value(v));
            }
        }
        if !m.is_empty() {
            top.insert(s(field), Value::Mapping(m));
        }
    }
    let mut kx = Mapping::new();
    for i in KeyExchangeRef::all() {
        let a = i.entry();
        let mut m = Mapping::new();
        if let Some(v) = get(p, SettingKey::KeyExchange(i)) {
            m.insert(s("state"), setting_value(v));
        }
        for b in KeyBits::ALL {
            if let Some(v) = get(p, SettingKey::KeyBits(i, b)) {
                m.insert(s(b.field()), setting_value(v));
            }
        }
        match m.len() {
            0 => {}
            1 if m.contains_key("state") => {
                kx.insert(s(a.name), m.remove("state").expect("present"));
            }
            _ => {
                kx.insert(s(a.name), Value::Mapping(m));
            }
        }
    }
    if !kx.is_empty() {
        top.insert(s("key-exchanges"), Value::Mapping(kx));
    }
    for (field, k) in [
        ("cipher-suites", SettingKey::CipherSuites),
        ("ecc-curves", SettingKey::EccCurves),
    ] {
        if let Some(v) = get(p, k) {
            top.insert(s(field), setting_value(v));
        }
    }

    // dotnet: one mapping when every location agrees, else one entry per group.
    let mut locs = Vec::new();
    for ver in DotNetVersion::ALL {
        for view in View::ALL {
            locs.push((ver, view));
        }
    }
    let groups = located(&locs, |(ver, view)| {
        let mut m = Mapping::new();
        for val in DotNetValue::ALL {
            if let Some(v) = get(p, SettingKey::DotNet(ver, view, val)) {
                m.insert(s(val.field()), setting_value(v));
            }
        }
        m
    });
    let entries: Vec<Value> = groups
        .iter()
        .map(|(ls, m)| {
            let mut m = m.clone();
            let vers: Vec<DotNetVersion> = DotNetVersion::ALL
                .into_iter()
                .filter(|v| ls.iter().any(|(x, _)| x == v))
                .collect();
            let views: Vec<View> = View::ALL
                .into_iter()
                .filter(|v| ls.iter().any(|(_, x)| x == v))
                .collect();
            // Only a full product of versions × views can be written as one entry.
            if vers.len() * views.len() == ls.len() {
                if vers.len() < DotNetVersion::ALL.len() {
                    m.insert(
                        s("versions"),
                        Value::Sequence(vers.iter().map(|v| s(v.key_name())).collect()),
                    );
                }
                if views.len() < View::ALL.len() {
                    m.insert(
                        s("views"),
                        Value::Sequence(views.iter().map(|v| s(v.field())).collect()),
                    );
                }
                vec![Value::Mapping(m)]
            } else {
                ls.iter()
                    .map(|(ver, view)| {
                        let mut one = m.clone();
                        one.insert(s("versions"), Value::Sequence(vec![s(ver.key_name())]));
                        one.insert(s("views"), Value::Sequence(vec![s(view.field())]));
                        Value::Mapping(one)
                    })
                    .collect()
            }
        })
        .flat_map(|v: Vec<Value>| v)
        .collect();
    match entries.len() {
        0 => {}
        1 => {
            top.insert(s("dotnet"), entries.into_iter().next().expect("one"));
        }
        _ => {
            top.insert(s("dotnet"), Value::Sequence(entries));
        }
    }

    let groups = located(&View::ALL, |view| {
        let mut m = Mapping::new();
        if let Some(v) = get(p, SettingKey::WinHttp(view)) {
            m.insert(s("default-secure-protocols"), setting_value(v));
        }
        m
    });
    let entries: Vec<Value> = groups
        .into_iter()
        .map(|(views, mut m)| {
            if views.len() < View::ALL.len() {
                m.insert(
                    s("views"),
                    Value::Sequence(views.iter().map(|v| s(v.field())).collect()),
                );
            }
            Value::Mapping(m)
        })
        .collect();
    match entries.len() {
        0 => {}
        1 => {
            top.insert(s("winhttp"), entries.into_iter().next().expect("one"));
        }
        _ => {
            top.insert(s("winhttp"), Value::Sequence(entries));
        }
    }

    let mut sc = Mapping::new();
    for i in ScalarRef::all() {
        let x = i.entry();
        if let Some(v) = get(p, SettingKey::Scalar(i)) {
            sc.insert(s(x.field), setting_value(v));
        }
    }
    if !sc.is_empty() {
        top.insert(s("schannel"), Value::Mapping(sc));
    }

    // raw: one entry per key, in first-seen order.
    let mut raw: Vec<(String, bool, Mapping)> = Vec::new();
    let mut slots: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for e in &p.raw {
        let slot = *slots
            .entry(crate::keypath::fold(&e.key))
            .or_insert_with(|| {
                raw.push((e.key.clone(), false, Mapping::new()));
                raw.len() - 1
            });
        match &e.op {
            RawOp::DeleteKey => raw[slot].1 = true,
            RawOp::DeleteValue { name } => {
                raw[slot].2.insert(s(name), s("delete"));
            }
            RawOp::Set { name, data } => {
                raw[slot].2.insert(s(name), raw_data(data));
            }
        }
    }
    if !raw.is_empty() {
        let items = raw
            .into_iter()
            .map(|(k, del, vals)| {
                let mut m = Mapping::new();
                m.insert(s("key"), s(&k));
                if del {
                    m.insert(s("delete-key"), Value::Bool(true));
                }
                if !vals.is_empty() {
                    m.insert(s("values"), Value::Mapping(vals));
                }
                Value::Mapping(m)
            })
            .collect();
        top.insert(s("raw"), Value::Sequence(items));
    }
    let body =
        serde_yaml::to_string(&Value::Mapping(top)).expect("a YAML mapping of strings serializes");
    let chain: Vec<String> = p.chain.iter().map(|l| comment_text(l)).collect();
    format!("# resolved from: {}\n{body}", chain.join(" -> "))
}

// Comments (issue 11): the only text `show` writes outside serde_yaml's quoting.

/// `s` made safe for the inside of a one-line YAML comment: control characters (line breaks
/// included), the line and paragraph separators and the BOM become `\u{..}` escapes, so a
/// file name such as `"a\nname: x.yaml"` cannot end the comment and inject YAML.
fn comment_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_stay_one_line() {
        let p = Profile {
            name: "p".into(),
            chain: vec![
                "a\nname: pwned\r\u{1b}[31m\u{85}\u{2028}.yaml".into(),
                "p.yaml".into(),
            ],
            ..Profile::default()
        };
        let y = to_yaml(&p);
        assert_eq!(
            y,
            "# resolved from: a\\u{a}name: pwned\\u{d}\\u{1b}[31m\\u{85}\\u{2028}.yaml -> p.yaml\nname: p\n"
        );
    }
}
