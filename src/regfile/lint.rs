//! `tlsreg lint`: the known traps of hand-made `.reg` files, each with a stable code, its
//! place and the fix (codes in [`crate::regfile::CODES`]). The facts are
//! [`crate::catalog::traps`] (shared with profile validation and the audit); this file
//! finds them in a `.reg` file's keys and values and words them for it.

use super::{describe_type, Header, Item, Located, RegFile};
use crate::catalog::traps::{self, NameTrap};
use crate::catalog::{self, NameKind, TLS13_MIN_BUILD};
use crate::diag::{Code, Diagnostic};
use crate::keypath::{
    fold, is_current_control_set, same_name, strip_key_prefix, SOFTWARE_ROOT, SYSTEM_ROOT,
};
use crate::yamlpos::Pos;
use std::collections::{BTreeSet, HashMap, HashSet};

/// What the file is meant for.
#[derive(Debug, Clone, Copy, Default)]
pub struct LintOptions {
    /// The oldest Windows build the file will be imported on.
    pub os_build: Option<u32>,
    /// The newest, when the file is for a range of builds (`os_build` to this); `None`:
    /// for `os_build` alone.
    pub max_build: Option<u32>,
    /// The importer the file is for (by default recognised from the file).
    pub flavor: Flavor,
}

/// The importer a `.reg` file is for. It decides two things: which control-set names are
/// right (`control-set-mix`) and whether `hex(1)`/`hex(2)`/`hex(7)` data outside UTF-16LE
/// is a trap (`ansi-hex-string`, a regedit behaviour: hivex stores the bytes as written).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Flavor {
    /// [`Flavor::Hivex`] for a file of the form [`looks_hivex`] describes, what
    /// `tlsreg compile --flavor hivex` writes; [`Flavor::Regedit`] for any other.
    #[default]
    Auto,
    /// regedit or `reg import` on a running Windows, where `CurrentControlSet` is the control
    /// set in use and `ControlSet00N` need not be.
    Regedit,
    /// `hivexregedit --merge` or `virt-win-reg --merge` into an offline hive, which has no
    /// `CurrentControlSet` (Windows makes it at boot): `ControlSet00N` is right there.
    Hivex,
}

impl Flavor {
    /// The flavour `file` is linted as: [`Flavor::Auto`] decided by [`looks_hivex`], the
    /// others as they are.
    pub fn of(self, file: &RegFile) -> Flavor {
        match self {
            Flavor::Auto if looks_hivex(file) => Flavor::Hivex,
            Flavor::Auto => Flavor::Regedit,
            f => f,
        }
    }
}

/// Whether `file` has the form of tlsreg's hivex flavour
/// ([`crate::emit::reg::to_hivex`]), all of: the 5.00 header in UTF-8 without a BOM; LF
/// line ends only; at least one key, every key below one hive, `HKEY_LOCAL_MACHINE\SYSTEM`
/// or `HKEY_LOCAL_MACHINE\SOFTWARE`; no `CurrentControlSet`; and every `[KEY]` below the
/// hive's top level preceded by a `[KEY]` line of its parent. A `.reg` for regedit on a
/// live system is UTF-16LE when regedit wrote it, CRLF when Notepad did, and lists the
/// keys that hold values, not each of their parents from the hive's root down: so a file
/// for a live system that writes `ControlSet00N` does not look like this and is still
/// flagged (`--flavor regedit` insists).
pub fn looks_hivex(file: &RegFile) -> bool {
    if file.header != Header::V5 || file.encoding != "UTF-8" || file.bom || file.text.contains('\r')
    {
        return false;
    }
    let mut hive = None;
    let mut listed: HashSet<String> = HashSet::new();
    let mut keys = 0;
    for l in &file.items {
        let (path, opens) = match &l.item {
            Item::Key { path } => (path, true),
            Item::DeleteKey { path } => (path, false),
            Item::Value { .. } => continue,
        };
        let Some(root) = [SYSTEM_ROOT, SOFTWARE_ROOT]
            .into_iter()
            .find(|r| strip_key_prefix(path, r).is_some_and(|rest| !rest.is_empty()))
        else {
            return false;
        };
        if hive.is_some_and(|h| h != root) {
            return false;
        }
        hive = Some(root);
        let parts: Vec<&str> = path.split('\\').collect();
        if parts.iter().any(|c| is_current_control_set(c)) {
            return false;
        }
        if opens {
            let parent = &parts[..parts.len() - 1];
            if parent.len() > 2 && !listed.contains(&fold(&parent.join("\\"))) {
                return false;
            }
            listed.insert(fold(path));
        }
        keys += 1;
    }
    keys > 0
}

/// `tlsreg lint --allow` and `--deny`: codes whose findings are left out, and codes whose
/// findings are errors. A code given to both is denied: what a CI job denies cannot be
/// allowed away by a setting elsewhere, and the order of the options does not matter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodeLevels {
    /// Left out: neither shown nor counted.
    pub allow: BTreeSet<Code>,
    /// Made errors (an error stays one).
    pub deny: BTreeSet<Code>,
}

impl CodeLevels {
    /// The findings as these levels make them: allowed codes dropped (unless denied too),
    /// denied ones raised to errors, the order kept.
    pub fn apply(&self, diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
        diags
            .into_iter()
            .filter_map(|d| {
                if self.deny.contains(&d.code) {
                    Some(d.raise())
                } else if self.allow.contains(&d.code) {
                    None
                } else {
                    Some(d)
                }
            })
            .collect()
    }
}

/// A name given to `--allow` or `--deny` that is not a `.reg` code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no .reg lint code is called \"{name}\"{}", suggestion.map(|s| format!("; did you mean \"{s}\"?")).unwrap_or_default())]
pub struct UnknownCode {
    /// The name as given.
    pub name: String,
    /// The closest `.reg` code, when one is close enough to be a likely typo.
    pub suggestion: Option<&'static str>,
}

/// The `.reg` reader or lint code named `name` (as messages show it, ASCII case ignored).
pub fn lint_code(name: &str) -> Result<Code, UnknownCode> {
    Code::REG
        .into_iter()
        .find(|c| c.as_str().eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| UnknownCode {
            name: name.to_string(),
            suggestion: catalog::did_you_mean(name, Code::REG.iter().map(|c| c.as_str())),
        })
}

fn warn(code: Code, line: usize, col: usize, message: String) -> Diagnostic {
    Diagnostic::new(code, message, "", None, Pos { line, col, len: 1 })
}

/// The reader's diagnostics and the traps, in line and column order: all `tlsreg lint`
/// reports for a file (before [`CodeLevels`]). A file for hivex ([`Flavor`]) has no
/// `ansi-hex-string`.
pub fn check(file: &RegFile, opts: LintOptions) -> Vec<Diagnostic> {
    let hivex = opts.flavor.of(file) == Flavor::Hivex;
    // hivex stores hex(N) bytes as written, whatever the file's encoding.
    let mut diags: Vec<Diagnostic> = file
        .diagnostics
        .iter()
        .filter(|d| !(hivex && d.code == Code::AnsiHexString))
        .cloned()
        .collect();
    diags.extend(lint(file, opts));
    diags.sort_by_key(|d| (d.line, d.col));
    diags
}

// ---------------------------------------------------------------------------------------
// The traps, one function each.

/// A TLS 1.3 key for a build without TLS 1.3: that build.
fn tls13_below(protocol: &str, os_build: Option<u32>) -> Option<u32> {
    let Ok(catalog::Found::Protocol(id)) = catalog::find(NameKind::Protocol, protocol) else {
        return None;
    };
    os_build.filter(|b| traps::protocol_too_new(id, *b))
}

/// `Enabled=0xffffffff` in a SCHANNEL key.
fn enabled_ffffffff(key: &str, name: &str, data: &Option<(u32, Vec<u8>)>) -> bool {
    let parts: Vec<&str> = key.split('\\').collect();
    name.eq_ignore_ascii_case(catalog::ENABLED)
        && schannel_part(&parts).is_some()
        && data.as_ref().and_then(|(t, b)| crate::value::dword(*t, b))
            == Some(traps::ENABLED_ALL_ONES)
}

/// The SSL policy's `Functions` written as anything but REG_SZ: the type written.
fn functions_not_sz(key: &str, name: &str, data: &Option<(u32, Vec<u8>)>) -> Option<u32> {
    match data {
        Some((t, _))
            if *t != traps::POLICY_FUNCTIONS_TYPE
                && name.eq_ignore_ascii_case(catalog::FUNCTIONS)
                && same_name(key, catalog::SSL_POLICY) =>
        {
            Some(*t)
        }
        _ => None,
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
pub fn lint(file: &RegFile, opts: LintOptions) -> Vec<Diagnostic> {
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
            if is_current_control_set(cs) {
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
            if let Some(c) = traps::lookalike_slash(name) {
                let fixed: String = name.chars().map(|x| if x == c { '/' } else { x }).collect();
                out.push(warn(Code::LookalikeSlash, l.line, name_col, format!("\"{name}\" has the look-alike slash U+{:04X}; Schannel ignores this key: write \"{fixed}\"", c as u32)));
            } else if traps::name_trap(NameKind::Cipher, name, opts.os_build)
                == Some(NameTrap::PreVistaTripleDes)
            {
                out.push(warn(Code::TripleDes168168, l.line, name_col, "\"Triple DES 168/168\" is the name before Windows Vista; Vista and later read \"Triple DES 168\"".into()));
            } else if let Some(sub) = parts.get(s + 3) {
                if let Some(c) = traps::nested_cipher(name, sub) {
                    out.push(warn(Code::NestedCipherKey, l.line, name_col, format!("\"{name}\\{sub}\" is two nested keys (what New-Item makes of \"{c}\"); Schannel reads only the one key \"{c}\"")));
                }
            }
        } else if kind.eq_ignore_ascii_case("Protocols") {
            if traps::is_missing_dtls(name) {
                out.push(warn(
                    Code::DtlsVersion,
                    l.line,
                    name_col,
                    format!(
                        "Windows has no \"{name}\"; its DTLS versions are DTLS 1.0 and DTLS 1.2"
                    ),
                ));
            } else if !matches!(l.item, Item::DeleteKey { .. }) {
                if let Some(b) = tls13_below(name, opts.os_build) {
                    out.push(warn(Code::RegTls13Below20348, l.line, name_col, format!("a TLS 1.3 key for build {b}: Schannel has TLS 1.3 only from build {TLS13_MIN_BUILD}; on Server 2019 an enabled TLS 1.3 resets connections")));
                }
            }
        }
    }
    // CurrentControlSet and ControlSet00N: one file, one convention; a live import wants the
    // former, an offline hive (hivex) has only the latter.
    let (ccs, numbered): (Vec<&(usize, usize, bool)>, Vec<_>) =
        ccs_lines.iter().partition(|(_, _, c)| *c);
    let hivex = opts.flavor.of(file) == Flavor::Hivex;
    match (ccs.first(), numbered.first()) {
        (Some((first, ..)), Some((line, col, _))) => out.push(warn(Code::ControlSetMix, *line, *col, format!("this file mixes CurrentControlSet (line {first}) and ControlSet00N; on a live system only CurrentControlSet is certain to be the one in use"))),
        (None, Some((line, col, _))) if !hivex => out.push(warn(Code::ControlSetMix, *line, *col, "ControlSet00N is not necessarily the control set a running Windows uses; for regedit on a live system write CurrentControlSet (tlsreg compile --control-set writes ControlSet00N for offline hives)".to_string())),
        (Some((line, col, _)), None) if hivex => out.push(warn(Code::ControlSetMix, *line, *col, "an offline hive has no CurrentControlSet (Windows makes it at boot): hivexregedit would write a key of that name that Windows never reads; write ControlSet00N, N from the hive's SYSTEM\\Select\\Current (tlsreg compile --flavor hivex --control-set N)".to_string())),
        _ => {}
    }
    values(file, &mut out);
    if let Some(b) = opts.os_build {
        unknown_on_build(file, b, opts.max_build.unwrap_or(b).max(b), &mut out);
    }
    out.sort_by_key(|d| (d.line, d.col));
    out
}

/// Names in the SSL policy's `Functions` (REG_SZ) or `EccCurves` (REG_MULTI_SZ) that
/// Microsoft's table for a build from `build` to `max` does not list.
fn unknown_on_build(file: &RegFile, build: u32, max: u32, out: &mut Vec<Diagnostic>) {
    use crate::catalog::suite_builds::unknown_from;
    for Located { line, col, item } in &file.items {
        let Item::Value {
            key,
            name,
            data: Some((t, bytes)),
        } = item
        else {
            continue;
        };
        if !same_name(key, catalog::SSL_POLICY) {
            continue;
        }
        let names: Vec<String> = if same_name(name, catalog::FUNCTIONS) {
            crate::value::read_text(*t, bytes)
                .map(|s| s.split(',').map(|n| n.trim().to_string()).collect())
                .unwrap_or_default()
        } else if same_name(name, catalog::ECC_CURVES_VALUE) {
            if *t == 7 {
                crate::value::read_multi_sz(bytes)
            } else {
                Vec::new()
            }
        } else {
            continue;
        };
        let unknown: Vec<&str> = names
            .iter()
            .map(String::as_str)
            .filter(|n| !n.is_empty())
            .filter(|n| !unknown_from(n, build, Some(max)).is_empty())
            .collect();
        let builds = if max == build {
            format!("build {build}")
        } else {
            // The first build of the range whose table lacks a name.
            let first = unknown
                .iter()
                .filter_map(|n| unknown_from(n, build, Some(max)).first().map(|(b, _)| *b))
                .min()
                .unwrap_or(build);
            format!("a build from {build} to {max} (first {first})")
        };
        if !unknown.is_empty() {
            out.push(warn(
                Code::RegUnknownOnBuild,
                *line,
                *col,
                format!(
                    "{} not in Microsoft's table for {builds}: that Windows does not know {}",
                    if unknown.len() == 1 {
                        format!("{} is", unknown[0])
                    } else {
                        format!("{} are", unknown.join(", "))
                    },
                    if unknown.len() == 1 { "it" } else { "them" }
                ),
            ));
        }
    }
}

/// Value traps, and values named twice in one block.
fn values(file: &RegFile, out: &mut Vec<Diagnostic>) {
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
                    (Some((first, true)), Some(_)) => out.push(warn(Code::ValueTwice, *line, *col, format!("{shown} is set again in this block (first on line {first}); regedit keeps the last, hivex keeps both: set it once"))),
                    (Some((first, true)), None) => out.push(warn(Code::SetAndDelete, *line, *col, format!("{shown} is set on line {first} and deleted here in one block; regedit deletes it, hivex keeps it: put the deletion in its own block or drop one"))),
                    _ => {}
                }
                block.insert(id, (*line, data.is_some()));
                if enabled_ffffffff(key, name, data) {
                    out.push(warn(Code::EnabledFfffffff, *line, *col, "Enabled=dword:ffffffff works as enabled, but Microsoft's documentation asks for 1 and Exchange HealthChecker flags it: write dword:00000001".into()));
                }
                if let Some(t) = functions_not_sz(key, name, data) {
                    out.push(warn(Code::FunctionsMultiSz, *line, *col, format!("the policy Functions is {}; Windows reads it only as a REG_SZ comma-separated list (\"Functions\"=\"TLS_...,TLS_...\")", describe_type(t))));
                }
            }
        }
    }
}
