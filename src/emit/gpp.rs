//! The Group Policy Preferences writer: a plan as a Registry extension file of
//! [MS-GPPREF] 2.2.1.17, what a GPO keeps as `Machine\Preferences\Registry\Registry.xml`.
//!
//! The file is UTF-8 without a BOM, CRLF line ends, the declaration
//! `<?xml version="1.0" encoding="utf-8"?>` (as the Group Policy Management Console writes
//! it), the root `RegistrySettings`, one `Collection` named after the profile, and in it one
//! `Registry` item per operation, in the plan's order (the extension processes items "in the
//! order in which they occur", [MS-GPPREF] 3.2.5.1.2). A value set is `action="U"` (Update:
//! create or overwrite the value), a value deletion `action="D"` with the value's name, a key
//! deletion `action="D"` with empty `name`, `type` and `value` ("to configure only a key,
//! this field MUST be left blank"), the default value `default="1"` with an empty name. The
//! item attributes are those of the common schema ([MS-GPPREF] 2.2.1.1.1): `removePolicy` is
//! not set (an item with it is undone when the GPO stops applying, and a build family's item
//! whose filter stops matching would delete the value the next family's item sets; undo with
//! the `--revert` file), nor `bypassErrors` (0: "stop processing this preference type" at
//! an error, [MS-GPPREF] 2.2.1.1.3, as the PowerShell script stops), nor `changed`
//! (optional, display only: a date would make two runs differ), nor `image` (display only).
//!
//! **Stable item ids.** `uid` is required and only identifies an item for tracing. It is a
//! name-based UUID (RFC 4122 version 5, SHA-1) of the collection's name, the item's build
//! range and the operation, so regenerating a profile gives the same file byte for byte and
//! no two items of a file share one.
//!
//! **Build families.** When the lists differ by build ([`to_gpp_by_build`]), an operation
//! every family shares is one item; one whose data differs becomes one item per family with
//! item-level targeting ([MS-GPPREF] 2.2.1.22): a `FilterWmi` whose query selects the
//! family's builds from `Win32_OperatingSystem.BuildNumber` ([`super::wql`]: string
//! comparisons among build numbers of one length). The families' ranges are contiguous
//! (each ends where the next begins, as the script chooses them), and the newest one also
//! takes every longer build number.
//!
//! **What the format cannot say is refused**, never approximated: REG_BINARY, REG_QWORD and
//! REG_NONE (the type "MUST be one of ... REG_SZ, REG_DWORD, REG_EXPAND_SZ, or REG_MULTI_SZ";
//! the console writes the first two, in a form no trustworthy public source shows), text XML 1.0
//! cannot carry (NUL and the other C0 controls but tab, LF and CR; U+FFFE, U+FFFF), `%`
//! anywhere (the extension expands environment variables, [MS-GPPREF] 2.2.1.1.5), keys
//! outside the five hives, and a REG_MULTI_SZ that is empty or has an empty item or an item
//! with white space: a list is written both as `value`, the items joined by spaces, and as
//! `<Values><Value>item</Value>...</Values>`, the form seen in files the console wrote (not
//! in [MS-GPPREF]), and the two must read the same whichever the extension uses.
//!
//! Escaping: attribute values are double-quoted with `&`, `<` and `"` escaped and tab, LF
//! and CR written as character references (a parser would turn them into spaces, XML 1.0
//! 3.3.3); text escapes `&`, `<`, `>` and CR (a parser would drop a bare CR, XML 1.0 2.11).

use super::{aligned, Branch};
use crate::plan::{Op, Plan};
use crate::value::RegData;
use std::fmt::Write as _;

/// The root element's CLSID ([MS-GPPREF] 2.2.1.1.2, `RegistrySettings`).
pub const SETTINGS_CLSID: &str = "{A3CCFC41-DFDB-43a5-8D26-0FE8B954DA51}";
/// The CLSID of a `Collection` (a folder of items).
pub const COLLECTION_CLSID: &str = "{53B533F5-224C-47e3-B01B-CA3B3F3FF4BF}";
/// The CLSID of a `Registry` item.
pub const REGISTRY_CLSID: &str = "{9CD4B2F4-923D-47f5-A062-E897DD1DAD50}";
/// What a GPO's `gPCMachineExtensionNames` lists for Registry preferences: the extension's
/// CSE GUID and its tool GUID ([MS-GPPREF] 1.9).
pub const MACHINE_EXTENSION_NAMES: &str =
    "[{B087BE9D-ED37-454f-AF9C-04291E351182}{BEE07A6A-EC9F-4659-B8C9-0B1937907C83}]";

/// The namespace of the item ids (a fixed random UUID, tlsreg's own).
const UID_NAMESPACE: [u8; 16] = [
    0x5c, 0x0e, 0x8b, 0x61, 0x2f, 0x3d, 0x4a, 0x97, 0xb1, 0x46, 0x0d, 0x72, 0xe9, 0xa3, 0x58, 0xc4,
];

/// The WMI namespace of the build filters.
const WMI_NAMESPACE: &str = r"root\cimv2";

/// What the file says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GppInfo {
    /// The profile's name: the collection's name (shown in the console) and part of every
    /// item id.
    pub profile: String,
    /// This is the undo file: the collection is named `PROFILE (revert)`.
    pub revert: bool,
}

/// Which text of an operation a refusal is about.
fn place(key: &str, name: &Option<String>) -> String {
    match name.as_deref() {
        None => format!("[{key}]"),
        Some("") => format!("the default value of [{key}]"),
        Some(n) => format!("value {n:?} of [{key}]"),
    }
}

/// A named value in a refusal.
fn value_place(key: &str, name: &str) -> String {
    place(key, &Some(name.to_string()))
}

/// Why a plan cannot be written as a Registry.xml.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GppError {
    /// The plans of [`to_gpp_by_build`] do not have the same operations in order.
    #[error("the per-build plans differ in more than their data; one Registry.xml cannot choose between them")]
    Misaligned,
    /// A key outside the five hives, or a path the `key` attribute cannot hold.
    #[error("[{key}]: a Registry.xml item names a hive (HKEY_LOCAL_MACHINE, HKEY_CURRENT_USER, HKEY_USERS, HKEY_CLASSES_ROOT or HKEY_CURRENT_CONFIG) and a key path below it without leading, trailing or doubled backslashes ([MS-GPPREF] 2.2.1.17.1); use the .reg or PowerShell output for this key")]
    Key {
        /// The key path.
        key: String,
    },
    /// A character XML 1.0 cannot carry.
    #[error("{}: its {part} holds U+{code:04X}, a character XML 1.0 cannot carry; use the .reg or PowerShell output for it", place(.key, .name))]
    Character {
        /// The key path.
        key: String,
        /// The value name (`None` when the text is the key path).
        name: Option<String>,
        /// Which text: `key path`, `value name` or `data`.
        part: &'static str,
        /// The character.
        code: u32,
    },
    /// A `%`, which the extension may replace.
    #[error("{}: its {part} holds %, and Group Policy Preferences expands environment variables such as %SystemRoot% in what it writes ([MS-GPPREF] 2.2.1.1.5), so it might not arrive as written; use the .reg or PowerShell output for it", place(.key, .name))]
    Percent {
        /// The key path.
        key: String,
        /// The value name (`None` when the text is the key path).
        name: Option<String>,
        /// Which text: `key path`, `value name` or `data`.
        part: &'static str,
    },
    /// A type outside the four the format allows.
    #[error("{}: {kind} is not a type a Registry.xml item may have ([MS-GPPREF] 2.2.1.17.1 allows REG_SZ, REG_EXPAND_SZ, REG_DWORD and REG_MULTI_SZ); use the .reg or PowerShell output for it", value_place(.key, .name))]
    Type {
        /// The key path.
        key: String,
        /// The value name.
        name: String,
        /// The type's name.
        kind: &'static str,
    },
    /// A REG_MULTI_SZ whose two written forms could read differently.
    #[error("{}: {why}; use the .reg or PowerShell output for it", value_place(.key, .name))]
    MultiString {
        /// The key path.
        key: String,
        /// The value name.
        name: String,
        /// What is wrong with it.
        why: &'static str,
    },
}

/// Whether XML 1.0 can carry the character (its `Char` production).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Checks one text of an operation: characters XML carries, and no `%`.
fn check_text(key: &str, name: Option<&str>, part: &'static str, s: &str) -> Result<(), GppError> {
    if let Some(c) = s.chars().find(|c| !xml_char(*c)) {
        return Err(GppError::Character {
            key: key.into(),
            name: name.map(str::to_string),
            part,
            code: c as u32,
        });
    }
    if s.contains('%') {
        return Err(GppError::Percent {
            key: key.into(),
            name: name.map(str::to_string),
            part,
        });
    }
    Ok(())
}

/// The key's hive and its path below the hive, checked.
fn split_key(key: &str) -> Result<(&'static str, &str), GppError> {
    let bad = || GppError::Key { key: key.into() };
    let (root, rest) = key.split_once('\\').ok_or_else(bad)?;
    let hive = crate::keypath::ROOTS
        .iter()
        .map(|(long, _)| *long)
        .find(|long| long.eq_ignore_ascii_case(root))
        .ok_or_else(bad)?;
    if rest.split('\\').any(str::is_empty) {
        return Err(bad());
    }
    check_text(key, None, "key path", rest)?;
    Ok((hive, rest))
}

/// An attribute value's text, for a double-quoted attribute.
fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// Character data's text.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// Display text (the collection's name): characters XML cannot carry become spaces.
fn display(s: &str) -> String {
    s.chars()
        .map(|c| if xml_char(c) { c } else { ' ' })
        .collect()
}

/// A name-based id: RFC 4122 version 5 over tlsreg's namespace and the parts (each with its
/// length first, so no two lists of parts give the same name), upper-case in braces.
fn uid(parts: &[&str]) -> String {
    use sha1::{Digest, Sha1};
    let mut h = Sha1::new();
    h.update(UID_NAMESPACE);
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02X}")).collect();
    format!(
        "{{{}-{}-{}-{}-{}}}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The `Properties` element of an operation (checked), and the item's display name.
fn properties(op: &Op) -> Result<(String, String), GppError> {
    let (hive, path) = split_key(op.key())?;
    let leaf = path.rsplit('\\').next().unwrap_or(path);
    let head = |action: &str, default: bool| {
        format!(
            "<Properties action=\"{action}\" displayDecimal=\"0\" default=\"{}\" hive=\"{hive}\" key=\"{}\"",
            u8::from(default),
            attr(path)
        )
    };
    let shown = |name: &str| {
        if name.is_empty() {
            "(Default)".to_string()
        } else {
            name.to_string()
        }
    };
    match op {
        Op::DeleteKey { .. } => Ok((
            format!("{} name=\"\" type=\"\" value=\"\"/>", head("D", false)),
            leaf.to_string(),
        )),
        Op::DeleteValue { key, name } => {
            check_text(key, Some(name), "value name", name)?;
            Ok((
                format!(
                    "{} name=\"{}\" type=\"\" value=\"\"/>",
                    head("D", name.is_empty()),
                    attr(name)
                ),
                shown(name),
            ))
        }
        Op::SetValue { key, name, data } => {
            check_text(key, Some(name), "value name", name)?;
            let typed = |kind: &str, value: &str| {
                format!(
                    "{} name=\"{}\" type=\"{kind}\" value=\"{}\"",
                    head("U", name.is_empty()),
                    attr(name),
                    attr(value)
                )
            };
            let refuse = |kind| GppError::Type {
                key: key.clone(),
                name: name.clone(),
                kind,
            };
            let element = match data {
                RegData::Sz(s) | RegData::ExpandSz(s) => {
                    check_text(key, Some(name), "data", s)?;
                    format!("{}/>", typed(data.type_name(), s))
                }
                RegData::Dword(d) => format!("{}/>", typed("REG_DWORD", &format!("{d:08X}"))),
                RegData::MultiSz(items) => {
                    multi_ok(key, name, items)?;
                    let values: String = items
                        .iter()
                        .map(|i| format!("<Value>{}</Value>", text(i)))
                        .collect();
                    format!(
                        "{}><Values>{values}</Values></Properties>",
                        typed("REG_MULTI_SZ", &items.join(" "))
                    )
                }
                RegData::Binary(_) => return Err(refuse("REG_BINARY")),
                RegData::Qword(_) => return Err(refuse("REG_QWORD")),
                RegData::None(_) => return Err(refuse("REG_NONE")),
            };
            Ok((element, shown(name)))
        }
    }
}

/// Checks a REG_MULTI_SZ: its items joined by spaces must split back into the same items.
fn multi_ok(key: &str, name: &str, items: &[String]) -> Result<(), GppError> {
    let bad = |why| GppError::MultiString {
        key: key.into(),
        name: name.into(),
        why,
    };
    if items.is_empty() {
        return Err(bad("a Registry.xml writes a REG_MULTI_SZ as its items joined by spaces (and as a <Values> list), and an empty list is an empty value, which could read as one empty item"));
    }
    if items.iter().any(String::is_empty) {
        return Err(bad("a Registry.xml writes a REG_MULTI_SZ as its items joined by spaces (and as a <Values> list), and an empty item would be lost"));
    }
    if items.iter().any(|i| i.contains([' ', '\t', '\r', '\n'])) {
        return Err(bad("a Registry.xml writes a REG_MULTI_SZ as its items joined by spaces (and as a <Values> list), so an item holding white space would read as several"));
    }
    for i in items {
        check_text(key, Some(name), "data", i)?;
    }
    Ok(())
}

/// Writes the plan as a Registry.xml: every operation in order, or the first one the format
/// cannot carry as an error.
pub fn to_gpp(plan: &Plan, info: &GppInfo) -> Result<Vec<u8>, GppError> {
    let one = [Branch {
        first: 0,
        builds: String::new(),
        plan: plan.clone(),
    }];
    to_gpp_by_build(&one, (0, None), info)
}

/// Writes one Registry.xml for several families of builds: every operation the plans share
/// is one item for every build; one that differs is one item per family, targeted at the
/// family's builds by a WMI filter. Family `n` runs from its first build to the build before
/// the next family's (the first from `range.0`, the last to `range.1`, `None` for every
/// later build). The plans must have the same operations in the same order, apart from
/// data. One branch gets no filters.
pub fn to_gpp_by_build(
    branches: &[Branch],
    range: (u32, Option<u32>),
    info: &GppInfo,
) -> Result<Vec<u8>, GppError> {
    if !aligned(branches) {
        return Err(GppError::Misaligned);
    }
    let collection = if info.revert {
        format!("{} (revert)", info.profile)
    } else {
        info.profile.clone()
    };
    let ranges: Vec<(u32, Option<u32>)> = branches
        .iter()
        .enumerate()
        .map(|(n, b)| {
            let lo = if n == 0 {
                range.0.min(b.first)
            } else {
                b.first
            };
            let hi = match branches.get(n + 1) {
                Some(next) => Some(next.first.saturating_sub(1)),
                None => range.1,
            };
            (lo, hi)
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut item_uid = |scope: &str, op: &Op| {
        let canonical = serde_json::to_string(op).unwrap_or_else(|_| format!("{op:?}"));
        let mut id = uid(&[&collection, scope, &canonical]);
        let mut n = 0u32;
        while !seen.insert(id.clone()) {
            n += 1;
            id = uid(&[&collection, scope, &canonical, &n.to_string()]);
        }
        id
    };
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    let _ = writeln!(s, "<RegistrySettings clsid=\"{SETTINGS_CLSID}\">");
    let _ = writeln!(
        s,
        "\t<Collection clsid=\"{COLLECTION_CLSID}\" name=\"{}\" uid=\"{}\">",
        attr(&display(&collection)),
        uid(&[&collection, "collection"])
    );
    let base = &branches[0].plan.ops;
    for (i, op) in base.iter().enumerate() {
        let same = branches[1..].iter().all(|b| b.plan.ops[i] == *op);
        if same {
            let (props, shown) = properties(op)?;
            let _ = writeln!(
                s,
                "\t\t<Registry clsid=\"{REGISTRY_CLSID}\" name=\"{}\" uid=\"{}\">{props}</Registry>",
                attr(&shown),
                item_uid("every build", op)
            );
            continue;
        }
        for (b, &(lo, hi)) in branches.iter().zip(&ranges) {
            let op = &b.plan.ops[i];
            let (props, shown) = properties(op)?;
            let scope = match hi {
                Some(h) => format!("builds {lo} to {h}"),
                None => format!("builds {lo} and later"),
            };
            let _ = writeln!(
                s,
                "\t\t<Registry clsid=\"{REGISTRY_CLSID}\" name=\"{}\" desc=\"{}\" uid=\"{}\">{props}<Filters><FilterWmi bool=\"AND\" not=\"0\" query=\"{}\" nameSpace=\"{}\" property=\"\" variableName=\"\"/></Filters></Registry>",
                attr(&shown),
                attr(&scope),
                item_uid(&scope, op),
                attr(&super::wql::build_range(lo, hi)),
                attr(WMI_NAMESPACE)
            );
        }
    }
    s.push_str("\t</Collection>\n</RegistrySettings>\n");
    Ok(s.replace('\n', "\r\n").into_bytes())
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

    fn info() -> GppInfo {
        GppInfo {
            profile: "p".into(),
            revert: false,
        }
    }

    fn one(op: Op) -> Result<String, GppError> {
        to_gpp(&Plan { ops: vec![op] }, &info()).map(|b| String::from_utf8(b).unwrap())
    }

    const K: &str = r"HKEY_LOCAL_MACHINE\SOFTWARE\A";

    #[test]
    fn a_dword_is_the_item_the_spec_shows() {
        let x = one(set(K, "V", RegData::Dword(0xff))).unwrap();
        assert!(x.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<RegistrySettings clsid=\"{A3CCFC41-DFDB-43a5-8D26-0FE8B954DA51}\">\r\n\t<Collection clsid=\"{53B533F5-224C-47e3-B01B-CA3B3F3FF4BF}\" name=\"p\" uid=\"{"));
        assert!(x.contains("<Properties action=\"U\" displayDecimal=\"0\" default=\"0\" hive=\"HKEY_LOCAL_MACHINE\" key=\"SOFTWARE\\A\" name=\"V\" type=\"REG_DWORD\" value=\"000000FF\"/></Registry>\r\n"), "{x}");
        assert!(x.ends_with("\t</Collection>\r\n</RegistrySettings>\r\n"));
        assert!(!x.replace("\r\n", "").contains(['\r', '\n']));
    }

    #[test]
    fn deletions_and_the_default_value() {
        let x = one(Op::DeleteKey {
            key: r"HKEY_CURRENT_USER\A\RC4 128/128".into(),
        })
        .unwrap();
        assert!(x.contains("name=\"RC4 128/128\" uid="), "{x}");
        assert!(x.contains("action=\"D\" displayDecimal=\"0\" default=\"0\" hive=\"HKEY_CURRENT_USER\" key=\"A\\RC4 128/128\" name=\"\" type=\"\" value=\"\"/>"), "{x}");
        let x = one(Op::DeleteValue {
            key: K.into(),
            name: "".into(),
        })
        .unwrap();
        assert!(x.contains("action=\"D\" displayDecimal=\"0\" default=\"1\" hive=\"HKEY_LOCAL_MACHINE\" key=\"SOFTWARE\\A\" name=\"\" type=\"\" value=\"\"/>"), "{x}");
        let x = one(set(K, "", RegData::Sz("x".into()))).unwrap();
        assert!(x.contains("name=\"(Default)\""), "{x}");
        assert!(x.contains("default=\"1\""), "{x}");
    }

    #[test]
    fn text_is_escaped_and_lists_are_written_twice() {
        let x = one(set(K, "a\"<&>'\tb", RegData::Sz("x\r\ny\t&<\"".into()))).unwrap();
        assert!(
            x.contains("name=\"a&quot;&lt;&amp;>'&#9;b\" type=\"REG_SZ\" value=\"x&#13;&#10;y&#9;&amp;&lt;&quot;\"/>"),
            "{x}"
        );
        let x = one(set(
            K,
            "L",
            RegData::MultiSz(vec!["a&b".into(), "<c>".into()]),
        ))
        .unwrap();
        assert!(x.contains("type=\"REG_MULTI_SZ\" value=\"a&amp;b &lt;c>\"><Values><Value>a&amp;b</Value><Value>&lt;c&gt;</Value></Values></Properties></Registry>"), "{x}");
    }

    #[test]
    fn what_the_format_cannot_say_is_refused() {
        let err = |op| one(op).unwrap_err();
        for (d, kind) in [
            (RegData::Binary(vec![1]), "REG_BINARY"),
            (RegData::Qword(1), "REG_QWORD"),
            (RegData::None(vec![]), "REG_NONE"),
        ] {
            let e = err(set(K, "V", d));
            assert!(matches!(e, GppError::Type { kind: k, .. } if k == kind));
            assert!(
                e.to_string()
                    .starts_with("value \"V\" of [HKEY_LOCAL_MACHINE\\SOFTWARE\\A]: "),
                "{e}"
            );
        }
        let e = err(set(K, "V", RegData::Sz("a\0b".into())));
        assert!(
            matches!(
                e,
                GppError::Character {
                    code: 0,
                    part: "data",
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("U+0000"), "{e}");
        assert!(matches!(
            err(set(K, "a\u{1}", RegData::Dword(1))),
            GppError::Character {
                code: 1,
                part: "value name",
                ..
            }
        ));
        assert!(matches!(
            err(set(K, "V", RegData::Sz("\u{FFFE}".into()))),
            GppError::Character { code: 0xFFFE, .. }
        ));
        assert!(matches!(
            err(set(K, "V", RegData::ExpandSz("%SystemRoot%".into()))),
            GppError::Percent { part: "data", .. }
        ));
        assert!(matches!(
            err(Op::DeleteKey {
                key: r"HKEY_LOCAL_MACHINE\SOFTWARE\100%".into()
            }),
            GppError::Percent {
                part: "key path",
                name: None,
                ..
            }
        ));
        for bad in [
            r"HKEY_LOCAL_MACHINE",
            r"HKEY_LOCAL_MACHINE\",
            r"HKEY_LOCAL_MACHINE\A\\B",
            r"HKEY_LOCAL_MACHINE\A\",
            r"HKEY_PERFORMANCE_DATA\A",
        ] {
            assert!(
                matches!(err(Op::DeleteKey { key: bad.into() }), GppError::Key { .. }),
                "{bad}"
            );
        }
        for items in [
            vec![],
            vec!["a".to_string(), String::new()],
            vec!["a b".to_string()],
            vec!["a\nb".to_string()],
        ] {
            assert!(matches!(
                err(set(K, "L", RegData::MultiSz(items))),
                GppError::MultiString { .. }
            ));
        }
        assert!(one(set(K, "L", RegData::MultiSz(vec!["a".into()]))).is_ok());
        assert_eq!(
            err(set(K, "", RegData::Qword(1)))
                .to_string()
                .split(':')
                .next(),
            Some("the default value of [HKEY_LOCAL_MACHINE\\SOFTWARE\\A]")
        );
    }

    #[test]
    fn ids_are_stable_distinct_and_version_5() {
        let a = uid(&["p", "x"]);
        assert_eq!(a, uid(&["p", "x"]));
        assert_ne!(a, uid(&["px", ""]));
        assert_eq!(a.len(), 38);
        assert_eq!(&a[15..16], "5");
        assert!(matches!(&a[20..21], "8" | "9" | "A" | "B"), "{a}");
        assert!(a[1..37]
            .chars()
            .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_lowercase()));
    }

    #[test]
    fn families_share_what_is_the_same() {
        let plan = |d: u32| Plan {
            ops: vec![
                set(K, "Same", RegData::Dword(1)),
                set(K, "List", RegData::Dword(d)),
            ],
        };
        let branches = [
            Branch {
                first: 7601,
                builds: "old".into(),
                plan: plan(1),
            },
            Branch {
                first: 20348,
                builds: "new".into(),
                plan: plan(2),
            },
        ];
        let x =
            String::from_utf8(to_gpp_by_build(&branches, (7601, None), &info()).unwrap()).unwrap();
        assert_eq!(x.matches("<Registry ").count(), 3, "{x}");
        assert_eq!(x.matches("<Filters>").count(), 2, "{x}");
        assert!(x.contains("desc=\"builds 7601 to 20347\""), "{x}");
        assert!(x.contains("desc=\"builds 20348 and later\""), "{x}");
        assert!(x.contains("nameSpace=\"root\\cimv2\" property=\"\" variableName=\"\"/></Filters>"));
        assert!(matches!(
            to_gpp_by_build(
                &[branches[1].clone(), branches[0].clone()],
                (0, None),
                &info()
            ),
            Err(GppError::Misaligned)
        ));
        assert!(matches!(
            to_gpp_by_build(&[], (0, None), &info()),
            Err(GppError::Misaligned)
        ));
    }
}
