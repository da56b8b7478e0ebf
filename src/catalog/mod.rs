//! The one table of domain knowledge: every SCHANNEL, .NET and WinHTTP setting tlsreg knows,
//! with its key path, value names, types, ranges and meaning.
//!
//! [`defaults`] holds what Windows does per build when a value is absent, [`traps`] every
//! known mistake in names and values and the TLS 1.2 prerequisites.
//!
//! Sources are named per entry; see `../shared/docs/schannel-reference.md` for the full list.
//! Profile validation, compilation (the plan), and later the audit and the importer all read
//! this table; none of them spells a key path of their own.

pub mod defaults;
mod dotnet;
mod names;
pub mod suite_builds;
pub mod suites;
pub mod traps;

pub use dotnet::{dotnet_key, winhttp_key, DotNetValue, DotNetVersion, View, WINHTTP_VALUE};

pub use names::{did_you_mean, find, normalize, scalar, Found, NameKind};

/// `HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL`.
pub const SCHANNEL: &str =
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL";
/// The Group Policy cipher-suite and curve order key (SOFTWARE hive); wins over the Local key.
pub const SSL_POLICY: &str =
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL\00010002";
/// `Control\Lsa\FIPSAlgorithmPolicy` (Vista and later keep the switch in its `Enabled` value).
pub const FIPS_POLICY: &str =
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Lsa\FIPSAlgorithmPolicy";

/// Parts of the key paths whose values take effect only after a restart (Schannel, LSA,
/// the cipher-suite policy, .NET and WinHTTP read them at start-up), in either SOFTWARE
/// view.
pub const RESTART_KEY_PARTS: &[&str] = &[
    r"\Control\SecurityProviders\SCHANNEL",
    r"\Control\Lsa\FIPSAlgorithmPolicy",
    r"\Policies\Microsoft\Cryptography\Configuration\SSL",
    r"\Microsoft\.NETFramework\",
    r"\Internet Settings\WinHttp",
];

/// The on/off value of protocol sides, ciphers, hashes, key exchanges and the FIPS policy.
pub const ENABLED: &str = "Enabled";
/// The protocol value that keeps a protocol off unless an application asks for it.
pub const DISABLED_BY_DEFAULT: &str = "DisabledByDefault";
/// The cipher-suite order value (REG_SZ, comma-separated, under [`SSL_POLICY`];
/// REG_MULTI_SZ under [`LOCAL_SSL`]).
pub const FUNCTIONS: &str = "Functions";
/// The curve order value under [`SSL_POLICY`].
pub const ECC_CURVES_VALUE: &str = "EccCurves";
/// The Local cipher-suite list (SYSTEM hive), used when no policy list is set.
pub const LOCAL_SSL: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Cryptography\Configuration\Local\SSL\00010002";
/// Where Windows names itself (build, edition), below the SOFTWARE root.
pub const CURRENT_VERSION: &str = r"Microsoft\Windows NT\CurrentVersion";
/// The first Windows 11 build; Windows 11 still says "Windows 10" in ProductName.
pub const WINDOWS_11_BUILD: u32 = 22000;

/// Longest `Functions` string Windows reads (prioritizing-schannel-cipher-suites.md).
pub const MAX_SUITE_LIST_CHARS: usize = 1023;
/// First build with TLS 1.3 in Schannel (Windows Server 2022; Windows 11 is 22000).
pub const TLS13_MIN_BUILD: u32 = 20348;

/// Client or server half of a protocol key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    /// The `Client` subkey: what Windows does when it connects.
    Client,
    /// The `Server` subkey: what Windows does when it accepts.
    Server,
}

impl Side {
    /// Both sides, client first.
    pub const ALL: [Side; 2] = [Side::Client, Side::Server];
    /// The subkey name under the protocol key.
    pub fn key_name(self) -> &'static str {
        match self {
            Side::Client => "Client",
            Side::Server => "Server",
        }
    }
    /// The profile spelling.
    pub fn field(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
        }
    }
}

/// Which protocol a catalogue entry is: the typed identity code matches on instead of a
/// name string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProtocolId {
    /// `Multi-Protocol Unified Hello`: the SSL 2.0-compatible hello of old clients.
    Mpuh,
    /// `PCT 1.0` (Private Communications Technology).
    Pct10,
    /// `SSL 2.0`.
    Ssl20,
    /// `SSL 3.0`.
    Ssl30,
    /// `TLS 1.0`.
    Tls10,
    /// `TLS 1.1`.
    Tls11,
    /// `TLS 1.2`.
    Tls12,
    /// `TLS 1.3` (build [`TLS13_MIN_BUILD`] and later).
    Tls13,
    /// `DTLS 1.0`.
    Dtls10,
    /// `DTLS 1.2`.
    Dtls12,
}

/// A protocol under `SCHANNEL\Protocols`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Protocol {
    /// Its typed identity.
    pub id: ProtocolId,
    /// Exact key name, e.g. `TLS 1.2`.
    pub name: &'static str,
    /// Extra spellings users type that normalisation does not cover.
    pub aliases: &'static [&'static str],
    /// WinHTTP `DefaultSecureProtocols` bit, where WinHTTP has one.
    pub winhttp_bit: Option<u32>,
    /// First build that supports the protocol, where that matters for warnings.
    pub min_build: Option<u32>,
}

impl ProtocolId {
    /// Every protocol, in catalogue order (the order settings and plans follow).
    pub fn all() -> impl Iterator<Item = ProtocolId> {
        PROTOCOLS.iter().map(|p| p.id)
    }

    /// Its catalogue entry.
    pub fn entry(self) -> &'static Protocol {
        PROTOCOLS
            .iter()
            .find(|p| p.id == self)
            .expect("every ProtocolId has a catalogue entry (a unit test checks)")
    }
}

/// A typed reference to one entry of a catalogue table: settings name their entry with one
/// of these, never with a bare index or a name string. They order as their table does,
/// which is the order of settings and plans.
macro_rules! entry_ref {
    ($(#[$doc:meta])* $name:ident => $table:ident: $entry:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u8);

        impl $name {
            /// Every entry, in table order.
            pub fn all() -> impl Iterator<Item = $name> {
                (0..$table.len()).map(|i| $name(i as u8))
            }

            /// Its catalogue entry.
            pub fn entry(self) -> &'static $entry {
                &$table[usize::from(self.0)]
            }

            /// The entry at a position in its table (from [`lookup`]).
            pub(super) fn at(i: usize) -> $name {
                debug_assert!(i < $table.len());
                $name(i as u8)
            }
        }
    };
}

entry_ref!(
    /// A cipher of [`CIPHERS`].
    CipherRef => CIPHERS: Algorithm
);
entry_ref!(
    /// A hash of [`HASHES`].
    HashRef => HASHES: Algorithm
);
entry_ref!(
    /// A key exchange of [`KEY_EXCHANGES`].
    KeyExchangeRef => KEY_EXCHANGES: Algorithm
);
entry_ref!(
    /// A value of [`SCALARS`].
    ScalarRef => SCALARS: ScalarSetting
);

/// Protocols in catalogue order (\[REG19\], \[REG23\], \[PROTO\]; PCT and MPUH from IIS Crypto).
pub const PROTOCOLS: &[Protocol] = &[
    Protocol {
        id: ProtocolId::Mpuh,
        name: "Multi-Protocol Unified Hello",
        aliases: &["MPUH"],
        winhttp_bit: None,
        min_build: None,
    },
    Protocol {
        id: ProtocolId::Pct10,
        name: "PCT 1.0",
        aliases: &["PCT"],
        winhttp_bit: None,
        min_build: None,
    },
    Protocol {
        id: ProtocolId::Ssl20,
        name: "SSL 2.0",
        aliases: &["SSLv2", "SSL2"],
        winhttp_bit: Some(0x8),
        min_build: None,
    },
    Protocol {
        id: ProtocolId::Ssl30,
        name: "SSL 3.0",
        aliases: &["SSLv3", "SSL3"],
        winhttp_bit: Some(0x20),
        min_build: None,
    },
    Protocol {
        id: ProtocolId::Tls10,
        name: "TLS 1.0",
        aliases: &["TLSv1", "TLSv1.0", "TLS1"],
        winhttp_bit: Some(0x80),
        min_build: None,
    },
    Protocol {
        id: ProtocolId::Tls11,
        name: "TLS 1.1",
        aliases: &["TLSv1.1"],
        winhttp_bit: Some(0x200),
        min_build: None,
    },
    Protocol {
        id: ProtocolId::Tls12,
        name: "TLS 1.2",
        aliases: &["TLSv1.2"],
        winhttp_bit: Some(0x800),
        min_build: None,
    },
    Protocol {
        id: ProtocolId::Tls13,
        name: "TLS 1.3",
        aliases: &["TLSv1.3"],
        winhttp_bit: Some(0x2000),
        min_build: Some(TLS13_MIN_BUILD),
    },
    Protocol {
        id: ProtocolId::Dtls10,
        name: "DTLS 1.0",
        aliases: &["DTLSv1.0", "DTLSv1"],
        winhttp_bit: None,
        min_build: None,
    },
    Protocol {
        id: ProtocolId::Dtls12,
        name: "DTLS 1.2",
        aliases: &["DTLSv1.2"],
        winhttp_bit: None,
        min_build: None,
    },
];

/// A subkey of `SCHANNEL\Ciphers`, `Hashes` or `KeyExchangeAlgorithms` with an `Enabled` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Algorithm {
    /// Exact key name, e.g. `RC4 128/128`.
    pub name: &'static str,
    /// Extra spellings users type that normalisation does not cover (`3DES`, `SHA1`, `RSA`).
    pub aliases: &'static [&'static str],
    /// What Schannel does when the key has no `Enabled` value (\[KB245030\]: every algorithm
    /// is enabled then, except the NULL cipher).
    pub unconfigured_enabled: bool,
    /// The key-size values the key carries (key exchanges only, \[REG23\]).
    pub key_bits: &'static [KeyBits],
}

/// The twelve cipher key names (\[KB245030\]; AES from SChannelDsc `DSC_Cipher`).
pub const CIPHERS: &[Algorithm] = &[
    Algorithm {
        name: "NULL",
        aliases: &[],
        unconfigured_enabled: false,
        key_bits: &[],
    },
    Algorithm {
        name: "DES 56/56",
        aliases: &["DES"],
        unconfigured_enabled: true,
        key_bits: &[],
    },
    Algorithm {
        name: "RC2 40/128",
        aliases: &[],
        unconfigured_enabled: true,
        key_bits: &[],
    },
    Algorithm {
        name: "RC2 56/128",
        aliases: &[],
        unconfigured_enabled: true,
        key_bits: &[],
    },
    Algorithm {
        name: "RC2 128/128",
        aliases: &[],
        unconfigured_enabled: true,
        key_bits: &[],
    },
    Algorithm {
        name: "RC4 40/128",
        aliases: &[],
        unconfigured_enabled: true,
        key_bits: &[],
    },
    Algorithm {
        name: "RC4 56/128",
        aliases: &[],
        unconfigured_enabled: true,
        key_bits: &[],
    },
    Algorithm {
        name: "RC4 64/128",
        aliases: &[],
        unconfigured_enabled: true,
        key_bits: &[],
    },
    Algorithm {
        name: "RC4 128/128",
        aliases: &[],
        unconfigured_enabled: true,
        key_bits: &[],
    },
    Algorithm {
        name: "Triple DES 168",
        aliases: &["3DES", "Triple DES"],
        unconfigured_enabled: true,
        key_bits: &[],
    },
    Algorithm {
        name: "AES 128/128",
        aliases: &[],
        unconfigured_enabled: true,
        key_bits: &[],
    },
    Algorithm {
        name: "AES 256/256",
        aliases: &[],
        unconfigured_enabled: true,
        key_bits: &[],
    },
];

/// Hash key names (\[KB245030\]; SHA-2 names from SChannelDsc `MSFT_Hash`).
pub const HASHES: &[Algorithm] = &[
    Algorithm {
        name: "MD5",
        aliases: &[],
        unconfigured_enabled: true,
        key_bits: &[],
    },
    Algorithm {
        name: "SHA",
        aliases: &["SHA1", "SHA-1"],
        unconfigured_enabled: true,
        key_bits: &[],
    },
    Algorithm {
        name: "SHA256",
        aliases: &["SHA-256"],
        unconfigured_enabled: true,
        key_bits: &[],
    },
    Algorithm {
        name: "SHA384",
        aliases: &["SHA-384"],
        unconfigured_enabled: true,
        key_bits: &[],
    },
    Algorithm {
        name: "SHA512",
        aliases: &["SHA-512"],
        unconfigured_enabled: true,
        key_bits: &[],
    },
];

/// Key-exchange key names (\[REG23\]; SChannelDsc `MSFT_KeyExchangeAlgorithm`).
pub const KEY_EXCHANGES: &[Algorithm] = &[
    Algorithm {
        name: "Diffie-Hellman",
        aliases: &["DH", "DHE"],
        unconfigured_enabled: true,
        key_bits: &[KeyBits::ServerMin, KeyBits::ClientMin, KeyBits::ClientMax],
    },
    Algorithm {
        name: "PKCS",
        aliases: &["RSA"],
        unconfigured_enabled: true,
        key_bits: &[KeyBits::ClientMin, KeyBits::ClientMax],
    },
    Algorithm {
        name: "ECDH",
        aliases: &["ECDHE"],
        unconfigured_enabled: true,
        key_bits: &[],
    },
];

/// The key-size values under `KeyExchangeAlgorithms\<name>` (\[REG23\]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyBits {
    /// `ServerMinKeyBitLength`: the smallest key, in bits, the server side uses (Diffie-Hellman
    /// only).
    ServerMin,
    /// `ClientMinKeyBitLength`: the smallest server key, in bits, the client side accepts.
    ClientMin,
    /// `ClientMaxKeyBitLength`: the largest server key, in bits, the client side accepts.
    ClientMax,
}

impl KeyBits {
    /// The three values, in catalogue (and plan) order.
    pub const ALL: [KeyBits; 3] = [KeyBits::ServerMin, KeyBits::ClientMin, KeyBits::ClientMax];
    /// The profile field under `key-exchanges:` (`server-min-key-bits`, ...).
    pub fn field(self) -> &'static str {
        match self {
            KeyBits::ServerMin => "server-min-key-bits",
            KeyBits::ClientMin => "client-min-key-bits",
            KeyBits::ClientMax => "client-max-key-bits",
        }
    }
    /// The registry value name (`ServerMinKeyBitLength`, ...).
    pub fn value_name(self) -> &'static str {
        match self {
            KeyBits::ServerMin => "ServerMinKeyBitLength",
            KeyBits::ClientMin => "ClientMinKeyBitLength",
            KeyBits::ClientMax => "ClientMaxKeyBitLength",
        }
    }
    /// Whether the key exchange has this value (\[REG23\]: Diffie-Hellman has all three, PKCS
    /// the client pair, ECDH none).
    pub fn applies_to(self, kx: KeyExchangeRef) -> bool {
        kx.entry().key_bits.contains(&self)
    }
}

/// Accepted key bit lengths.
pub const KEY_BITS_RANGE: (u32, u32) = (512, 16384);

/// How a plain SCHANNEL value is written and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    /// `true` = 1, `false` = 0.
    Bool,
    /// An integer in the inclusive range.
    Range(u32, u32),
}

/// A DWORD value somewhere under SCHANNEL (or LSA) that a profile sets by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScalarSetting {
    /// Profile field under `schannel:`.
    pub field: &'static str,
    /// Key path below [`SCHANNEL`] (`""` for SCHANNEL itself), or an absolute path.
    pub key: &'static str,
    /// The value name (a REG_DWORD).
    pub value: &'static str,
    /// The numbers a profile may set it to.
    pub domain: Domain,
    /// What the value means, for `profiles`, `show` and errors.
    pub help: &'static str,
}

impl ScalarSetting {
    /// Full key path.
    pub fn key_path(&self) -> String {
        if self.key.starts_with("HKEY_") {
            self.key.to_string()
        } else if self.key.is_empty() {
            SCHANNEL.to_string()
        } else {
            format!(r"{SCHANNEL}\{}", self.key)
        }
    }
}

/// Other SCHANNEL values (\[REG23\] unless noted; FIPS from STIG WN16-SO-000430).
pub const SCALARS: &[ScalarSetting] = &[
    ScalarSetting { field: "event-logging", key: "", value: "EventLogging", domain: Domain::Range(0, 7), help: "0 none, 1 errors, 2 warnings, 3 errors+warnings, 4 info+success, 5 errors+info+success, 6 warnings+info+success, 7 all" },
    ScalarSetting { field: "certificate-mapping-methods", key: "", value: "CertificateMappingMethods", domain: Domain::Range(0, 0x1f), help: "bit mask: 0x1 subject/issuer, 0x2 issuer, 0x4 UPN, 0x8 S4U2Self, 0x10 S4U2Self explicit" },
    ScalarSetting { field: "client-cache-time", key: "", value: "ClientCacheTime", domain: Domain::Range(0, u32::MAX), help: "client TLS session cache lifetime in milliseconds; 0 disables" },
    ScalarSetting { field: "server-cache-time", key: "", value: "ServerCacheTime", domain: Domain::Range(0, u32::MAX), help: "server TLS session cache lifetime in milliseconds; 0 disables resumption" },
    ScalarSetting { field: "maximum-cache-size", key: "", value: "MaximumCacheSize", domain: Domain::Range(0, u32::MAX), help: "most cached sessions; 0 disables the server cache" },
    ScalarSetting { field: "issuer-cache-size", key: "", value: "IssuerCacheSize", domain: Domain::Range(0, u32::MAX), help: "size of the issuer-mapping cache" },
    ScalarSetting { field: "issuer-cache-time", key: "", value: "IssuerCacheTime", domain: Domain::Range(0, u32::MAX), help: "issuer cache timeout in milliseconds" },
    ScalarSetting { field: "send-trusted-issuer-list", key: "", value: "SendTrustedIssuerList", domain: Domain::Bool, help: "server sends its trusted CA list in the CertificateRequest" },
    ScalarSetting { field: "client-auth-trust-mode", key: "", value: "ClientAuthTrustMode", domain: Domain::Range(0, 2), help: "0 machine trust, 1 exclusive root trust, 2 exclusive CA trust" },
    ScalarSetting { field: "enable-ocsp-stapling-for-sni", key: "", value: "EnableOcspStaplingForSni", domain: Domain::Bool, help: "OCSP stapling for SNI and central-store bindings" },
    ScalarSetting { field: "message-limit-client", key: "Messaging", value: "MessageLimitClient", domain: Domain::Range(0, 0xff_ffff), help: "largest fragmented handshake message a client accepts, bytes" },
    ScalarSetting { field: "message-limit-server", key: "Messaging", value: "MessageLimitServer", domain: Domain::Range(0, 0xff_ffff), help: "largest fragmented handshake message a server accepts without client auth, bytes" },
    ScalarSetting { field: "message-limit-server-client-auth", key: "Messaging", value: "MessageLimitServerClientAuth", domain: Domain::Range(0, 0xff_ffff), help: "largest fragmented handshake message a server accepts with client auth, bytes" },
    ScalarSetting { field: "fips-algorithm-policy", key: FIPS_POLICY, value: ENABLED, domain: Domain::Bool, help: "system-wide FIPS mode (Control\\Lsa\\FIPSAlgorithmPolicy\\Enabled)" },
];

/// Windows releases as the builds they span, for `target: NAME` (that release) and
/// `target: NAME+` (that release and every later build) (schannel-reference.md §2.2:
/// Server 2008 is 6001 with SP1, 6002 with SP2 and 6003 after its 2019 updates; Windows 10
/// is 10240 (1507) to 19045 (22H2); Windows 11 goes on from 22000).
pub const NAMED_RANGES: &[(&str, u32, Option<u32>)] = &[
    ("windows-server-2008", 6001, Some(6003)),
    ("windows-server-2008-sp2", 6002, Some(6003)),
    ("windows-server-2008-r2", 7600, Some(7601)),
    ("windows-7", 7600, Some(7601)),
    ("windows-server-2012", 9200, Some(9200)),
    ("windows-8", 9200, Some(9200)),
    ("windows-server-2012-r2", 9600, Some(9600)),
    ("windows-8.1", 9600, Some(9600)),
    ("windows-10", 10240, Some(19045)),
    ("windows-server-2016", 14393, Some(14393)),
    ("windows-server-2019", 17763, Some(17763)),
    ("windows-server-2022", 20348, Some(20348)),
    ("windows-11", WINDOWS_11_BUILD, None),
    ("windows-server-2025", 26100, Some(26100)),
];

/// Named Windows builds users may give instead of a number (schannel-reference.md §2.2).
pub const NAMED_BUILDS: &[(&str, u32)] = &[
    ("windows-server-2008", 6001),
    ("windows-server-2008-sp2", 6002),
    ("windows-server-2008-r2", 7601),
    ("windows-7", 7601),
    ("windows-server-2012", 9200),
    ("windows-8", 9200),
    ("windows-server-2012-r2", 9600),
    ("windows-8.1", 9600),
    ("windows-10", 10240),
    ("windows-server-2016", 14393),
    ("windows-server-2019", 17763),
    ("windows-server-2022", 20348),
    ("windows-11", WINDOWS_11_BUILD),
    ("windows-server-2025", 26100),
];

#[cfg(test)]
mod tests {
    use super::names::lookup;
    use super::*;

    #[test]
    fn normalized_names_are_unique_within_each_kind() {
        for kind in [
            NameKind::Protocol,
            NameKind::Cipher,
            NameKind::Hash,
            NameKind::KeyExchange,
        ] {
            let mut seen = std::collections::HashMap::new();
            for (name, aliases) in kind.entries() {
                for n in std::iter::once(name).chain(aliases.iter().copied()) {
                    if let Some(prev) = seen.insert(normalize(n), name) {
                        assert_eq!(prev, name, "{n} is ambiguous between {prev} and {name}");
                    }
                }
            }
        }
    }

    #[test]
    fn protocol_ids_follow_the_table() {
        let ids: Vec<ProtocolId> = ProtocolId::all().collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted, "ProtocolId orders as PROTOCOLS");
        for id in ids {
            assert_eq!(id.entry().id, id);
        }
        assert_eq!(
            find(NameKind::Cipher, "rc4 128/128").map(|f| match f {
                Found::Cipher(c) => c.entry().name,
                _ => "",
            }),
            Ok("RC4 128/128")
        );
        let fips = scalar("fips-algorithm-policy").expect("a scalar field");
        assert_eq!(fips.entry().key, FIPS_POLICY);
        assert_eq!(scalar("no-such-field"), None);
    }

    #[test]
    fn user_spellings_resolve() {
        assert_eq!(lookup(NameKind::Protocol, "TLS1.2"), Ok(6));
        assert_eq!(lookup(NameKind::Protocol, "tlsv1.2"), Ok(6));
        assert_eq!(lookup(NameKind::Protocol, "tls 1.3"), Ok(7));
        assert_eq!(lookup(NameKind::Cipher, "rc4 128/128"), Ok(8));
        assert_eq!(lookup(NameKind::Hash, "sha1"), Ok(1));
        assert_eq!(lookup(NameKind::Protocol, "TLS 1.4"), Err(Some("TLS 1.3")));
        assert_eq!(lookup(NameKind::Protocol, "TSL 1.2"), Err(Some("TLS 1.2")));
    }
}
