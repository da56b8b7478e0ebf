//! Registry value data: the types tlsreg writes, their stored bytes, and the one way to
//! read stored bytes back (DWORD, QWORD, UTF-16 strings and string lists).

use serde::Serialize;
use std::fmt;

/// The registry value types tlsreg writes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", content = "data", rename_all = "kebab-case")]
pub enum RegData {
    /// `REG_SZ` (type 1): a string, stored NUL-terminated.
    Sz(String),
    /// `REG_EXPAND_SZ` (type 2): a string in which Windows' readers expand `%VAR%` references.
    ExpandSz(String),
    /// `REG_MULTI_SZ` (type 7): a list of strings, each stored NUL-terminated, the list ended by
    /// one more NUL.
    MultiSz(Vec<String>),
    /// `REG_DWORD` (type 4): a 32-bit number, stored little-endian.
    Dword(u32),
    /// `REG_QWORD` (type 11): a 64-bit number, stored little-endian.
    Qword(u64),
    /// `REG_BINARY` (type 3): bytes, stored as they are.
    Binary(Vec<u8>),
    /// `REG_NONE` (type 0): bytes with no type, stored as they are.
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

/// The number in a stored REG_DWORD: type 4 and exactly four bytes, little-endian.
pub fn dword(type_code: u32, data: &[u8]) -> Option<u32> {
    match (type_code, data) {
        (4, &[a, b, c, d]) => Some(u32::from_le_bytes([a, b, c, d])),
        _ => None,
    }
}

/// The number in a stored REG_QWORD: type 11 and exactly eight bytes, little-endian.
pub fn qword(type_code: u32, data: &[u8]) -> Option<u64> {
    match type_code {
        11 => data.try_into().ok().map(u64::from_le_bytes),
        _ => None,
    }
}

/// The UTF-16LE code units of `data` (an odd last byte is ignored).
fn units(data: &[u8]) -> impl Iterator<Item = u16> + '_ {
    data.chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
}

/// Stored string bytes exactly as written by the registry API: even-length, valid UTF-16LE,
/// ending in one NUL code unit, which is left off (inner NULs are kept). `None` for anything
/// else, so a caller that writes the text back gets the same bytes.
pub fn utf16z_text(data: &[u8]) -> Option<String> {
    if data.len() < 2 || !data.len().is_multiple_of(2) || data[data.len() - 2..] != [0, 0] {
        return None;
    }
    let mut out = String::with_capacity(data.len() / 2);
    for c in char::decode_utf16(units(&data[..data.len() - 2])) {
        out.push(c.ok()?);
    }
    Some(out)
}

/// A stored REG_SZ or REG_EXPAND_SZ as Windows' readers take it: UTF-16LE (unpaired
/// surrogates replaced), trailing NULs dropped. `None` for other types and odd lengths.
pub fn read_text(type_code: u32, data: &[u8]) -> Option<String> {
    if !matches!(type_code, 1 | 2) || !data.len().is_multiple_of(2) {
        return None;
    }
    Some(
        String::from_utf16_lossy(&units(data).collect::<Vec<_>>())
            .trim_end_matches('\0')
            .to_string(),
    )
}

/// The items of a stored string list as Windows' readers take them: UTF-16LE (unpaired
/// surrogates replaced), split at NULs, empty items dropped.
pub fn read_multi_sz(data: &[u8]) -> Vec<String> {
    String::from_utf16_lossy(&units(data).collect::<Vec<_>>())
        .split('\0')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
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
}
