//! The Group Policy writer: a plan as a `Registry.pol` file (the PReg format of [MS-GPREG]
//! 2.2.1), for a GPO's `Machine\Registry.pol` or `LGPO.exe /m`.
//!
//! The file is the 8-byte header `PReg` 1, then one `[key;value;type;size;data]` entry per
//! operation, in the plan's order (Group Policy applies them in file order): the brackets
//! and semicolons are UTF-16LE characters, the key (relative to `HKEY_LOCAL_MACHINE`) and
//! the value name are NUL-terminated UTF-16LE, type and size are 32-bit little-endian, and
//! the data is the value's bytes as Windows stores them. A value deletion is the special
//! value name `**del.NAME` (REG_SZ, data one space); a key deletion is the parent key's
//! `**DeleteKeys` with the key's name ([MS-GPREG] 3.2.5.1.2).
//!
//! What the format cannot say is refused, never approximated: keys outside
//! `HKEY_LOCAL_MACHINE`, names outside printable ASCII (the format's `IdCharacter` and
//! `ValueCharacter`), value names over 259 characters or starting with `**` (Group Policy
//! would read them as instructions), the default value (an entry without a value name only
//! creates the key), REG_NONE, a string with a NUL inside (the format's strings end at their
//! NUL: Samba's reader, for one, stops there), data over 65,535 bytes, and key deletions it
//! cannot name.

use crate::plan::{Op, Plan};
use crate::value::RegData;

/// The header: the signature `PReg` and version 1, both as [MS-GPREG] gives them.
pub const HEADER: [u8; 8] = *b"PReg\x01\x00\x00\x00";

/// The registry root a computer's `Registry.pol` applies under.
const MACHINE: &str = "HKEY_LOCAL_MACHINE\\";

/// The longest value name the format allows ([MS-GPREG] 2.2.1: `1*259ValueCharacter`).
pub const MAX_NAME: usize = 259;

/// The most data one entry may carry ([MS-GPREG] 2.2.1: size "in the range 0 to 65535").
pub const MAX_DATA: usize = 65_535;

/// Why a plan cannot be written as a `Registry.pol`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolError {
    /// A key outside `HKEY_LOCAL_MACHINE`: a computer's `Registry.pol` applies there only.
    #[error("[{key}]: a computer's Registry.pol writes only under HKEY_LOCAL_MACHINE; use the .reg or PowerShell output for this key")]
    NotMachine {
        /// The key path.
        key: String,
    },
    /// A key path with characters the format does not allow (printable ASCII but `\` in a
    /// key name).
    #[error("[{key}]: Registry.pol key paths hold printable ASCII characters only ([MS-GPREG] 2.2.1); use the .reg or PowerShell output for this key")]
    KeyCharacters {
        /// The key path.
        key: String,
    },
    /// A value name the format cannot carry.
    #[error("value {name:?} of [{key}]: {why}; use the .reg or PowerShell output for it")]
    ValueName {
        /// The key path.
        key: String,
        /// The value name.
        name: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The key's default (unnamed) value: an entry without a value name only creates the key.
    #[error("the default value of [{key}]: Registry.pol has no way to set or delete a key's default value (an entry without a value name only creates the key); use the .reg or PowerShell output for it")]
    DefaultValue {
        /// The key path.
        key: String,
    },
    /// A REG_NONE value: not a type the format allows.
    #[error("value {name:?} of [{key}]: REG_NONE is not a type Registry.pol allows ([MS-GPREG] 2.2.1); use the .reg or PowerShell output for it")]
    NoneType {
        /// The key path.
        key: String,
        /// The value name.
        name: String,
    },
    /// A REG_SZ or REG_EXPAND_SZ whose text holds a NUL: the entry's string would end there.
    #[error("value {name:?} of [{key}]: its text holds a NUL character, where a Registry.pol string ends ([MS-GPREG] 2.2.1: a null-terminated string); use the .reg output for it")]
    Nul {
        /// The key path.
        key: String,
        /// The value name.
        name: String,
    },
    /// Data longer than one entry may carry.
    #[error(
        "value {name:?} of [{key}]: {len} bytes of data; a Registry.pol entry holds at most 65535"
    )]
    TooLarge {
        /// The key path.
        key: String,
        /// The value name.
        name: String,
        /// The data's length in bytes.
        len: usize,
    },
    /// A key deletion the format cannot name: `**DeleteKeys` lists names of subkeys of an
    /// existing key, separated by `;`.
    #[error("deleting [{key}]: {why}; use the .reg or PowerShell output for it")]
    DeleteKey {
        /// The key path.
        key: String,
        /// Why it cannot be written.
        why: &'static str,
    },
}

/// Whether every character of a key path is one the format allows: `%x20-5B / %x5D-7E`
/// within a name, names joined by single backslashes.
fn key_ok(rel: &str) -> bool {
    !rel.is_empty()
        && rel
            .split('\\')
            .all(|n| !n.is_empty() && n.chars().all(|c| matches!(c, ' '..='~')))
}

/// The key path relative to `HKEY_LOCAL_MACHINE`, checked.
fn relative(key: &str) -> Result<&str, PolError> {
    let rel = key
        .get(..MACHINE.len())
        .filter(|p| p.eq_ignore_ascii_case(MACHINE))
        .map(|_| &key[MACHINE.len()..])
        .ok_or_else(|| PolError::NotMachine { key: key.into() })?;
    if !key_ok(rel) {
        return Err(PolError::KeyCharacters { key: key.into() });
    }
    Ok(rel)
}

/// Checks a value name the plan sets or deletes.
fn value_name(key: &str, name: &str) -> Result<(), PolError> {
    let bad = |why| PolError::ValueName {
        key: key.into(),
        name: name.into(),
        why,
    };
    if name.is_empty() {
        return Err(PolError::DefaultValue { key: key.into() });
    }
    if !name.chars().all(|c| matches!(c, ' '..='~')) {
        return Err(bad(
            "Registry.pol value names hold printable ASCII characters only ([MS-GPREG] 2.2.1)",
        ));
    }
    // `**del.` + the name must fit too when the value is deleted; a set must fit alone.
    if name.len() > MAX_NAME {
        return Err(bad("a Registry.pol value name has at most 259 characters"));
    }
    if name.starts_with("**") {
        return Err(bad(
            "Group Policy reads a value name starting with ** as an instruction (**del., **DeleteKeys, ...)",
        ));
    }
    Ok(())
}

/// Appends one entry.
fn entry(out: &mut Vec<u8>, key: &str, name: &str, kind: u32, data: &[u8]) {
    let text = |out: &mut Vec<u8>, s: &str| out.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
    text(out, "[");
    text(out, key);
    text(out, "\0;");
    text(out, name);
    text(out, "\0;");
    out.extend(kind.to_le_bytes());
    text(out, ";");
    // Every caller checked the length against MAX_DATA.
    out.extend(u32::try_from(data.len()).unwrap_or(u32::MAX).to_le_bytes());
    text(out, ";");
    out.extend_from_slice(data);
    text(out, "]");
}

/// REG_SZ, the type of every special entry but `**SecureKey`.
const REG_SZ: u32 = 1;

/// Writes the plan as a `Registry.pol`: every operation in order, or the first one the
/// format cannot carry as an error.
pub fn to_pol(plan: &Plan) -> Result<Vec<u8>, PolError> {
    let mut out = HEADER.to_vec();
    for op in &plan.ops {
        match op {
            Op::SetValue { key, name, data } => {
                let rel = relative(key)?;
                value_name(key, name)?;
                if let RegData::None(_) = data {
                    return Err(PolError::NoneType {
                        key: key.clone(),
                        name: name.clone(),
                    });
                }
                if let RegData::Sz(t) | RegData::ExpandSz(t) = data {
                    if t.contains('\0') {
                        return Err(PolError::Nul {
                            key: key.clone(),
                            name: name.clone(),
                        });
                    }
                }
                let bytes = data.to_bytes();
                if bytes.len() > MAX_DATA {
                    return Err(PolError::TooLarge {
                        key: key.clone(),
                        name: name.clone(),
                        len: bytes.len(),
                    });
                }
                entry(&mut out, rel, name, data.type_code(), &bytes);
            }
            Op::DeleteValue { key, name } => {
                let rel = relative(key)?;
                value_name(key, name)?;
                if name.len() + "**del.".len() > MAX_NAME {
                    return Err(PolError::ValueName {
                        key: key.clone(),
                        name: name.clone(),
                        why: "**del. and the name exceed the 259 characters of a Registry.pol value name",
                    });
                }
                // "DataValue is ignored but MUST contain a null-terminated string with a
                // single space character" ([MS-GPREG] 3.2.5.1.2).
                entry(&mut out, rel, &format!("**del.{name}"), REG_SZ, b" \0\0\0");
            }
            Op::DeleteKey { key } => {
                let rel = relative(key)?;
                let Some((parent, leaf)) = rel.rsplit_once('\\') else {
                    return Err(PolError::DeleteKey {
                        key: key.clone(),
                        why: "Registry.pol deletes a key through its parent's **DeleteKeys, and a hive's root has no parent in the file",
                    });
                };
                if leaf.contains(';') {
                    return Err(PolError::DeleteKey {
                        key: key.clone(),
                        why: "**DeleteKeys separates key names with ';', and this name holds one",
                    });
                }
                let mut data: Vec<u8> = leaf.encode_utf16().flat_map(u16::to_le_bytes).collect();
                data.extend([0, 0]);
                entry(&mut out, parent, "**DeleteKeys", REG_SZ, &data);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(key: &str, name: &str, data: RegData) -> Op {
        Op::SetValue {
            key: key.into(),
            name: name.into(),
            data,
        }
    }

    fn units(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    #[test]
    fn one_dword_is_the_bytes_the_format_gives() {
        let plan = Plan {
            ops: vec![set(
                r"HKEY_LOCAL_MACHINE\SOFTWARE\A",
                "V",
                RegData::Dword(1),
            )],
        };
        let mut want = b"PReg\x01\x00\x00\x00".to_vec();
        want.extend(units("[SOFTWARE\\A\0;V\0;"));
        want.extend([4, 0, 0, 0]);
        want.extend(units(";"));
        want.extend([4, 0, 0, 0]);
        want.extend(units(";"));
        want.extend([1, 0, 0, 0]);
        want.extend(units("]"));
        assert_eq!(to_pol(&plan).unwrap(), want);
    }

    #[test]
    fn deletions_are_special_entries() {
        let plan = Plan {
            ops: vec![
                Op::DeleteKey {
                    key: r"HKEY_LOCAL_MACHINE\SOFTWARE\A\RC4 128/128".into(),
                },
                Op::DeleteValue {
                    key: r"HKEY_LOCAL_MACHINE\SOFTWARE\A".into(),
                    name: "V".into(),
                },
            ],
        };
        let pol = to_pol(&plan).unwrap();
        let text = String::from_utf16_lossy(
            &pol[8..]
                .chunks(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect::<Vec<_>>(),
        );
        assert!(text.contains("[SOFTWARE\\A\0;**DeleteKeys\0;"));
        assert!(text.contains("RC4 128/128\0]"));
        assert!(text.contains("[SOFTWARE\\A\0;**del.V\0;"));
        assert!(text.ends_with(" \0]"));
    }

    #[test]
    fn what_the_format_cannot_say_is_refused() {
        let one = |op: Op| to_pol(&Plan { ops: vec![op] }).unwrap_err();
        let k = r"HKEY_LOCAL_MACHINE\SOFTWARE\A";
        assert!(matches!(
            one(set(r"HKEY_CURRENT_USER\A", "V", RegData::Dword(1))),
            PolError::NotMachine { .. }
        ));
        assert!(matches!(
            one(set(
                r"HKEY_LOCAL_MACHINE\SOFTWARE\Ä",
                "V",
                RegData::Dword(1)
            )),
            PolError::KeyCharacters { .. }
        ));
        assert!(matches!(
            one(set(k, "", RegData::Dword(1))),
            PolError::DefaultValue { .. }
        ));
        assert!(matches!(
            one(set(k, "**del.X", RegData::Dword(1))),
            PolError::ValueName { .. }
        ));
        assert!(matches!(
            one(set(k, "é", RegData::Dword(1))),
            PolError::ValueName { .. }
        ));
        assert!(matches!(
            one(set(k, &"n".repeat(260), RegData::Dword(1))),
            PolError::ValueName { .. }
        ));
        assert!(to_pol(&Plan {
            ops: vec![set(k, &"n".repeat(259), RegData::Dword(1))]
        })
        .is_ok());
        assert!(matches!(
            one(Op::DeleteValue {
                key: k.into(),
                name: "n".repeat(254)
            }),
            PolError::ValueName { .. }
        ));
        assert!(matches!(
            one(set(k, "V", RegData::None(vec![1]))),
            PolError::NoneType { .. }
        ));
        assert!(matches!(
            one(set(k, "V", RegData::ExpandSz("a\0b".into()))),
            PolError::Nul { .. }
        ));
        assert!(matches!(
            one(set(k, "V", RegData::Binary(vec![0; 65_536]))),
            PolError::TooLarge { len: 65_536, .. }
        ));
        assert!(to_pol(&Plan {
            ops: vec![set(k, "V", RegData::Binary(vec![0; 65_535]))]
        })
        .is_ok());
        assert!(matches!(
            one(Op::DeleteKey {
                key: r"HKEY_LOCAL_MACHINE\SOFTWARE".into()
            }),
            PolError::DeleteKey { .. }
        ));
        assert!(matches!(
            one(Op::DeleteKey {
                key: r"HKEY_LOCAL_MACHINE\SOFTWARE\a;b".into()
            }),
            PolError::DeleteKey { .. }
        ));
    }
}
