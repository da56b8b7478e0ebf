//! `tlsreg import`: a `.reg` file becomes a profile. Values the catalogue knows become named
//! settings when the profile would write exactly the same data; everything else goes to the
//! `raw` section, so compiling the imported profile gives the file's values again.

use crate::catalog::{
    self, CipherRef, DotNetValue, DotNetVersion, HashRef, KeyBits, KeyExchangeRef, ProtocolId,
    ScalarRef, Side, View,
};
use crate::keypath::{canonical_key, check_value_name, fold};
use crate::memreg::MemRegistry;
use crate::profile::{lists, Origin, Profile, RawEntry, RawOp};
use crate::regfile::{Item, RegFile};
use crate::setting::{Setting, SettingKey, State};
use crate::value::{self, RegData};
use std::collections::{BTreeMap, HashMap, HashSet};

/// A value the import could not carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The line of the `.reg` file that last wrote or deleted the value (1-based); 0 when it is not
    /// known.
    pub line: usize,
    /// What was left out and why, naming the key and value (e.g. `[KEY] "name": ...; left out`).
    pub reason: String,
}

/// A registry value as a profile can carry it, if it can.
fn reg_data(t: u32, b: &[u8]) -> Option<RegData> {
    let text = value::utf16z_text;
    match t {
        0 => Some(RegData::None(b.to_vec())),
        1 => text(b).map(RegData::Sz),
        2 => text(b).filter(|s| !s.contains('\0')).map(RegData::ExpandSz),
        3 => Some(RegData::Binary(b.to_vec())),
        4 => value::dword(t, b).map(RegData::Dword),
        7 => {
            let s = text(b)?;
            let items: Vec<String> = s
                .strip_suffix('\0')
                .unwrap_or(&s)
                .split('\0')
                .map(str::to_string)
                .collect();
            let items = if items == [""] { Vec::new() } else { items };
            let d = RegData::MultiSz(items.clone());
            // Only lists that write back to the same bytes.
            (d.to_bytes() == b && items.iter().all(|i| !i.is_empty())).then_some(d)
        }
        11 => value::qword(t, b).map(RegData::Qword),
        _ => None,
    }
}

/// Why a profile cannot carry a value of `key` named `name`, if it cannot: the key or
/// name fails the profile's own checks ([`canonical_key`], [`check_value_name`]), or the name
/// is `<<`, which YAML loaders (the profile loader too) take as a merge key even quoted.
fn cannot_carry(key: &str, name: &str) -> Option<String> {
    if let Err(e) = canonical_key(key) {
        return Some(format!("a profile cannot name this key ({e})"));
    }
    if name == "<<" {
        return Some(
            "a value named \"<<\" is YAML's merge key, which a profile cannot carry as a name"
                .into(),
        );
    }
    check_value_name(name)
        .err()
        .map(|e| format!("a profile cannot carry this value name ({e})"))
}

/// Why a profile cannot delete `key`, if it cannot (as the profile's `raw` section checks).
fn cannot_delete(key: &str) -> Option<String> {
    match canonical_key(key) {
        Err(e) => Some(format!("a profile cannot name this key ({e})")),
        Ok(k)
            if k.split('\\').count() < 3
                && matches!(
                    k.split('\\').next(),
                    Some("HKEY_LOCAL_MACHINE" | "HKEY_USERS")
                ) =>
        {
            Some("a profile does not delete a whole hive".into())
        }
        Ok(_) => None,
    }
}

/// A key path or value name for a warning: control characters escaped.
fn shown(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A value name for a warning (`@` for the default value).
fn shown_name(n: &str) -> String {
    if n.is_empty() {
        "@".into()
    } else {
        shown(n)
    }
}

/// The named setting whose ops write exactly these values of this key, if one does.
struct Catalogue {
    /// Folded key path → the settings that write there.
    by_key: BTreeMap<String, Vec<SettingKey>>,
}

impl Catalogue {
    fn new() -> Self {
        let mut keys = Vec::new();
        for p in ProtocolId::all() {
            for s in Side::ALL {
                keys.push(SettingKey::Protocol(p, s));
            }
        }
        keys.extend(CipherRef::all().map(SettingKey::Cipher));
        keys.extend(HashRef::all().map(SettingKey::Hash));
        for k in KeyExchangeRef::all() {
            keys.push(SettingKey::KeyExchange(k));
            keys.extend(
                KeyBits::ALL
                    .iter()
                    .filter(|b| b.applies_to(k))
                    .map(|b| SettingKey::KeyBits(k, *b)),
            );
        }
        keys.push(SettingKey::CipherSuites);
        keys.push(SettingKey::EccCurves);
        for v in DotNetVersion::ALL {
            for view in View::ALL {
                for val in DotNetValue::ALL {
                    keys.push(SettingKey::DotNet(v, view, val));
                }
            }
        }
        keys.extend(View::ALL.iter().map(|v| SettingKey::WinHttp(*v)));
        keys.extend(ScalarRef::all().map(SettingKey::Scalar));
        let mut by_key: BTreeMap<String, Vec<SettingKey>> = BTreeMap::new();
        for k in keys {
            by_key.entry(fold(&k.key_path())).or_default().push(k);
        }
        Catalogue { by_key }
    }
}

/// The setting a set of values means, tried against every shape the setting can take.
fn recognise(key: &SettingKey, values: &BTreeMap<String, RegData>) -> Option<Setting> {
    let names = key.value_names();
    let got: Vec<Option<&RegData>> = names.iter().map(|n| values.get(&fold(n))).collect();
    if got.iter().any(Option::is_none) {
        return None;
    }
    let mut candidates = vec![
        Setting::State(State::Enabled),
        Setting::State(State::Disabled),
        Setting::Bool(true),
        Setting::Bool(false),
    ];
    match (key, got[0]) {
        (_, Some(RegData::Dword(d))) => {
            candidates.push(Setting::Dword(*d));
            let ps: Vec<ProtocolId> = ProtocolId::all()
                .filter(|p| p.entry().winhttp_bit.is_some_and(|b| d & b != 0))
                .collect();
            candidates.push(Setting::Protocols(ps));
        }
        (SettingKey::CipherSuites, Some(RegData::Sz(s))) => {
            candidates.push(Setting::List(s.split(',').map(str::to_string).collect()))
        }
        (SettingKey::EccCurves, Some(RegData::MultiSz(items))) => {
            candidates.push(Setting::List(items.clone()))
        }
        _ => {}
    }
    let want: Vec<&RegData> = got.into_iter().flatten().collect();
    candidates.into_iter().find(|c| {
        if !valid(key, c) {
            return false;
        }
        let mut b = crate::plan::PlanBuilder::default();
        key.add_ops(c, &mut b);
        let ops = b.finish().ops;
        ops.len() == want.len()
            && ops
                .iter()
                .zip(&want)
                .all(|(op, w)| matches!(op, crate::plan::Op::SetValue { data, .. } if data == *w))
    })
}

/// Whether a setting is one the profile language accepts for this key (so the imported
/// profile loads).
fn valid(key: &SettingKey, s: &Setting) -> bool {
    use crate::catalog::Domain;
    match (key, s) {
        (
            SettingKey::Protocol(..)
            | SettingKey::Cipher(_)
            | SettingKey::Hash(_)
            | SettingKey::KeyExchange(_),
            Setting::State(_),
        ) => true,
        (SettingKey::KeyBits(..), Setting::Dword(d)) => {
            (catalog::KEY_BITS_RANGE.0..=catalog::KEY_BITS_RANGE.1).contains(d)
        }
        (SettingKey::CipherSuites, Setting::List(l)) => lists::is_writable(l, true),
        (SettingKey::EccCurves, Setting::List(l)) => lists::is_writable(l, false),
        (SettingKey::DotNet(..), Setting::Bool(_)) => true,
        (SettingKey::WinHttp(_), Setting::Protocols(p)) => !p.is_empty(),
        (SettingKey::Scalar(i), Setting::Bool(_)) => i.entry().domain == Domain::Bool,
        (SettingKey::Scalar(i), Setting::Dword(d)) => {
            matches!(i.entry().domain, Domain::Range(lo, hi) if (lo..=hi).contains(d))
        }
        _ => false,
    }
}

/// Turns a parsed `.reg` file into a profile named `name`, and lists what it left out.
pub fn import(file: &RegFile, name: &str, label: &str) -> (Profile, Vec<Skipped>) {
    let mut skipped = Vec::new();
    let mut reg = MemRegistry::new();
    file.apply(&mut reg);
    let origin = Origin::default();
    let mut profile = Profile {
        name: name.to_string(),
        description: Some(format!("Imported from {label} by tlsreg.")),
        chain: vec![label.to_string()],
        ..Profile::default()
    };

    // Deletions the final state does not undo, in file order.
    let mut deletions: Vec<RawEntry> = Vec::new();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    for l in &file.items {
        match &l.item {
            Item::DeleteKey { path }
                if !reg.key_exists(path) && seen.insert((fold(path), String::new())) =>
            {
                if let Some(why) = cannot_delete(path) {
                    skipped.push(Skipped {
                        line: l.line,
                        reason: format!("[-{}]: {why}; left out", shown(path)),
                    });
                    continue;
                }
                deletions.push(RawEntry {
                    key: path.clone(),
                    op: RawOp::DeleteKey,
                    origin: origin.clone(),
                });
            }
            Item::Value {
                key,
                name,
                data: None,
            } if reg.get(key, name).is_none()
                && seen.insert((fold(key), format!("v:{}", fold(name)))) =>
            {
                if let Some(why) = cannot_carry(key, name) {
                    skipped.push(Skipped {
                        line: l.line,
                        reason: format!(
                            "[{}] {} (deleted): {why}; left out",
                            shown(key),
                            shown_name(name)
                        ),
                    });
                    continue;
                }
                deletions.push(RawEntry {
                    key: key.clone(),
                    op: RawOp::DeleteValue { name: name.clone() },
                    origin: origin.clone(),
                });
            }
            _ => {}
        }
    }

    // Values, key by key in file order: named where the catalogue writes exactly them.
    let cat = Catalogue::new();
    // One pass over the items: the line that last sets each value, and the keys in the
    // order they first get a value (looking either up per value was quadratic).
    let mut last_line: HashMap<(String, String), usize> = HashMap::new();
    let mut keys_in_order: Vec<String> = Vec::new();
    let mut keys_seen: HashSet<String> = HashSet::new();
    for l in &file.items {
        if let Item::Value {
            key,
            name,
            data: Some(_),
        } = &l.item
        {
            last_line.insert((fold(key), fold(name)), l.line);
            if keys_seen.insert(fold(key)) {
                keys_in_order.push(key.clone());
            }
        }
    }
    let line_of = |key: &str, name: &str| last_line.get(&(fold(key), fold(name))).copied();
    for key in keys_in_order {
        let mut values: BTreeMap<String, RegData> = BTreeMap::new();
        let mut spelled: BTreeMap<String, String> = BTreeMap::new();
        for (n, t, b) in reg.values(&key) {
            if let Some(why) = cannot_carry(&key, n) {
                skipped.push(Skipped {
                    line: line_of(&key, n).unwrap_or(0),
                    reason: format!("[{}] {}: {why}; left out", shown(&key), shown_name(n)),
                });
                continue;
            }
            match reg_data(t, b) {
                Some(d) => {
                    values.insert(fold(n), d);
                    spelled.insert(fold(n), n.to_string());
                }
                None => skipped.push(Skipped {
                    line: line_of(&key, n).unwrap_or(0),
                    reason: format!(
                        "[{}] {}: {} data a profile cannot carry ({} bytes); left out",
                        shown(&key),
                        shown_name(n),
                        crate::regfile::describe_type(t),
                        b.len()
                    ),
                }),
            }
        }
        let mut used: HashSet<String> = HashSet::new();
        if let Some(settings) = cat.by_key.get(&fold(&key)) {
            for sk in settings {
                if let Some(s) = recognise(sk, &values) {
                    for n in sk.value_names() {
                        used.insert(fold(n));
                    }
                    profile.settings.insert(*sk, (s, origin.clone()));
                }
            }
        }
        // The key spelled as the catalogue spells it may differ in case; raw keeps the file's.
        for (id, data) in values {
            if !used.contains(&id) {
                profile.raw.push(RawEntry {
                    key: key.clone(),
                    op: RawOp::Set {
                        name: spelled[&id].clone(),
                        data,
                    },
                    origin: origin.clone(),
                });
            }
        }
    }
    // Both values of a named setting deleted: that is os-default.
    let rest = deletions;
    let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in &rest {
        if let RawOp::DeleteValue { name } = &d.op {
            by_key.entry(fold(&d.key)).or_default().push(fold(name));
        }
    }
    let mut os_default: HashSet<(String, String)> = HashSet::new();
    for (k, names) in &by_key {
        if let Some(settings) = cat.by_key.get(k) {
            for sk in settings {
                let vn: Vec<String> = sk.value_names().iter().map(|n| fold(n)).collect();
                if !profile.settings.contains_key(sk) && vn.iter().all(|n| names.contains(n)) {
                    profile
                        .settings
                        .insert(*sk, (Setting::OsDefault, origin.clone()));
                    for n in vn {
                        os_default.insert((k.clone(), n));
                    }
                }
            }
        }
    }
    let mut raw = rest
        .into_iter()
        .filter(|d| match &d.op {
            RawOp::DeleteValue { name } => !os_default.contains(&(fold(&d.key), fold(name))),
            _ => true,
        })
        .collect::<Vec<_>>();
    raw.append(&mut profile.raw);
    profile.raw = raw;
    (profile, skipped)
}

/// The YAML of an imported profile.
pub fn to_yaml(profile: &Profile, label: &str) -> String {
    let body = crate::profile::show::to_yaml(profile);
    let body = body
        .split_once('\n')
        .map_or(body.as_str(), |(_, rest)| rest);
    format!("# Imported from {label} by tlsreg import.\n{body}")
}
