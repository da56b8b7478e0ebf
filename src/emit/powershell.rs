//! The PowerShell writer: a script that applies a plan safely on a live Windows system —
//! idempotent (reads before it writes), backed up, verified by reading back, `-WhatIf`
//! aware, `-Check` to compare only — with every string from the profile as a single-quoted
//! literal; and the pair Intune Remediations runs: a detection script that changes nothing
//! and says in one line whether the computer is as the profile asks, and a remediation
//! script (the same script, ASCII, exit 0 when it succeeded).

use super::aligned;
use super::needs_restart;
pub use super::Branch;
use crate::plan::{Op, Plan};
use crate::value::RegData;
use std::fmt::Write as _;

/// The runtime functions every script carries (reviewed PowerShell, not generated): reading
/// and comparing values. `@NAME@` marks a fact filled in from
/// [`crate::catalog::traps::prerequisites`] by [`fill`].
const COMMON: &str = include_str!("ps1_common.ps1");

/// The runtime functions of the scripts that change the registry: backup, set, delete, the
/// build and prerequisite checks.
const APPLY: &str = include_str!("ps1_apply.ps1");

/// A runtime part with the prerequisite facts filled in.
fn fill(part: &str) -> String {
    use crate::catalog::traps::prerequisites as pre;
    part.replace("@TLS12_MIN_BUILD@", &pre::TLS12_MIN_BUILD.to_string())
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

/// Which script to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScriptKind {
    /// The script people run (`NAME.ps1`): UTF-8 with BOM, exit 3010 when a restart is
    /// needed, `-WhatIf`, `-Check`, `-Force`, `-BackupPath`, `-NoBackup`.
    #[default]
    Apply,
    /// Intune's remediation script (`NAME.remediate.ps1`): the same, in ASCII without a
    /// BOM, exit 0 when it succeeded (the restart is said in its last line; Intune forbids
    /// restarting from the script).
    IntuneRemediate,
    /// Intune's detection script (`NAME.detect.ps1`): changes nothing; prints one line and
    /// exits 1 when any value differs from the profile, 0 when none does. ASCII, no BOM.
    IntuneDetect,
}

impl ScriptKind {
    /// Whether the script must be ASCII (Intune: UTF-8 without a BOM, which Windows
    /// PowerShell 5.1 reads in the ANSI code page, so only ASCII survives).
    fn ascii(self) -> bool {
        self != ScriptKind::Apply
    }
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
    /// Which script.
    pub kind: ScriptKind,
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
/// (a line break inside a literal would be rewritten with the file's line ends), and only
/// ASCII in an ASCII script.
fn plain(s: &str, ascii: bool) -> bool {
    !s.chars()
        .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}' || (ascii && !c.is_ascii()))
}

/// A string argument: a single-quoted literal, or, for text a literal cannot carry here,
/// `(ConvertFrom-TlsregUtf16Hex 'HEX')`, its UTF-16LE units in hex.
fn string(s: &str, ascii: bool) -> String {
    if plain(s, ascii) {
        literal(s)
    } else {
        format!("(ConvertFrom-TlsregUtf16Hex '{}')", utf16_hex(s))
    }
}

fn utf16_hex(s: &str) -> String {
    s.encode_utf16()
        .flat_map(u16::to_le_bytes)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The `-Kind ... -Data ...` arguments of one value.
fn data_args(key: &str, name: &str, data: &RegData, ascii: bool) -> Result<String, PsError> {
    let nul = |s: &str| s.contains('\0');
    let text = |kind: &str, s: &str| {
        if plain(s, ascii) {
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
            if items.iter().all(|s| plain(s, ascii)) {
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

/// A key path or value name: a literal (tabs and all: names hold no line breaks), or in
/// an ASCII script, an encoded string when it is not plain ASCII.
fn name_arg(s: &str, kind: ScriptKind) -> String {
    if kind.ascii() {
        string(s, true)
    } else {
        literal(s)
    }
}

/// One operation as a line of the script, indented by `indent`: the call that applies it,
/// or in the detection script the one that checks it.
fn op_line(s: &mut String, indent: &str, op: &Op, kind: ScriptKind) -> Result<(), PsError> {
    let detect = kind == ScriptKind::IntuneDetect;
    let restart = if needs_restart(op.key()) && !detect {
        " -Restart"
    } else {
        ""
    };
    let (set, remove_value, remove_key) = if detect {
        (
            "Test-TlsregValue",
            "Test-TlsregValueAbsent",
            "Test-TlsregKeyAbsent",
        )
    } else {
        ("Set-TlsregValue", "Remove-TlsregValue", "Remove-TlsregKey")
    };
    match op {
        Op::DeleteKey { key } => {
            let _ = writeln!(
                s,
                "{indent}{remove_key} -Key {}{restart}",
                name_arg(key, kind)
            );
        }
        Op::DeleteValue { key, name } => {
            let _ = writeln!(
                s,
                "{indent}{remove_value} -Key {} -Name {}{restart}",
                name_arg(key, kind),
                name_arg(name, kind)
            );
        }
        Op::SetValue { key, name, data } => {
            let args = data_args(key, name, data, kind.ascii())?;
            let _ = writeln!(
                s,
                "{indent}{set} -Key {} -Name {} {args}{restart}",
                name_arg(key, kind),
                name_arg(name, kind)
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
    if !aligned(branches) {
        return Err(PsError::Misaligned);
    }
    let kind = info.kind;
    let mut s = String::new();
    if kind == ScriptKind::IntuneDetect {
        s.push_str(&detect_header(info));
        s.push_str(&fill(COMMON));
        s.push_str("$script:OneLine = $true\n");
    } else {
        s.push_str(&apply_header(info));
        s.push_str(&fill(COMMON));
        s.push_str(&fill(APPLY));
    }
    // The name only labels the backup folder and messages; control characters would
    // break the line.
    let name: String = info
        .profile
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let _ = writeln!(s, "\n$script:ProfileName = {}", name_arg(&name, kind));
    if kind != ScriptKind::IntuneDetect {
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
            let _ = writeln!(s, "    {}", name_arg(k, kind));
        }
        s.push_str(")\n");
    }
    s.push('\n');
    if branches.len() > 1 {
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
        let max = max.unwrap_or(0);
        if kind == ScriptKind::IntuneDetect {
            let _ = writeln!(
                s,
                "$script:Build = Get-TlsregBuild\n$problem = Get-TlsregBuildProblem -Build $script:Build -Min {min} -Max {max}\nif ($null -ne $problem) {{\n    Write-Output ('not compliant: {{0}}' -f $problem)\n    exit 1\n}}\n"
            );
        } else {
            let _ = writeln!(
                s,
                "$script:Build = Assert-TlsregBuild -Min {min} -Max {max}\n"
            );
        }
    }
    if info.prerequisites && kind != ScriptKind::IntuneDetect {
        s.push_str("if (-not $Force -and -not $Check) { Test-TlsregPrerequisites }\n\n");
    }
    s.push_str("try {\n");
    let first = &branches[0].plan.ops;
    for (i, op) in first.iter().enumerate() {
        let same = branches[1..].iter().all(|b| b.plan.ops[i] == *op);
        if same {
            op_line(&mut s, "    ", op, kind)?;
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
            op_line(&mut s, "        ", &b.plan.ops[i], kind)?;
        }
        s.push_str("    }\n");
    }
    s.push_str(match kind {
        ScriptKind::Apply => APPLY_TAIL,
        ScriptKind::IntuneRemediate => REMEDIATE_TAIL,
        ScriptKind::IntuneDetect => DETECT_TAIL,
    });
    let text = s.replace("\r\n", "\n").replace('\n', "\r\n");
    if kind.ascii() {
        // Every profile text went through `name_arg` or `data_args`, which keep an Intune
        // script ASCII.
        debug_assert!(text.is_ascii(), "an Intune script with non-ASCII text");
        return Ok(text.into_bytes());
    }
    let mut out = vec![0xEF, 0xBB, 0xBF];
    out.extend(text.into_bytes());
    Ok(out)
}

/// The comment-based help and parameters of the script that applies (and of the
/// remediation script, which Intune runs without parameters).
fn apply_header(info: &ScriptInfo) -> String {
    let mut s = String::new();
    let what = if info.revert { "Undoes" } else { "Applies" };
    s.push_str("#Requires -RunAsAdministrator\n");
    s.push_str("<#\n.SYNOPSIS\n");
    let _ = writeln!(s, "    {what} a tlsreg profile to this computer's registry (the profile name is in $ProfileName below).");
    let exits = if info.kind == ScriptKind::IntuneRemediate {
        "    This is the remediation script of an Intune remediation: it runs without\n    parameters, as SYSTEM, and changes nothing that is already as the profile asks.\n    Exit codes: 0 done (its last line says when the computer must be restarted);\n    1 a prerequisite is missing or a change failed."
    } else {
        "    Exit codes: 0 nothing changed; 3010 something changed and the computer must be\n    restarted; 1 a prerequisite is missing or a change failed. With -Check: 0 every\n    setting is as the profile asks, 1 one differs or could not be read."
    };
    let _ = write!(
        s,
        "\
.DESCRIPTION
    Generated by tlsreg; regenerate it instead of editing it. The script reads each value
    first and changes only what differs, so running it twice changes nothing the second
    time. Before the first change it exports every key it may touch with reg.exe into a
    timestamped folder under -BackupPath. Every written value is read back.
    Prints one line per setting (changed, unchanged, deleted) and a summary.
{exits}
.PARAMETER BackupPath
    Folder for the backup (default: %ProgramData%\\tlsreg\\backup).
.PARAMETER NoBackup
    Change the registry without exporting the keys first.
.PARAMETER Force
    Apply even when the TLS 1.2 prerequisites (KB4019276 on Server 2008 SP2, SP1 on
    Server 2008 R2, .NET Framework 4.5 where .NET 4 is installed) are missing.
.PARAMETER Check
    Change nothing: print each setting that differs from the profile, and exit 1 when
    one does (0 when none does).
.EXAMPLE
    .\\profile.ps1 -WhatIf
    Shows what would change, changes nothing.
#>
[CmdletBinding(SupportsShouldProcess = $true)]
param(
    [string]$BackupPath = (Join-Path -Path ([Environment]::GetFolderPath('CommonApplicationData')) -ChildPath 'tlsreg\\backup'),
    [switch]$NoBackup,
    [switch]$Force,
    [switch]$Check
)
"
    );
    s
}

/// The comment-based help of the detection script.
fn detect_header(info: &ScriptInfo) -> String {
    let what = if info.revert {
        "none of the values a tlsreg profile sets is left\n    (its undo has been applied; the profile name is in $ProfileName below)."
    } else {
        "this computer's registry is as a tlsreg profile\n    asks (the profile name is in $ProfileName below)."
    };
    format!(
        "\
<#
.SYNOPSIS
    Intune detection script. Checks that {what}
.DESCRIPTION
    Generated by tlsreg; regenerate it instead of editing it. Changes nothing: it reads
    each value through the registry's 64-bit view and compares it with the profile.
    Prints one line. Exit codes: 0 every setting is as the profile asks; 1 one differs,
    or the registry or the Windows build could not be read (the remediation script then
    runs).
#>
"
    )
}

/// The end of the script that applies.
const APPLY_TAIL: &str = "\
} catch {
    $script:Failed++
    Write-Error -ErrorAction Continue -Message ('tlsreg: {0}' -f $_.Exception.Message)
}

if ($Check) {
    Write-Output ('summary    {0} of {1} settings differ from the profile, {2} failed' -f $script:Differences.Count, $script:Checked, $script:Failed)
    if ($script:Failed -gt 0 -or $script:Differences.Count -gt 0) { exit 1 }
    exit 0
}
Write-Output ('summary    {0} changed, {1} deleted, {2} unchanged, {3} failed' -f $script:Changed, $script:Deleted, $script:Unchanged, $script:Failed)
if ($script:Failed -gt 0) { exit 1 }
if ($script:RestartNeeded) {
    Write-Warning 'Restart the computer: Schannel, .NET and WinHTTP read these settings at startup.'
    exit 3010
}
exit 0
";

/// The end of the remediation script: Intune shows its last line, and must not restart.
const REMEDIATE_TAIL: &str = "\
} catch {
    $script:Failed++
    Write-Output ('tlsreg: {0}' -f $_.Exception.Message)
}

$restart = ''
if ($script:RestartNeeded) {
    $restart = '; restart the computer: Schannel, .NET and WinHTTP read these settings at startup'
}
Write-Output ('summary    {0} changed, {1} deleted, {2} unchanged, {3} failed{4}' -f $script:Changed, $script:Deleted, $script:Unchanged, $script:Failed, $restart)
if ($script:Failed -gt 0) { exit 1 }
exit 0
";

/// The end of the detection script: one line, within Intune's 2,048 characters.
const DETECT_TAIL: &str = "\
} catch {
    Write-Output ('not compliant: the registry could not be read: {0}' -f $_.Exception.Message)
    exit 1
}

if ($script:Differences.Count -gt 0) {
    $line = ('not compliant: {0} of {1} settings differ from the profile {2}; first: {3}' -f $script:Differences.Count, $script:Checked, $script:ProfileName, $script:Differences[0])
    if ($line.Length -gt 2000) { $line = $line.Substring(0, 1997) + '...' }
    Write-Output $line
    exit 1
}
Write-Output ('compliant: the {0} settings of the profile {1} are as it asks' -f $script:Checked, $script:ProfileName)
exit 0
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_runtime_placeholder_is_filled() {
        let r = fill(COMMON) + &fill(APPLY);
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
            APPLY.contains("@NET45_RELEASE@"),
            "the test reads placeholders"
        );
        assert!(r.contains("-lt 378389)"));
    }

    #[test]
    fn literals_double_every_single_quote() {
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal("a\u{2019}b"), "'a\u{2019}\u{2019}b'");
        assert_eq!(literal("$(x) `y` \"z\" ; # ä"), "'$(x) `y` \"z\" ; # ä'");
    }

    #[test]
    fn text_with_line_breaks_is_encoded() {
        let a = data_args("K", "n", &RegData::Sz("a\nb".into()), false).unwrap();
        assert_eq!(a, "-Kind 'String' -Data '61000a006200' -Encoded");
        assert!(data_args("K", "n", &RegData::Sz("a\0b".into()), false).is_err());
        let a = data_args("K", "n", &RegData::Sz("ä".into()), true).unwrap();
        assert_eq!(a, "-Kind 'String' -Data 'e400' -Encoded");
        assert_eq!(string("ä'", false), "'ä'''");
        assert_eq!(string("ä", true), "(ConvertFrom-TlsregUtf16Hex 'e400')");
    }
}
