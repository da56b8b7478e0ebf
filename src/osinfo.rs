//! Which Windows an offline SOFTWARE hive belongs to, named correctly (Windows 11 still says
//! "Windows 10" in ProductName), and what Schannel does per build when no registry value is
//! set (schannel-reference.md §2.1, from Microsoft's "Protocols in TLS/SSL (Schannel SSP)").

use serde::Serialize;

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
        let build: u32 = get("CurrentBuild")
            .or_else(|| get("CurrentBuildNumber"))?
            .trim()
            .parse()
            .ok()?;
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
        if !self.server && self.build >= 22000 && name.contains("Windows 10") {
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

/// What Schannel does with a protocol when no registry value says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProtocolDefault {
    Enabled,
    /// Supported, but used only when an application asks for it.
    OffByDefault,
    NotSupported,
    /// No public source gives the default for this build.
    Unknown,
}

/// The OS default of a protocol (by catalogue name) on one side for a build.
pub fn protocol_default(protocol: &str, server_side: bool, build: u32) -> ProtocolDefault {
    use ProtocolDefault::*;
    // Rows of §2.1: Vista/2008, 2008 SP2, 7/2008 R2, 8–10 1511, 10 1607–22H2 / 2016 / 2019,
    // 2022 and 11, 11 24H2 / 2025.
    let row = match build {
        6000..=6001 => 0,
        6002..=6999 => 1,
        7600..=7601 => 2,
        9200..=14392 => 3,
        14393..=20347 => 4,
        20348..=26099 => 5,
        26100.. => 6,
        _ => return Unknown,
    };
    match protocol {
        "SSL 2.0" => match row {
            0..=2 => {
                if server_side {
                    Enabled
                } else {
                    OffByDefault
                }
            }
            3 => OffByDefault,
            _ => NotSupported,
        },
        "SSL 3.0" => match row {
            0..=3 => Enabled,
            _ => OffByDefault,
        },
        "TLS 1.0" | "TLS 1.1" if row == 6 => Unknown,
        "TLS 1.0" => Enabled,
        "TLS 1.1" | "TLS 1.2" => match row {
            0 => NotSupported,
            1 | 2 => OffByDefault,
            _ => Enabled,
        },
        "TLS 1.3" => match row {
            5 | 6 => Enabled,
            _ => NotSupported,
        },
        "DTLS 1.0" => match row {
            0 | 1 => NotSupported,
            _ => Enabled,
        },
        "DTLS 1.2" => match row {
            4..=6 => Enabled,
            _ => NotSupported,
        },
        "PCT 1.0" => NotSupported,
        // Every version accepts a unified-format hello ([PROTO]).
        "Multi-Protocol Unified Hello" => Enabled,
        _ => Unknown,
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

    #[test]
    fn defaults_follow_the_table() {
        assert_eq!(
            protocol_default("TLS 1.2", true, 7601),
            ProtocolDefault::OffByDefault
        );
        assert_eq!(
            protocol_default("TLS 1.2", true, 9600),
            ProtocolDefault::Enabled
        );
        assert_eq!(
            protocol_default("SSL 3.0", false, 17763),
            ProtocolDefault::OffByDefault
        );
        assert_eq!(
            protocol_default("TLS 1.3", true, 17763),
            ProtocolDefault::NotSupported
        );
        assert_eq!(
            protocol_default("TLS 1.3", true, 20348),
            ProtocolDefault::Enabled
        );
        assert_eq!(
            protocol_default("TLS 1.0", true, 26100),
            ProtocolDefault::Unknown
        );
        assert_eq!(
            protocol_default("SSL 2.0", true, 7601),
            ProtocolDefault::Enabled
        );
        assert_eq!(
            protocol_default("SSL 2.0", false, 7601),
            ProtocolDefault::OffByDefault
        );
        assert_eq!(
            protocol_default("TLS 1.2", true, 3790),
            ProtocolDefault::Unknown
        );
    }
}
