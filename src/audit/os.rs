//! Which Windows an offline SOFTWARE hive belongs to, named correctly (Windows 11 still says
//! "Windows 10" in ProductName).

use super::{reg_dword, reg_text};
use crate::catalog::suite_builds::Edition;
use crate::catalog::{CURRENT_VERSION, WINDOWS_11_BUILD};
use crate::keypath::SOFTWARE_ROOT;
use crate::memreg::MemRegistry;
use serde::Serialize;

/// `SOFTWARE\Microsoft\Windows NT\CurrentVersion` as a full key path.
pub fn current_version_key() -> String {
    format!(r"{SOFTWARE_ROOT}\{CURRENT_VERSION}")
}

/// Facts from `SOFTWARE\Microsoft\Windows NT\CurrentVersion`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OsInfo {
    /// What this is, e.g. `Windows 11 Enterprise 23H2 (build 22631.4317)`.
    pub name: String,
    /// `ProductName` as stored (Windows 11 says `Windows 10 ...`).
    pub product_name: Option<String>,
    /// The build: `CurrentBuild`, or `CurrentBuildNumber` when that is missing or not a number.
    pub build: u32,
    /// `UBR`, the update build revision (the `4317` of `22631.4317`).
    pub ubr: Option<u32>,
    /// `DisplayVersion` (`23H2`).
    pub display_version: Option<String>,
    /// `EditionID` (`Enterprise`, `ServerDatacenter`).
    pub edition_id: Option<String>,
    /// `InstallationType` (`Client`, `Server`, `Server Core`).
    pub installation_type: Option<String>,
    /// `CSDVersion`, the service pack (`Service Pack 1`).
    pub csd_version: Option<String>,
    /// Whether this is Windows Server, judged from `InstallationType`, `ProductName` and
    /// `EditionID`; false when none is known (see [`OsInfo::is_server`]).
    pub server: bool,
}

impl OsInfo {
    /// From the CurrentVersion values (`CurrentBuild` or `CurrentBuildNumber` required).
    pub fn from_values(get: impl Fn(&str) -> Option<String>, ubr: Option<u32>) -> Option<OsInfo> {
        // `CurrentBuild` first; when it is missing or not a number, `CurrentBuildNumber`.
        let parse = |name: &str| get(name).and_then(|v| v.trim().parse::<u32>().ok());
        let build = parse("CurrentBuild").or_else(|| parse("CurrentBuildNumber"))?;
        let product_name = get("ProductName");
        let installation_type = get("InstallationType");
        let edition_id = get("EditionID");
        let server = installation_type
            .as_deref()
            .is_some_and(|t| t.starts_with("Server"))
            || product_name
                .as_deref()
                .is_some_and(|p| p.contains("Server"))
            || edition_id
                .as_deref()
                // Windows 10/11 Enterprise multi-session says ServerRdsh and is a client.
                .is_some_and(|e| e.starts_with("Server") && !e.eq_ignore_ascii_case("ServerRdsh"));
        let mut info = OsInfo {
            name: String::new(),
            product_name,
            build,
            ubr,
            display_version: get("DisplayVersion"),
            edition_id,
            installation_type,
            csd_version: get("CSDVersion"),
            server,
        };
        info.name = info.describe();
        Some(info)
    }

    /// From a SOFTWARE hive read into `reg` (its `CurrentVersion` key).
    pub fn read(reg: &MemRegistry) -> Option<OsInfo> {
        let cv = current_version_key();
        OsInfo::from_values(|n| reg_text(reg, &cv, n), reg_dword(reg, &cv, "UBR"))
    }

    /// Whether this is Windows Server (`Some(true)`) or a client; `None` when only the
    /// build is known (`--os-build`).
    pub fn is_server(&self) -> Option<bool> {
        let known = self.product_name.is_some()
            || self.installation_type.is_some()
            || self.edition_id.is_some();
        known.then_some(self.server)
    }

    /// The edition as the suite tables name it; `None` when only the build is known.
    pub fn edition(&self) -> Option<Edition> {
        self.is_server()
            .map(|s| if s { Edition::Server } else { Edition::Client })
    }

    /// Only a build number is known (`--os-build`).
    pub fn from_build(build: u32) -> OsInfo {
        let mut info = OsInfo {
            build,
            ..OsInfo::default()
        };
        info.name = format!("Windows build {build} (from --os-build)");
        info
    }

    fn describe(&self) -> String {
        let mut name = self
            .product_name
            .clone()
            .unwrap_or_else(|| "Windows".into());
        // Windows 11 keeps "Windows 10" in ProductName; the build tells.
        if !self.server && self.build >= WINDOWS_11_BUILD && name.contains("Windows 10") {
            name = name.replace("Windows 10", "Windows 11");
        }
        if let Some(sp) = &self.csd_version {
            name.push_str(&format!(" {sp}"));
        }
        if let Some(v) = &self.display_version {
            name.push_str(&format!(" {v}"));
        }
        match self.ubr {
            Some(u) => format!("{name} (build {}.{u})", self.build),
            None => format!("{name} (build {})", self.build),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_11_is_named_from_its_build() {
        let vals = |k: &str| match k {
            "CurrentBuild" => Some("22631".to_string()),
            "ProductName" => Some("Windows 10 Enterprise".to_string()),
            "InstallationType" => Some("Client".to_string()),
            "DisplayVersion" => Some("23H2".to_string()),
            _ => None,
        };
        let os = OsInfo::from_values(vals, Some(4317)).unwrap();
        assert_eq!(os.name, "Windows 11 Enterprise 23H2 (build 22631.4317)");
        assert!(!os.server);
    }

    /// Windows 11 Enterprise multi-session reports EditionID `ServerRdsh` but is a client,
    /// named Windows 11 from build 22000 (it was taken for a server).
    #[test]
    fn multi_session_is_a_client() {
        let vals = |k: &str| match k {
            "CurrentBuild" => Some("22631".to_string()),
            "ProductName" => Some("Windows 10 Enterprise multi-session".to_string()),
            "EditionID" => Some("ServerRdsh".to_string()),
            "InstallationType" => Some("Client".to_string()),
            _ => None,
        };
        let os = OsInfo::from_values(vals, None).unwrap();
        assert!(!os.server);
        assert_eq!(os.is_server(), Some(false));
        assert_eq!(os.name, "Windows 11 Enterprise multi-session (build 22631)");
        assert_eq!(OsInfo::from_build(6002).is_server(), None);
    }

    /// `CurrentBuild` that is not a number falls back to `CurrentBuildNumber` (it made the
    /// OS unknown before).
    #[test]
    fn an_unparsable_current_build_falls_back_to_current_build_number() {
        let vals = |k: &str| match k {
            "CurrentBuild" => Some("19045.x".to_string()),
            "CurrentBuildNumber" => Some(" 19045 ".to_string()),
            _ => None,
        };
        assert_eq!(OsInfo::from_values(vals, None).unwrap().build, 19045);
        let none = |k: &str| (k == "CurrentBuild").then(|| "abc".to_string());
        assert_eq!(OsInfo::from_values(none, None), None);
    }
}
