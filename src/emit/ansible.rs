//! The Ansible writer: a plan as a playbook of `ansible.windows.win_regedit` tasks, for
//! fleets managed with Ansible (`ansible-playbook NAME.playbook.yml --check --diff` shows
//! what would change; the module supports check mode).
//!
//! Every text from the profile is a quoted YAML scalar, tagged `!unsafe` where it holds a
//! `{` so that Ansible never templates it (a `{{ }}` in a value name stays text), with
//! everything outside printable ASCII escaped (`\x`, `\u`, `\U`): the file is ASCII and
//! no character can end a scalar early. Task names are made only of safe characters. A value whose key needs a
//! restart notifies a handler that says so, and restarts the host when the play runs with
//! `-e tlsreg_reboot=true`. A profile whose lists differ by build reads the build from the
//! registry first (`win_reg_stat`, as the scripts do), stops a host the profile has no
//! lists for, and gives each family's task a `when` on the build.
//!
//! How `win_regedit` reads each argument is its own code's (ansible.windows,
//! `plugins/modules/win_regedit.ps1`): DWORDs are numbers; QWORDs go as decimal strings
//! (the module parses a string as UInt64; a number that large could reach it as a float);
//! binary and REG_NONE data as `hex:` lists (an empty string is no bytes); an empty
//! multi-string has no `data` (an empty list would reach the module as no value at all and
//! nothing would be written); the default value is `name: ""` (an omitted name forces the
//! type to string); deleting it needs `delete_key: false` (else the whole key goes).

use super::{aligned, needs_restart, Branch};
use crate::plan::{Op, Plan};
use crate::value::RegData;
use std::fmt::Write as _;

/// Why a plan cannot be written as a playbook.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnsibleError {
    /// The per-build plans do not have the same operations in order.
    #[error(
        "the per-build plans differ in more than their data; one playbook cannot choose between them"
    )]
    Misaligned,
    /// A string value holds a NUL character: `win_regedit` sets it through
    /// `RegistryKey.SetValue`, which cannot write it faithfully.
    #[error("value \"{name}\" of key \"{key}\" holds text with a NUL character, which win_regedit cannot set faithfully; use the .reg output for it")]
    Nul {
        /// The key path.
        key: String,
        /// The value name.
        name: String,
    },
    /// A key outside the roots `win_regedit` knows.
    #[error("[{key}]: win_regedit reaches only HKLM, HKCU, HKU, HKCR and HKCC")]
    Root {
        /// The key path.
        key: String,
    },
}

/// What the playbook says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaybookInfo {
    /// The profile's name (for the play's name and messages).
    pub profile: String,
    /// This is the undo playbook.
    pub revert: bool,
}

/// A YAML scalar of profile text `s` (single-quoted when it is printable ASCII, else
/// double-quoted with escapes) that Ansible reads back as that text and never templates: tagged `!unsafe` when it holds a `{` (every Jinja delimiter, `{{`, `{%`,
/// `{#`, starts with one), untagged otherwise. Only there: Ansible resolves an `!unsafe`
/// scalar as if it were plain, quotes or not, so `!unsafe '3'` loads as the number 3,
/// `!unsafe 'yes'` as true and `!unsafe ''` as null, and `win_regedit` would write `3`,
/// `True` or nothing; no YAML type but the string matches text with a `{`.
pub fn unsafe_scalar(s: &str) -> String {
    if s.contains('{') {
        format!("!unsafe {}", quoted(s))
    } else {
        quoted(s)
    }
}

/// The widest line the playbook writes (ansible-lint's yamllint allows 160).
const WIDTH: usize = 150;

/// [`unsafe_scalar`] for a scalar that starts at column `col`: when the line would be wider
/// than [`WIDTH`], a double-quoted scalar broken with escaped line breaks (`\` at the end
/// of a line, which YAML drops with the next line's indentation), continued at `indent`;
/// a space that would start a continuation line is written `\x20`, since YAML drops
/// leading white space there.
fn unsafe_scalar_at(s: &str, col: usize, indent: usize) -> String {
    let one = unsafe_scalar(s);
    if col + one.len() <= WIDTH {
        return one;
    }
    // The escaped units of the double-quoted form, cut into lines: after the last comma or
    // space that fits, or where the line is full.
    let units: Vec<String> = s
        .chars()
        .map(|c| {
            let q = double_quoted(&c.to_string());
            q[1..q.len() - 1].to_string()
        })
        .collect();
    let mut lines: Vec<Vec<String>> = vec![Vec::new()];
    let mut width = col + "!unsafe \"".len();
    for u in units {
        let room = if lines.len() == 1 {
            WIDTH
        } else {
            WIDTH.max(indent + 40)
        };
        let line = lines.last_mut().expect("one line at least");
        if width + u.len() + 1 > room && !line.is_empty() {
            let cut = line
                .iter()
                .rposition(|x| x == "," || x == " ")
                .filter(|&i| i + 1 < line.len() && i > line.len() / 2)
                .map_or(line.len(), |i| i + 1);
            let rest = line.split_off(cut);
            width = indent + rest.iter().map(String::len).sum::<usize>();
            lines.push(rest);
        }
        width += u.len();
        lines.last_mut().expect("one line at least").push(u);
    }
    let mut out = if s.contains('{') {
        String::from("!unsafe \"")
    } else {
        String::from("\"")
    };
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push_str("\\\n");
            out.push_str(&" ".repeat(indent));
        }
        for (j, u) in line.iter().enumerate() {
            // YAML drops the white space that starts a continuation line.
            if i > 0 && j == 0 && u == " " {
                out.push_str("\\x20");
            } else {
                out.push_str(u);
            }
        }
    }
    out.push('"');
    out
}

/// A YAML scalar of `s`, ASCII only: single-quoted when `s` is printable ASCII (only `'`
/// is doubled there; backslashes stay as they are), else double-quoted with PyYAML's
/// escapes.
fn quoted(s: &str) -> String {
    if s.chars().all(|c| matches!(c, ' '..='~')) {
        return format!("'{}'", s.replace('\'', "''"));
    }
    double_quoted(s)
}

/// A double-quoted YAML scalar of `s` with PyYAML's escapes, ASCII only.
fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// A task name: the text with only letters, digits and `space . _ - / \ ( ) :` kept (the
/// rest as `_`), so a name is never templated and needs no escape.
fn safe_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " ._-/\\():".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The PowerShell drive `win_regedit` wants for a key (`HKLM:\SOFTWARE\...`).
fn drive_path(key: &str) -> Result<String, AnsibleError> {
    let (root, rest) = key.split_once('\\').unwrap_or((key, ""));
    let drive = match root.to_ascii_uppercase().as_str() {
        "HKEY_LOCAL_MACHINE" => "HKLM",
        "HKEY_CURRENT_USER" => "HKCU",
        "HKEY_USERS" => "HKU",
        "HKEY_CLASSES_ROOT" => "HKCR",
        "HKEY_CURRENT_CONFIG" => "HKCC",
        _ => return Err(AnsibleError::Root { key: key.into() }),
    };
    Ok(format!("{drive}:\\{rest}"))
}

/// The last two names of a key, for a task's name.
fn short_key(key: &str) -> String {
    let names: Vec<&str> = key.rsplitn(3, '\\').take(2).collect();
    names.into_iter().rev().collect::<Vec<_>>().join("\\")
}

/// The `type:` and `data:` lines of a value (the data line left out where the module
/// needs no data).
fn type_and_data(key: &str, name: &str, data: &RegData) -> Result<Vec<String>, AnsibleError> {
    let nul = || AnsibleError::Nul {
        key: key.into(),
        name: name.into(),
    };
    let hex_list = |b: &[u8]| {
        let h: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
        if h.is_empty() {
            "\"\"".to_string()
        } else {
            format!("\"hex:{}\"", h.join(","))
        }
    };
    Ok(match data {
        RegData::Sz(s) | RegData::ExpandSz(s) if s.contains('\0') => return Err(nul()),
        RegData::MultiSz(items) if items.iter().any(|s| s.contains('\0')) => return Err(nul()),
        RegData::Sz(s) => vec![
            "type: string".into(),
            format!("data: {}", unsafe_scalar_at(s, 14, 10)),
        ],
        RegData::ExpandSz(s) => vec![
            "type: expandstring".into(),
            format!("data: {}", unsafe_scalar_at(s, 14, 10)),
        ],
        RegData::MultiSz(items) if items.is_empty() => vec!["type: multistring".into()],
        RegData::MultiSz(items) => {
            let mut v = vec!["type: multistring".into(), "data:".into()];
            v.extend(
                items
                    .iter()
                    .map(|s| format!("  - {}", unsafe_scalar_at(s, 12, 12))),
            );
            v
        }
        RegData::Dword(d) => vec!["type: dword".into(), format!("data: {d}")],
        RegData::Qword(q) => vec!["type: qword".into(), format!("data: \"{q}\"")],
        RegData::Binary(b) => vec!["type: binary".into(), format!("data: {}", hex_list(b))],
        RegData::None(b) => vec!["type: none".into(), format!("data: {}", hex_list(b))],
    })
}

/// The handler a task that needs a restart notifies.
const REPORT: &str = "Report that the restart is needed";

/// One task, indented by `indent`, with a `when` line when given.
fn task(s: &mut String, indent: &str, op: &Op, when: Option<&str>) -> Result<(), AnsibleError> {
    let mut lines: Vec<String> = Vec::new();
    let (title, args) = match op {
        Op::SetValue { key, name, data } => {
            let mut a = vec![
                format!("path: {}", unsafe_scalar_at(&drive_path(key)?, 14, 10)),
                format!("name: {}", unsafe_scalar_at(name, 14, 10)),
            ];
            a.extend(type_and_data(key, name, data)?);
            a.push("state: present".into());
            let shown = if name.is_empty() { "(default)" } else { name };
            (format!("Set {shown} in {}", short_key(key)), a)
        }
        Op::DeleteValue { key, name } => {
            let mut a = vec![format!(
                "path: {}",
                unsafe_scalar_at(&drive_path(key)?, 14, 10)
            )];
            if name.is_empty() {
                // No name: the default value; delete_key false keeps the key.
                a.push("delete_key: false".into());
            } else {
                a.push(format!("name: {}", unsafe_scalar_at(name, 14, 10)));
            }
            a.push("state: absent".into());
            let shown = if name.is_empty() { "(default)" } else { name };
            (format!("Delete {shown} in {}", short_key(key)), a)
        }
        Op::DeleteKey { key } => (
            format!("Delete the key {}", short_key(key)),
            vec![
                format!("path: {}", unsafe_scalar_at(&drive_path(key)?, 14, 10)),
                "state: absent".into(),
                "delete_key: true".into(),
            ],
        ),
    };
    lines.push(format!("- name: {}", quoted(&safe_name(&title))));
    lines.push("  ansible.windows.win_regedit:".into());
    lines.extend(args.into_iter().map(|a| format!("    {a}")));
    if let Some(w) = when {
        lines.push(format!("  when: {w}"));
    }
    if needs_restart(op.key()) {
        lines.push(format!("  notify: {}", quoted(REPORT)));
    }
    for l in lines {
        let _ = writeln!(s, "{indent}{l}");
    }
    Ok(())
}

/// Writes the playbook for one plan.
pub fn to_ansible(plan: &Plan, info: &PlaybookInfo) -> Result<Vec<u8>, AnsibleError> {
    let one = [Branch {
        first: 0,
        builds: String::new(),
        plan: plan.clone(),
    }];
    to_ansible_by_build(&one, (0, None), info)
}

/// Writes one playbook for several families of builds: every operation the plans share is
/// one task; one that differs is one task per family, with a `when` on the build the play
/// reads first. A host outside `range` (first build, last build or `None`) fails before any
/// change. The plans must have the same operations in the same order, apart from data.
pub fn to_ansible_by_build(
    branches: &[Branch],
    range: (u32, Option<u32>),
    info: &PlaybookInfo,
) -> Result<Vec<u8>, AnsibleError> {
    if !aligned(branches) {
        return Err(AnsibleError::Misaligned);
    }
    let name = safe_name(&info.profile);
    let what = if info.revert { "Undo" } else { "Apply" };
    let mut s = String::new();
    let _ = write!(
        s,
        "\
---
# Generated by tlsreg from the profile {name}; regenerate it instead of editing it.
# {what} the profile with ansible.windows.win_regedit (ansible-playbook FILE --check --diff
# shows what would change and changes nothing). Variables: tlsreg_hosts (the hosts, default
# windows); tlsreg_reboot (true: restart a host whose SCHANNEL, .NET or WinHTTP values
# changed; default false: the play only reports that the restart is needed).
- name: {}
  hosts: \"{{{{ tlsreg_hosts | default('windows') }}}}\"
  gather_facts: false
  vars:
    tlsreg_reboot: false
  tasks:
",
        quoted(&format!("{what} the tlsreg profile {name}"))
    );
    let ind = "    ";
    if branches.len() > 1 {
        let (min, max) = range;
        let mut cond = vec![
            "tlsreg_build_value.exists".to_string(),
            format!("(tlsreg_build_value.value | int) >= {min}"),
        ];
        if let Some(m) = max {
            cond.push(format!("(tlsreg_build_value.value | int) <= {m}"));
        }
        let upper = max.map_or("and later".to_string(), |m| format!("to {m}"));
        let _ = writeln!(
            s,
            "{ind}- name: Read the Windows build
{ind}  ansible.windows.win_reg_stat:
{ind}    path: 'HKLM:\\SOFTWARE\\{}'
{ind}    name: CurrentBuildNumber
{ind}  register: tlsreg_build_value
{ind}- name: Stop unless the profile has lists for this build
{ind}  ansible.builtin.assert:
{ind}    that:",
            crate::catalog::CURRENT_VERSION
        );
        for c in cond {
            let _ = writeln!(s, "{ind}      - {c}");
        }
        let _ = writeln!(
            s,
            "{ind}    fail_msg: \"This playbook has cipher-suite and curve lists for Windows builds {min} {upper} only; nothing was changed.\"
{ind}    quiet: true
{ind}- name: Remember the Windows build
{ind}  ansible.builtin.set_fact:
{ind}    tlsreg_build: \"{{{{ tlsreg_build_value.value | int }}}}\""
        );
    }
    let first = &branches[0].plan.ops;
    for (i, op) in first.iter().enumerate() {
        if branches[1..].iter().all(|b| b.plan.ops[i] == *op) {
            task(&mut s, ind, op, None)?;
            continue;
        }
        for (n, b) in branches.iter().enumerate() {
            let mut when = format!("(tlsreg_build | int) >= {}", b.first);
            if let Some(next) = branches.get(n + 1) {
                let _ = write!(when, " and (tlsreg_build | int) < {}", next.first);
            }
            task(&mut s, ind, &b.plan.ops[i], Some(&when))?;
        }
    }
    if s.ends_with("tasks:\n") {
        // Nothing to do: a task that says so (a play needs one).
        let _ = writeln!(
            s,
            "{ind}- name: Nothing to change\n{ind}  ansible.builtin.debug:\n{ind}    msg: The profile sets no value."
        );
    }
    let _ = write!(
        s,
        "
  handlers:
    - name: {}
      ansible.builtin.debug:
        msg: \"Schannel, .NET and WinHTTP read these values at startup: restart the host, or run with -e tlsreg_reboot=true.\"
      changed_when: true
      notify: Restart the host when allowed
    - name: Restart the host when allowed
      ansible.windows.win_reboot:
        msg: Restarting to apply the tlsreg profile.
      when: tlsreg_reboot | bool
",
        quoted(REPORT)
    );
    Ok(s.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_are_ascii_and_never_templated() {
        assert_eq!(unsafe_scalar("a\"b\\c'd"), "'a\"b\\c''d'");
        assert_eq!(unsafe_scalar("3"), "'3'");
        assert_eq!(unsafe_scalar("{% x %}"), "!unsafe '{% x %}'");
        assert_eq!(
            unsafe_scalar("{{ x }}\n\tä€😀\u{7f}\"\\"),
            "!unsafe \"{{ x }}\\x0a\\x09\\xe4\\u20ac\\U0001f600\\x7f\\\"\\\\\""
        );
        assert_eq!(safe_name("Set {{ x }} in 'a'"), "Set __ x __ in _a_");
        assert_eq!(unsafe_scalar(""), "''");
    }

    #[test]
    fn paths_use_the_drives_of_the_module() {
        assert_eq!(
            drive_path(r"HKEY_LOCAL_MACHINE\SOFTWARE\A").unwrap(),
            r"HKLM:\SOFTWARE\A"
        );
        assert_eq!(drive_path(r"HKEY_USERS\S-1\A").unwrap(), r"HKU:\S-1\A");
        assert!(drive_path(r"HKEY_PERFORMANCE_DATA\A").is_err());
        assert_eq!(short_key(r"HKEY_LOCAL_MACHINE\A\B\C"), r"B\C");
    }

    #[test]
    fn nul_in_text_is_refused() {
        let plan = Plan {
            ops: vec![Op::SetValue {
                key: r"HKEY_LOCAL_MACHINE\SOFTWARE\A".into(),
                name: "V".into(),
                data: RegData::Sz("a\0b".into()),
            }],
        };
        let info = PlaybookInfo {
            profile: "p".into(),
            revert: false,
        };
        assert!(matches!(
            to_ansible(&plan, &info),
            Err(AnsibleError::Nul { .. })
        ));
    }
}
