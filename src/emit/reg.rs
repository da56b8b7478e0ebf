//! A [`Plan`] as a `.reg` file: byte-exact regedit 5.00 files, and the flavour
//! `hivexregedit --merge` / `virt-win-reg --merge` want (UTF-8, one hive per file, real
//! `ControlSet00N` paths, every parent key listed). The plan-specific part: blocks, name
//! checks, deletions and parent keys; the format itself is [`crate::regfile::write`].

use crate::keypath::{
    check_key_component, check_value_name, fold, is_current_control_set, same_name,
    strip_key_prefix, NameError, SOFTWARE_ROOT, SYSTEM_ROOT,
};
use crate::plan::{Op, Plan};
use crate::regfile::write;
use std::collections::HashSet;

/// The two HKLM hives a profile writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HiveRoot {
    /// The SYSTEM hive, loaded under `HKEY_LOCAL_MACHINE\SYSTEM`.
    System,
    /// The SOFTWARE hive, loaded under `HKEY_LOCAL_MACHINE\SOFTWARE`.
    Software,
}

impl HiveRoot {
    /// Both hives, SYSTEM first (the order of the hivex flavour's files).
    pub const ALL: [HiveRoot; 2] = [HiveRoot::System, HiveRoot::Software];
    /// `HKEY_LOCAL_MACHINE\SYSTEM` or `...\SOFTWARE`: the `--prefix` for hivexregedit.
    pub fn prefix(self) -> &'static str {
        match self {
            HiveRoot::System => SYSTEM_ROOT,
            HiveRoot::Software => SOFTWARE_ROOT,
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
        HiveRoot::ALL
            .into_iter()
            .find(|h| strip_key_prefix(key, h.prefix()).is_some_and(|rest| !rest.is_empty()))
    }
}

/// Why a plan cannot be written as a `.reg` file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmitError {
    /// A component of the key path cannot be written ([`check_key_component`]).
    #[error("cannot write key \"{key}\": {source}")]
    KeyName {
        /// The key path.
        key: String,
        /// Why.
        source: NameError,
    },
    /// The value name cannot be written ([`check_value_name`]).
    #[error("cannot write value \"{name}\" of key \"{key}\": {source}")]
    ValueName {
        /// The key path.
        key: String,
        /// The value name.
        name: String,
        /// Why.
        source: NameError,
    },
    /// The hivex flavour was given a key outside the SYSTEM and SOFTWARE hives; holds the key path.
    #[error("the hivex flavour writes only keys under HKEY_LOCAL_MACHINE\\SYSTEM and HKEY_LOCAL_MACHINE\\SOFTWARE; \"{0}\" is elsewhere")]
    NotInHive(String),
    /// The hivex flavour was given a SYSTEM key under `CurrentControlSet` (the plan needs
    /// [`Plan::with_control_set`] first); holds the key path.
    #[error("key \"{0}\" is under CurrentControlSet, which an offline hive does not have; give the control set to write to (--control-set N, from the hive's SYSTEM\\Select\\Current)")]
    CurrentControlSet(String),
    /// The hivex flavour was asked to delete `HKEY_LOCAL_MACHINE\SYSTEM` or `...\SOFTWARE` itself;
    /// holds the key path.
    #[error("the hivex flavour cannot delete the hive's root key \"{0}\"")]
    DeleteRoot(String),
}

/// Writes a regedit 5.00 file: BOM `FF FE`, UTF-16LE, CRLF, final blank line.
pub fn to_regedit(plan: &Plan) -> Result<Vec<u8>, EmitError> {
    Ok(write::to_utf16le(&render(plan, None)?))
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
        if key.split('\\').nth(2).is_some_and(is_current_control_set)
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
    Ok(write::to_utf8_lf(&render(&part, Some(hive))?))
}

/// The text of the file (CRLF line ends).
fn render(plan: &Plan, hivex: Option<HiveRoot>) -> Result<String, EmitError> {
    let mut out = String::new();
    write::header(&mut out);
    let mut created: HashSet<String> = HashSet::new();
    let mut i = 0;
    while i < plan.ops.len() {
        let op = &plan.ops[i];
        let key = op.key();
        check_key(key)?;
        if let Op::DeleteKey { .. } = op {
            if let Some(h) = hivex {
                if same_name(key, h.prefix()) {
                    return Err(EmitError::DeleteRoot(key.to_string()));
                }
                let id = fold(key);
                created.retain(|k| *k != id && !k.starts_with(&format!("{id}\\")));
            }
            write::delete_key_line(&mut out, key);
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
        write::key_line(&mut out, key);
        for op in &plan.ops[i..end] {
            match op {
                Op::DeleteValue { name, .. } => {
                    check_name(key, name)?;
                    write::delete_value_line(&mut out, name);
                }
                Op::SetValue { name, data, .. } => {
                    check_name(key, name)?;
                    let (t, bytes) = (data.type_code(), data.to_bytes());
                    write::value_line(&mut out, name, t, &bytes, hivex.is_some());
                }
                Op::DeleteKey { .. } => unreachable!("delete-key runs are handled above"),
            }
        }
        i = end;
    }
    write::end(&mut out);
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
            write::key_line(out, &sub);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::PlanBuilder;
    use crate::value::RegData;

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
