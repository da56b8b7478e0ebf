//! The `.reg` writer: byte-exact regedit 5.00 files (UTF-16LE, BOM, CRLF, hex wrapped at
//! regedit's column), and the flavour `hivexregedit --merge` / `virt-win-reg --merge` want
//! (UTF-8, one hive per file, real `ControlSet00N` paths, every parent key listed).

use crate::keypath::{check_key_component, check_value_name, fold, NameError};
use crate::plan::{Op, Plan};
use crate::value::RegData;
use std::collections::HashSet;
use std::fmt::Write as _;

/// The first line of a regedit 5.00 file.
pub const HEADER: &str = "Windows Registry Editor Version 5.00";
/// Where regedit wraps hex data (Wine/ReactOS `MAX_HEX_CHARS`).
const MAX_HEX_CHARS: usize = 77;

/// The two HKLM hives a profile writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HiveRoot {
    System,
    Software,
}

impl HiveRoot {
    pub const ALL: [HiveRoot; 2] = [HiveRoot::System, HiveRoot::Software];
    /// `HKEY_LOCAL_MACHINE\SYSTEM` or `...\SOFTWARE`: the `--prefix` for hivexregedit.
    pub fn prefix(self) -> &'static str {
        match self {
            HiveRoot::System => r"HKEY_LOCAL_MACHINE\SYSTEM",
            HiveRoot::Software => r"HKEY_LOCAL_MACHINE\SOFTWARE",
        }
    }
    /// Lower-case file-name part: `system`, `software`.
    pub fn file_part(self) -> &'static str {
        match self {
            HiveRoot::System => "system",
            HiveRoot::Software => "software",
        }
    }
    /// The hive a key lives in, if it is one of these two.
    pub fn of_key(key: &str) -> Option<HiveRoot> {
        HiveRoot::ALL.into_iter().find(|h| {
            let p = h.prefix();
            key.len() > p.len()
                && key[..p.len()].eq_ignore_ascii_case(p)
                && key.as_bytes()[p.len()] == b'\\'
        })
    }
}

/// Why a plan cannot be written as a `.reg` file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmitError {
    #[error("cannot write key \"{key}\": {source}")]
    KeyName { key: String, source: NameError },
    #[error("cannot write value \"{name}\" of key \"{key}\": {source}")]
    ValueName {
        key: String,
        name: String,
        source: NameError,
    },
    #[error("the hivex flavour writes only keys under HKEY_LOCAL_MACHINE\\SYSTEM and HKEY_LOCAL_MACHINE\\SOFTWARE; \"{0}\" is elsewhere")]
    NotInHive(String),
    #[error("key \"{0}\" is under CurrentControlSet, which an offline hive does not have; give the control set to write to (--control-set N, from the hive's SYSTEM\\Select\\Current)")]
    CurrentControlSet(String),
    #[error("the hivex flavour cannot delete the hive's root key \"{0}\"")]
    DeleteRoot(String),
}

/// Writes a regedit 5.00 file: BOM `FF FE`, UTF-16LE, CRLF, final blank line.
pub fn to_regedit(plan: &Plan) -> Result<Vec<u8>, EmitError> {
    let text = render(plan, None)?;
    let mut out = Vec::with_capacity(2 + text.len() * 2);
    out.extend([0xFF, 0xFE]);
    for unit in text.encode_utf16() {
        out.extend(unit.to_le_bytes());
    }
    Ok(out)
}

/// Writes the part of `plan` that belongs to `hive` for `hivexregedit --merge --prefix
/// 'HKEY_LOCAL_MACHINE\SYSTEM' SYSTEM file.reg`: UTF-8 without BOM, LF line ends, every
/// parent key listed before its children, strings other than plain ASCII as `hex(1):`.
/// The plan must already use real control sets ([`Plan::with_control_set`]).
pub fn to_hivex(plan: &Plan, hive: HiveRoot) -> Result<Vec<u8>, EmitError> {
    for op in &plan.ops {
        let key = op.key();
        if HiveRoot::of_key(key).is_none() {
            return Err(EmitError::NotInHive(key.to_string()));
        }
        if key
            .split('\\')
            .nth(2)
            .is_some_and(|c| c.eq_ignore_ascii_case("CurrentControlSet"))
            && HiveRoot::of_key(key) == Some(HiveRoot::System)
        {
            return Err(EmitError::CurrentControlSet(key.to_string()));
        }
    }
    let part = Plan {
        ops: plan
            .ops
            .iter()
            .filter(|op| HiveRoot::of_key(op.key()) == Some(hive))
            .cloned()
            .collect(),
    };
    Ok(render(&part, Some(hive))?
        .replace("\r\n", "\n")
        .into_bytes())
}

/// The text of the file (CRLF line ends).
fn render(plan: &Plan, hivex: Option<HiveRoot>) -> Result<String, EmitError> {
    let mut out = String::new();
    out.push_str(HEADER);
    out.push_str("\r\n");
    let mut created: HashSet<String> = HashSet::new();
    let mut i = 0;
    while i < plan.ops.len() {
        let op = &plan.ops[i];
        let key = op.key();
        check_key(key)?;
        if let Op::DeleteKey { .. } = op {
            if let Some(h) = hivex {
                if fold(key) == fold(h.prefix()) {
                    return Err(EmitError::DeleteRoot(key.to_string()));
                }
                let id = fold(key);
                created.retain(|k| *k != id && !k.starts_with(&format!("{id}\\")));
            }
            write!(out, "\r\n[-{key}]\r\n").expect("write to String");
            i += 1;
            continue;
        }
        // A run of operations of one kind on one key is one block.
        let same =
            |o: &Op| o.key() == key && std::mem::discriminant(o) == std::mem::discriminant(op);
        let end = i + plan.ops[i..].iter().take_while(|o| same(o)).count();
        if let Some(h) = hivex {
            emit_parents(&mut out, &mut created, key, h);
        }
        write!(out, "\r\n[{key}]\r\n").expect("write to String");
        for op in &plan.ops[i..end] {
            match op {
                Op::DeleteValue { name, .. } => {
                    check_name(key, name)?;
                    out.push_str(&value_name(name));
                    out.push_str("-\r\n");
                }
                Op::SetValue { name, data, .. } => {
                    check_name(key, name)?;
                    write_value(&mut out, name, data, hivex.is_some());
                }
                Op::DeleteKey { .. } => unreachable!("delete-key runs are handled above"),
            }
        }
        i = end;
    }
    out.push_str("\r\n");
    Ok(out)
}

fn check_key(key: &str) -> Result<(), EmitError> {
    let err = |source| EmitError::KeyName {
        key: key.to_string(),
        source,
    };
    crate::keypath::canonical_key(key).map_err(err)?;
    key.split('\\')
        .skip(1)
        .try_for_each(check_key_component)
        .map_err(err)
}

fn check_name(key: &str, name: &str) -> Result<(), EmitError> {
    check_value_name(name).map_err(|source| EmitError::ValueName {
        key: key.to_string(),
        name: name.to_string(),
        source,
    })
}

/// Lists `[KEY]` blocks for every ancestor of `key` below the hive root not yet listed.
fn emit_parents(out: &mut String, created: &mut HashSet<String>, key: &str, hive: HiveRoot) {
    let parts: Vec<&str> = key.split('\\').collect();
    let root_len = hive.prefix().split('\\').count();
    for n in root_len + 1..=parts.len() {
        let sub = parts[..n].join("\\");
        if created.insert(fold(&sub)) && n < parts.len() {
            write!(out, "\r\n[{sub}]\r\n").expect("write to String");
        }
    }
}

/// Escapes `\` and `"` for a quoted `.reg` string.
fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(['\\', '"']) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if c == '\\' || c == '"' {
            out.push('\\');
        }
        out.push(c);
    }
    std::borrow::Cow::Owned(out)
}

/// `"name"=` or `@=` for the default value.
fn value_name(name: &str) -> String {
    if name.is_empty() {
        "@=".to_string()
    } else {
        format!("\"{}\"=", escape(name))
    }
}

/// Whether a REG_SZ can be written as a quoted string: regedit and hivex read no escapes
/// other than `\\` and `\"`, so CR, LF and NUL need `hex(1):`; the hivex flavour also
/// sends non-ASCII text as hex, since hivexregedit re-encodes quoted strings byte by byte.
fn quotable(s: &str, hivex: bool) -> bool {
    !s.chars()
        .any(|c| matches!(c, '\r' | '\n' | '\0') || (hivex && !(' '..='~').contains(&c)))
}

fn write_value(out: &mut String, name: &str, data: &RegData, hivex: bool) {
    write_raw_value(out, name, data.type_code(), &data.to_bytes(), hivex);
}

/// The text of a stored string value when it can be a quoted `.reg` string: UTF-16 ending
/// in its one NUL, with no other NUL.
fn stored_text(bytes: &[u8]) -> Option<String> {
    if bytes.len() < 2 || bytes.len() % 2 != 0 || bytes[bytes.len() - 2..] != [0, 0] {
        return None;
    }
    let units = bytes[..bytes.len() - 2]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    let mut out = String::with_capacity(bytes.len() / 2);
    for c in char::decode_utf16(units) {
        out.push(c.ok()?);
    }
    Some(out)
}

/// One value line (with continuations) of any type, from its stored bytes: REG_SZ as a
/// quoted string where that is exact, REG_DWORD as `dword:`, everything else as hex.
pub(crate) fn write_raw_value(
    out: &mut String,
    name: &str,
    type_code: u32,
    bytes: &[u8],
    hivex: bool,
) {
    let lead = value_name(name);
    out.push_str(&lead);
    match (type_code, stored_text(bytes)) {
        (1, Some(s)) if quotable(&s, hivex) => {
            write!(out, "\"{}\"", escape(&s)).expect("write to String");
        }
        (4, _) if bytes.len() == 4 => write!(
            out,
            "dword:{:08x}",
            u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
        )
        .expect("write to String"),
        _ => {
            let prefix = if type_code == 3 {
                "hex:".to_string()
            } else {
                format!("hex({type_code:x}):")
            };
            out.push_str(&prefix);
            let line_len = lead.encode_utf16().count() + prefix.len();
            write_hex(out, bytes, line_len);
        }
    }
    out.push_str("\r\n");
}

/// Comma-separated hex bytes, wrapped with `\` and a two-space indent as regedit does:
/// a break follows the comma that brings the line to 77 characters or more.
fn write_hex(out: &mut String, bytes: &[u8], mut line_len: usize) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 3 + bytes.len() / 8);
    for (i, b) in bytes.iter().enumerate() {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
        if i + 1 == bytes.len() {
            break;
        }
        out.push(',');
        line_len += 3;
        if line_len >= MAX_HEX_CHARS {
            out.push_str("\\\r\n  ");
            line_len = 2;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::PlanBuilder;

    fn text(plan: &Plan) -> String {
        render(plan, None).unwrap()
    }

    #[test]
    fn blocks_and_escapes() {
        let mut b = PlanBuilder::default();
        b.delete_key(r"HKEY_LOCAL_MACHINE\SOFTWARE\Old");
        b.set(
            r"HKEY_LOCAL_MACHINE\SOFTWARE\A",
            r#"q"\"#,
            RegData::Sz(r#"C:\x "y""#.into()),
        );
        b.set(
            r"HKEY_LOCAL_MACHINE\SOFTWARE\A",
            "",
            RegData::Dword(0xffffffff),
        );
        b.delete_value(r"HKEY_LOCAL_MACHINE\SOFTWARE\A", "gone");
        assert_eq!(
            text(&b.finish()),
            "Windows Registry Editor Version 5.00\r\n\
             \r\n[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Old]\r\n\
             \r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n\"gone\"=-\r\n\
             \r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n\"q\\\"\\\\\"=\"C:\\\\x \\\"y\\\"\"\r\n@=dword:ffffffff\r\n\
             \r\n"
        );
    }

    #[test]
    fn hex_wraps_like_regedit() {
        let mut b = PlanBuilder::default();
        b.set(
            r"HKEY_LOCAL_MACHINE\SOFTWARE\A",
            "Data",
            RegData::Binary((0u8..40).collect()),
        );
        let t = text(&b.finish());
        let lines: Vec<&str> = t.split("\r\n").collect();
        // `"Data"=hex:` is 11 characters; 22 bytes with their commas reach column 77,
        // then the backslash; continuation lines hold 25 bytes after two spaces.
        assert_eq!(lines[3].len(), 11 + 22 * 3 + 1);
        assert!(lines[3].ends_with(",15,\\"));
        assert!(lines[4].starts_with("  16,17,"));
        assert!(lines[4].ends_with("27"));
    }

    #[test]
    fn strings_with_newlines_become_hex1() {
        let mut b = PlanBuilder::default();
        b.set(
            r"HKEY_LOCAL_MACHINE\SOFTWARE\A",
            "s",
            RegData::Sz("a\nb".into()),
        );
        assert!(text(&b.finish()).contains("\"s\"=hex(1):61,00,0a,00,62,00,00,00\r\n"));
    }

    #[test]
    fn hivex_lists_parents_and_needs_a_control_set() {
        let mut b = PlanBuilder::default();
        b.set(
            r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\X",
            "v",
            RegData::Dword(1),
        );
        let plan = b.finish();
        assert!(matches!(
            to_hivex(&plan, HiveRoot::System),
            Err(EmitError::CurrentControlSet(_))
        ));
        let out = String::from_utf8(to_hivex(&plan.with_control_set(1), HiveRoot::System).unwrap())
            .unwrap();
        assert_eq!(
            out,
            "Windows Registry Editor Version 5.00\n\
             \n[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001]\n\
             \n[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control]\n\
             \n[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\X]\n\"v\"=dword:00000001\n\n"
        );
        let sw =
            String::from_utf8(to_hivex(&plan.with_control_set(1), HiveRoot::Software).unwrap())
                .unwrap();
        assert_eq!(sw, "Windows Registry Editor Version 5.00\n\n");
    }
}
