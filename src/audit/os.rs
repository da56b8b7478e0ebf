//! Which Windows an offline SOFTWARE hive belongs to, named correctly (Windows 11 still says
//! "Windows 10" in ProductName).

use super::{reg_dword, reg_text};
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
    pub product_name: Option<String>,
    pub build: u32,
    pub ubr: Option<u32>,
    pub display_version: Option<String>,
    pub edition_id: Option<String>,
    pub installation_type: Option<String>,
    pub csd_version: Option<String>,
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
                .is_some_and(|e| e.starts_with("Server"));
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
