//! What Windows does when no registry value says otherwise, per build: protocol defaults by
//! side (Microsoft's "Protocols in TLS/SSL (Schannel SSP)", \[PROTO\], as revised on
//! 2025-03-20 with Server 2025 and Windows 11 24H2: MicrosoftDocs/win32 `47e64c18`,
//! `desktop-src/SecAuthN/protocols-in-tls-ssl--schannel-ssp-.md`), the experimental TLS 1.3
//! of Windows 10 1903-22H2, and the algorithm rule of KB245030 (read from each
//! [`Algorithm`] entry).

use super::{Algorithm, Protocol, ProtocolId, Side};
use serde::Serialize;

/// What Schannel does with a protocol when no registry value says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProtocolDefault {
    /// Used unless a registry value disables it.
    Enabled,
    /// Supported, but used only when an application asks for it.
    OffByDefault,
    /// The build cannot use the protocol, whatever the registry says.
    NotSupported,
    /// No public source gives the default for this build.
    Unknown,
}

/// The rows of §2.1's table: the build ranges that share defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    /// Vista / Server 2008 (6000-6001), and Vista SP2 (6002 on a client).
    Vista,
    /// Server 2008 SP2 (6002 on a server, and 6003 after its 2019 updates).
    Server2008Sp2,
    /// Windows 7 / Server 2008 R2 (7600-7601).
    Win7,
    /// Windows 8 through 10 1511 (9200-14392).
    Win8To1511,
    /// Windows 10 1607 through 22H2, Server 2016 and 2019 (14393-20347).
    Win10,
    /// Server 2022 and Windows 11 before 24H2 (20348-26099).
    Server2022,
    /// Windows 11 24H2 and Server 2025 (26100). Later builds are in no table yet.
    Win11_24H2,
}

fn row(build: u32) -> Option<Row> {
    Some(match build {
        6000..=6001 => Row::Vista,
        7600..=7601 => Row::Win7,
        9200..=14392 => Row::Win8To1511,
        14393..=20347 => Row::Win10,
        20348..=26099 => Row::Server2022,
        // The newest build Microsoft's tables cover; a later one is unknown, not assumed
        // to behave like it.
        26100 => Row::Win11_24H2,
        _ => return None,
    })
}

/// The OS default of a protocol on one side for a build, whatever the edition: where the
/// client and the server of one build differ (6002 is both Vista SP2 and Server 2008 SP2),
/// unknown.
pub fn protocol_default(protocol: &Protocol, side: Side, build: u32) -> ProtocolDefault {
    protocol_default_for(protocol, side, build, None)
}

/// The OS default of a protocol on one side for a build and edition (`server`: Windows
/// Server, else a client; `None` when not known). Build 6002 (and 6003) is Windows Vista
/// SP2 on a client, which has no TLS 1.1 or 1.2 at all, and Windows Server 2008 SP2 on a
/// server, which gets them (off by default) with KB4019276.
pub fn protocol_default_for(
    protocol: &Protocol,
    side: Side,
    build: u32,
    server: Option<bool>,
) -> ProtocolDefault {
    if matches!(build, 6002..=6003) {
        return match server {
            Some(true) => row_default(protocol, side, Row::Server2008Sp2),
            Some(false) => row_default(protocol, side, Row::Vista),
            None => {
                let (v, s) = (
                    row_default(protocol, side, Row::Vista),
                    row_default(protocol, side, Row::Server2008Sp2),
                );
                if v == s {
                    v
                } else {
                    ProtocolDefault::Unknown
                }
            }
        };
    }
    match row(build) {
        Some(r) => row_default(protocol, side, r),
        None => ProtocolDefault::Unknown,
    }
}

/// Whether `build` is a Windows 10 release (1903 to 22H2) where TLS 1.3 is in Schannel but
/// not supported: the registry can switch it on, and Microsoft calls that "not a safe
/// system configuration" (\[PROTO\]).
pub fn experimental_tls13(build: u32) -> bool {
    (18362..=19045).contains(&build)
}

fn row_default(protocol: &Protocol, side: Side, row: Row) -> ProtocolDefault {
    use ProtocolDefault::*;
    use Row::*;
    match protocol.id {
        ProtocolId::Ssl20 => match row {
            Vista | Server2008Sp2 | Win7 if side == Side::Server => Enabled,
            Vista | Server2008Sp2 | Win7 | Win8To1511 => OffByDefault,
            _ => NotSupported,
        },
        ProtocolId::Ssl30 => match row {
            Vista | Server2008Sp2 | Win7 | Win8To1511 => Enabled,
            _ => OffByDefault,
        },
        ProtocolId::Tls10 => Enabled,
        ProtocolId::Tls11 | ProtocolId::Tls12 => match row {
            Vista => NotSupported,
            Server2008Sp2 | Win7 => OffByDefault,
            _ => Enabled,
        },
        ProtocolId::Tls13 => match row {
            Server2022 | Win11_24H2 => Enabled,
            _ => NotSupported,
        },
        ProtocolId::Dtls10 => match row {
            Vista | Server2008Sp2 => NotSupported,
            _ => Enabled,
        },
        ProtocolId::Dtls12 => match row {
            Win10 | Server2022 | Win11_24H2 => Enabled,
            _ => NotSupported,
        },
        ProtocolId::Pct10 => NotSupported,
        // Every version accepts a unified-format hello ([PROTO]).
        ProtocolId::Mpuh => Enabled,
    }
}

/// Whether Schannel uses a cipher, hash or key exchange whose key has no `Enabled` value
/// (KB245030: all of them, except the NULL cipher). The same on every build.
pub fn algorithm_default(algorithm: &Algorithm) -> bool {
    algorithm.unconfigured_enabled
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::CIPHERS;

    fn d(id: ProtocolId, server: bool, build: u32) -> ProtocolDefault {
        let side = if server { Side::Server } else { Side::Client };
        protocol_default(id.entry(), side, build)
    }

    #[test]
    fn defaults_follow_the_table() {
        use ProtocolId::*;
        assert_eq!(d(Tls12, true, 7601), ProtocolDefault::OffByDefault);
        assert_eq!(d(Tls12, true, 9600), ProtocolDefault::Enabled);
        assert_eq!(d(Ssl30, false, 17763), ProtocolDefault::OffByDefault);
        assert_eq!(d(Tls13, true, 17763), ProtocolDefault::NotSupported);
        assert_eq!(d(Tls13, true, 20348), ProtocolDefault::Enabled);
        // Server 2025 / Windows 11 24H2: TLS 1.0 to 1.3 enabled on both sides ([PROTO],
        // MicrosoftDocs/win32 47e64c18, ms.date 03/20/2025).
        for id in [Tls10, Tls11, Tls12, Tls13] {
            assert_eq!(d(id, true, 26100), ProtocolDefault::Enabled);
            assert_eq!(d(id, false, 26100), ProtocolDefault::Enabled);
        }
        assert_eq!(d(Ssl30, true, 26100), ProtocolDefault::OffByDefault);
        assert_eq!(d(Ssl20, true, 26100), ProtocolDefault::NotSupported);
        assert_eq!(d(Ssl20, true, 7601), ProtocolDefault::Enabled);
        assert_eq!(d(Ssl20, false, 7601), ProtocolDefault::OffByDefault);
        assert_eq!(d(Ssl20, true, 9600), ProtocolDefault::OffByDefault);
        assert_eq!(d(Ssl20, true, 14393), ProtocolDefault::NotSupported);
        assert_eq!(d(Tls12, true, 3790), ProtocolDefault::Unknown);
    }

    /// A build no table covers is unknown, never the newest row's (it was: 26100.. matched
    /// every later build, and 6002..=6999 builds that never existed).
    #[test]
    fn builds_outside_every_table_are_unknown() {
        use ProtocolId::*;
        assert_eq!(d(Tls13, true, 26100), ProtocolDefault::Enabled);
        for build in [26101, 26200, 27000, u32::MAX, 6004, 6999, 7602, 0] {
            for id in [Tls12, Tls13, Ssl30] {
                assert_eq!(
                    d(id, true, build),
                    ProtocolDefault::Unknown,
                    "{id:?} on {build}"
                );
            }
        }
        // 6003 is Server 2008 SP2 only when the edition is known to be a server.
        assert_eq!(d(Tls12, false, 6003), ProtocolDefault::Unknown);
        assert_eq!(d(Tls10, false, 6003), ProtocolDefault::Enabled);
    }

    /// 6002 is Vista SP2 on a client (no TLS 1.1/1.2 at all) and Server 2008 SP2 on a
    /// server (TLS 1.1/1.2 off by default, with KB4019276).
    #[test]
    fn build_6002_depends_on_the_edition() {
        use ProtocolId::*;
        let at =
            |id: ProtocolId, server| protocol_default_for(id.entry(), Side::Server, 6002, server);
        assert_eq!(at(Tls12, Some(true)), ProtocolDefault::OffByDefault);
        assert_eq!(at(Tls12, Some(false)), ProtocolDefault::NotSupported);
        assert_eq!(at(Tls12, None), ProtocolDefault::Unknown);
        assert_eq!(at(Tls10, None), ProtocolDefault::Enabled);
        assert!(
            experimental_tls13(19045) && !experimental_tls13(20348) && !experimental_tls13(17763)
        );
    }

    #[test]
    fn only_null_is_off_when_unconfigured() {
        let off: Vec<_> = CIPHERS
            .iter()
            .filter(|a| !algorithm_default(a))
            .map(|a| a.name)
            .collect();
        assert_eq!(off, ["NULL"]);
    }
}
