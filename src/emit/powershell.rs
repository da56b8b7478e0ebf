//! The PowerShell writer: a script that applies a plan safely on a live Windows system —
//! idempotent (reads before it writes), backed up, verified by reading back, `-WhatIf`
//! aware — with every string from the profile as a single-quoted literal.

use crate::plan::{Op, Plan};
use crate::value::RegData;
use std::fmt::Write as _;

/// The fixed functions every script carries (reviewed PowerShell, not generated).
/// The runtime functions every script carries; `@NAME@` marks a fact filled in from
/// [`crate::catalog::traps::prerequisites`] by [`runtime`].
const RUNTIME: &str = include_str!("ps1_runtime.ps1");

/// The runtime with the prerequisite facts filled in.
fn runtime() -> String {
    use crate::catalog::traps::prerequisites as pre;
    RUNTIME
        .replace("@TLS12_MIN_BUILD@", &pre::TLS12_MIN_BUILD.to_string())
        .replace("@SERVER_2008_UPDATE@", pre::SERVER_2008_UPDATE)
        .replace("@SERVER_2008_END@", &pre::SERVER_2008_END.to_string())
        .replace("@WIN7_RTM_BUILD@", &pre::WIN7_RTM_BUILD.to_string())
        .replace("@NDP_FULL@", pre::NDP_FULL)
        .replace("@NDP_CLIENT@", pre::NDP_CLIENT)
        .replace("@NET_V4@", pre::NET_V4)
        .replace("@NET46_RELEASE@", &pre::NET46_RELEASE.to_string())
        .replace("@NET45_RELEASE@", &pre::NET45_RELEASE.to_string())
        .replace("@CURRENT_VERSION@", crate::catalog::CURRENT_VERSION)
}

/// What the script says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptInfo {
    /// Profile name (for the backup folder and messages).
    pub profile: String,
    /// Check the TLS 1.2 / .NET prerequisites before changing anything.
    pub prerequisites: bool,
    /// This is the undo script.
    pub revert: bool,
}

/// Why a plan cannot be written as PowerShell.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PsError {
    /// The plans of [`to_powershell_by_build`] do not have the same operations in order.
    #[error(
        "the per-build plans differ in more than their data; one script cannot choose between them"
    )]
    Misaligned,
    /// A REG_SZ, REG_EXPAND_SZ or REG_MULTI_SZ value holds a NUL character inside its text.
    #[error("value \"{name}\" of key \"{key}\" holds text with a NUL character, which RegistryKey.SetValue cannot write faithfully; use the .reg output for it")]
    Nul {
        /// The key path.
        key: String,
        /// The value name.
        name: String,
    },
}

/// The characters PowerShell treats as single quotes (a literal doubles each of them).
const SINGLE_QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'];

/// A single-quoted PowerShell literal: no expansion, no escapes, quotes doubled.
pub fn literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if SINGLE_QUOTES.contains(&c) {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// Whether text can sit in a literal of a CRLF file unchanged: no control characters
/// (a line break inside a literal would be rewritten with the file's line ends).
fn plain(s: &str) -> bool {
    !s.chars()
        .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
}

fn utf16_hex(s: &str) -> String {
    s.encode_utf16()
        .flat_map(u16::to_le_bytes)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether changing this key needs a restart to take effect: everything the catalogue
/// writes (SCHANNEL, LSA, cipher-suite policy, .NET, WinHTTP) does.
fn needs_restart(key: &str) -> bool {
    let k = key.to_ascii_uppercase();
    crate::catalog::RESTART_KEY_PARTS
        .iter()
        .any(|p| k.contains(&p.to_ascii_uppercase()))
}

/// The `-Kind ... -Data ...` arguments of one value.
fn data_args(key: &str, name: &str, data: &RegData) -> Result<String, PsError> {
    let nul = |s: &str| s.contains('\0');
    let text = |kind: &str, s: &str| {
        if plain(s) {
            format!("-Kind '{kind}' -Data {}", literal(s))
        } else {
            format!("-Kind '{kind}' -Data '{}' -Encoded", utf16_hex(s))
        }
    };
    Ok(match data {
        RegData::Sz(s) | RegData::ExpandSz(s) if nul(s) => {
            return Err(PsError::Nul {
                key: key.into(),
                name: name.into(),
            })
        }
        RegData::Sz(s) => text("String", s),
        RegData::ExpandSz(s) => text("ExpandString", s),
        RegData::MultiSz(items) => {
            if items.iter().any(|s| nul(s)) {
                return Err(PsError::Nul {
                    key: key.into(),
                    name: name.into(),
                });
            }
            if items.iter().all(|s| plain(s)) {
                let list: Vec<String> = items.iter().map(|s| literal(s)).collect();
                format!("-Kind 'MultiString' -Data @({})", list.join(", "))
            } else {
                let list: Vec<String> = items
                    .iter()
                    .map(|s| format!("'{}'", utf16_hex(s)))
                    .collect();
                format!("-Kind 'MultiString' -Data @({}) -Encoded", list.join(", "))
            }
        }
        RegData::Dword(d) => format!("-Kind 'DWord' -Data {d}"),
        RegData::Qword(q) => format!("-Kind 'QWord' -Data '{q}'"),
        RegData::Binary(b) => format!("-Kind 'Binary' -Data '{}'", crate::value::hex(b)),
        RegData::None(b) => format!("-Kind 'None' -Data '{}'", crate::value::hex(b)),
    })
}

/// The value name an operation touches (`None` for a key deletion).
fn op_name(op: &Op) -> Option<&str> {
    match op {
        Op::DeleteKey { .. } => None,
        Op::DeleteValue { name, .. } | Op::SetValue { name, .. } => Some(name),
    }
}

/// One operation as a line of the script, indented by `indent`.
fn op_line(s: &mut String, indent: &str, op: &Op) -> Result<(), PsError> {
    let restart = if needs_restart(op.key()) {
        " -Restart"
    } else {
        ""
    };
    match op {
        Op::DeleteKey { key } => {
            let _ = writeln!(s, "{indent}Remove-TlsregKey -Key {}{restart}", literal(key));
        }
        Op::DeleteValue { key, name } => {
            let _ = writeln!(
                s,
                "{indent}Remove-TlsregValue -Key {} -Name {}{restart}",
                literal(key),
                literal(name)
            );
        }
        Op::SetValue { key, name, data } => {
            let args = data_args(key, name, data)?;
            let _ = writeln!(
                s,
                "{indent}Set-TlsregValue -Key {} -Name {} {args}{restart}",
                literal(key),
                literal(name)
            );
        }
    }
    Ok(())
}

/// Writes the script: UTF-8 with BOM (Windows PowerShell 5.1 reads BOM-less files as
/// ANSI) and CRLF line ends.
pub fn to_powershell(plan: &Plan, info: &ScriptInfo) -> Result<Vec<u8>, PsError> {
    let one = [Branch {
        first: 0,
        builds: String::new(),
        plan: plan.clone(),
    }];
    to_powershell_by_build(&one, (0, None), info)
}

/// The plan for one family of builds (see [`to_powershell_by_build`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    /// The first build it is for.
    pub first: u32,
    /// Its builds in words, for the script's comments.
    pub builds: String,
    /// The operations for those builds.
    pub plan: Plan,
}

/// Writes one script for several families of builds: every operation the plans share is
/// written once; one that differs becomes an `if`/`elseif` on the build the script reads at
/// run time, newest family first. The script stops before any change on a build outside
/// `range` (first build, last build or `None` for every later one), or when the build cannot
/// be read. The plans must have the same operations in the same order, apart from data.
pub fn to_powershell_by_build(
    branches: &[Branch],
    range: (u32, Option<u32>),
    info: &ScriptInfo,
) -> Result<Vec<u8>, PsError> {
    let Some(base) = branches.first() else {
        return Err(PsError::Misaligned);
    };
    let aligned = branches.iter().all(|b| {
        b.plan.ops.len() == base.plan.ops.len()
            && b.plan.ops.iter().zip(&base.plan.ops).all(|(x, y)| {
                std::mem::discriminant(x) == std::mem::discriminant(y)
                    && x.key() == y.key()
                    && op_name(x) == op_name(y)
            })
    }) && branches.windows(2).all(|w| w[0].first < w[1].first);
    if !aligned {
        return Err(PsError::Misaligned);
    }
    let mut s = String::new();
    let what = if info.revert { "Undoes" } else { "Applies" };
    s.push_str("#Requires -RunAsAdministrator\n");
    s.push_str("<#\n.SYNOPSIS\n");
    let _ = writeln!(s, "    {what} a tlsreg profile to this computer's registry (the profile name is in $ProfileName below).");
    s.push_str(
        "\
.DESCRIPTION
    Generated by tlsreg; regenerate it instead of editing it. The script reads each value
    first and changes only what differs, so running it twice changes nothing the second
    time. Before the first change it exports every key it may touch with reg.exe into a
    timestamped folder under -BackupPath. Every written value is read back.
    Prints one line per setting (changed, unchanged, deleted) and a summary.
    Exit codes: 0 nothing changed; 3010 something changed and the computer must be
    restarted; 1 a prerequisite is missing or a change failed.
.PARAMETER BackupPath
    Folder for the backup (default: %ProgramData%\\tlsreg\\backup).
.PARAMETER NoBackup
    Change the registry without exporting the keys first.
.PARAMETER Force
    Apply even when the TLS 1.2 prerequisites (KB4019276 on Server 2008 SP2, SP1 on
    Server 2008 R2, .NET Framework 4.5 where .NET 4 is installed) are missing.
.EXAMPLE
    .\\profile.ps1 -WhatIf
    Shows what would change, changes nothing.
#>
[CmdletBinding(SupportsShouldProcess = $true)]
param(
    [string]$BackupPath = (Join-Path -Path ([Environment]::GetFolderPath('CommonApplicationData')) -ChildPath 'tlsreg\\backup'),
    [switch]$NoBackup,
    [switch]$Force
)
",
    );
    s.push_str(&runtime());
    // The name only labels the backup folder; control characters would break the line.
    let name: String = info
        .profile
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let _ = writeln!(s, "\n$script:ProfileName = {}", literal(&name));
    // Every key the script may touch, for the backup.
    let mut keys: Vec<&str> = Vec::new();
    for op in branches.iter().flat_map(|b| &b.plan.ops) {
        let k = op.key();
        if !keys.iter().any(|x| x.eq_ignore_ascii_case(k)) {
            keys.push(k);
        }
    }
    s.push_str("$script:Keys = @(\n");
    for k in &keys {
        let _ = writeln!(s, "    {}", literal(k));
    }
    s.push_str(")\n\n");
    let by_build = branches.len() > 1;
    if by_build {
        let (min, max) = range;
        let _ = writeln!(
            s,
            "# The cipher-suite and curve lists depend on the Windows build: {}.",
            branches
                .iter()
                .map(|b| b.builds.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        );
        let _ = writeln!(
            s,
            "$script:Build = Assert-TlsregBuild -Min {min} -Max {}\n",
            max.unwrap_or(0)
        );
    }
    if info.prerequisites {
        s.push_str("if (-not $Force) { Test-TlsregPrerequisites }\n\n");
    }
    s.push_str("try {\n");
    let first = &branches[0].plan.ops;
    for (i, op) in first.iter().enumerate() {
        let same = branches[1..].iter().all(|b| b.plan.ops[i] == *op);
        if same {
            op_line(&mut s, "    ", op)?;
            continue;
        }
        // Newest first: the first branch whose first build this build reaches.
        for (n, b) in branches.iter().enumerate().rev() {
            let cond = if n == 0 {
                "} else {".to_string()
            } else if n == branches.len() - 1 {
                format!("if ($script:Build -ge {}) {{", b.first)
            } else {
                format!("}} elseif ($script:Build -ge {}) {{", b.first)
            };
            let _ = writeln!(s, "    {cond}  # {}", b.builds);
            op_line(&mut s, "        ", &b.plan.ops[i])?;
        }
        s.push_str("    }\n");
    }
    s.push_str(
        "\
} catch {
    $script:Failed++
    Write-Error -ErrorAction Continue -Message ('tlsreg: {0}' -f $_.Exception.Message)
}

Write-Output ('summary    {0} changed, {1} deleted, {2} unchanged, {3} failed' -f $script:Changed, $script:Deleted, $script:Unchanged, $script:Failed)
if ($script:Failed -gt 0) { exit 1 }
if ($script:RestartNeeded) {
    Write-Warning 'Restart the computer: Schannel, .NET and WinHTTP read these settings at startup.'
    exit 3010
}
exit 0
",
    );
    let mut out = vec![0xEF, 0xBB, 0xBF];
    out.extend(s.replace("\r\n", "\n").replace('\n', "\r\n").into_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_runtime_placeholder_is_filled() {
        let r = runtime();
        // A placeholder is `@` + upper-case name + `@`; PowerShell's own `@(`/`@{` are not.
        let left = r.match_indices('@').find_map(|(i, _)| {
            let rest = &r[i + 1..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            (!name.is_empty() && rest[name.len()..].starts_with('@')).then_some(name)
        });
        assert_eq!(left, None, "a @NAME@ placeholder is left");
        assert!(
            RUNTIME.contains("@NET45_RELEASE@"),
            "the test reads placeholders"
        );
        assert!(runtime().contains("-lt 378389)"));
    }

    #[test]
    fn literals_double_every_single_quote() {
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal("a\u{2019}b"), "'a\u{2019}\u{2019}b'");
        assert_eq!(literal("$(x) `y` \"z\" ; # ä"), "'$(x) `y` \"z\" ; # ä'");
    }

    #[test]
    fn text_with_line_breaks_is_encoded() {
        let a = data_args("K", "n", &RegData::Sz("a\nb".into())).unwrap();
        assert_eq!(a, "-Kind 'String' -Data '61000a006200' -Encoded");
        assert!(data_args("K", "n", &RegData::Sz("a\0b".into())).is_err());
    }
}
