//! Turns one YAML profile file into a [`Layer`], collecting every problem (unknown fields,
//! unknown names with a did-you-mean, wrong types, out-of-range numbers) with its place.

use super::{Layer, Origin, Profile, RawEntry, RawOp, Target};
use crate::catalog::{
    self, did_you_mean, lookup, Domain, DotNetValue, DotNetVersion, KeyBits, NameKind, Side, View,
    NAMED_BUILDS, PROTOCOLS, SCALARS,
};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::keypath::{canonical_key, check_value_name};
use crate::setting::{Setting, SettingKey, State};
use crate::value::RegData;
use crate::yamlpos::{Path, PosIndex, Seg};
use serde_yaml::{Mapping, Value};
use std::collections::HashMap;

/// The largest profile file read (a profile is a few kilobytes; this bounds hostile input).
pub const MAX_PROFILE_BYTES: usize = 16 * 1024 * 1024;

const TOP_FIELDS: &[&str] = &[
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

struct Ctx<'a> {
    file: &'a str,
    src: &'a str,
    /// Byte offset where each line starts, so a line's text is found without a scan.
    line_starts: Vec<usize>,
    idx: PosIndex,
    diags: &'a mut Diagnostics,
}

fn with(path: &[Seg], seg: Seg) -> Path {
    let mut p = path.to_vec();
    p.push(seg);
    p
}

/// What kind of YAML value this is, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing (null)",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// A mapping key as text.
fn key_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `"text"` with control characters escaped (and nothing else: a backslash stays one).
fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('"');
    out
}

impl Ctx<'_> {
    fn origin(&self, path: &[Seg], at_key: bool) -> Origin {
        let pos = if at_key {
            self.idx.key(path)
        } else {
            self.idx.value(path)
        };
        Origin {
            file: self.file.to_string(),
            pos,
            line_text: self.line_text(pos.line),
        }
    }

    /// The text of a 1-based line, without its line end.
    fn line_text(&self, line: usize) -> Option<String> {
        let start = *self.line_starts.get(line.checked_sub(1)?)?;
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.src.len());
        Some(
            self.src[start..end]
                .trim_end_matches(['\n', '\r'])
                .to_string(),
        )
    }

    /// A diagnostic at the value (or, `at_key`, the key) at `path`.
    fn report(&mut self, path: &[Seg], at_key: bool, code: Code, msg: String) {
        let pos = if at_key {
            self.idx.key(path)
        } else {
            self.idx.value(path)
        };
        let mut d = Diagnostic::new(code, msg, self.file, None, pos);
        d.source_line = self.line_text(pos.line);
        self.diags.push(d);
    }

    /// A diagnostic at the value at `path`.
    fn at(&mut self, path: &[Seg], code: Code, msg: String) {
        self.report(path, false, code, msg);
    }

    /// A diagnostic at the key at `path`.
    fn at_key(&mut self, path: &[Seg], code: Code, msg: String) {
        self.report(path, true, code, msg);
    }

    fn wrong_type(&mut self, path: &[Seg], what: &str, v: &Value) {
        let field = field_name(path);
        self.at(
            path,
            Code::WrongType,
            format!("{field} must be {what}, not {}", kind(v)),
        );
    }

    /// The entries of a mapping with their text keys; reports non-text keys.
    fn entries<'v>(
        &mut self,
        path: &[Seg],
        v: &'v Value,
        what: &str,
    ) -> Vec<(String, Path, &'v Value)> {
        let Some(map) = v.as_mapping() else {
            self.wrong_type(path, what, v);
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, val) in map {
            match key_text(k) {
                Some(t) => {
                    let p = with(path, Seg::Key(t.clone()));
                    out.push((t, p, val));
                }
                None if k.is_null() => {
                    // Point at the key itself: the index knows it by its source text.
                    let at = ["NULL", "null", "Null", "~", ""]
                        .iter()
                        .map(|t| with(path, Seg::Key(t.to_string())))
                        .find(|p| self.idx.has(p))
                        .unwrap_or_else(|| path.to_vec());
                    self.at_key(&at, Code::WrongType, format!(
                    "{} has a key that YAML reads as nothing (an unquoted NULL, null or ~); quote it: \"NULL\"", field_name(path)
                    ))
                }
                None => self.at_key(
                    &with(path, Seg::Key("*complex".into())),
                    Code::WrongType,
                    format!(
                        "{} has a key that is {}, not text",
                        field_name(path),
                        kind(k)
                    ),
                ),
            }
        }
        out
    }

    /// Checks that a mapping has only `allowed` fields and returns them by name.
    fn fields<'v>(
        &mut self,
        path: &[Seg],
        v: &'v Value,
        allowed: &[&str],
        what: &str,
    ) -> Option<HashMap<String, (Path, &'v Value)>> {
        if !v.is_mapping() {
            self.wrong_type(path, what, v);
            return None;
        }
        let mut out = HashMap::new();
        for (name, p, val) in self.entries(path, v, what) {
            if allowed.contains(&name.as_str()) {
                out.insert(name, (p, val));
            } else {
                let hint = match did_you_mean(&name, allowed.iter().copied()) {
                    Some(s) => format!("; did you mean \"{s}\"?"),
                    None => format!("; expected one of: {}", allowed.join(", ")),
                };
                let place = if path.is_empty() {
                    "a profile".to_string()
                } else {
                    field_name(path)
                };
                self.at_key(
                    &p,
                    Code::UnknownField,
                    format!("unknown field {} in {place}{hint}", quote(&name)),
                );
            }
        }
        Some(out)
    }

    fn string(&mut self, path: &[Seg], v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.wrong_type(path, "text", v);
                None
            }
        }
    }

    fn string_list(&mut self, path: &[Seg], v: &Value) -> Option<Vec<(String, Path)>> {
        let Some(seq) = v.as_sequence() else {
            self.wrong_type(path, "a list", v);
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in seq.iter().enumerate() {
            let p = with(path, Seg::Index(i));
            match self.string(&p, item) {
                Some(s) => out.push((s, p)),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn is_os_default(v: &Value) -> bool {
        matches!(v, Value::String(s) if s == "os-default")
    }

    fn state(&mut self, path: &[Seg], v: &Value) -> Option<Setting> {
        match v {
            Value::String(s) => match s.as_str() {
                "enabled" => Some(Setting::State(State::Enabled)),
                "disabled" => Some(Setting::State(State::Disabled)),
                "os-default" => Some(Setting::OsDefault),
                other => {
                    let hint = did_you_mean(other, ["enabled", "disabled", "os-default"])
                        .map(|s| format!("; did you mean \"{s}\"?"))
                        .unwrap_or_default();
                    self.at(
                        path,
                        Code::InvalidState,
                        format!(
                            "{} is {}; a state is enabled, disabled or os-default{hint}",
                            field_name(path),
                            quote(other)
                        ),
                    );
                    None
                }
            },
            Value::Bool(b) => {
                let s = if *b { "enabled" } else { "disabled" };
                self.at(
                    path,
                    Code::InvalidState,
                    format!(
                        "{} is {b}; write {s} (a state is enabled, disabled or os-default)",
                        field_name(path)
                    ),
                );
                None
            }
            other => {
                self.wrong_type(path, "enabled, disabled or os-default", other);
                None
            }
        }
    }

    fn u32_in(&mut self, path: &[Seg], v: &Value, lo: u32, hi: u32) -> Option<u32> {
        match v {
            Value::Number(n) => match n.as_u64() {
                Some(x) if x >= lo as u64 && x <= hi as u64 => Some(x as u32),
                _ => {
                    self.at(
                        path,
                        Code::OutOfRange,
                        format!(
                            "{} is {n}; it must be between {lo} and {hi}",
                            field_name(path)
                        ),
                    );
                    None
                }
            },
            other => {
                self.wrong_type(path, "a whole number", other);
                None
            }
        }
    }

    fn bool(&mut self, path: &[Seg], v: &Value) -> Option<bool> {
        match v {
            Value::Bool(b) => Some(*b),
            other => {
                self.wrong_type(path, "true or false", other);
                None
            }
        }
    }

    /// Looks up a catalogue name, explaining the known traps when it is not one.
    fn name(&mut self, path: &[Seg], kind: NameKind, typed: &str) -> Option<usize> {
        match lookup(kind, typed) {
            Ok(i) => Some(i),
            Err(suggestion) => {
                let noun = kind.noun();
                let msg = if let Some(c) = typed
                    .chars()
                    .find(|c| matches!(c, '\u{2215}' | '\u{2044}' | '\u{ff0f}' | '\u{29f8}'))
                {
                    let fixed: String = typed
                        .chars()
                        .map(|x| if x == c { '/' } else { x })
                        .collect();
                    format!("{noun} {} contains the look-alike slash U+{:04X}; Windows reads only the ASCII \"/\": write {}", quote(typed), c as u32, quote(&fixed))
                } else if typed.contains('\\') {
                    let fixed = typed.replace('\\', "/");
                    format!("{noun} {} contains a backslash, which makes nested keys; the key name is {}", quote(typed), quote(&fixed))
                } else if kind == NameKind::Protocol && catalog::normalize(typed) == "dtls1.1" {
                    format!("Windows has no {} (\"DTLS 1.1\" is a typo in Microsoft's 2019 documentation); its DTLS versions are DTLS 1.0 and DTLS 1.2", quote(typed))
                } else if kind == NameKind::Protocol && catalog::normalize(typed) == "dtls1.3" {
                    format!(
                        "Windows has no {}; its DTLS versions are DTLS 1.0 and DTLS 1.2",
                        quote(typed)
                    )
                } else if kind == NameKind::Hash && catalog::normalize(typed).starts_with("sha3") {
                    format!("Schannel has no SHA-3 hash key ({}); its hashes are MD5, SHA, SHA256, SHA384 and SHA512", quote(typed))
                } else if kind == NameKind::Cipher
                    && catalog::normalize(typed) == "tripledes168/168"
                {
                    "\"Triple DES 168/168\" is the name before Windows Vista; Vista and later read \"Triple DES 168\" (use a raw entry for older systems)".to_string()
                } else {
                    let list = kind
                        .entries()
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ");
                    match suggestion {
                        Some(s) => {
                            format!("unknown {noun} {}; did you mean \"{s}\"?", quote(typed))
                        }
                        None => format!("unknown {noun} {}; known: {list}", quote(typed)),
                    }
                };
                self.at_key(path, Code::UnknownName, msg);
                None
            }
        }
    }
}

/// A readable name for the field at `path`, e.g. `protocols."TLS 1.2".client`.
fn field_name(path: &[Seg]) -> String {
    if path.is_empty() {
        return "the profile".to_string();
    }
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                if k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                    && !k.is_empty()
                {
                    out.push_str(k);
                } else {
                    out.push_str(&quote(k));
                }
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Decodes one profile. `label` names the file in diagnostics; `default_name` is used when
/// the file has no `name:`. Returns `None` when the file is not a YAML mapping at all.
pub fn decode(
    label: &str,
    src: &str,
    default_name: &str,
    diags: &mut Diagnostics,
) -> Option<Layer> {
    let top = Pos1::root();
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
        diags.push(Diagnostic::new(Code::TooDeep, format!("the YAML nests deeper than {MAX_FLOW_DEPTH} levels here; a profile needs a handful"), label, Some(src), pos));
        return None;
    }
    let idx = PosIndex::new(src);
    if !idx.duplicates().is_empty() {
        for d in idx.duplicates() {
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
    };
    if value.is_null() {
        // An empty file is an empty profile.
        value = Value::Mapping(Mapping::new());
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

/// Deepest `[` / `{` nesting accepted (YAML parsers slow down badly on thousands of levels).
const MAX_FLOW_DEPTH: usize = 64;

/// Where flow collections first nest deeper than [`MAX_FLOW_DEPTH`], skipping quoted text
/// and comments; a linear scan done before any parser sees the text.
fn too_deep(src: &str) -> Option<crate::yamlpos::Pos> {
    // Block nesting: indentation plus `- ` / `? ` markers opening a line.
    for (i, l) in src.lines().enumerate() {
        let rest = l.trim_start_matches(' ');
        let indent = l.len() - rest.len();
        let mut markers = 0;
        let mut r = rest;
        while let Some(next) = r.strip_prefix("- ").or_else(|| r.strip_prefix("? ")) {
            markers += 1;
            r = next.trim_start_matches(' ');
        }
        if indent / 2 + markers > MAX_FLOW_DEPTH {
            return Some(crate::yamlpos::Pos {
                line: i + 1,
                col: 1,
                len: 1,
            });
        }
    }
    let (mut depth, mut line, mut col) = (0usize, 1usize, 0usize);
    let mut chars = src.chars().peekable();
    let mut prev = '\n';
    while let Some(c) = chars.next() {
        col += 1;
        match c {
            '\n' => {
                line += 1;
                col = 0;
            }
            '#' if prev.is_whitespace() => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        line += 1;
                        col = 0;
                        break;
                    }
                }
                prev = '\n';
                continue;
            }
            '"' | '\'' => {
                let quote = c;
                while let Some(n) = chars.next() {
                    col += 1;
                    if n == '\n' {
                        line += 1;
                        col = 0;
                    } else if n == '\\' && quote == '"' {
                        chars.next();
                        col += 1;
                    } else if n == quote {
                        break;
                    }
                }
            }
            '[' | '{' => {
                depth += 1;
                if depth > MAX_FLOW_DEPTH {
                    return Some(crate::yamlpos::Pos { line, col, len: 1 });
                }
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        prev = c;
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

fn target(cx: &mut Ctx, path: &[Seg], v: &Value) -> Option<Target> {
    let f = cx.fields(path, v, &["min-build"], "a mapping with min-build")?;
    let (p, v) = f.get("min-build")?;
    match v {
        Value::String(s) => {
            match NAMED_BUILDS.iter().find(|(n, _)| n.eq_ignore_ascii_case(s)) {
                Some((_, b)) => Some(Target { min_build: *b }),
                None => {
                    let hint = did_you_mean(s, NAMED_BUILDS.iter().map(|(n, _)| *n))
                        .map(|x| format!("; did you mean \"{x}\"?"))
                        .unwrap_or_default();
                    cx.at(p, Code::OutOfRange, format!("target.min-build {} is not a build number or a known Windows name{hint}", quote(s)));
                    None
                }
            }
        }
        other => cx
            .u32_in(p, other, 2195, 99_999)
            .map(|b| Target { min_build: b }),
    }
}

fn protocols(cx: &mut Ctx, path: &[Seg], v: &Value, profile: &mut Profile) {
    let mut seen = HashMap::new();
    for (typed, p, val) in cx.entries(path, v, "a mapping of protocol names to states") {
        let Some(i) = cx.name(&p, NameKind::Protocol, &typed) else {
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

fn algorithms(cx: &mut Ctx, path: &[Seg], v: &Value, kind: NameKind, profile: &mut Profile) {
    let mut seen = HashMap::new();
    for (typed, p, val) in cx.entries(
        path,
        v,
        &format!("a mapping of {} names to states", kind.noun()),
    ) {
        let Some(i) = cx.name(&p, kind, &typed) else {
            continue;
        };
        if let Some(s) = cx.state(&p, val) {
            let k = if kind == NameKind::Cipher {
                SettingKey::Cipher(i)
            } else {
                SettingKey::Hash(i)
            };
            put(cx, profile, &p, &mut seen, k, s, &typed);
        }
    }
}

fn key_exchanges(cx: &mut Ctx, path: &[Seg], v: &Value, profile: &mut Profile) {
    let mut seen = HashMap::new();
    for (typed, p, val) in cx.entries(path, v, "a mapping of key-exchange names") {
        let Some(i) = cx.name(&p, NameKind::KeyExchange, &typed) else {
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
                let name = catalog::KEY_EXCHANGES[i].name;
                let ok = super::key_bits_fields(i);
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

fn list_setting(cx: &mut Ctx, path: &[Seg], v: &Value, k: SettingKey, profile: &mut Profile) {
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
        if let Some(first) = seen.insert(name.to_ascii_uppercase(), i) {
            cx.at(
                p,
                Code::InvalidList,
                format!("{} is listed twice (first at [{first}])", quote(name)),
            );
            ok = false;
        } else if name.is_empty()
            || name
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == ',')
        {
            cx.at(
                p,
                Code::InvalidList,
                format!(
                    "{} cannot be an entry: names have no spaces, commas or control characters",
                    quote(name)
                ),
            );
            ok = false;
        } else if suites && name.contains('-') {
            cx.at(p, Code::InvalidList, format!(
                "{} looks like an OpenSSL name; Windows uses IANA names such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", quote(name)
            ));
            ok = false;
        } else if suites && !catalog::is_known_suite(name) {
            let hint = did_you_mean(name, catalog::CIPHER_SUITES.iter().copied())
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
            && !catalog::ECC_CURVES
                .iter()
                .any(|c| c.eq_ignore_ascii_case(name))
        {
            let hint = did_you_mean(name, catalog::ECC_CURVES.iter().copied())
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
fn per_entry(
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

fn dotnet(cx: &mut Ctx, path: &[Seg], v: &Value, profile: &mut Profile) {
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
                let v = match s.as_str() {
                    "v4.0.30319" | "v4" | "4" => DotNetVersion::V4,
                    "v2.0.50727" | "v2" | "2" => DotNetVersion::V2,
                    _ => {
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

fn winhttp(cx: &mut Ctx, path: &[Seg], v: &Value, profile: &mut Profile) {
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
            let Some(i) = cx.name(&ip, NameKind::Protocol, &s) else {
                return;
            };
            if PROTOCOLS[i].winhttp_bit.is_none() {
                cx.at(&ip, Code::InvalidList, format!("WinHTTP has no flag for {}; it knows SSL 2.0, SSL 3.0 and TLS 1.0 to TLS 1.3", PROTOCOLS[i].name));
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

fn schannel(cx: &mut Ctx, path: &[Seg], v: &Value, profile: &mut Profile) {
    let allowed: Vec<&str> = SCALARS.iter().map(|s| s.field).collect();
    let Some(f) = cx.fields(path, v, &allowed, "a mapping of SCHANNEL values") else {
        return;
    };
    for (i, sc) in SCALARS.iter().enumerate() {
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

fn raw(cx: &mut Ctx, path: &[Seg], v: &Value, profile: &mut Profile) {
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

const RAW_TYPES: &[&str] = &[
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

/// Hex bytes separated by nothing, spaces or commas (`deadbeef`, `de ad`, `de,ad`).
fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let digits: Vec<char> = s
        .chars()
        .filter(|c| !matches!(c, ' ' | ',' | '\t' | '\n' | '\r'))
        .collect();
    if digits.len() % 2 != 0 {
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
    }
}
