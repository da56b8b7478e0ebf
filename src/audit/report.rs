//! The result of an audit as data: [`Report`], its [`Finding`]s with their [`Status`] and
//! [`Check`], what was read ([`HiveInfo`]), and the JSON schema version.

use super::os::OsInfo;
use crate::hive::ControlSets;
use serde::Serialize;

/// Version of the JSON report schema.
pub const SCHEMA_VERSION: u32 = 1;

/// One finding's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    /// The OS default for this build is not known: never a silent pass.
    Unknown,
    /// The hive holding this setting was not given.
    NotAudited,
}

impl Status {
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

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub check: Check,
    /// The setting, e.g. `protocol TLS 1.2 (server)` or `raw`.
    pub setting: String,
    /// Full key path with the real control set.
    pub key: String,
    pub value: Option<String>,
    pub expected: Option<String>,
    pub actual: Option<String>,
    pub status: Status,
    pub reason: String,
}

/// A hive that was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HiveInfo {
    pub path: String,
    /// The header as read was dirty (after any recovery).
    pub dirty: bool,
    /// What was done about a dirty hive: clean, recovered from logs, or read as it is.
    pub recovery: crate::hive::Recovery,
    pub checksum_ok: bool,
    pub primary_sequence: u32,
    pub secondary_sequence: u32,
}

/// Counts per status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub unknown: usize,
    pub not_audited: usize,
}

impl Summary {
    /// The counts of these findings.
    pub fn of(findings: &[Finding]) -> Summary {
        let mut summary = Summary::default();
        for f in findings {
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
    pub schema_version: u32,
    pub profile: String,
    pub mode: &'static str,
    /// Where the hives were read from inside a disk image; absent for hive files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageInfo>,
    pub system: Option<HiveInfo>,
    pub software: Option<HiveInfo>,
    pub os: Option<OsInfo>,
    pub control_sets: Option<ControlSets>,
    pub findings: Vec<Finding>,
    pub summary: Summary,
    /// No finding failed and none is unknown (and, with `--require-all`, nothing went
    /// unaudited): [`Summary::compliant`].
    pub compliant: bool,
    /// Every check could be made: no finding is not-audited for want of a hive.
    pub complete: bool,
}
