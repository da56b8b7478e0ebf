//! Turns one YAML profile file into a [`Layer`], collecting every problem (unknown fields,
//! unknown names with a did-you-mean, wrong types, out-of-range numbers) with its place.

mod ctx;
mod depth;
mod expansion;
mod raw;
mod sections;
mod traps;

use super::{Layer, Profile};
use crate::catalog::NameKind;
use crate::diag::quote;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::setting::SettingKey;
use crate::yamlpos::{Path, PosIndex};
use ctx::Ctx;
use depth::{too_deep, MAX_FLOW_DEPTH};
use raw::raw;
pub use raw::{HEX_SEPARATORS, RAW_TYPES};
pub use sections::DOTNET_VERSIONS;
use sections::{
    algorithms, dotnet, key_exchanges, list_setting, per_entry, protocols, schannel, target,
    winhttp,
};
use serde_yaml::{Mapping, Value};

/// The largest profile file read (a profile is a few kilobytes; this bounds hostile input).
pub const MAX_PROFILE_BYTES: usize = 16 * 1024 * 1024;

/// The most text (bytes of all scalars) a profile's YAML may hold once every alias is
/// replaced by what it names. A profile is a few kilobytes; the largest legitimate raw data,
/// a few hundred kilobytes of binary, is about three times that as hex text. Without this
/// bound, 2,000 aliases of one 100 KB string (a 134 KB file) expand to 200 MB.
pub const MAX_EXPANDED_BYTES: u64 = 4 * 1024 * 1024;

/// The most YAML nodes (scalars and collections) a profile may hold once every alias is
/// replaced by what it names. A profile that sets every setting has a few hundred; a raw
/// section of a thousand values a few thousand. Each node costs a few hundred bytes of
/// memory while a profile is decoded, so this keeps that under about 50 MB.
pub const MAX_EXPANDED_NODES: u64 = 100_000;

/// The bound on a profile's expanded YAML.
pub const EXPANSION_BOUND: crate::yamlpos::Bound = crate::yamlpos::Bound {
    bytes: MAX_EXPANDED_BYTES,
    nodes: MAX_EXPANDED_NODES,
};

/// The fields of a profile, in the order the README lists them (the JSON Schema of
/// [`crate::schema::profile`] describes each).
pub const TOP_FIELDS: &[&str] = &[
    "name",
    "description",
    "references",
    "extends",
    "target",
    "protocols",
    "ciphers",
    "hashes",
    "key-exchanges",
    "cipher-suites",
    "ecc-curves",
    "dotnet",
    "winhttp",
    "schannel",
    "raw",
];

/// How much of a file its diagnostics may quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// A profile the user named, or a built-in one: diagnostics quote its lines and text.
    Always,
    /// A file reached through `extends`: quoted only once it is known to be a profile (valid
    /// YAML whose top level is a mapping of profile fields). Before that its diagnostics give
    /// a place and no text, so `extends: secrets.yaml` cannot print a secret.
    IfProfile,
}

/// Decodes one profile. `label` names the file in diagnostics; `default_name` is used when
/// the file has no `name:`. Returns `None` when the file is not a YAML mapping at all.
pub fn decode(
    label: &str,
    src: &str,
    default_name: &str,
    diags: &mut Diagnostics,
    shown: Shown,
) -> Option<Layer> {
    let top = Pos1::root();
    let hidden = shown == Shown::IfProfile;
    // A diagnostic about a file not yet known to be a profile: its place, no text of it.
    let unshown = |code: Code, what: &str, pos: crate::yamlpos::Pos| {
        Diagnostic::new(
            code,
            format!("{what}; {label} may not be a profile, so its lines are not shown (`tlsreg show {label}` shows them)"),
            label,
            None,
            pos,
        )
    };
    if src.len() > MAX_PROFILE_BYTES {
        diags.push(Diagnostic::new(
            Code::TooLarge,
            format!(
                "the file is {} bytes; a profile may be at most {MAX_PROFILE_BYTES} bytes",
                src.len()
            ),
            label,
            None,
            top,
        ));
        return None;
    }
    if let Some(pos) = too_deep(src) {
        let msg = format!(
            "the YAML nests deeper than {MAX_FLOW_DEPTH} levels here; a profile needs a handful"
        );
        diags.push(if hidden {
            unshown(Code::TooDeep, &msg, pos)
        } else {
            Diagnostic::new(Code::TooDeep, msg, label, Some(src), pos)
        });
        return None;
    }
    let idx = PosIndex::new(src, EXPANSION_BOUND);
    let over = match idx.too_large() {
        Some(t) => Some((t.at, t.what.clone())),
        // yaml-rust2 stopped early where libyaml may go on: count what serde_yaml expands.
        None if !idx.complete() => expansion::check(src, EXPANSION_BOUND),
        None => None,
    };
    if let Some((at, what)) = over {
        let msg = format!("the YAML, with its aliases expanded, grows past {what} here; a profile may hold at most {MAX_EXPANDED_BYTES} bytes of text and {MAX_EXPANDED_NODES} nodes");
        diags.push(if hidden {
            unshown(Code::TooLarge, &msg, at)
        } else {
            Diagnostic::new(Code::TooLarge, msg, label, Some(src), at)
        });
        return None;
    }
    if !idx.duplicates().is_empty() {
        for d in idx.duplicates() {
            if hidden {
                let what = format!(
                    "a mapping key is given twice (first on line {})",
                    d.first.line
                );
                diags.push(unshown(Code::DuplicateName, &what, d.second));
                continue;
            }
            let msg = format!(
                "{} is given twice in one mapping (first on line {}); keep one",
                quote(&d.key),
                d.first.line
            );
            diags.push(Diagnostic::new(
                Code::DuplicateName,
                msg,
                label,
                Some(src),
                d.second,
            ));
        }
        return None;
    }
    let mut value: Value = match serde_yaml::from_str(src) {
        Ok(v) => v,
        Err(e) => {
            let mut pos = e
                .location()
                .map(|l| crate::yamlpos::Pos {
                    line: l.line(),
                    col: l.column(),
                    len: 1,
                })
                .unwrap_or(top);
            // An error at the very end points at the last line that has text.
            let last = src
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .last();
            if let Some((i, l)) = last.filter(|(i, _)| pos.line > i + 1) {
                pos = crate::yamlpos::Pos {
                    line: i + 1,
                    col: l.chars().count() + 1,
                    len: 1,
                };
            }
            let msg = e.to_string();
            let mut msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            if src
                .lines()
                .nth(pos.line.saturating_sub(1))
                .is_some_and(|l| l.starts_with('\t'))
            {
                msg.push_str(" (YAML does not allow tabs for indentation; indent with spaces)");
            }
            if hidden {
                diags.push(unshown(
                    Code::YamlSyntax,
                    "the file is not valid YAML here",
                    pos,
                ));
                return None;
            }
            diags.push(Diagnostic::new(
                Code::YamlSyntax,
                msg,
                label,
                Some(src),
                pos,
            ));
            return None;
        }
    };
    if let Err(e) = value.apply_merge() {
        if hidden {
            diags.push(unshown(
                Code::YamlSyntax,
                "a YAML merge key (<<) cannot be applied",
                top,
            ));
            return None;
        }
        diags.push(Diagnostic::new(
            Code::YamlSyntax,
            e.to_string(),
            label,
            Some(src),
            top,
        ));
        return None;
    }
    let line_starts = std::iter::once(0)
        .chain(src.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let mut cx = Ctx {
        file: label,
        src,
        line_starts,
        idx,
        diags,
        lines: Default::default(),
    };
    if value.is_null() {
        // An empty file is an empty profile.
        value = Value::Mapping(Mapping::new());
    }
    if hidden {
        if let Some((pos, why)) = not_a_profile(&value, &cx.idx) {
            cx.diags.push(Diagnostic::new(
                Code::ExtendsNotAProfile,
                format!("{label} is not a profile: {why}; its lines are not shown"),
                label,
                None,
                pos,
            ));
            return None;
        }
    }
    let fields = cx.fields(&[], &value, TOP_FIELDS, "a mapping of profile fields")?;
    let mut layer = Layer {
        profile: Profile {
            name: default_name.to_string(),
            ..Profile::default()
        },
        ..Layer::default()
    };
    layer.profile.chain.push(label.to_string());
    // Walk fields in file order so settings keep their order.
    let mut ordered: Vec<(&String, &(Path, &Value))> = fields.iter().collect();
    ordered.sort_by_key(|(_, (p, _))| {
        let pos = cx.idx.key(p);
        (pos.line, pos.col)
    });
    for (name, (path, v)) in ordered {
        let (path, v) = (path.as_slice(), *v);
        match name.as_str() {
            "name" => {
                if let Some(s) = cx.string(path, v) {
                    layer.profile.name = s;
                }
            }
            "description" => layer.profile.description = cx.string(path, v),
            "references" => {
                if let Some(list) = cx.string_list(path, v) {
                    layer.profile.references = list.into_iter().map(|(s, _)| s).collect();
                }
            }
            "extends" => {
                let list = match v {
                    Value::String(s) => Some(vec![(s.clone(), path.to_vec())]),
                    _ => cx.string_list(path, v),
                };
                for (s, p) in list.unwrap_or_default() {
                    let o = cx.origin(&p, false);
                    layer.extends.push((s, o));
                }
            }
            "target" => layer.profile.target = target(&mut cx, path, v),
            "protocols" => protocols(&mut cx, path, v, &mut layer.profile),
            "ciphers" => algorithms(&mut cx, path, v, NameKind::Cipher, &mut layer.profile),
            "hashes" => algorithms(&mut cx, path, v, NameKind::Hash, &mut layer.profile),
            "key-exchanges" => key_exchanges(&mut cx, path, v, &mut layer.profile),
            "cipher-suites" => list_setting(
                &mut cx,
                path,
                v,
                SettingKey::CipherSuites,
                &mut layer.profile,
            ),
            "ecc-curves" => {
                list_setting(&mut cx, path, v, SettingKey::EccCurves, &mut layer.profile)
            }
            "dotnet" => per_entry(&mut cx, path, v, &mut layer.profile, dotnet),
            "winhttp" => per_entry(&mut cx, path, v, &mut layer.profile, winhttp),
            "schannel" => schannel(&mut cx, path, v, &mut layer.profile),
            "raw" => raw(&mut cx, path, v, &mut layer.profile),
            _ => unreachable!("fields() only returns known fields"),
        }
    }
    Some(layer)
}

/// Why a parsed file is not a profile, and where: its top level is not a mapping, or has a
/// key that is not a profile field. Says nothing of the file's text.
fn not_a_profile(value: &Value, idx: &PosIndex) -> Option<(crate::yamlpos::Pos, String)> {
    let Some(map) = value.as_mapping() else {
        let what = ctx::kind(value);
        return Some((
            Pos1::root(),
            format!("its top level is {what}, not a mapping of profile fields"),
        ));
    };
    for k in map.keys() {
        let field = k.as_str().filter(|f| TOP_FIELDS.contains(f));
        if field.is_none() {
            let pos = k
                .as_str()
                .map(|t| idx.key(&[crate::yamlpos::Seg::Key(t.to_string())]))
                .unwrap_or_else(Pos1::root);
            let hint = k
                .as_str()
                .and_then(|t| crate::catalog::did_you_mean(t, TOP_FIELDS.iter().copied()))
                .map(|s| format!(" (did you mean \"{s}\"?)"))
                .unwrap_or_default();
            return Some((
                pos,
                format!(
                    "the top-level key on line {}, column {}, is not a profile field{hint}",
                    pos.line, pos.col
                ),
            ));
        }
    }
    None
}

/// Position helpers that do not need an index.
struct Pos1;
impl Pos1 {
    fn root() -> crate::yamlpos::Pos {
        crate::yamlpos::Pos {
            line: 1,
            col: 1,
            len: 1,
        }
    }
}
