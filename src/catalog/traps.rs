//! Every known trap in SCHANNEL names and values, and the "Enabling TLS 1.2" prerequisites:
//! the facts profile validation, `lint`, the audit and the PowerShell runtime all read.
//! Each reader words its own message for its context; the fact lives here once.

use super::{normalize, NameKind, ProtocolId, CIPHERS};
use crate::keypath::same_name;

/// Characters that look like `/` but are not: Schannel reads only the ASCII slash in
/// cipher key names such as `RC4 128/128` (U+2215 DIVISION SLASH is what some scripts
/// write to get a slash into `New-Item`).
pub const LOOKALIKE_SLASHES: [char; 4] = ['\u{2215}', '\u{2044}', '\u{ff0f}', '\u{29f8}'];

/// The Triple DES key name before Windows Vista; Vista and later read `Triple DES 168`.
pub const PRE_VISTA_TRIPLE_DES: &str = "Triple DES 168/168";
/// Windows Vista / Server 2008, the first build that reads `Triple DES 168`.
pub const VISTA_BUILD: u32 = 6000;

/// `Enabled` = 0xffffffff: Windows reads it as enabled, but current documentation asks for
/// 1 and checkers (Exchange HealthChecker) flag it.
pub const ENABLED_ALL_ONES: u32 = 0xffff_ffff;

/// The values Schannel reads only as REG_DWORD under protocol and algorithm keys.
pub const DWORD_VALUES: [&str; 5] = [
    super::ENABLED,
    super::DISABLED_BY_DEFAULT,
    "ServerMinKeyBitLength",
    "ClientMinKeyBitLength",
    "ClientMaxKeyBitLength",
];

/// The type Windows reads the cipher-suite policy `Functions` value as: REG_SZ, comma
/// separated (a REG_MULTI_SZ there is ignored). The Local key takes REG_MULTI_SZ.
pub const POLICY_FUNCTIONS_TYPE: u32 = 1;

/// The SHA-1 hash key: disabling it disables every suite that uses it and has broken RDP
/// ("none of the cipher suites supported by the client application are supported by the
/// server", windows_hardening#95).
pub const SHA1_HASH: &str = "SHA";

/// Whether a hash name (any spelling) is SHA-3, which Schannel has no key for.
pub fn is_sha3(name: &str) -> bool {
    normalize(name).starts_with("sha3")
}

/// Whether a cipher-suite name is a TLS 1.3 suite (`TLS_AES_*`, `TLS_CHACHA20_*`), which
/// builds before [`TLS13_MIN_BUILD`](super::TLS13_MIN_BUILD) do not know.
pub fn is_tls13_suite(name: &str) -> bool {
    name.starts_with("TLS_AES_") || name.starts_with("TLS_CHACHA20_")
}

/// A trap in a protocol, cipher, hash or key-exchange key name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameTrap {
    /// A look-alike slash instead of `/`.
    LookalikeSlash(char),
    /// `Triple DES 168/168`, read only before Vista.
    PreVistaTripleDes,
    /// DTLS 1.1 or DTLS 1.3, which Windows does not have.
    NoSuchDtls,
}

/// The first look-alike slash in `name`.
pub fn lookalike_slash(name: &str) -> Option<char> {
    name.chars().find(|c| LOOKALIKE_SLASHES.contains(c))
}

/// Whether `name` is the pre-Vista Triple DES key name.
pub fn is_pre_vista_triple_des(name: &str) -> bool {
    same_name(name, PRE_VISTA_TRIPLE_DES)
}

/// Whether `name` (any spelling) is a DTLS version Windows does not have.
pub fn is_missing_dtls(name: &str) -> bool {
    matches!(normalize(name).as_str(), "dtls1.1" | "dtls1.3")
}

/// The trap in a key name a user wrote for a kind of entry, if it has one. `build` is the
/// oldest target build when known (the pre-Vista name is right before Vista).
pub fn name_trap(kind: NameKind, name: &str, build: Option<u32>) -> Option<NameTrap> {
    if let Some(c) = lookalike_slash(name) {
        return Some(NameTrap::LookalikeSlash(c));
    }
    match kind {
        NameKind::Protocol if is_missing_dtls(name) => Some(NameTrap::NoSuchDtls),
        NameKind::Cipher
            if is_pre_vista_triple_des(name) && build.is_none_or(|b| b >= VISTA_BUILD) =>
        {
            Some(NameTrap::PreVistaTripleDes)
        }
        _ => None,
    }
}

/// Whether a protocol is missing from a build because it came later (TLS 1.3 before
/// Server 2022: enabled on Server 2019 it resets connections, FreeRDP#7987).
pub fn protocol_too_new(id: ProtocolId, build: u32) -> bool {
    id.entry().min_build.is_some_and(|first| build < first)
}

/// A cipher name `New-Item` turns into a nested key (`AES 128/128` makes `AES 128\128`):
/// the cipher whose name is `head` + `/` + `tail`.
pub fn nested_cipher(head: &str, tail: &str) -> Option<&'static str> {
    CIPHERS.iter().map(|a| a.name).find(|n| {
        n.split_once('/')
            .is_some_and(|(h, t)| same_name(h, head) && same_name(t, tail))
    })
}

/// The "Enabling TLS 1.2 on Windows Server" prerequisites.
pub mod prerequisites {
    /// The first build with TLS 1.2 at all: Windows Server 2008 SP2.
    pub const TLS12_MIN_BUILD: u32 = 6002;
    /// Server 2008 SP2 builds (6002-6999) need this update for TLS 1.1 and 1.2.
    pub const SERVER_2008_UPDATE: &str = "KB4019276";
    /// The CBS package name prefix that shows the update in an offline SOFTWARE hive.
    pub const SERVER_2008_PACKAGE_PREFIX: &str = "PACKAGE_FOR_KB4019276";
    /// Windows 7 / Server 2008 R2 without Service Pack 1 (TLS 1.2 needs SP1, build 7601).
    pub const WIN7_RTM_BUILD: u32 = 7600;
    /// Lowest `Release` of .NET Framework 4.5 (\[NETVER\]).
    pub const NET45_RELEASE: u32 = 378389;
    /// Where .NET 4.x keeps its `Release` value, below the SOFTWARE root; absent: no .NET
    /// Framework 4 at all (\[NETVER\]).
    pub const NDP_FULL: &str = r"Microsoft\NET Framework Setup\NDP\v4\Full";
    /// The .NET 4.0 Client Profile's key: .NET 4.0 installed without `Full` (\[NETVER\]).
    pub const NDP_CLIENT: &str = r"Microsoft\NET Framework Setup\NDP\v4\Client";
    /// Lowest `Release` of .NET Framework 4.6: from it, apps built for 4.6 or later use
    /// TLS 1.2 without registry values (\[NETVER\]; \[NETTLS\]).
    pub const NET46_RELEASE: u32 = 393295;
    /// Where .NET 3.5 says it is installed (`Install`=1), below the SOFTWARE root (\[NETVER\]).
    pub const NDP_V35: &str = r"Microsoft\NET Framework Setup\NDP\v3.5";
    /// The .NET 4.x runtime key with `SchUseStrongCrypto` and `SystemDefaultTlsVersions`,
    /// below the SOFTWARE root (and below `WOW6432Node` for 32-bit apps) (\[NETTLS\]).
    pub const NET_V4: &str = r"Microsoft\.NETFramework\v4.0.30319";
    /// The same for .NET 2.0-3.5 apps (\[NETTLS\]).
    pub const NET_V2: &str = r"Microsoft\.NETFramework\v2.0.50727";
    /// The 32-bit view of the SOFTWARE hive, below its root.
    pub const WOW64: &str = "WOW6432Node";
    /// The updates that let .NET 3.5 apps use the system's TLS versions, one per OS
    /// (schannel-reference.md §4.1 and §9, from dotnet/docs tls.md).
    pub const NET35_TLS_UPDATES: &str = "KB3154518, KB3154519, KB3154520 or KB3154517";
    /// Component Based Servicing, below the SOFTWARE root (packages, RebootPending).
    pub const CBS: &str = r"Microsoft\Windows\CurrentVersion\Component Based Servicing";

    /// The first build after the Server 2008 family (Windows 7 / Server 2008 R2 is 7600).
    pub const SERVER_2008_END: u32 = 7000;

    /// Whether a build needs the Server 2008 SP2 update: every Server 2008 SP2 build
    /// (6002, and 6003 after the 2019 servicing stack update), not only 6002.
    pub fn needs_server_2008_update(build: u32) -> bool {
        (TLS12_MIN_BUILD..SERVER_2008_END).contains(&build)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_traps_are_found() {
        assert_eq!(
            name_trap(NameKind::Cipher, "RC4 128\u{2215}128", None),
            Some(NameTrap::LookalikeSlash('\u{2215}'))
        );
        assert_eq!(
            name_trap(NameKind::Cipher, "triple des 168/168", Some(17763)),
            Some(NameTrap::PreVistaTripleDes)
        );
        assert_eq!(
            name_trap(NameKind::Cipher, "Triple DES 168/168", Some(3790)),
            None
        );
        assert_eq!(
            name_trap(NameKind::Protocol, "DTLSv1.3", None),
            Some(NameTrap::NoSuchDtls)
        );
        assert_eq!(name_trap(NameKind::Protocol, "TLS 1.2", None), None);
        assert_eq!(nested_cipher("aes 128", "128"), Some("AES 128/128"));
        assert_eq!(nested_cipher("AES 128", "256"), None);
        assert!(protocol_too_new(ProtocolId::Tls13, 17763));
        assert!(!protocol_too_new(ProtocolId::Tls13, 20348));
        assert!(!protocol_too_new(ProtocolId::Tls12, 6002));
    }
}
