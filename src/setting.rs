//! Named settings: what a profile can say (a [`SettingKey`] and its [`Setting`]) and the
//! registry operations each one means, read from the [catalogue](crate::catalog).
//!
//! Settings sit below the plan: a setting adds its operations to any [`AddOps`] (the
//! [`PlanBuilder`](crate::plan::PlanBuilder) is one), so the plan can name the setting each
//! of its operations came from.

use crate::catalog::{
    dotnet_key, winhttp_key, Algorithm, CipherRef, Domain, DotNetValue, DotNetVersion, HashRef,
    KeyBits, KeyExchangeRef, ProtocolId, ScalarRef, Side, View, DISABLED_BY_DEFAULT,
    ECC_CURVES_VALUE, ENABLED, FUNCTIONS, SCHANNEL, SSL_POLICY, WINHTTP_VALUE,
};
use crate::value::RegData;

/// What a setting's registry operations are added to.
pub trait AddOps {
    /// Sets a value (full key path).
    fn set(&mut self, key: &str, name: &str, data: RegData);
    /// Deletes a value (full key path).
    fn delete_value(&mut self, key: &str, name: &str);
}

/// Which setting; ordered as the catalogue lists them, which is also the plan's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SettingKey {
    /// One side of a protocol.
    Protocol(ProtocolId, Side),
    /// A cipher's `Enabled` value.
    Cipher(CipherRef),
    /// A hash's `Enabled` value.
    Hash(HashRef),
    /// A key exchange's `Enabled` value.
    KeyExchange(KeyExchangeRef),
    /// A key-size value of a key exchange.
    KeyBits(KeyExchangeRef, KeyBits),
    /// The cipher-suite order: `Functions` under [`SSL_POLICY`] (REG_SZ, comma-separated).
    CipherSuites,
    /// The curve order: `EccCurves` under [`SSL_POLICY`] (REG_MULTI_SZ).
    EccCurves,
    /// A .NET Framework value of one version in one SOFTWARE view.
    DotNet(DotNetVersion, View, DotNetValue),
    /// WinHTTP's `DefaultSecureProtocols` in one SOFTWARE view.
    WinHttp(View),
    /// Another SCHANNEL (or LSA) value.
    Scalar(ScalarRef),
}

/// On or off, for protocols and algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// `Enabled` 1 (and for a protocol side, `DisabledByDefault` 0).
    Enabled,
    /// `Enabled` 0 (and for a protocol side, `DisabledByDefault` 1).
    Disabled,
}

/// What a profile says about one setting.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Setting {
    /// On or off: protocol sides, ciphers, hashes, key exchanges.
    State(State),
    /// A number, written as a REG_DWORD: key sizes and ranged SCHANNEL values.
    Dword(u32),
    /// A boolean, written as a REG_DWORD 1 or 0: .NET values and boolean SCHANNEL values.
    Bool(bool),
    /// Cipher suites or curves, in order.
    List(Vec<String>),
    /// WinHTTP protocols.
    Protocols(Vec<ProtocolId>),
    /// The values are deleted, so Windows uses its built-in default.
    OsDefault,
}

impl SettingKey {
    /// The cipher, hash or key-exchange entry of an algorithm's `Enabled` setting.
    pub fn algorithm(&self) -> Option<&'static Algorithm> {
        match *self {
            SettingKey::Cipher(c) => Some(c.entry()),
            SettingKey::Hash(h) => Some(h.entry()),
            SettingKey::KeyExchange(k) => Some(k.entry()),
            _ => None,
        }
    }

    /// The key path this setting writes to.
    pub fn key_path(&self) -> String {
        match *self {
            SettingKey::Protocol(p, side) => {
                format!(
                    r"{SCHANNEL}\Protocols\{}\{}",
                    p.entry().name,
                    side.key_name()
                )
            }
            SettingKey::Cipher(c) => format!(r"{SCHANNEL}\Ciphers\{}", c.entry().name),
            SettingKey::Hash(h) => format!(r"{SCHANNEL}\Hashes\{}", h.entry().name),
            SettingKey::KeyExchange(k) | SettingKey::KeyBits(k, _) => {
                format!(r"{SCHANNEL}\KeyExchangeAlgorithms\{}", k.entry().name)
            }
            SettingKey::CipherSuites | SettingKey::EccCurves => SSL_POLICY.to_string(),
            SettingKey::DotNet(v, view, _) => dotnet_key(v, view),
            SettingKey::WinHttp(view) => winhttp_key(view),
            SettingKey::Scalar(s) => s.entry().key_path(),
        }
    }

    /// The value names this setting writes.
    pub fn value_names(&self) -> Vec<&'static str> {
        match *self {
            SettingKey::Protocol(..) => vec![ENABLED, DISABLED_BY_DEFAULT],
            SettingKey::Cipher(_) | SettingKey::Hash(_) | SettingKey::KeyExchange(_) => {
                vec![ENABLED]
            }
            SettingKey::KeyBits(_, b) => vec![b.value_name()],
            SettingKey::CipherSuites => vec![FUNCTIONS],
            SettingKey::EccCurves => vec![ECC_CURVES_VALUE],
            SettingKey::DotNet(_, _, v) => vec![v.value_name()],
            SettingKey::WinHttp(_) => vec![WINHTTP_VALUE],
            SettingKey::Scalar(s) => vec![s.entry().value],
        }
    }

    /// A short human label, e.g. `protocol TLS 1.2 (server)`.
    pub fn label(&self) -> String {
        match *self {
            SettingKey::Protocol(p, side) => {
                format!("protocol {} ({})", p.entry().name, side.field())
            }
            SettingKey::Cipher(c) => format!("cipher {}", c.entry().name),
            SettingKey::Hash(h) => format!("hash {}", h.entry().name),
            SettingKey::KeyExchange(k) => format!("key exchange {}", k.entry().name),
            SettingKey::KeyBits(k, b) => {
                format!("key exchange {} {}", k.entry().name, b.field())
            }
            SettingKey::CipherSuites => "cipher-suites".to_string(),
            SettingKey::EccCurves => "ecc-curves".to_string(),
            SettingKey::DotNet(v, view, val) => {
                format!("dotnet {} {} ({})", val.field(), v.key_name(), view.field())
            }
            SettingKey::WinHttp(view) => {
                format!("winhttp default-secure-protocols ({})", view.field())
            }
            SettingKey::Scalar(s) => format!("schannel {}", s.entry().field),
        }
    }

    /// Adds this setting's operations to a plan.
    pub fn add_ops(&self, setting: &Setting, b: &mut impl AddOps) {
        let key = self.key_path();
        let names = self.value_names();
        if let Setting::OsDefault = setting {
            for n in names {
                b.delete_value(&key, n);
            }
            return;
        }
        match (self, setting) {
            (SettingKey::Protocol(..), Setting::State(s)) => {
                let on = *s == State::Enabled;
                b.set(&key, ENABLED, RegData::Dword(on as u32));
                b.set(&key, DISABLED_BY_DEFAULT, RegData::Dword(!on as u32));
            }
            (_, Setting::State(s)) => b.set(
                &key,
                names[0],
                RegData::Dword((*s == State::Enabled) as u32),
            ),
            (SettingKey::CipherSuites, Setting::List(l)) => {
                b.set(&key, names[0], RegData::Sz(l.join(",")))
            }
            (_, Setting::List(l)) => b.set(&key, names[0], RegData::MultiSz(l.clone())),
            (_, Setting::Dword(n)) => b.set(&key, names[0], RegData::Dword(*n)),
            (_, Setting::Bool(v)) => b.set(&key, names[0], RegData::Dword(*v as u32)),
            (_, Setting::Protocols(ps)) => b.set(&key, names[0], RegData::Dword(winhttp_mask(ps))),
            (_, Setting::OsDefault) => unreachable!("handled above"),
        }
    }
}

/// The WinHTTP `DefaultSecureProtocols` mask of these protocols.
pub fn winhttp_mask(protocols: &[ProtocolId]) -> u32 {
    protocols
        .iter()
        .filter_map(|p| p.entry().winhttp_bit)
        .fold(0, |m, b| m | b)
}

/// Whether settings need the "Enabling TLS 1.2" prerequisites checked: they enable TLS 1.2
/// or set .NET keys. Read by the PowerShell output and the audit.
pub fn needs_prerequisites<'a>(
    settings: impl IntoIterator<Item = (&'a SettingKey, &'a Setting)>,
) -> bool {
    settings.into_iter().any(|(k, v)| match (k, v) {
        (SettingKey::Protocol(p, _), Setting::State(State::Enabled)) => *p == ProtocolId::Tls12,
        (SettingKey::DotNet(..), Setting::OsDefault) => false,
        (SettingKey::DotNet(..), _) => true,
        _ => false,
    })
}

/// Whether a scalar setting takes booleans.
pub fn scalar_is_bool(s: ScalarRef) -> bool {
    s.entry().domain == Domain::Bool
}
