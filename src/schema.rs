//! JSON Schemas (draft 2020-12) of the files tlsreg reads and writes, for editors and CI:
//! [`report`] describes every JSON document tlsreg writes; [`profile`] describes the profile
//! format, generated from the decoder's field lists and the catalogue
//! so that it cannot drift from what the loader accepts.
//!
//! The schema accepts every profile the loader accepts (names in any spelling the loader
//! matches, `REG_` type names, a single `extends` name), and rejects what the loader rejects
//! for its shape: unknown fields, wrong types, unknown protocol, cipher, hash and key-exchange
//! names, out-of-range numbers, unwritable list entries. What only the loader can judge
//! (`extends` files that exist, one name given twice under two spellings, a key deleted and
//! written, the limits on size) is left to it.

use crate::catalog::{
    self, Domain, DotNetValue, KeyBits, KeyExchangeRef, ProtocolId, ScalarRef, Side, View, CIPHERS,
    HASHES, KEY_BITS_RANGE, NAMED_BUILDS, NAMED_RANGES,
};
use crate::keypath::check_key_component;
use crate::profile::decode::{DOTNET_VERSIONS, HEX_SEPARATORS, RAW_TYPES, TOP_FIELDS};
use crate::profile::lists;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The JSON Schema dialect of every schema here.
pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

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

// --- Patterns: the spellings the loader accepts, derived by asking it ---

/// The end of the string, for ECMA-262 and Python alike (Python's `$` also matches before a
/// final line feed, so `"TLS 1.2\n"` would pass where the loader refuses it).
const END: &str = "(?![\\s\\S])";

/// How the loader reads each character on its own, found by asking it about every character
/// once: the characters [`catalog::normalize`] drops (separators) and, for each ASCII
/// character a name can hold, the characters it reads as that one; the characters
/// [`lists::entry_error`] refuses in a cipher-suite or a curve name.
struct Folding {
    separators: Vec<char>,
    variants: BTreeMap<char, Vec<char>>,
    not_in_suites: Vec<char>,
    not_in_curves: Vec<char>,
    /// What a registry key name may not hold anywhere (control characters).
    key_inner: Vec<char>,
    /// What a key name may not start or end with (those, and white space).
    key_edge: Vec<char>,
}

fn folding() -> &'static Folding {
    static FOLDING: OnceLock<Folding> = OnceLock::new();
    FOLDING.get_or_init(|| {
        let mut f = Folding {
            separators: Vec::new(),
            variants: BTreeMap::new(),
            not_in_suites: Vec::new(),
            not_in_curves: Vec::new(),
            key_inner: Vec::new(),
            key_edge: Vec::new(),
        };
        for c in unicode() {
            let mut buf = [0; 4];
            let text: &str = c.encode_utf8(&mut buf);
            if lists::entry_error(text, true).is_some() {
                f.not_in_suites.push(c);
            }
            if lists::entry_error(text, false).is_some() {
                f.not_in_curves.push(c);
            }
            if c != '\\' && check_key_component(text).is_err() {
                f.key_edge.push(c);
                if check_key_component(&format!("a{text}a")).is_err() {
                    f.key_inner.push(c);
                }
            }
            let n = catalog::normalize(text);
            let mut it = n.chars();
            match (it.next(), it.next()) {
                (None, _) => f.separators.push(c),
                (Some(l), None) if l.is_ascii() => f.variants.entry(l).or_default().push(c),
                // Several characters, or one beyond ASCII: no catalogue name holds them.
                _ => {}
            }
        }
        f
    })
}

/// Every character.
fn unicode() -> impl Iterator<Item = char> {
    (0..=u32::from(char::MAX)).filter_map(char::from_u32)
}

/// A regex (ECMA-262 and Python alike) for every string that `normalize` turns into `norm`
/// (itself normalized): any separators anywhere, each character in any form normalize reads
/// as it, and a `v` where normalize drops one (`TLSv1.2`).
fn loose(norm: &str) -> String {
    let f = folding();
    let sep = format!("{}*", class(&f.separators));
    let one = |c: char| class(f.variants.get(&c).map(Vec::as_slice).unwrap_or(&[c]));
    let mut out = sep.clone();
    for (i, c) in norm.char_indices() {
        if catalog::normalize(&format!("{}v{}", &norm[..i], &norm[i..])) == norm {
            out.push_str(&format!("(?:{}{sep})?", one('v')));
        }
        out.push_str(&one(c));
        out.push_str(&sep);
    }
    out
}

/// The pattern of every spelling of a catalogue entry.
fn spellings_of(name: &str, aliases: &[&str]) -> String {
    format!("^(?:{}){END}", spelled(name, aliases))
}

fn spelled(name: &str, aliases: &[&str]) -> String {
    let mut norms: Vec<String> = Vec::new();
    for n in std::iter::once(name).chain(aliases.iter().copied()) {
        let n = catalog::normalize(n);
        if !norms.contains(&n) {
            norms.push(n);
        }
    }
    alternatives(norms.iter().map(|n| loose(n)))
}

fn alternatives(parts: impl Iterator<Item = String>) -> String {
    parts.collect::<Vec<_>>().join("|")
}

/// `s` with ASCII letters in either case (as `eq_ignore_ascii_case` compares).
fn ascii_ci(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphabetic() {
                class(&[c.to_ascii_uppercase(), c.to_ascii_lowercase()])
            } else {
                class(&[c])
            }
        })
        .collect()
}

/// A regex matching any one of `chars`, written so that ECMA-262 (with or without the `u`
/// flag) and Python read it alike: ASCII letters and digits as they are, everything else as
/// `\uXXXX` (every character here is in the Basic Multilingual Plane; a unit test checks).
fn class(chars: &[char]) -> String {
    match chars {
        [c] => lit(*c),
        _ => format!("[{}]", set(chars)),
    }
}

/// One character of a regex, as [`class`] writes it.
fn lit(c: char) -> String {
    if c.is_ascii_alphanumeric() {
        c.to_string()
    } else {
        format!("\\u{:04x}", u32::from(c))
    }
}

/// The inside of a bracket expression matching any of `chars`, in ranges.
fn set(chars: &[char]) -> String {
    let mut sorted = chars.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && u32::from(sorted[i + 1]) == u32::from(end) + 1 {
            i += 1;
            end = sorted[i];
        }
        out.push_str(&lit(start));
        if end != start {
            if u32::from(end) > u32::from(start) + 1 {
                out.push('-');
            }
            out.push_str(&lit(end));
        }
        i += 1;
    }
    out
}

/// The `$id` of the report schema; its version is [`crate::SCHEMA_VERSION`].
pub const REPORT_ID: &str = "urn:tlsreg:schema:report:2";

/// A string or null.
fn opt_string() -> Value {
    json!({"type": ["string", "null"]})
}

/// An object with exactly these properties, all required.
fn object(description: &str, props: Value) -> Value {
    let required: Vec<String> = props
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    json!({
        "description": description,
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": props,
    })
}

/// `{"schema_version": 2, "command": NAME}`'s two properties.
fn head(command: &str, mut props: Value) -> Value {
    if let Some(m) = props.as_object_mut() {
        m.insert(
            "schema_version".into(),
            json!({"const": crate::SCHEMA_VERSION}),
        );
        m.insert("command".into(), json!({"const": command}));
    }
    props
}

/// The JSON Schema (draft 2020-12) of every JSON document tlsreg writes: the audit's
/// document (`--format json`) and its records (each line of `--format jsonl`), and the
/// reports of `compile --report json`, `lint --format json` and `diff --format json`. Every
/// object is closed (`additionalProperties: false`) and every property required, so a
/// change of shape fails validation; the enums are the library's own lists (finding codes,
/// diagnostic codes, statuses).
pub fn report() -> Value {
    use crate::audit::{FindingCode, Status};
    let finding_codes: Vec<&str> = FindingCode::ALL.iter().map(|c| c.as_str()).collect();
    let statuses: Vec<&str> = [
        Status::Pass,
        Status::Warn,
        Status::Fail,
        Status::Unknown,
        Status::NotAudited,
    ]
    .iter()
    .map(|s| s.as_str())
    .collect();
    let diag_codes: Vec<&str> = crate::diag::CODES
        .iter()
        .chain(crate::regfile::CODES)
        .map(|(c, ..)| *c)
        .collect();
    let uint = json!({"type": "integer", "minimum": 0});
    let opt_uint = json!({"type": ["integer", "null"], "minimum": 0});
    let recovery = json!({
        "description": "What was done about a dirty hive.",
        "oneOf": [
            object("The hive was clean.", json!({"state": {"const": "clean"}})),
            object("Dirty; its logs were replayed in memory.", json!({
                "state": {"const": "recovered"},
                "logs": {"type": "array", "items": {"type": "string"}},
                "entries": uint,
                "format": {"type": "string"},
            })),
            object("Dirty, and no log lies beside it: values may be stale.", json!({"state": {"const": "dirty-no-logs"}})),
            object("Dirty, but its logs hold nothing newer.", json!({
                "state": {"const": "logs-not-newer"},
                "logs": {"type": "array", "items": {"type": "string"}},
            })),
            object("Dirty, and its logs could not be replayed: read as it is.", json!({
                "state": {"const": "logs-failed"},
                "error": {"type": "string"},
            })),
            object("Dirty, read as it is (--no-recover).", json!({"state": {"const": "not-recovered"}})),
        ]
    });
    let hive = object(
        "A hive that was read.",
        json!({
            "path": {"type": "string"},
            "dirty": {"type": "boolean"},
            "recovery": {"$ref": "#/$defs/recovery"},
            "checksum_ok": {"type": "boolean"},
            "primary_sequence": uint,
            "secondary_sequence": uint,
        }),
    );
    let os = object(
        "The Windows the SOFTWARE hive (or --os-build) says it is.",
        json!({
            "name": {"type": "string"},
            "product_name": opt_string(),
            "build": uint,
            "ubr": opt_uint,
            "display_version": opt_string(),
            "edition_id": opt_string(),
            "installation_type": opt_string(),
            "csd_version": opt_string(),
            "server": {"type": "boolean"},
        }),
    );
    let partition = object(
        "The partition holding the installation.",
        json!({
            "number": uint,
            "offset": uint,
            "size": uint,
            "type": {"type": "string"},
            "type_id": {"type": "string"},
            "name": opt_string(),
        }),
    );
    let image = object(
        "Where in a disk image the hives were read.",
        json!({
            "path": {"type": "string"},
            "format": {"type": "string"},
            "partition": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/partition"}]},
            "system_path": opt_string(),
            "software_path": opt_string(),
        }),
    );
    let waiver_ref = object(
        "The waiver that matched a finding.",
        json!({
            "reason": {"type": "string"},
            "expires": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
            "at": {"type": "string"},
            "expired": {"type": "boolean"},
        }),
    );
    let finding = object(
        "One finding: a stable code, the check, the setting, where, expected and actual, the verdict and why.",
        json!({
            "code": {"enum": finding_codes},
            "check": {"enum": ["value", "effective", "trap", "prerequisite", "image"]},
            "setting": {"type": "string"},
            "key": {"type": "string"},
            "value": opt_string(),
            "expected": opt_string(),
            "actual": opt_string(),
            "status": {"enum": statuses},
            "reason": {"type": "string"},
            "waiver": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/waiver-ref"}]},
            "source": {"oneOf": [{"type": "null"}, object("Where the profile asks for it.", json!({
                "file": {"type": "string"},
                "line": {"type": "integer", "minimum": 1},
                "col": {"type": "integer", "minimum": 1},
            }))]},
        }),
    );
    let summary = object(
        "Findings counted by status; waived ones only as waived.",
        json!({
            "pass": uint, "warn": uint, "fail": uint, "unknown": uint,
            "not_audited": uint, "waived": uint,
        }),
    );
    let control_sets = object(
        "The SYSTEM hive's Select values.",
        json!({"current": uint, "default": opt_uint, "last_known_good": opt_uint}),
    );
    let audit_report = object(
        "The audit of one Windows installation.",
        json!({
            "profile": {"type": "string"},
            "mode": {"enum": ["strict", "effective"]},
            "image": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/image"}]},
            "system": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/hive"}]},
            "software": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/hive"}]},
            "os": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/os"}]},
            "control_sets": {"oneOf": [{"type": "null"}, control_sets]},
            "findings": {"type": "array", "items": {"$ref": "#/$defs/finding"}},
            "summary": summary,
            "compliant": {"type": "boolean"},
            "complete": {"type": "boolean"},
        }),
    );
    let mut record = object(
        "One image's result: an element of the audit document's images, and one line of --format jsonl.",
        head(
            "audit",
            json!({
                "profile": {"type": "string"},
                "image": {"type": "string"},
                "result": {"enum": ["compliant", "not-compliant", "error"]},
                "notes": {"type": "array", "items": {"type": "string"}},
                "error": opt_string(),
                "report": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/audit-report"}]},
            }),
        ),
    );
    // An error has no report, a report no error.
    record["oneOf"] = json!([
        {"properties": {"result": {"const": "error"}, "error": {"type": "string"}, "report": {"type": "null"}}},
        {"properties": {"result": {"enum": ["compliant", "not-compliant"]}, "error": {"type": "null"}, "report": {"type": "object"}}},
    ]);
    let waiver_outcome = object(
        "What became of a waiver.",
        json!({
            "at": {"type": "string"},
            "code": {"enum": finding_codes},
            "reason": {"type": "string"},
            "expires": {"type": "string"},
            "matched": uint,
            "state": {"enum": ["active", "expired", "unmatched"]},
        }),
    );
    let audit_doc = object(
        "The audit's --format json document, whatever the number of images.",
        head(
            "audit",
            json!({
                "profile": {"type": "string"},
                "images": {"type": "array", "items": {"$ref": "#/$defs/audit-record"}},
                "summary": object("Images counted by result.", json!({
                    "images": uint, "compliant": uint, "not_compliant": uint, "errors": uint,
                })),
                "waivers": {"type": "array", "items": waiver_outcome},
                "exit_code": {"enum": [0, 1, 2]},
            }),
        ),
    );
    let mut diagnostic = object(
        "One diagnostic: severity, stable code, message and place (line 0: the whole file).",
        json!({
            "severity": {"enum": ["error", "warning", "note"]},
            "code": {"enum": diag_codes},
            "message": {"type": "string"},
            "file": {"type": "string"},
            "line": uint,
            "col": uint,
        }),
    );
    // A diagnostic not placed in a named file has no `file`.
    diagnostic["required"] = json!(["severity", "code", "message", "line", "col"]);
    let compile = object(
        "compile --report json.",
        head(
            "compile",
            json!({
                "diagnostics": {"type": "array", "items": {"$ref": "#/$defs/diagnostic"}},
                "files": {"type": "array", "items": object("One output file.", json!({
                    "file": {"type": "string"},
                    "profile": {"type": "string"},
                    "status": {"enum": ["written", "up-to-date", "missing", "differs"]},
                }))},
            }),
        ),
    );
    let lint = object(
        "lint --format json.",
        head(
            "lint",
            json!({
                "files": {"type": "array", "items": object("One file: its diagnostics, or why it could not be read.", json!({
                    "file": {"type": "string"},
                    "error": opt_string(),
                    "diagnostics": {"type": "array", "items": {"$ref": "#/$defs/diagnostic"}},
                }))},
            }),
        ),
    );
    let side = json!({"oneOf": [{"type": "null"}, object("A value on one side.", json!({
        "type": {"type": "string"},
        "data": {"type": "string"},
    }))]});
    let change = object(
        "One value that differs.",
        json!({"key": {"type": "string"}, "name": {"type": "string"}, "old": side, "new": side}),
    );
    let diff = object(
        "diff --format json.",
        head(
            "diff",
            json!({
                "added": {"type": "array", "items": change},
                "removed": {"type": "array", "items": change},
                "changed": {"type": "array", "items": change},
                "not_compared": {"type": "array", "items": object("A root one side has no hive for.", json!({
                    "root": {"type": "string"},
                    "missing_on": {"enum": ["a", "b"]},
                }))},
                "duplicates": {"type": "array", "items": object("A later value under a name an earlier one has.", json!({
                    "side": {"enum": ["a", "b"]},
                    "key": {"type": "string"},
                    "name": {"type": "string"},
                    "first": {"type": "string"},
                }))},
            }),
        ),
    );
    json!({
        "$schema": DIALECT,
        "$id": REPORT_ID,
        "title": "tlsreg JSON reports",
        "description": "Every JSON document tlsreg writes, told apart by `command` (and, for the audit, by `images` for the document and `image` for one record).",
        "oneOf": [
            {"$ref": "#/$defs/audit-document"},
            {"$ref": "#/$defs/audit-record"},
            {"$ref": "#/$defs/compile"},
            {"$ref": "#/$defs/lint"},
            {"$ref": "#/$defs/diff"},
        ],
        "$defs": {
            "audit-document": audit_doc,
            "audit-record": record,
            "audit-report": audit_report,
            "finding": finding,
            "waiver-ref": waiver_ref,
            "hive": hive,
            "recovery": recovery,
            "os": os,
            "image": image,
            "partition": partition,
            "diagnostic": diagnostic,
            "compile": compile,
            "lint": lint,
            "diff": diff,
        }
    })
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

    #[test]
    fn normalize_reads_characters_one_by_one_in_the_bmp() {
        let f = folding();
        assert_eq!(f.separators, ['\t', ' ', '-', '_']);
        // The Kelvin sign is read as k: `P\u{212a}CS` is PKCS to the loader.
        assert_eq!(f.variants[&'k'], ['K', 'k', '\u{212a}']);
        let all = [
            &f.separators,
            &f.not_in_suites,
            &f.not_in_curves,
            &f.key_edge,
        ];
        for c in all
            .into_iter()
            .flatten()
            .chain(f.variants.values().flatten())
        {
            assert!(u32::from(*c) <= 0xffff, "{c:?} is beyond the BMP");
        }
    }

    #[test]
    fn classes_are_ranges() {
        assert_eq!(class(&['a']), "a");
        assert_eq!(class(&['.']), "\\u002e");
        assert_eq!(class(&['b', 'a', 'c', 'x']), "[a-cx]");
        assert_eq!(class(&['a', 'b']), "[ab]");
        assert_eq!(ascii_ci("hk-1"), "[Hh][Kk]\\u002d1");
    }
}
