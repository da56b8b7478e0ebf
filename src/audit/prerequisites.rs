//! The "Enabling TLS 1.2" prerequisites, checked when the profile enables TLS 1.2 or sets
//! .NET keys: a build with TLS 1.2 (and on Server 2008 SP2 its update, on Windows 7 / 2008 R2
//! Service Pack 1), and .NET Framework 4.5 or later. The facts are
//! [`crate::catalog::traps::prerequisites`].

use super::os::current_version_key;
use super::report::{Check, Finding, Status};
use super::{reg_dword, Ctx};
use crate::catalog::traps::prerequisites::{
    needs_server_2008_update, CBS, NDP_FULL, NET45_RELEASE, SERVER_2008_PACKAGE_PREFIX,
    SERVER_2008_UPDATE, TLS12_MIN_BUILD, WIN7_RTM_BUILD,
};
use crate::keypath::SOFTWARE_ROOT;
use crate::setting::needs_prerequisites;

fn finding(
    what: &str,
    key: &str,
    expected: &str,
    actual: Option<String>,
    status: Status,
    reason: String,
) -> Finding {
    Finding {
        check: Check::Prerequisite,
        setting: what.into(),
        key: key.into(),
        value: None,
        expected: Some(expected.into()),
        actual,
        status,
        reason,
    }
}

/// The prerequisites' findings; none when the profile does not need them.
pub(super) fn prerequisites(cx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    if !needs_prerequisites(cx.profile.settings.iter().map(|(k, (v, _))| (k, v))) {
        return out;
    }
    let cv = current_version_key();
    match cx.os {
        None => out.push(finding(
            "operating system",
            &cv,
            "a build that supports TLS 1.2",
            None,
            Status::NotAudited,
            if cx.software.is_some() {
                // A SOFTWARE hive was given; it does not say which Windows it is.
                "the SOFTWARE hive has no CurrentBuild or CurrentBuildNumber that is a number: the OS is unknown".into()
            } else {
                "no SOFTWARE hive and no --os-build: the OS is unknown".into()
            },
        )),
        Some(os) => {
            let b = os.build;
            if b < TLS12_MIN_BUILD {
                out.push(finding(
                    "operating system",
                    &cv,
                    &format!("Windows Server 2008 SP2 ({TLS12_MIN_BUILD}) or later"),
                    Some(os.name.clone()),
                    Status::Fail,
                    "TLS 1.2 needs Windows Server 2008 SP2 or later".into(),
                ));
            } else if needs_server_2008_update(b) {
                let pk = format!(r"{SOFTWARE_ROOT}\{CBS}\Packages");
                let reason = format!(
                    "Windows Server 2008 SP2 needs update {SERVER_2008_UPDATE} for TLS 1.1 and 1.2"
                );
                match cx.software {
                    Some(sw) => {
                        let has = sw.subkeys(&pk).iter().any(|n| {
                            n.to_ascii_uppercase()
                                .starts_with(SERVER_2008_PACKAGE_PREFIX)
                        });
                        let status = if has { Status::Pass } else { Status::Fail };
                        let actual = if has { "installed" } else { "not installed" };
                        out.push(finding(
                            SERVER_2008_UPDATE,
                            &pk,
                            "installed",
                            Some(actual.into()),
                            status,
                            reason,
                        ));
                    }
                    None => out.push(finding(
                        SERVER_2008_UPDATE,
                        &pk,
                        "installed",
                        None,
                        Status::NotAudited,
                        "no SOFTWARE hive was given".into(),
                    )),
                }
            } else if b == WIN7_RTM_BUILD {
                out.push(finding(
                    "service pack",
                    &cv,
                    &format!("Service Pack 1 (build {})", WIN7_RTM_BUILD + 1),
                    Some(os.name.clone()),
                    Status::Fail,
                    "Windows Server 2008 R2 and Windows 7 need Service Pack 1 for TLS 1.2".into(),
                ));
            } else {
                out.push(finding(
                    "operating system",
                    &cv,
                    "a build that supports TLS 1.2",
                    Some(os.name.clone()),
                    Status::Pass,
                    "this build supports TLS 1.2".into(),
                ));
            }
        }
    }
    let ndp = format!(r"{SOFTWARE_ROOT}\{NDP_FULL}");
    let expected = format!("Release {NET45_RELEASE} or more");
    match cx.software {
        Some(sw) => {
            let release = reg_dword(sw, &ndp, "Release");
            let status = if release.is_some_and(|r| r >= NET45_RELEASE) {
                Status::Pass
            } else {
                Status::Fail
            };
            out.push(finding(
                ".NET Framework 4.5",
                &ndp,
                &expected,
                Some(release.map_or("absent (no .NET 4.5 or later)".into(), |r| {
                    format!("Release {r}")
                })),
                status,
                ".NET Framework apps need 4.5 or later for TLS 1.2".into(),
            ));
        }
        None => out.push(finding(
            ".NET Framework 4.5",
            &ndp,
            &expected,
            None,
            Status::NotAudited,
            "no SOFTWARE hive was given".into(),
        )),
    }
    out
}
