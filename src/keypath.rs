//! Registry key paths: the predefined roots, the hives tlsreg reads, control-set resolution
//! both ways (`CurrentControlSet` <-> `ControlSet00N`), the nesting limit, canonical key
//! paths, and the one name comparison the registry uses.

/// `HKEY_LOCAL_MACHINE`, the only root tlsreg reads from hives.
pub const HKLM: &str = "HKEY_LOCAL_MACHINE";
/// The root the SYSTEM hive is loaded under.
pub const SYSTEM_ROOT: &str = r"HKEY_LOCAL_MACHINE\SYSTEM";
/// The root the SOFTWARE hive is loaded under.
pub const SOFTWARE_ROOT: &str = r"HKEY_LOCAL_MACHINE\SOFTWARE";
/// The alias a running Windows gives its current control set.
pub const CURRENT_CONTROL_SET: &str = "CurrentControlSet";
/// The key of the SYSTEM hive that names the control sets (`Current`, `Default`,
/// `LastKnownGood`).
pub const SELECT: &str = "Select";
/// Deepest key nesting any reader or writer of tlsreg follows; the registry allows 512
/// levels.
pub const MAX_DEPTH: usize = 512;

/// The predefined roots a `.reg` file can name, with their abbreviations.
pub const ROOTS: &[(&str, &str)] = &[
    ("HKEY_LOCAL_MACHINE", "HKLM"),
    ("HKEY_CURRENT_USER", "HKCU"),
    ("HKEY_USERS", "HKU"),
    ("HKEY_CLASSES_ROOT", "HKCR"),
    ("HKEY_CURRENT_CONFIG", "HKCC"),
];

/// Why a key path or value name cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The path is the empty string.
    #[error("the key path is empty")]
    Empty,
    /// The first component is none of [`ROOTS`], long or abbreviated; holds that component.
    #[error("the key path must start with one of HKEY_LOCAL_MACHINE (HKLM), HKEY_CURRENT_USER (HKCU), HKEY_USERS (HKU), HKEY_CLASSES_ROOT (HKCR) or HKEY_CURRENT_CONFIG (HKCC), not \"{0}\"")]
    UnknownRoot(String),
    /// The path is a root and nothing below it; holds the root spelled out.
    #[error("the key path names only the root {0}; name a key below it")]
    RootOnly(String),
    /// Two backslashes in a row, or a trailing backslash.
    #[error("the key path has an empty component (two backslashes in a row, or one at the end)")]
    EmptyComponent,
    /// A key name with leading or trailing white space; holds the key name.
    #[error("key name \"{0}\" starts or ends with white space, which .reg parsers trim")]
    Whitespace(String),
    /// A control character in a key name (any), or NUL, CR or LF in a value name.
    #[error("{what} contains the control character U+{code:04X}, which a .reg file cannot carry")]
    Control {
        /// What holds the character: `"a key name"` or `"the value name"`.
        what: &'static str,
        /// The character's code point.
        code: u32,
    },
    /// A key name over 255 UTF-16 code units; holds the key name.
    #[error("key name \"{0}\" is longer than 255 characters, the registry's limit")]
    KeyTooLong(String),
    /// A value name over 16383 UTF-16 code units.
    #[error("value name is longer than 16383 characters, the registry's limit")]
    ValueNameTooLong,
    /// The path has more than [`MAX_DEPTH`] components, its root included.
    #[error("the key path is deeper than {MAX_DEPTH} levels, the registry's limit")]
    TooDeep,
}

/// Checks a full key path and returns it with its root spelled out
/// (`HKLM\Software\X` becomes `HKEY_LOCAL_MACHINE\Software\X`).
pub fn canonical_key(path: &str) -> Result<String, NameError> {
    if path.is_empty() {
        return Err(NameError::Empty);
    }
    let mut parts = path.split('\\');
    let root = parts.next().unwrap_or_default();
    let full = ROOTS
        .iter()
        .find(|(long, short)| root.eq_ignore_ascii_case(long) || root.eq_ignore_ascii_case(short))
        .map(|(long, _)| *long)
        .ok_or_else(|| NameError::UnknownRoot(root.to_string()))?;
    let rest: Vec<&str> = parts.collect();
    if rest.is_empty() {
        return Err(NameError::RootOnly(full.to_string()));
    }
    if rest.len() + 1 > MAX_DEPTH {
        return Err(NameError::TooDeep);
    }
    for comp in &rest {
        check_key_component(comp)?;
    }
    Ok(format!("{full}\\{}", rest.join("\\")))
}

/// Checks one key name (no backslashes by construction).
pub fn check_key_component(comp: &str) -> Result<(), NameError> {
    if comp.is_empty() {
        return Err(NameError::EmptyComponent);
    }
    if comp.trim() != comp {
        return Err(NameError::Whitespace(comp.to_string()));
    }
    if let Some(c) = comp.chars().find(|c| c.is_control()) {
        return Err(NameError::Control {
            what: "a key name",
            code: c as u32,
        });
    }
    if comp.encode_utf16().count() > 255 {
        return Err(NameError::KeyTooLong(comp.to_string()));
    }
    Ok(())
}

/// Checks a value name (`""` is the default value).
pub fn check_value_name(name: &str) -> Result<(), NameError> {
    if let Some(c) = name.chars().find(|c| matches!(c, '\0' | '\r' | '\n')) {
        return Err(NameError::Control {
            what: "the value name",
            code: c as u32,
        });
    }
    if name.encode_utf16().count() > 16383 {
        return Err(NameError::ValueNameTooLong);
    }
    Ok(())
}

/// Case-insensitive identity of a key path or value name, as the registry compares them:
/// one UTF-16 code unit at a time, with the simple upper-case mapping. A character whose
/// upper case is several characters (`ß` → `SS`, `ﬁ` → `FI`) or lies outside the BMP stays
/// as it is, and so does every character outside the BMP (a surrogate pair is two units
/// with no case), so `Straße` and `STRASSE` are two names, as in Windows, hivex and Wine.
pub fn fold(s: &str) -> String {
    if s.is_ascii() {
        // The common case, and the same result: ASCII letters have simple upper cases.
        return s.to_ascii_uppercase();
    }
    s.chars().map(upcase_unit).collect()
}

/// The simple upper case of one BMP character, or the character itself.
fn upcase_unit(c: char) -> char {
    if u32::from(c) > 0xFFFF {
        return c;
    }
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) if u32::from(u) <= 0xFFFF => u,
        _ => c,
    }
}

/// Whether two key or value names are the same name to the registry.
pub fn same_name(a: &str, b: &str) -> bool {
    fold(a) == fold(b)
}

/// The key of `keys` (folded full paths, as [`fold`] gives them) that `key` is or is below,
/// if any. It walks the ancestors of `key`, so the cost is `key`'s depth, not `keys`' size.
pub fn covering(keys: &std::collections::HashSet<String>, key: &str) -> Option<String> {
    let folded = fold(key);
    let mut at = folded.as_str();
    loop {
        if keys.contains(at) {
            return Some(at.to_string());
        }
        at = &at[..at.rfind('\\')?];
    }
}

/// `ControlSet00N`.
pub fn control_set_name(n: u32) -> String {
    format!("ControlSet{n:03}")
}

/// Whether a key name is the `CurrentControlSet` alias.
pub fn is_current_control_set(component: &str) -> bool {
    component.eq_ignore_ascii_case(CURRENT_CONTROL_SET)
}

/// `path` less `prefix` when `path` is `prefix` or below it (ASCII case folded, whole
/// components only): `Some("")` for `prefix` itself, `Some("\\X")` for a key below it.
pub fn strip_key_prefix<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let head = path.get(..prefix.len())?;
    let rest = &path[prefix.len()..];
    (head.eq_ignore_ascii_case(prefix) && (rest.is_empty() || rest.starts_with('\\')))
        .then_some(rest)
}

/// A path relative to the SYSTEM hive's root with a leading `CurrentControlSet` resolved to
/// `ControlSet00N` (`CurrentControlSet\Control` -> `ControlSet001\Control`).
pub fn resolve_relative(rel: &str, n: u32) -> String {
    match rel.split_once('\\') {
        Some((first, rest)) if is_current_control_set(first) => {
            format!(r"{}\{rest}", control_set_name(n))
        }
        None if is_current_control_set(rel) => control_set_name(n),
        _ => rel.to_string(),
    }
}

/// `HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\X` -> `HKEY_LOCAL_MACHINE\SYSTEM\ControlSet00N\X`;
/// any other path is returned as it is.
pub fn resolve(key: &str, n: u32) -> String {
    let parts: Vec<&str> = key.split('\\').collect();
    if parts.len() >= 3
        && parts[0].eq_ignore_ascii_case(HKLM)
        && parts[1].eq_ignore_ascii_case("SYSTEM")
        && is_current_control_set(parts[2])
    {
        let mut out = vec![
            parts[0].to_string(),
            parts[1].to_string(),
            control_set_name(n),
        ];
        out.extend(parts[3..].iter().map(|s| s.to_string()));
        out.join("\\")
    } else {
        key.to_string()
    }
}

/// The reverse of [`resolve`] for a hive loaded under `root`: `ROOT\ControlSet00N\X` ->
/// `ROOT\CurrentControlSet\X`; any other path is returned as it is.
pub fn unresolve(key: &str, root: &str, n: u32) -> String {
    let prefix = format!(r"{root}\{}", control_set_name(n));
    match strip_key_prefix(key, &prefix) {
        Some(rest) => format!(r"{root}\{CURRENT_CONTROL_SET}{rest}"),
        None => key.to_string(),
    }
}

/// A key path given on the command line relative to a hive loaded under `root`: a leading
/// `root` (spelled out or abbreviated, e.g. `HKLM\SYSTEM`) and backslashes are dropped.
pub fn relative_to(key: &str, root: &str) -> String {
    let mut prefixes = vec![root.to_string()];
    for (long, short) in ROOTS {
        if let Some(rest) = root.strip_prefix(long) {
            prefixes.push(format!("{short}{rest}"));
        }
    }
    for prefix in prefixes {
        if key.len() >= prefix.len()
            && key.is_char_boundary(prefix.len())
            && key[..prefix.len()].eq_ignore_ascii_case(&prefix)
        {
            return key[prefix.len()..].trim_start_matches('\\').to_string();
        }
    }
    key.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_are_spelled_out() {
        assert_eq!(
            canonical_key(r"hklm\Software\X").unwrap(),
            r"HKEY_LOCAL_MACHINE\Software\X"
        );
        assert_eq!(
            canonical_key(r"HKCU\A/B").unwrap(),
            r"HKEY_CURRENT_USER\A/B"
        );
        assert_eq!(
            canonical_key(r"HKXX\A"),
            Err(NameError::UnknownRoot("HKXX".into()))
        );
        assert_eq!(
            canonical_key(r"HKLM"),
            Err(NameError::RootOnly("HKEY_LOCAL_MACHINE".into()))
        );
        assert_eq!(canonical_key(r"HKLM\A\\B"), Err(NameError::EmptyComponent));
        let deepest = format!(r"HKLM{}", r"\a".repeat(MAX_DEPTH - 1));
        assert!(canonical_key(&deepest).is_ok());
        assert_eq!(
            canonical_key(&format!(r"{deepest}\a")),
            Err(NameError::TooDeep)
        );
        assert_eq!(canonical_key(r"HKLM\A\"), Err(NameError::EmptyComponent));
        assert_eq!(
            canonical_key("HKLM\\TLS 1.2 "),
            Err(NameError::Whitespace("TLS 1.2 ".into()))
        );
    }

    #[test]
    fn control_sets_resolve_both_ways() {
        assert_eq!(
            resolve(r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control", 2),
            r"HKEY_LOCAL_MACHINE\SYSTEM\ControlSet002\Control"
        );
        assert_eq!(
            resolve(r"HKEY_LOCAL_MACHINE\SOFTWARE\X", 2),
            r"HKEY_LOCAL_MACHINE\SOFTWARE\X"
        );
        assert_eq!(
            unresolve(
                r"HKEY_LOCAL_MACHINE\SYSTEM\controlset002\Control",
                SYSTEM_ROOT,
                2
            ),
            r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control"
        );
        assert_eq!(
            unresolve(r"HKEY_LOCAL_MACHINE\SYSTEM\ControlSet0020", SYSTEM_ROOT, 2),
            r"HKEY_LOCAL_MACHINE\SYSTEM\ControlSet0020"
        );
        assert_eq!(
            resolve_relative(r"currentcontrolset\Services", 1),
            r"ControlSet001\Services"
        );
        assert_eq!(resolve_relative("CurrentControlSet", 1), "ControlSet001");
        assert_eq!(relative_to(r"HKLM\SYSTEM\Select", SYSTEM_ROOT), "Select");
        assert_eq!(
            relative_to(r"hkey_local_machine\system\\Select", SYSTEM_ROOT),
            "Select"
        );
        assert_eq!(relative_to("Select", SYSTEM_ROOT), "Select");
    }

    #[test]
    fn names_compare_as_the_registry_does() {
        assert!(same_name("tls 1.2", "TLS 1.2"));
        assert!(same_name("RC4 128/128", "rc4 128/128"));
        assert!(same_name("tls ÿ ǆ", "TLS Ÿ Ǆ"));
        // Full case mappings are not the registry's: these stay distinct names.
        assert!(!same_name("Straße", "STRASSE"));
        assert_eq!(fold("straße"), "STRAßE");
        assert!(!same_name("ﬁle", "FILE"));
        // Outside the BMP nothing has case (Deseret 𐐨 / 𐐀 are two names).
        assert!(!same_name("\u{10428}", "\u{10400}"));
        assert!(!same_name("TLS 1.2", "TLS 1.3"));
    }
}
