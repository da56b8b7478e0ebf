//! The .NET Framework and WinHTTP part of the catalogue: the framework keys and views,
//! their values, and the WinHTTP key.

/// Which of the .NET Framework keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DotNetVersion {
    /// `v2.0.50727`: .NET Framework 2.0 to 3.5.
    V2,
    /// `v4.0.30319`: .NET Framework 4.x.
    V4,
}

impl DotNetVersion {
    /// Both versions, v4 first: the versions a `dotnet:` entry without `versions` covers, in
    /// the order `show` writes them.
    pub const ALL: [DotNetVersion; 2] = [DotNetVersion::V4, DotNetVersion::V2];
    /// The version's key name below `Microsoft\.NETFramework` (`v4.0.30319`).
    pub fn key_name(self) -> &'static str {
        match self {
            DotNetVersion::V2 => "v2.0.50727",
            DotNetVersion::V4 => "v4.0.30319",
        }
    }
}

/// Native (64-bit) or WOW64 (32-bit) view of the SOFTWARE hive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum View {
    /// `HKEY_LOCAL_MACHINE\SOFTWARE`, what 64-bit programs read.
    Native,
    /// `HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node`, what 32-bit programs on 64-bit Windows read.
    Wow64,
}

impl View {
    /// Both views, native first: the views an entry without `views` covers.
    pub const ALL: [View; 2] = [View::Native, View::Wow64];
    /// The profile spelling in `views:` (`native`, `wow64`).
    pub fn field(self) -> &'static str {
        match self {
            View::Native => "native",
            View::Wow64 => "wow64",
        }
    }
    fn software_prefix(self) -> &'static str {
        match self {
            View::Native => crate::keypath::SOFTWARE_ROOT,
            View::Wow64 => r"HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node",
        }
    }
}

/// The two .NET values (\[NETTLS\]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DotNetValue {
    /// `SchUseStrongCrypto`: 1 makes .NET use strong cryptography (no RC4, newer protocols).
    StrongCrypto,
    /// `SystemDefaultTlsVersions`: 1 makes .NET use the protocols the OS enables.
    SystemDefaultTlsVersions,
}

impl DotNetValue {
    /// Both values, in catalogue (and plan) order.
    pub const ALL: [DotNetValue; 2] = [
        DotNetValue::StrongCrypto,
        DotNetValue::SystemDefaultTlsVersions,
    ];
    /// The profile field under `dotnet:` (`strong-crypto`, `system-default-tls-versions`).
    pub fn field(self) -> &'static str {
        match self {
            DotNetValue::StrongCrypto => "strong-crypto",
            DotNetValue::SystemDefaultTlsVersions => "system-default-tls-versions",
        }
    }
    /// The registry value name (`SchUseStrongCrypto`, `SystemDefaultTlsVersions`).
    pub fn value_name(self) -> &'static str {
        match self {
            DotNetValue::StrongCrypto => "SchUseStrongCrypto",
            DotNetValue::SystemDefaultTlsVersions => "SystemDefaultTlsVersions",
        }
    }
}

/// `SOFTWARE\[WOW6432Node\]Microsoft\.NETFramework\<version>`.
pub fn dotnet_key(version: DotNetVersion, view: View) -> String {
    format!(
        r"{}\Microsoft\.NETFramework\{}",
        view.software_prefix(),
        version.key_name()
    )
}

/// `SOFTWARE\[WOW6432Node\]Microsoft\Windows\CurrentVersion\Internet Settings\WinHttp` (\[CM-WINHTTP\]).
pub fn winhttp_key(view: View) -> String {
    format!(
        r"{}\Microsoft\Windows\CurrentVersion\Internet Settings\WinHttp",
        view.software_prefix()
    )
}

/// The WinHTTP value name.
pub const WINHTTP_VALUE: &str = "DefaultSecureProtocols";
