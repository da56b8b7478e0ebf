//! `tlsreg lint`: the known traps of hand-made `.reg` files, each with a stable code, its
//! place and the fix (codes in [`crate::regfile::CODES`]).

use crate::catalog::{self, CIPHERS, TLS13_MIN_BUILD};
use crate::keypath::fold;
use crate::regfile::{Item, Located, RegDiag, RegFile, Severity};
use std::collections::HashMap;

/// What the file is meant for.
#[derive(Debug, Clone, Copy, Default)]
pub struct LintOptions {
    /// The oldest Windows build the file will be imported on.
    pub os_build: Option<u32>,
}

fn warn(code: &'static str, line: usize, col: usize, message: String) -> RegDiag {
    RegDiag {
        severity: Severity::Warning,
        code,
        line,
        col,
        message,
    }
}

/// The column (1-based) where `component` (the n-th backslash-separated part) starts in a
/// key line whose path starts at `col`.
fn component_col(path: &str, n: usize, col: usize) -> usize {
    col + path
        .split('\\')
        .take(n)
        .map(|c| c.chars().count() + 1)
        .sum::<usize>()
}

/// Position of SCHANNEL's subkey kind (`Ciphers`, `Protocols`, ...) in a path's components.
fn schannel_part(parts: &[&str]) -> Option<usize> {
    parts
        .iter()
        .position(|p| p.eq_ignore_ascii_case("SCHANNEL"))
        .filter(|i| *i >= 1 && parts[i - 1].eq_ignore_ascii_case("SecurityProviders"))
}

/// Every trap in a parsed file (the reader's own warnings are in `file.diagnostics`).
pub fn lint(file: &RegFile, opts: LintOptions) -> Vec<RegDiag> {
    let mut out = Vec::new();
    let mut ccs_lines: Vec<(usize, usize, bool)> = Vec::new();
    for l in &file.items {
        let (path, col) = match &l.item {
            Item::Key { path } | Item::DeleteKey { path } => (
                path,
                l.col + 1 + matches!(l.item, Item::DeleteKey { .. }) as usize,
            ),
            Item::Value { .. } => continue,
        };
        let parts: Vec<&str> = path.split('\\').collect();
        if parts.len() > 2 && parts[1].eq_ignore_ascii_case("SYSTEM") {
            let cs = parts[2];
            if cs.eq_ignore_ascii_case("CurrentControlSet") {
                ccs_lines.push((l.line, component_col(path, 2, col), true));
            } else if cs.len() == 13
                && cs
                    .get(..10)
                    .is_some_and(|h| h.eq_ignore_ascii_case("ControlSet"))
                && cs[10..].chars().all(|c| c.is_ascii_digit())
            {
                ccs_lines.push((l.line, component_col(path, 2, col), false));
            }
        }
        let Some(s) = schannel_part(&parts) else {
            continue;
        };
        let (Some(kind), Some(name)) = (parts.get(s + 1), parts.get(s + 2)) else {
            continue;
        };
        let name_col = component_col(path, s + 2, col);
        if kind.eq_ignore_ascii_case("Ciphers") {
            if let Some(c) = name
                .chars()
                .find(|c| matches!(c, '\u{2215}' | '\u{2044}' | '\u{ff0f}' | '\u{29f8}'))
            {
                let fixed: String = name.chars().map(|x| if x == c { '/' } else { x }).collect();
                out.push(warn("lookalike-slash", l.line, name_col, format!("\"{name}\" has the look-alike slash U+{:04X}; Schannel ignores this key: write \"{fixed}\"", c as u32)));
            } else if fold(name) == fold("Triple DES 168/168")
                && opts.os_build.is_none_or(|b| b >= 6000)
            {
                out.push(warn("triple-des-168-168", l.line, name_col, "\"Triple DES 168/168\" is the name before Windows Vista; Vista and later read \"Triple DES 168\"".into()));
            } else if let Some(sub) = parts.get(s + 3) {
                if let Some(c) = CIPHERS.iter().find(|c| {
                    c.name
                        .split_once('/')
                        .is_some_and(|(h, t)| fold(h) == fold(name) && fold(t) == fold(sub))
                }) {
                    out.push(warn("nested-cipher-key", l.line, name_col, format!("\"{name}\\{sub}\" is two nested keys (what New-Item makes of \"{}\"); Schannel reads only the one key \"{}\"", c.name, c.name)));
                }
            }
        } else if kind.eq_ignore_ascii_case("Protocols") {
            let norm = catalog::normalize(name);
            if norm == "dtls1.1" || norm == "dtls1.3" {
                out.push(warn(
                    "dtls-version",
                    l.line,
                    name_col,
                    format!(
                        "Windows has no \"{name}\"; its DTLS versions are DTLS 1.0 and DTLS 1.2"
                    ),
                ));
            } else if norm == "tls1.3" && !matches!(l.item, Item::DeleteKey { .. }) {
                if let Some(b) = opts.os_build.filter(|b| *b < TLS13_MIN_BUILD) {
                    out.push(warn("tls13-below-20348", l.line, name_col, format!("a TLS 1.3 key for build {b}: Schannel has TLS 1.3 only from build {TLS13_MIN_BUILD}; on Server 2019 an enabled TLS 1.3 resets connections")));
                }
            }
        }
    }
    // CurrentControlSet and ControlSet00N: one file, one convention; a live import wants the former.
    let (ccs, numbered): (Vec<_>, Vec<_>) = ccs_lines.iter().partition(|(_, _, c)| *c);
    if let Some((line, col, _)) = numbered.first() {
        let message = if ccs.is_empty() {
            "ControlSet00N is not necessarily the control set a running Windows uses; for regedit on a live system write CurrentControlSet (tlsreg compile --control-set writes ControlSet00N for offline hives)".to_string()
        } else {
            format!("this file mixes CurrentControlSet (line {}) and ControlSet00N; on a live system only CurrentControlSet is certain to be the one in use", ccs[0].0)
        };
        out.push(warn("control-set-mix", *line, *col, message));
    }
    values(file, &mut out);
    out.sort_by_key(|d| (d.line, d.col));
    out
}

fn dword(data: &Option<(u32, Vec<u8>)>) -> Option<u32> {
    match data {
        Some((4, b)) if b.len() == 4 => Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        _ => None,
    }
}

/// Value traps, and values named twice in one block.
fn values(file: &RegFile, out: &mut Vec<RegDiag>) {
    let mut block: HashMap<String, (usize, bool)> = HashMap::new();
    for Located { line, col, item } in &file.items {
        match item {
            Item::Key { .. } | Item::DeleteKey { .. } => block.clear(),
            Item::Value { key, name, data } => {
                let id = fold(name);
                let shown = if name.is_empty() {
                    "@".to_string()
                } else {
                    format!("\"{name}\"")
                };
                match (block.get(&id), data) {
                    (Some((first, true)), Some(_)) => out.push(warn("value-twice", *line, *col, format!("{shown} is set again in this block (first on line {first}); regedit keeps the last, hivex keeps both: set it once"))),
                    (Some((first, true)), None) => out.push(warn("set-and-delete", *line, *col, format!("{shown} is set on line {first} and deleted here in one block; regedit deletes it, hivex keeps it: put the deletion in its own block or drop one"))),
                    _ => {}
                }
                block.insert(id, (*line, data.is_some()));
                let parts: Vec<&str> = key.split('\\').collect();
                if name.eq_ignore_ascii_case("Enabled")
                    && schannel_part(&parts).is_some()
                    && dword(data) == Some(0xffff_ffff)
                {
                    out.push(warn("enabled-ffffffff", *line, *col, "Enabled=dword:ffffffff works as enabled, but Microsoft's documentation asks for 1 and Exchange HealthChecker flags it: write dword:00000001".into()));
                }
                if name.eq_ignore_ascii_case("Functions")
                    && fold(key) == fold(catalog::SSL_POLICY)
                    && matches!(data, Some((t, _)) if *t != 1)
                {
                    out.push(warn("functions-multi-sz", *line, *col, format!("the policy Functions is {}; Windows reads it only as a REG_SZ comma-separated list (\"Functions\"=\"TLS_...,TLS_...\")", crate::regfile::describe_type(data.as_ref().map_or(0, |d| d.0)))));
                }
            }
        }
    }
}
