//! Registry value data of every type a profile can write, and registry key paths.

use serde::Serialize;
use std::fmt;

/// The registry value types tlsreg writes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", content = "data", rename_all = "kebab-case")]
pub enum RegData {
    Sz(String),
    ExpandSz(String),
    MultiSz(Vec<String>),
    Dword(u32),
    Qword(u64),
    Binary(Vec<u8>),
    None(Vec<u8>),
}

impl RegData {
    /// The Windows type number (`REG_SZ` = 1, ...).
    pub fn type_code(&self) -> u32 {
        match self {
            RegData::None(_) => 0,
            RegData::Sz(_) => 1,
            RegData::ExpandSz(_) => 2,
            RegData::Binary(_) => 3,
            RegData::Dword(_) => 4,
            RegData::MultiSz(_) => 7,
            RegData::Qword(_) => 11,
        }
    }

    /// The Windows type name.
    pub fn type_name(&self) -> &'static str {
        type_name(self.type_code())
    }

    /// The profile spelling of the type.
    pub fn profile_type(&self) -> &'static str {
        match self {
            RegData::Sz(_) => "sz",
            RegData::ExpandSz(_) => "expand-sz",
            RegData::MultiSz(_) => "multi-sz",
            RegData::Dword(_) => "dword",
            RegData::Qword(_) => "qword",
            RegData::Binary(_) => "binary",
            RegData::None(_) => "none",
        }
    }

    /// The bytes Windows stores: strings as UTF-16LE with their terminating NULs, numbers
    /// little-endian.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            RegData::Sz(s) | RegData::ExpandSz(s) => utf16z(s),
            RegData::MultiSz(items) => {
                let mut out = Vec::new();
                for item in items {
                    out.extend(utf16z(item));
                }
                out.extend([0, 0]);
                out
            }
            RegData::Dword(d) => d.to_le_bytes().to_vec(),
            RegData::Qword(q) => q.to_le_bytes().to_vec(),
            RegData::Binary(b) | RegData::None(b) => b.clone(),
        }
    }
}

impl fmt::Display for RegData {
    /// A short human form: `dword 0x00000001`, `sz "text"`, ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegData::Sz(s) => write!(f, "REG_SZ {s:?}"),
            RegData::ExpandSz(s) => write!(f, "REG_EXPAND_SZ {s:?}"),
            RegData::MultiSz(items) => write!(f, "REG_MULTI_SZ {items:?}"),
            RegData::Dword(d) => write!(f, "REG_DWORD 0x{d:08x} ({d})"),
            RegData::Qword(q) => write!(f, "REG_QWORD 0x{q:016x} ({q})"),
            RegData::Binary(b) => write!(f, "REG_BINARY {}", hex(b)),
            RegData::None(b) => write!(f, "REG_NONE {}", hex(b)),
        }
    }
}

/// Lowercase hex without separators.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// UTF-16LE bytes of `s` followed by a NUL character.
pub fn utf16z(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() * 2 + 2);
    for unit in s.encode_utf16() {
        out.extend(unit.to_le_bytes());
    }
    out.extend([0, 0]);
    out
}

/// The Windows name of a type number.
pub fn type_name(code: u32) -> &'static str {
    match code {
        0 => "REG_NONE",
        1 => "REG_SZ",
        2 => "REG_EXPAND_SZ",
        3 => "REG_BINARY",
        4 => "REG_DWORD",
        5 => "REG_DWORD_BIG_ENDIAN",
        6 => "REG_LINK",
        7 => "REG_MULTI_SZ",
        8 => "REG_RESOURCE_LIST",
        9 => "REG_FULL_RESOURCE_DESCRIPTOR",
        10 => "REG_RESOURCE_REQUIREMENTS_LIST",
        11 => "REG_QWORD",
        _ => "REG_UNKNOWN",
    }
}

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
    #[error("the key path is empty")]
    Empty,
    #[error("the key path must start with one of HKEY_LOCAL_MACHINE (HKLM), HKEY_CURRENT_USER (HKCU), HKEY_USERS (HKU), HKEY_CLASSES_ROOT (HKCR) or HKEY_CURRENT_CONFIG (HKCC), not \"{0}\"")]
    UnknownRoot(String),
    #[error("the key path names only the root {0}; name a key below it")]
    RootOnly(String),
    #[error("the key path has an empty component (two backslashes in a row, or one at the end)")]
    EmptyComponent,
    #[error("key name \"{0}\" starts or ends with white space, which .reg parsers trim")]
    Whitespace(String),
    #[error("{what} contains the control character U+{code:04X}, which a .reg file cannot carry")]
    Control { what: &'static str, code: u32 },
    #[error("key name \"{0}\" is longer than 255 characters, the registry's limit")]
    KeyTooLong(String),
    #[error("value name is longer than 16383 characters, the registry's limit")]
    ValueNameTooLong,
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

/// Case-insensitive identity of a key path or value name, as the registry compares them.
pub fn fold(s: &str) -> String {
    s.chars().flat_map(char::to_uppercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_of_each_type() {
        assert_eq!(RegData::Sz("A".into()).to_bytes(), [0x41, 0, 0, 0]);
        assert_eq!(
            RegData::MultiSz(vec!["a".into(), "b".into()]).to_bytes(),
            [0x61, 0, 0, 0, 0x62, 0, 0, 0, 0, 0]
        );
        assert_eq!(RegData::MultiSz(vec![]).to_bytes(), [0, 0]);
        assert_eq!(RegData::Dword(1).to_bytes(), [1, 0, 0, 0]);
        assert_eq!(RegData::Qword(0x0102).to_bytes(), [2, 1, 0, 0, 0, 0, 0, 0]);
    }

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
        assert_eq!(canonical_key(r"HKLM\A\"), Err(NameError::EmptyComponent));
        assert_eq!(
            canonical_key("HKLM\\TLS 1.2 "),
            Err(NameError::Whitespace("TLS 1.2 ".into()))
        );
    }
}
