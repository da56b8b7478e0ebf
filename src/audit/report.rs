//! The result of an audit as data: [`Report`], its [`Finding`]s with their [`Status`] and
//! [`Check`], what was read ([`HiveInfo`]), and the JSON schema version.

use super::os::OsInfo;
use crate::hive::ControlSets;
use serde::Serialize;

/// Version of the JSON report schema: the crate's one [`crate::SCHEMA_VERSION`].
pub use crate::SCHEMA_VERSION;

/// One finding's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The hive is as the profile asks.
    Pass,
    /// Worth a look, but not a failure (a trap that does no harm yet, a stale hive).
    Warn,
    /// The hive is not as the profile asks: the image is not compliant.
    Fail,
    /// The OS default for this build is not known: never a silent pass.
    Unknown,
    /// The hive holding this setting was not given.
    NotAudited,
}

impl Status {
    /// The name reports use: `pass`, `warn`, `fail`, `unknown`, `not-audited`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Unknown => "unknown",
            Status::NotAudited => "not-audited",
        }
    }
}

/// What kind of check produced a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// A value the profile sets or deletes.
    Value,
    /// What Schannel will do (`--effective`).
    Effective,
    /// A known mistake in the registry.
    Trap,
    /// The "Enabling TLS 1.2" prerequisites.
    Prerequisite,
    /// Something about the image (dirty hive, control sets, pending reboot).
    Image,
}

/// What a finding is about: a stable kebab-case code that stays the same across runs and
/// releases, so a dashboard or a waiver can name it ([`FindingCode::as_str`];
/// `tlsreg explain CODE` says what it means). Where a trap is the one `tlsreg lint` finds in
/// a `.reg` file, the code is lint's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FindingCode {
    /// A value the profile sets or deletes, compared as written (strict mode).
    SettingValue,
    /// What Schannel will do for a setting, values and build defaults together (`--effective`).
    SettingEffective,
    /// A key under Ciphers, Hashes or KeyExchangeAlgorithms that names no algorithm.
    UnknownAlgorithm,
    /// A cipher key spelt with a look-alike slash.
    LookalikeSlash,
    /// The pre-Vista `Triple DES 168/168` key.
    TripleDes168168,
    /// A nested cipher key such as `AES 128\128`.
    NestedCipherKey,
    /// A key under Protocols that names no protocol.
    UnknownProtocol,
    /// A DTLS 1.1 or DTLS 1.3 key.
    DtlsVersion,
    /// A TLS 1.3 key on a build before 20348.
    Tls13Below20348,
    /// A protocol enabled for Client and disabled for Server, or the reverse.
    ClientServerMismatch,
    /// The policy `Functions` of another type than REG_SZ.
    FunctionsType,
    /// A cipher-suite name in the policy `Functions` that the image's build does not know.
    UnknownOnBuild,
    /// A value Schannel reads only as a REG_DWORD stored as another type.
    NotADword,
    /// `Enabled`=0xffffffff.
    EnabledFfffffff,
    /// The build cannot do TLS 1.2 (or is unknown).
    PrereqOs,
    /// Server 2008 SP2 without update KB4019276.
    PrereqKb4019276,
    /// Windows 7 / Server 2008 R2 without Service Pack 1.
    PrereqSp1,
    /// A .NET Framework 4 whose apps cannot use TLS 1.2.
    PrereqDotnet4,
    /// .NET Framework 3.5 without `SystemDefaultTlsVersions`.
    PrereqDotnet35,
    /// A dirty hive: recovered from its logs, or read stale.
    HiveRecovered,
    /// A hive whose base block checksum is wrong.
    HiveChecksum,
    /// `Select\Default` or `LastKnownGood` naming another control set than `Current`.
    ControlSetSelect,
    /// A key holding two values whose names differ only in case.
    DuplicateValue,
    /// A reboot is pending.
    PendingReboot,
    /// The image's build is outside the profile's `target`.
    OutsideTarget,
}

impl FindingCode {
    /// Every code, in the order `tlsreg explain` lists them.
    pub const ALL: [FindingCode; 25] = [
        FindingCode::SettingValue,
        FindingCode::SettingEffective,
        FindingCode::UnknownAlgorithm,
        FindingCode::LookalikeSlash,
        FindingCode::TripleDes168168,
        FindingCode::NestedCipherKey,
        FindingCode::UnknownProtocol,
        FindingCode::DtlsVersion,
        FindingCode::Tls13Below20348,
        FindingCode::ClientServerMismatch,
        FindingCode::FunctionsType,
        FindingCode::UnknownOnBuild,
        FindingCode::NotADword,
        FindingCode::EnabledFfffffff,
        FindingCode::PrereqOs,
        FindingCode::PrereqKb4019276,
        FindingCode::PrereqSp1,
        FindingCode::PrereqDotnet4,
        FindingCode::PrereqDotnet35,
        FindingCode::HiveRecovered,
        FindingCode::HiveChecksum,
        FindingCode::ControlSetSelect,
        FindingCode::DuplicateValue,
        FindingCode::PendingReboot,
        FindingCode::OutsideTarget,
    ];

    /// The code's name and its one-line meaning: the one table of them.
    pub const fn info(self) -> (&'static str, &'static str) {
        use FindingCode::*;
        match self {
            SettingValue => ("setting-value", "a value the profile sets or deletes, compared with the hive as written (strict mode)"),
            SettingEffective => ("setting-effective", "what Schannel will do for a setting on this build: the values and the build's defaults together (--effective)"),
            UnknownAlgorithm => ("unknown-algorithm", "a key under Ciphers, Hashes or KeyExchangeAlgorithms that names no algorithm Schannel has: it does nothing"),
            LookalikeSlash => ("lookalike-slash", "a cipher key spelt with a look-alike slash (U+2215 ...): Schannel reads only the ASCII name, so it does nothing"),
            TripleDes168168 => ("triple-des-168-168", "\"Triple DES 168/168\": the pre-Vista name; Vista and later read \"Triple DES 168\""),
            NestedCipherKey => ("nested-cipher-key", "a nested key like Ciphers\\AES 128\\128 (what New-Item makes of \"AES 128/128\"): Schannel reads only \"AES 128/128\""),
            UnknownProtocol => ("unknown-protocol", "a key under Protocols that names no protocol Schannel has: it does nothing"),
            DtlsVersion => ("dtls-version", "a DTLS 1.1 or DTLS 1.3 key: Windows has neither"),
            Tls13Below20348 => ("tls13-below-20348", "a TLS 1.3 key on a build before 20348: experimental on Windows 10, connection resets on Server 2019"),
            ClientServerMismatch => ("client-server-mismatch", "a protocol enabled for Client and disabled for Server (or the reverse): a server that is also a client gets a mixed result"),
            FunctionsType => ("functions-type", "the cipher-suite policy Functions is not REG_SZ: Windows ignores it"),
            UnknownOnBuild => ("unknown-on-build", "a cipher suite in the policy Functions that Microsoft's table for the image's build does not list"),
            NotADword => ("not-a-dword", "a value Schannel reads only as a REG_DWORD (Enabled, DisabledByDefault, ...) stored as another type: it does nothing"),
            EnabledFfffffff => ("enabled-ffffffff", "Enabled=0xffffffff: works, but documentation asks for 1 and checkers flag it"),
            PrereqOs => ("prereq-os", "the Windows build and whether it can do TLS 1.2 (Server 2008 SP2 or later)"),
            PrereqKb4019276 => ("prereq-kb4019276", "Windows Server 2008 SP2 needs update KB4019276 for TLS 1.1 and 1.2"),
            PrereqSp1 => ("prereq-sp1", "Windows 7 and Server 2008 R2 need Service Pack 1 for TLS 1.2"),
            PrereqDotnet4 => ("prereq-dotnet4", "whether .NET Framework 4 apps can use TLS 1.2: none installed, 4.6 or later, or 4.5.x with SchUseStrongCrypto=1"),
            PrereqDotnet35 => ("prereq-dotnet35", ".NET Framework 3.5 apps use TLS 1.2 only with SystemDefaultTlsVersions=1 (and the OS update)"),
            HiveRecovered => ("hive-recovered", "a dirty hive: recovered from its transaction logs in memory, or read as it is (stale)"),
            HiveChecksum => ("hive-checksum", "a hive whose base block checksum is wrong (read anyway)"),
            ControlSetSelect => ("control-set-select", "Select\\Default or LastKnownGood names another control set than Select\\Current; the audit reads the current one"),
            DuplicateValue => ("duplicate-value", "a key holding two values whose names differ only in case: Windows reads the first"),
            PendingReboot => ("pending-reboot", "a reboot is pending: settings applied since the last boot are not in effect yet"),
            OutsideTarget => ("outside-target", "the image's build is outside the profile's target: no compiled file is meant for it"),
        }
    }

    /// The stable name, e.g. `setting-value`.
    pub const fn as_str(self) -> &'static str {
        self.info().0
    }

    /// The one-line meaning.
    pub const fn meaning(self) -> &'static str {
        self.info().1
    }

    /// The code named `s` (exactly, ASCII case ignored).
    pub fn parse(s: &str) -> Option<FindingCode> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s))
    }
}

impl std::fmt::Display for FindingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for FindingCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What the finding is about: stable across runs ([`FindingCode`]).
    pub code: FindingCode,
    /// Which kind of check made it.
    pub check: Check,
    /// The setting, e.g. `protocol TLS 1.2 (server)` or `raw`.
    pub setting: String,
    /// Full key path with the real control set.
    pub key: String,
    /// The value name, or null for a finding about a whole key.
    pub value: Option<String>,
    /// What the profile (or Windows' documentation) asks for, in words or `REG_TYPE data`.
    pub expected: Option<String>,
    /// What the hive holds, or null when nothing was found.
    pub actual: Option<String>,
    /// The verdict.
    pub status: Status,
    /// Why, in one sentence.
    pub reason: String,
    /// The waiver that matched this finding (`--waivers`), or null. A finding under a waiver
    /// that has not expired keeps its status but is counted as `waived`, not by its status,
    /// and does not make the image non-compliant; under an expired one it counts as usual.
    pub waiver: Option<WaiverRef>,
    /// Where the profile asks for what this finding checks (a setting's or raw entry's
    /// place in its YAML file), or null for findings the profile does not ask for by line
    /// (traps, prerequisites, the image) and for profiles without a file.
    pub source: Option<ProfileSource>,
}

/// A place in a profile file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileSource {
    /// The file as the user named it (or `builtin:NAME`).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
    /// The text of that line (for SARIF's fingerprints; not in JSON).
    #[serde(skip)]
    pub line_text: Option<std::sync::Arc<str>>,
}

impl ProfileSource {
    /// The place of a profile origin, if it has one.
    pub fn of(o: &crate::profile::Origin) -> Option<ProfileSource> {
        (o.pos.line > 0).then(|| ProfileSource {
            file: o.file.clone(),
            line: o.pos.line,
            col: o.pos.col,
            line_text: o.line_text.clone(),
        })
    }
}

/// The waiver that matched a finding, as reports show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaiverRef {
    /// Why the finding is accepted, as the waiver file says.
    pub reason: String,
    /// The last day (`YYYY-MM-DD`) the waiver holds.
    pub expires: String,
    /// Where the waiver is: `FILE:LINE`.
    pub at: String,
    /// The waiver has expired: the finding counts by its status again.
    pub expired: bool,
}

impl Finding {
    /// Waived by a waiver that holds: counted as waived, not by status.
    pub fn waived(&self) -> bool {
        self.waiver.as_ref().is_some_and(|w| !w.expired)
    }
}

/// A hive that was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HiveInfo {
    /// The hive as given (inside a disk image: `IMAGE: PATH`).
    pub path: String,
    /// The header as read was dirty (after any recovery).
    pub dirty: bool,
    /// What was done about a dirty hive: clean, recovered from logs, or read as it is.
    pub recovery: crate::hive::Recovery,
    /// The base block's checksum is right.
    pub checksum_ok: bool,
    /// The base block's primary sequence number (equal to the secondary in a clean hive).
    pub primary_sequence: u32,
    /// The base block's secondary sequence number.
    pub secondary_sequence: u32,
}

/// Counts per status; waived findings are counted only as `waived`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Findings that pass.
    pub pass: usize,
    /// Warnings: they do not make an image non-compliant.
    pub warn: usize,
    /// Failures.
    pub fail: usize,
    /// Verdicts that could not be made (the build's default is not known).
    pub unknown: usize,
    /// Checks not made because their hive was not given.
    pub not_audited: usize,
    /// Findings a waiver that holds accepts, whatever their status.
    pub waived: usize,
}

impl Summary {
    /// The counts of these findings.
    pub fn of(findings: &[Finding]) -> Summary {
        let mut summary = Summary::default();
        for f in findings {
            if f.waived() {
                summary.waived += 1;
                continue;
            }
            match f.status {
                Status::Pass => summary.pass += 1,
                Status::Warn => summary.warn += 1,
                Status::Fail => summary.fail += 1,
                Status::Unknown => summary.unknown += 1,
                Status::NotAudited => summary.not_audited += 1,
            }
        }
        summary
    }

    /// No finding failed and none is unknown; with `require_all`, nothing went unaudited
    /// either. A check that could not be made because its hive was not given is reported
    /// (`not_audited`) but does not by itself make an image non-compliant unless asked.
    pub fn compliant(&self, require_all: bool) -> bool {
        self.fail == 0 && self.unknown == 0 && (!require_all || self.not_audited == 0)
    }

    /// Every check could be made (no hive was missing for one).
    pub fn complete(&self) -> bool {
        self.not_audited == 0
    }
}

pub use crate::vm::{ImageInfo, PartitionInfo};

/// The whole result of one audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The profile's name.
    pub profile: String,
    /// `strict` (the values as written) or `effective` (what Schannel will do).
    pub mode: &'static str,
    /// Where the hives were read from inside a disk image; null for hive files and roots.
    pub image: Option<ImageInfo>,
    /// The SYSTEM hive read, or null when none was given.
    pub system: Option<HiveInfo>,
    /// The SOFTWARE hive read, or null when none was given.
    pub software: Option<HiveInfo>,
    /// The Windows the SOFTWARE hive (or `--os-build`) says it is, or null when unknown.
    pub os: Option<OsInfo>,
    /// The SYSTEM hive's `Select` values, or null without a SYSTEM hive.
    pub control_sets: Option<ControlSets>,
    /// Every finding: image, settings, traps, prerequisites, in that order.
    pub findings: Vec<Finding>,
    /// The findings counted by status.
    pub summary: Summary,
    /// No finding failed and none is unknown (and, with `--require-all`, nothing went
    /// unaudited): [`Summary::compliant`].
    pub compliant: bool,
    /// Every check could be made: no finding is not-audited for want of a hive.
    pub complete: bool,
}
