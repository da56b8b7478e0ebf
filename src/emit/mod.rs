//! Writers that turn a [`Plan`](crate::plan::Plan) into files.

pub mod ansible;
pub mod pol;
pub mod powershell;
pub mod reg;

/// Whether changing this key needs a restart to take effect: everything the catalogue
/// writes (SCHANNEL, LSA, cipher-suite policy, .NET, WinHTTP) does.
pub(crate) fn needs_restart(key: &str) -> bool {
    let k = key.to_ascii_uppercase();
    crate::catalog::RESTART_KEY_PARTS
        .iter()
        .any(|p| k.contains(&p.to_ascii_uppercase()))
}
