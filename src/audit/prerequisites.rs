//! The "Enabling TLS 1.2" prerequisites, checked when the profile enables TLS 1.2 or sets
//! .NET keys: a build with TLS 1.2 (and on Server 2008 SP2 its update, on Windows 7 / 2008 R2
//! Service Pack 1), and a .NET Framework whose apps can use TLS 1.2 (none at all is fine).
//! The facts are [`crate::catalog::traps::prerequisites`].

use super::os::current_version_key;
use super::report::{Check, Finding, FindingCode, Status};
use super::{reg_dword, Ctx};
use crate::catalog::traps::prerequisites::{
    needs_server_2008_update, CBS, NDP_CLIENT, NDP_FULL, NDP_V35, NET35_TLS_UPDATES, NET45_RELEASE,
    NET46_RELEASE, NET_V2, NET_V4, SERVER_2008_PACKAGE_PREFIX, SERVER_2008_UPDATE, TLS12_MIN_BUILD,
    WIN7_RTM_BUILD, WOW64,
};
use crate::keypath::SOFTWARE_ROOT;
use crate::setting::needs_prerequisites;

fn finding(
    code: FindingCode,
    what: &str,
    key: &str,
    expected: &str,
    actual: Option<String>,
    status: Status,
    reason: String,
) -> Finding {
    Finding {
        code,
        waiver: None,
        source: None,
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
            FindingCode::PrereqOs,
            "operating system",
            &cv,
            "a build that supports TLS 1.2",
            None,
            // A SOFTWARE hive that does not say which Windows it is: unknown, not unaudited.
            if cx.software.is_some() {
                Status::Unknown
            } else {
                Status::NotAudited
            },
            if cx.software.is_some() {
                "the SOFTWARE hive has no CurrentBuild or CurrentBuildNumber that is a number: the OS is unknown".into()
            } else {
                "no SOFTWARE hive and no --os-build: the OS is unknown".into()
            },
        )),
        Some(os) => {
            let b = os.build;
            if b < TLS12_MIN_BUILD {
                out.push(finding(
                    FindingCode::PrereqOs,
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
                            FindingCode::PrereqKb4019276,
                            SERVER_2008_UPDATE,
                            &pk,
                            "installed",
                            Some(actual.into()),
                            status,
                            reason,
                        ));
                    }
                    None => out.push(finding(
                        FindingCode::PrereqKb4019276,
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
                    FindingCode::PrereqSp1,
                    "service pack",
                    &cv,
                    &format!("Service Pack 1 (build {})", WIN7_RTM_BUILD + 1),
                    Some(os.name.clone()),
                    Status::Fail,
                    "Windows Server 2008 R2 and Windows 7 need Service Pack 1 for TLS 1.2".into(),
                ));
            } else {
                out.push(finding(
                    FindingCode::PrereqOs,
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
    match cx.software {
        Some(sw) => out.extend(dotnet(sw)),
        None => out.push(finding(
            FindingCode::PrereqDotnet4,
            ".NET Framework 4",
            &format!(r"{SOFTWARE_ROOT}\{NDP_FULL}"),
            "none, 4.6 or later, or 4.5.x with SchUseStrongCrypto=1",
            None,
            Status::NotAudited,
            "no SOFTWARE hive was given".into(),
        )),
    }
    out
}

/// The .NET Framework findings, by what is installed (\[NETTLS\], \[NETVER\]):
/// - no .NET Framework 4: nothing can fail (no .NET 4 app exists);
/// - 4.0 without 4.5 (`v4\Full` without `Release`, or only `v4\Client`): its apps cannot use
///   TLS 1.2: fail;
/// - 4.5.x: TLS 1.2 only with `SchUseStrongCrypto`=1 in each view that has the runtime key
///   (dotnet/docs: "For .NET Framework 3.5 - 4.5.2 ... Set the SchUseStrongCrypto and
///   SystemDefaultTlsVersions registry keys to 1"): fail without it;
/// - 4.6 or later: apps built for it use TLS 1.2 by default: pass;
/// - .NET 3.5 installed: its apps use TLS 1.2 with the system-default TLS update and
///   `SystemDefaultTlsVersions`=1 under `v2.0.50727`; the update cannot be confirmed from
///   the hive, so the value set is a pass and its absence a warning, never a failure.
fn dotnet(sw: &crate::memreg::MemRegistry) -> Vec<Finding> {
    let mut out = Vec::new();
    let ndp = format!(r"{SOFTWARE_ROOT}\{NDP_FULL}");
    let v4 = |view: &str| format!(r"{SOFTWARE_ROOT}\{view}{NET_V4}");
    let expected = "none, 4.6 or later, or 4.5.x with SchUseStrongCrypto=1";
    let installed = sw.key_exists(&ndp) || sw.key_exists(&format!(r"{SOFTWARE_ROOT}\{NDP_CLIENT}"));
    match (installed, reg_dword(sw, &ndp, "Release")) {
        (false, _) => out.push(finding(
            FindingCode::PrereqDotnet4,
            ".NET Framework 4",
            &ndp,
            expected,
            Some("not installed".into()),
            Status::Pass,
            "no .NET Framework 4 is installed, so no .NET 4 app can fail for want of TLS 1.2"
                .into(),
        )),
        (true, None) => out.push(finding(
            FindingCode::PrereqDotnet4,
            ".NET Framework 4",
            &ndp,
            expected,
            Some("4.0 (no Release value: 4.5 or later is not installed)".into()),
            Status::Fail,
            ".NET Framework 4.0 apps cannot use TLS 1.2; install 4.5 or later".into(),
        )),
        (true, Some(r)) if r < NET45_RELEASE => out.push(finding(
            FindingCode::PrereqDotnet4,
            ".NET Framework 4",
            &ndp,
            expected,
            Some(format!("Release {r} (before 4.5)")),
            Status::Fail,
            ".NET Framework before 4.5 cannot use TLS 1.2; install 4.5 or later".into(),
        )),
        (true, Some(r)) if r < NET46_RELEASE => {
            // The views that have the runtime key: 32-bit apps read WOW6432Node.
            let views: Vec<String> = ["".to_string(), format!(r"{WOW64}\")]
                .into_iter()
                .filter(|v| v.is_empty() || sw.key_exists(&v4(v)))
                .collect();
            let missing: Vec<String> = views
                .iter()
                .filter(|v| reg_dword(sw, &v4(v), "SchUseStrongCrypto") != Some(1))
                .map(|v| v4(v))
                .collect();
            let (status, actual, reason) = if missing.is_empty() {
                (
                    Status::Pass,
                    format!("Release {r} (4.5.x), SchUseStrongCrypto=1"),
                    "apps on .NET Framework 4.5.x use TLS 1.2 with SchUseStrongCrypto=1"
                        .to_string(),
                )
            } else {
                (
                    Status::Fail,
                    format!("Release {r} (4.5.x), SchUseStrongCrypto not 1 in {}", missing.join(", ")),
                    "apps on .NET Framework 4.5.x use TLS 1.0 unless SchUseStrongCrypto (and SystemDefaultTlsVersions) is 1; set them, or install 4.6 or later".to_string(),
                )
            };
            out.push(finding(
                FindingCode::PrereqDotnet4,
                ".NET Framework 4",
                &ndp,
                expected,
                Some(actual),
                status,
                reason,
            ));
        }
        (true, Some(r)) => out.push(finding(
            FindingCode::PrereqDotnet4,
            ".NET Framework 4",
            &ndp,
            expected,
            Some(format!("Release {r} (4.6 or later)")),
            Status::Pass,
            "apps built for .NET Framework 4.6 or later use TLS 1.2 by default".into(),
        )),
    }
    let v35 = format!(r"{SOFTWARE_ROOT}\{NDP_V35}");
    if reg_dword(sw, &v35, "Install") == Some(1) {
        let v2 = format!(r"{SOFTWARE_ROOT}\{NET_V2}");
        let on = reg_dword(sw, &v2, "SystemDefaultTlsVersions") == Some(1);
        out.push(finding(
            FindingCode::PrereqDotnet35,
            ".NET Framework 3.5",
            &v2,
            "SystemDefaultTlsVersions=1",
            Some(if on {
                "SystemDefaultTlsVersions=1".into()
            } else {
                "SystemDefaultTlsVersions not 1".into()
            }),
            if on { Status::Pass } else { Status::Warn },
            format!(
                ".NET 3.5 apps use TLS 1.2 with the system-default TLS update for this OS ({NET35_TLS_UPDATES}, not checked here) and SystemDefaultTlsVersions=1"
            ),
        ));
    }
    out
}
