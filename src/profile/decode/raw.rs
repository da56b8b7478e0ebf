//! The `raw` section: registry values and deletions given by key path, type and data.

use super::ctx::{field_name, kind, with, Ctx};
use crate::catalog::{self, did_you_mean};
use crate::diag::quote;
use crate::diag::Code;
use crate::keypath::{canonical_key, check_value_name};
use crate::profile::{Profile, RawEntry, RawOp};
use crate::value::RegData;
use crate::yamlpos::Seg;
use serde_yaml::Value;
use std::collections::HashMap;

pub(super) fn raw(cx: &mut Ctx, path: &[Seg], v: &Value, profile: &mut Profile) {
    let Some(items) = v.as_sequence() else {
        cx.wrong_type(path, "a list of keys", v);
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let ip = with(path, Seg::Index(i));
        let Some(f) = cx.fields(
            &ip,
            item,
            &["key", "values", "delete-key"],
            "a mapping with key and values or delete-key",
        ) else {
            continue;
        };
        let Some((kp, kv)) = f.get("key") else {
            cx.at(
                &ip,
                Code::WrongType,
                format!("{} needs a key", field_name(&ip)),
            );
            continue;
        };
        let Some(typed) = cx.string(kp, kv) else {
            continue;
        };
        let key = match canonical_key(&typed) {
            Ok(k) => k,
            Err(e) => {
                cx.at(
                    kp,
                    Code::InvalidKey,
                    format!("raw key {}: {e}", quote(&typed)),
                );
                continue;
            }
        };
        if let Some((dp, dv)) = f.get("delete-key") {
            if let Some(true) = cx.bool(dp, dv) {
                let depth = key.split('\\').count();
                let hive_root = matches!(
                    key.split('\\').next(),
                    Some("HKEY_LOCAL_MACHINE" | "HKEY_USERS")
                ) && depth < 3;
                if hive_root {
                    cx.at(
                        dp,
                        Code::InvalidKey,
                        format!("refusing to delete {key}: it is a whole hive"),
                    );
                } else {
                    profile.raw.push(RawEntry {
                        key: key.clone(),
                        op: RawOp::DeleteKey,
                        origin: cx.origin(dp, true),
                    });
                }
            }
        }
        if let Some((vp, vv)) = f.get("values") {
            for (name, np, val) in cx.entries(vp, vv, "a mapping of value names") {
                if let Err(e) = check_value_name(&name) {
                    cx.at_key(
                        &np,
                        Code::InvalidValueName,
                        format!("value name {}: {e}", quote(&name)),
                    );
                    continue;
                }
                if matches!(val, Value::String(s) if s == "delete") {
                    profile.raw.push(RawEntry {
                        key: key.clone(),
                        op: RawOp::DeleteValue { name },
                        origin: cx.origin(&np, true),
                    });
                    continue;
                }
                if let Some(data) = raw_data(cx, &np, val) {
                    profile.raw.push(RawEntry {
                        key: key.clone(),
                        op: RawOp::Set { name, data },
                        origin: cx.origin(&np, true),
                    });
                }
            }
        }
        let unknown = item.as_mapping().is_some_and(|m| m.len() > f.len());
        if !f.contains_key("values") && !f.contains_key("delete-key") && !unknown {
            cx.at(
                &ip,
                Code::WrongType,
                format!("{} needs values or delete-key", field_name(&ip)),
            );
        }
    }
    // Within one file a value named twice is a mistake, not an override.
    let mut seen: HashMap<(String, Option<String>), usize> = HashMap::new();
    let mut dups = Vec::new();
    for (i, e) in profile.raw.iter().enumerate() {
        if let Some(first) = seen.insert(e.id(), i) {
            dups.push((first, i));
        }
    }
    for (first, i) in dups {
        let e = &profile.raw[i];
        let what = match &e.op {
            RawOp::Set { name, .. } | RawOp::DeleteValue { name } => {
                format!("value {} of {}", quote(name), e.key)
            }
            RawOp::DeleteKey => format!("key {}", e.key),
        };
        let line = profile.raw[first].origin.pos.line;
        let mut d = e.origin.diag(
            Code::DuplicateName,
            format!("{what} is given twice in raw (first on line {line}); keep one"),
        );
        d.source_line = e.origin.line_text.clone();
        cx.diags.push(d);
    }
}

/// The value types a `raw` entry may give, as the profile spells them (`REG_` and any case,
/// spaces, `-` and `_` are accepted too: they are compared normalized).
pub const RAW_TYPES: &[&str] = &[
    "sz",
    "expand-sz",
    "multi-sz",
    "dword",
    "qword",
    "binary",
    "none",
];

fn raw_data(cx: &mut Ctx, path: &[Seg], v: &Value) -> Option<RegData> {
    let f = cx.fields(
        path,
        v,
        &["type", "data"],
        "a mapping with type and data, or delete",
    )?;
    let (tp, tv) = match f.get("type") {
        Some(x) => x,
        None => {
            cx.at(
                path,
                Code::InvalidData,
                format!(
                    "{} needs a type ({})",
                    field_name(path),
                    RAW_TYPES.join(", ")
                ),
            );
            return None;
        }
    };
    let typed = cx.string(tp, tv)?;
    let norm = catalog::normalize(&typed);
    let norm = norm.strip_prefix("reg").unwrap_or(&norm).to_string();
    let Some(t) = RAW_TYPES.iter().find(|t| catalog::normalize(t) == norm) else {
        let hint = did_you_mean(&typed, RAW_TYPES.iter().copied())
            .map(|s| format!("; did you mean \"{s}\"?"))
            .unwrap_or_default();
        cx.at(
            tp,
            Code::InvalidData,
            format!(
                "unknown value type {}{hint} (types: {})",
                quote(&typed),
                RAW_TYPES.join(", ")
            ),
        );
        return None;
    };
    let Some((dp, dv)) = f.get("data") else {
        cx.at(
            path,
            Code::InvalidData,
            format!("{} needs data", field_name(path)),
        );
        return None;
    };
    let bad = |cx: &mut Ctx, msg: String| {
        cx.at(dp, Code::InvalidData, msg);
        None
    };
    match *t {
        "sz" | "expand-sz" => {
            let Value::String(s) = dv else {
                return bad(
                    cx,
                    format!("{t} data must be text (quote numbers), not {}", kind(dv)),
                );
            };
            if s.contains('\0') && *t == "expand-sz" {
                return bad(cx, "expand-sz data cannot contain NUL".to_string());
            }
            Some(if *t == "sz" {
                RegData::Sz(s.clone())
            } else {
                RegData::ExpandSz(s.clone())
            })
        }
        "multi-sz" => {
            let Some(seq) = dv.as_sequence() else {
                return bad(
                    cx,
                    format!("multi-sz data must be a list of text, not {}", kind(dv)),
                );
            };
            let mut out = Vec::new();
            for (i, item) in seq.iter().enumerate() {
                let ip = with(dp, Seg::Index(i));
                let bad = |cx: &mut Ctx, msg: String| {
                    cx.at(&ip, Code::InvalidData, msg);
                    None
                };
                match item {
                    Value::String(s) if s.is_empty() => return bad(cx, format!("multi-sz item [{i}] is empty; an empty string ends a REG_MULTI_SZ list")),
                    Value::String(s) if s.contains('\0') => return bad(cx, format!("multi-sz item [{i}] contains NUL, which separates items")),
                    Value::String(s) => out.push(s.clone()),
                    other => return bad(cx, format!("multi-sz item [{i}] must be text, not {}", kind(other))),
                }
            }
            Some(RegData::MultiSz(out))
        }
        "dword" => match dv.as_u64() {
            Some(n) if n <= u32::MAX as u64 => Some(RegData::Dword(n as u32)),
            _ => bad(
                cx,
                format!(
                    "dword data must be a whole number from 0 to 4294967295 (0xffffffff), not {}",
                    show(dv)
                ),
            ),
        },
        "qword" => match dv.as_u64() {
            Some(n) => Some(RegData::Qword(n)),
            None => bad(
                cx,
                format!(
                    "qword data must be a whole number from 0 to 18446744073709551615, not {}",
                    show(dv)
                ),
            ),
        },
        _ => {
            let bytes = match dv {
                Value::String(s) => parse_hex(s),
                Value::Sequence(seq) => seq
                    .iter()
                    .map(|x| x.as_u64().filter(|n| *n <= 255).map(|n| n as u8))
                    .collect::<Option<Vec<u8>>>(),
                _ => None,
            };
            match bytes {
                Some(b) if *t == "binary" => Some(RegData::Binary(b)),
                Some(b) => Some(RegData::None(b)),
                None => bad(cx, format!("{t} data must be hex bytes such as \"de ad be ef\" or \"de,ad,be,ef\", or a list of numbers 0-255, not {}", show(dv))),
            }
        }
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => quote(s),
        Value::Number(n) => n.to_string(),
        other => kind(other).to_string(),
    }
}

/// What may separate the hex digits of `binary` and `none` data.
pub const HEX_SEPARATORS: &[char] = &[' ', ',', '\t', '\n', '\r'];

/// Hex bytes separated by nothing, spaces or commas (`deadbeef`, `de ad`, `de,ad`).
fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let digits: Vec<char> = s.chars().filter(|c| !HEX_SEPARATORS.contains(c)).collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    // Hex digits only: `u8::from_str_radix` also takes a sign, which made "+f" a byte.
    if !digits.iter().all(char::is_ascii_hexdigit) {
        return None;
    }
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(&p.iter().collect::<String>(), 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_forms() {
        assert_eq!(
            parse_hex("de ad,be\tef"),
            Some(vec![0xde, 0xad, 0xbe, 0xef])
        );
        assert_eq!(parse_hex(""), Some(vec![]));
        assert_eq!(parse_hex("abc"), None);
        assert_eq!(parse_hex("zz"), None);
        assert_eq!(parse_hex("+f+e"), None);
        assert_eq!(parse_hex("DE aD"), Some(vec![0xde, 0xad]));
    }
}
