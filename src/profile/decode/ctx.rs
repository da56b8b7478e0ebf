//! The decoding context: the file, its position index and the diagnostics, with the typed
//! readers every section uses (mappings, fields, states, numbers, catalogue names).

use super::traps;
use crate::catalog::{did_you_mean, find, Found, NameKind};
use crate::diag::{quote, Code, Diagnostic, Diagnostics};
use crate::profile::Origin;
use crate::setting::{Setting, State};
use crate::yamlpos::{Path, PosIndex, Seg};
use serde_yaml::Value;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

pub(super) struct Ctx<'a> {
    pub(super) file: &'a str,
    pub(super) src: &'a str,
    /// Byte offset where each line starts, so a line's text is found without a scan.
    pub(super) line_starts: Vec<usize>,
    pub(super) idx: PosIndex,
    pub(super) diags: &'a mut Diagnostics,
    /// The lines handed out so far by [`Ctx::line_text`].
    pub(super) lines: RefCell<HashMap<usize, Arc<str>>>,
}

pub(super) fn with(path: &[Seg], seg: Seg) -> Path {
    let mut p = path.to_vec();
    p.push(seg);
    p
}

/// What kind of YAML value this is, for messages.
pub(super) fn kind(v: &Value) -> &'static str {
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
pub(super) fn key_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Ctx<'_> {
    pub(super) fn origin(&self, path: &[Seg], at_key: bool) -> Origin {
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

    /// The text of a 1-based line, without its line end; one shared copy per line, however
    /// many settings and diagnostics point into it (a 700 KB one-line list of 100,000 items
    /// once made 100,000 copies).
    pub(super) fn line_text(&self, line: usize) -> Option<Arc<str>> {
        if let Some(t) = self.lines.borrow().get(&line) {
            return Some(t.clone());
        }
        let start = *self.line_starts.get(line.checked_sub(1)?)?;
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.src.len());
        let text: Arc<str> = Arc::from(self.src[start..end].trim_end_matches(['\n', '\r']));
        self.lines.borrow_mut().insert(line, text.clone());
        Some(text)
    }

    /// A diagnostic at the value (or, `at_key`, the key) at `path`.
    pub(super) fn report(&mut self, path: &[Seg], at_key: bool, code: Code, msg: String) {
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
    pub(super) fn at(&mut self, path: &[Seg], code: Code, msg: String) {
        self.report(path, false, code, msg);
    }

    /// A diagnostic at the key at `path`.
    pub(super) fn at_key(&mut self, path: &[Seg], code: Code, msg: String) {
        self.report(path, true, code, msg);
    }

    pub(super) fn wrong_type(&mut self, path: &[Seg], what: &str, v: &Value) {
        let field = field_name(path);
        self.at(
            path,
            Code::WrongType,
            format!("{field} must be {what}, not {}", kind(v)),
        );
    }

    /// The entries of a mapping with their text keys; reports non-text keys.
    pub(super) fn entries<'v>(
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
            if k.is_number() || k.is_bool() {
                // Never renamed: `0x10` would become "16", `TRUE` "true".
                let field = field_name(path);
                let (shown, read) = (key_text(k).unwrap_or_default(), kind(k));
                match self.idx.retyped_key(path, k) {
                    Some((text, at)) => {
                        let msg = format!("{field} has the key {text}, which YAML reads as {read} ({shown}), not as text; quote it: {}", quote(text));
                        let mut d = Diagnostic::new(Code::UnquotedName, msg, self.file, None, at);
                        d.source_line = self.line_text(at.line);
                        self.diags.push(d);
                    }
                    None => self.at(
                        path,
                        Code::UnquotedName,
                        format!("{field} has a key that YAML reads as {read} ({shown}), not as text; quote it"),
                    ),
                }
                continue;
            }
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
    pub(super) fn fields<'v>(
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

    pub(super) fn string(&mut self, path: &[Seg], v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.wrong_type(path, "text", v);
                None
            }
        }
    }

    pub(super) fn string_list(&mut self, path: &[Seg], v: &Value) -> Option<Vec<(String, Path)>> {
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

    pub(super) fn is_os_default(v: &Value) -> bool {
        matches!(v, Value::String(s) if s == "os-default")
    }

    pub(super) fn state(&mut self, path: &[Seg], v: &Value) -> Option<Setting> {
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

    pub(super) fn u32_in(&mut self, path: &[Seg], v: &Value, lo: u32, hi: u32) -> Option<u32> {
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

    pub(super) fn bool(&mut self, path: &[Seg], v: &Value) -> Option<bool> {
        match v {
            Value::Bool(b) => Some(*b),
            other => {
                self.wrong_type(path, "true or false", other);
                None
            }
        }
    }

    /// Looks up a catalogue name, explaining the known traps when it is not one.
    pub(super) fn name(&mut self, path: &[Seg], kind: NameKind, typed: &str) -> Option<Found> {
        match find(kind, typed) {
            Ok(found) => Some(found),
            Err(suggestion) => {
                let noun = kind.noun();
                let msg = if let Some(m) = traps::unknown_name(kind, typed) {
                    m
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
pub(super) fn field_name(path: &[Seg]) -> String {
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
