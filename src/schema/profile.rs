//! The JSON Schema of the profile format: every top-level field, made from the decoder's
//! field lists and the catalogue, with the names' spellings as [`patterns`](super::patterns)
//! finds them.

use super::patterns::{
    alternatives, ascii_ci, class, folding, loose, set, spelled, spellings_of, END,
};
use super::DIALECT;
use crate::catalog::{
    self, Domain, DotNetValue, KeyBits, KeyExchangeRef, ProtocolId, ScalarRef, Side, View, CIPHERS,
    HASHES, KEY_BITS_RANGE, NAMED_BUILDS, NAMED_RANGES,
};
use crate::profile::decode::{DOTNET_VERSIONS, HEX_SEPARATORS, RAW_TYPES, TOP_FIELDS};
use serde_json::{json, Map, Value};

/// The `$id` of the profile schema: a name, not a place to download from. It stays the same
/// while the profile format stays compatible.
pub const PROFILE_ID: &str = "urn:tlsreg:schema:profile:1";

/// The JSON Schema of a profile (the YAML read as JSON): every field the loader accepts,
/// with a `description` for editors and `enum`s of the catalogue's names to complete from.
pub fn profile() -> Value {
    let mut properties = Map::new();
    for field in TOP_FIELDS {
        if let Some(s) = top_field(field) {
            properties.insert(field.to_string(), s);
        }
    }
    json!({
        "$schema": DIALECT,
        "$id": PROFILE_ID,
        "title": "tlsreg profile",
        "description": "A tlsreg profile: Windows TLS hardening (SCHANNEL protocols, ciphers, hashes, key exchanges, cipher-suite and curve order, .NET and WinHTTP settings) that `tlsreg compile` turns into .reg files and PowerShell scripts. Every field is optional; an empty file is an empty profile.",
        "type": ["object", "null"],
        "additionalProperties": false,
        "properties": properties,
        "$defs": {
            "state": {
                "description": "enabled, disabled or os-default (the values are deleted, so Windows decides).",
                "enum": ["enabled", "disabled", "os-default"]
            },
            "os-default": {
                "description": "Delete the value: Windows falls back to its default.",
                "const": "os-default"
            },
            "views": {
                "description": "Which views of the SOFTWARE hive: native (64-bit) and wow64 (WOW6432Node, 32-bit). Default: both.",
                "type": "array",
                "items": { "enum": View::ALL.iter().map(|v| v.field()).collect::<Vec<_>>() }
            },
            "raw-data": raw_data(),
        }
    })
}

/// The schema of one top-level field; `None` for a field this module does not describe
/// (a unit test makes sure there is none).
fn top_field(field: &str) -> Option<Value> {
    let s = match field {
        "name" => json!({
            "description": "Display name. The output files are named after the built-in name or the file's stem, not this.",
            "type": "string"
        }),
        "description" => json!({
            "description": "One paragraph saying what this profile is for.",
            "type": "string"
        }),
        "references" => json!({
            "description": "URLs or document IDs the choices come from; joined across extends.",
            "type": "array",
            "items": { "type": "string" }
        }),
        "extends" => {
            let entry = json!({
                "anyOf": [
                    { "enum": crate::builtin::names().collect::<Vec<_>>() },
                    { "type": "string", "pattern": format!("\\.(?:{}|{}){END}", ascii_ci("yaml"), ascii_ci("yml")) }
                ]
            });
            json!({
                "description": "Built-in profile names, or profile files (ending in .yaml or .yml) relative to this file's folder. The first is the base, each later one is laid over it, then this profile: a later setting replaces an earlier one.",
                "anyOf": [entry.clone(), { "type": "array", "items": entry }]
            })
        }
        "target" => target(),
        "protocols" => names(
            "SCHANNEL\\Protocols\\<name>\\Client and \\Server: a state for both sides, or { client, server }. enabled writes Enabled=1, DisabledByDefault=0; disabled Enabled=0, DisabledByDefault=1; os-default deletes both. Names are matched as people type them: case, spaces, - and _ do not matter (TLSv1.2, tls1.2).",
            ProtocolId::all().map(|p| {
                let e = p.entry();
                let what = format!("SCHANNEL\\Protocols\\{}\\{{Client,Server}}", e.name);
                (e.name, e.aliases, what, protocol_value())
            }),
        ),
        "ciphers" => names(
            "SCHANNEL\\Ciphers\\<name>: Enabled=1 (enabled), 0 (disabled) or deleted (os-default).",
            CIPHERS.iter().map(|a| {
                (a.name, a.aliases, format!("SCHANNEL\\Ciphers\\{}", a.name), state())
            }),
        ),
        "hashes" => names(
            "SCHANNEL\\Hashes\\<name>: Enabled=1 (enabled), 0 (disabled) or deleted (os-default).",
            HASHES.iter().map(|a| {
                (a.name, a.aliases, format!("SCHANNEL\\Hashes\\{}", a.name), state())
            }),
        ),
        "key-exchanges" => names(
            "SCHANNEL\\KeyExchangeAlgorithms\\<name>: a state (Enabled), or a mapping with state and the key sizes the algorithm has.",
            KeyExchangeRef::all().map(|k| {
                let a = k.entry();
                (a.name, a.aliases, format!("SCHANNEL\\KeyExchangeAlgorithms\\{}", a.name), key_exchange(k))
            }),
        ),
        "cipher-suites" => list(
            "HKLM\\SOFTWARE\\Policies\\Microsoft\\Cryptography\\Configuration\\SSL\\00010002 Functions (REG_SZ, comma-joined; Windows reads at most 1023 characters): cipher suites in priority order, in today's Windows names (compile respells or leaves out names per build of the target), or os-default to delete the value.",
            true,
        ),
        "ecc-curves" => list(
            "HKLM\\SOFTWARE\\Policies\\Microsoft\\Cryptography\\Configuration\\SSL\\00010002 EccCurves (REG_MULTI_SZ): CNG curve names in priority order, or os-default to delete the value.",
            false,
        ),
        "dotnet" => one_or_list(
            ".NET Framework: SOFTWARE\\[WOW6432Node\\]Microsoft\\.NETFramework\\{v4.0.30319,v2.0.50727}. One mapping, or a list of them for different versions or views.",
            dotnet(),
        ),
        "winhttp" => one_or_list(
            "WinHTTP: SOFTWARE\\[WOW6432Node\\]Microsoft\\Windows\\CurrentVersion\\Internet Settings\\WinHttp. One mapping, or a list of them for different views.",
            winhttp(),
        ),
        "schannel" => schannel(),
        "raw" => raw(),
        _ => return None,
    };
    Some(s)
}

fn state() -> Value {
    json!({ "$ref": "#/$defs/state" })
}

fn os_default() -> Value {
    json!({ "$ref": "#/$defs/os-default" })
}

fn target() -> Value {
    let ranges: Vec<&str> = NAMED_RANGES.iter().map(|(n, _, _)| *n).collect();
    let mut release_names: Vec<String> = ranges.iter().map(|n| n.to_string()).collect();
    release_names.extend(ranges.iter().map(|n| format!("{n}+")));
    let builds: Vec<&str> = NAMED_BUILDS.iter().map(|(n, _)| *n).collect();
    let build = json!({
        "anyOf": [
            { "type": "integer", "minimum": 2195, "maximum": 99_999 },
            { "enum": builds },
            { "type": "string", "pattern": format!("^(?:{}){END}", alternatives(builds.iter().map(|b| ascii_ci(b)))) }
        ]
    });
    json!({
        "description": "The Windows builds this profile is for: a mapping with min-build and/or max-build (build numbers, or release names for the release's first build), or one release name for that release's builds (windows-10 is 10240 to 19045), with + for it and every later build (windows-server-2016+). compile resolves the cipher-suite and curve lists for the range, writing one .reg per build family where they differ; the audit warns about an image outside it.",
        "anyOf": [
            { "enum": release_names },
            { "type": "string", "pattern": format!("^(?:{})\\+?{END}", alternatives(ranges.iter().map(|r| ascii_ci(r)))) },
            {
                "type": "object",
                "additionalProperties": false,
                "minProperties": 1,
                "properties": {
                    "min-build": with_description(build.clone(), "The oldest Windows build this profile is for: a number, or a name such as windows-server-2016 (that release's first build)."),
                    "max-build": with_description(build, "The newest Windows build this profile is for (leave it out for every later build)."),
                }
            }
        ]
    })
}

fn protocol_value() -> Value {
    let sides: Map<String, Value> = Side::ALL
        .iter()
        .map(|s| {
            let d = format!(
                "The {} side (SCHANNEL\\Protocols\\<name>\\{}).",
                s.field(),
                s.key_name()
            );
            (s.field().to_string(), with_description(state(), &d))
        })
        .collect();
    json!({
        "anyOf": [
            state(),
            { "type": "object", "additionalProperties": false, "properties": sides }
        ]
    })
}

fn key_exchange(k: KeyExchangeRef) -> Value {
    let mut fields = Map::new();
    fields.insert(
        "state".into(),
        with_description(
            state(),
            "Enabled=1 (enabled), 0 (disabled) or deleted (os-default).",
        ),
    );
    let (lo, hi) = KEY_BITS_RANGE;
    for bits in KeyBits::ALL.iter().filter(|b| b.applies_to(k)) {
        let d = format!(
            "{} in bits, {lo} to {hi}, or os-default to delete the value.",
            bits.value_name()
        );
        let s = json!({
            "description": d,
            "anyOf": [{ "type": "integer", "minimum": lo, "maximum": hi }, os_default()]
        });
        fields.insert(bits.field().to_string(), s);
    }
    json!({
        "anyOf": [
            state(),
            { "type": "object", "additionalProperties": false, "properties": fields }
        ]
    })
}

/// A mapping from catalogue names to `value`: each canonical name a property (with its
/// description, for completion), and every spelling the loader matches a pattern.
fn names<'a>(
    description: &str,
    entries: impl Iterator<Item = (&'a str, &'a [&'a str], String, Value)>,
) -> Value {
    let mut properties = Map::new();
    let mut patterns = Map::new();
    for (name, aliases, what, value) in entries {
        let mut d = what;
        if !aliases.is_empty() {
            d.push_str(&format!(" (also written {})", aliases.join(", ")));
        }
        properties.insert(name.to_string(), with_description(value.clone(), &d));
        patterns.insert(spellings_of(name, aliases), value);
    }
    json!({
        "description": description,
        "type": "object",
        "properties": properties,
        "patternProperties": patterns,
        "additionalProperties": false
    })
}

/// The cipher-suite (`suites`) or curve list.
fn list(description: &str, suites: bool) -> Value {
    let known: Vec<String> = if suites {
        let mut v: Vec<String> = catalog::suites::CIPHER_SUITES
            .iter()
            .map(|s| s.to_string())
            .collect();
        for r in catalog::suite_builds::ROWS {
            if r.kind() == catalog::suite_builds::Kind::Suite
                && catalog::suites::is_known_suite(r.name)
                && !v.iter().any(|x| x == r.name)
            {
                v.push(r.name.to_string());
            }
        }
        v
    } else {
        catalog::suites::ECC_CURVES
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    let f = folding();
    let forbidden = class(if suites {
        &f.not_in_suites
    } else {
        &f.not_in_curves
    });
    let what = if suites {
        "no spaces, commas or control characters, and no - (Windows uses IANA names, not OpenSSL's)"
    } else {
        "no spaces, commas or control characters"
    };
    json!({
        "description": description,
        "anyOf": [
            os_default(),
            {
                "type": "array",
                "minItems": 1,
                "uniqueItems": true,
                "items": {
                    "anyOf": [
                        { "enum": known },
                        {
                            "description": format!("A name not in tlsreg's tables is a warning, not an error; names have {what}."),
                            "type": "string",
                            "minLength": 1,
                            "not": { "pattern": forbidden }
                        }
                    ]
                }
            }
        ]
    })
}

fn one_or_list(description: &str, item: Value) -> Value {
    json!({
        "description": description,
        "anyOf": [item.clone(), { "type": "array", "items": item }]
    })
}

fn dotnet() -> Value {
    let mut fields = Map::new();
    for v in DotNetValue::ALL {
        let d = format!(
            "{} = 1 (true) or 0 (false), or os-default to delete it.",
            v.value_name()
        );
        fields.insert(
            v.field().to_string(),
            json!({ "description": d, "anyOf": [{ "type": "boolean" }, os_default()] }),
        );
    }
    fields.insert(
        "versions".into(),
        json!({
            "description": "Which .NET Framework keys (default: both).",
            "type": "array",
            "items": { "enum": DOTNET_VERSIONS.iter().map(|(n, _)| *n).collect::<Vec<_>>() }
        }),
    );
    fields.insert("views".into(), json!({ "$ref": "#/$defs/views" }));
    json!({ "type": "object", "additionalProperties": false, "properties": fields })
}

fn winhttp() -> Value {
    let with_bit: Vec<&'static catalog::Protocol> = ProtocolId::all()
        .map(ProtocolId::entry)
        .filter(|p| p.winhttp_bit.is_some())
        .collect();
    let flags: Vec<String> = with_bit
        .iter()
        .map(|p| format!("{} 0x{:x}", p.name, p.winhttp_bit.unwrap_or(0)))
        .collect();
    let pattern = format!(
        "^(?:{}){END}",
        alternatives(with_bit.iter().map(|p| spelled(p.name, p.aliases)))
    );
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "default-secure-protocols": {
                "description": format!("DefaultSecureProtocols, a bit mask of the protocols listed ({}), or os-default to delete it.", flags.join(", ")),
                "anyOf": [
                    os_default(),
                    {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "anyOf": [
                                { "enum": with_bit.iter().map(|p| p.name).collect::<Vec<_>>() },
                                { "type": "string", "pattern": pattern }
                            ]
                        }
                    }
                ]
            },
            "views": { "$ref": "#/$defs/views" }
        }
    })
}

fn schannel() -> Value {
    let mut fields = Map::new();
    for i in ScalarRef::all() {
        let sc = i.entry();
        let place = if sc.key.starts_with("HKEY_") {
            format!("{}\\{}", sc.key, sc.value)
        } else if sc.key.is_empty() {
            format!("SCHANNEL\\{}", sc.value)
        } else {
            format!("SCHANNEL\\{}\\{}", sc.key, sc.value)
        };
        let (kind, s) = match sc.domain {
            Domain::Bool => (
                "true = 1, false = 0".to_string(),
                json!({ "type": "boolean" }),
            ),
            Domain::Range(lo, hi) => (
                format!("DWORD {lo} to {hi}"),
                json!({ "type": "integer", "minimum": lo, "maximum": hi }),
            ),
        };
        let d = format!("{place} ({kind}): {}; or os-default to delete it.", sc.help);
        fields.insert(
            sc.field.to_string(),
            json!({ "description": d, "anyOf": [s, os_default()] }),
        );
    }
    json!({
        "description": "Other SCHANNEL values (and the FIPS policy), each a DWORD; each may also be os-default.",
        "type": "object",
        "additionalProperties": false,
        "properties": fields
    })
}

fn raw() -> Value {
    let roots = alternatives(
        crate::keypath::ROOTS
            .iter()
            .flat_map(|(long, short)| [ascii_ci(long), ascii_ci(short)]),
    );
    let f = folding();
    let bs = class(&['\\']);
    let edge = format!("[^{}]", set(&[&f.key_edge[..], &['\\']].concat()));
    let inner = format!("[^{}]", set(&[&f.key_inner[..], &['\\']].concat()));
    let component = format!("{edge}(?:{inner}*{edge})?");
    let roots_named: Vec<String> = crate::keypath::ROOTS
        .iter()
        .map(|(long, short)| format!("{short}/{long}"))
        .collect();
    json!({
        "description": "Any other registry values, by key path: set (with type and data) or delete values, or delete a key with its subkeys.",
        "type": "array",
        "items": {
            "type": "object",
            "additionalProperties": false,
            "required": ["key"],
            "anyOf": [{ "required": ["values"] }, { "required": ["delete-key"] }],
            "properties": {
                "key": {
                    "description": format!("The key path, under {}: key names separated by \\, none empty, without control characters or spaces at either end.", roots_named.join(", ")),
                    "type": "string",
                    "pattern": format!("^(?:{roots})(?:{bs}{component})+{END}")
                },
                "values": {
                    "description": "Value names (\"\" is the key's default value) to { type, data }, or to delete.",
                    "type": "object",
                    "propertyNames": { "maxLength": 16_383, "not": { "pattern": "[\\u0000\\r\\n]" } },
                    "additionalProperties": {
                        "anyOf": [
                            { "description": "Delete the value.", "const": "delete" },
                            { "$ref": "#/$defs/raw-data" }
                        ]
                    }
                },
                "delete-key": {
                    "description": "true deletes the key and all its subkeys (a whole hive cannot be deleted).",
                    "type": "boolean"
                }
            }
        }
    })
}

/// `{ type, data }` of a raw value, with the data each type takes.
fn raw_data() -> Value {
    let mut rules = Vec::new();
    for t in RAW_TYPES {
        let Some(data) = raw_type_data(t) else {
            continue;
        };
        let norm = catalog::normalize(t);
        let pattern = format!(
            "^(?:{}){END}",
            alternatives([loose(&norm), loose(&format!("reg{norm}"))].into_iter())
        );
        rules.push(json!({
            "if": { "required": ["type"], "properties": { "type": { "pattern": pattern } } },
            "then": { "properties": { "data": data } }
        }));
    }
    let any_type = format!(
        "^(?:{}){END}",
        alternatives(RAW_TYPES.iter().flat_map(|t| {
            let n = catalog::normalize(t);
            [loose(&n), loose(&format!("reg{n}"))]
        }))
    );
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["type", "data"],
        "properties": {
            "type": {
                "description": format!("The value type: {} (REG_ names and any case are accepted too).", RAW_TYPES.join(", ")),
                "anyOf": [{ "enum": RAW_TYPES }, { "type": "string", "pattern": any_type }]
            },
            "data": { "description": "The data, as the type takes it." }
        },
        "allOf": rules
    })
}

/// What `data` a raw value type takes; `None` for a type this module does not describe (a
/// unit test makes sure there is none).
fn raw_type_data(t: &str) -> Option<Value> {
    let hex_sep = class(HEX_SEPARATORS);
    let hex = format!("^{hex_sep}*(?:[0-9A-Fa-f]{hex_sep}*[0-9A-Fa-f]{hex_sep}*)*{END}");
    Some(match t {
        "sz" => json!({ "description": "Text (quote numbers).", "type": "string" }),
        "expand-sz" => json!({
            "description": "Text with %VARIABLES% (quote numbers); no NUL.",
            "type": "string",
            "not": { "pattern": "\\u0000" }
        }),
        "multi-sz" => json!({
            "description": "A list of non-empty texts without NUL.",
            "type": "array",
            "items": { "type": "string", "minLength": 1, "not": { "pattern": "\\u0000" } }
        }),
        "dword" => json!({
            "description": "A whole number, 0 to 4294967295 (0xffffffff).",
            "type": "integer", "minimum": 0, "maximum": u32::MAX
        }),
        "qword" => json!({
            "description": "A whole number, 0 to 18446744073709551615.",
            "type": "integer", "minimum": 0, "maximum": u64::MAX
        }),
        "binary" | "none" => json!({
            "description": "Hex bytes such as \"de ad be ef\" or \"de,ad,be,ef\", or a list of numbers 0-255.",
            "anyOf": [
                { "type": "string", "pattern": hex },
                { "type": "array", "items": { "type": "integer", "minimum": 0, "maximum": 255 } }
            ]
        }),
        _ => return None,
    })
}

fn with_description(mut s: Value, d: &str) -> Value {
    if let Value::Object(m) = &mut s {
        m.insert("description".into(), Value::String(d.to_string()));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_and_type_is_described() {
        for f in TOP_FIELDS {
            assert!(top_field(f).is_some(), "{f} has no schema");
        }
        for t in RAW_TYPES {
            assert!(raw_type_data(t).is_some(), "{t} has no data schema");
        }
        let s = profile();
        assert_eq!(s["properties"].as_object().unwrap().len(), TOP_FIELDS.len());
    }
}
