//! Writers that turn a [`Plan`] into files.

pub mod ansible;
pub mod gpp;
pub mod pol;
pub mod powershell;
pub mod reg;
pub mod wql;

use crate::plan::{Op, Plan};

/// The plan for one family of builds, for the writers that serve several families in one
/// file ([`powershell::to_powershell_by_build`], [`gpp::to_gpp_by_build`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    /// The first build it is for.
    pub first: u32,
    /// Its builds in words, for the file's comments.
    pub builds: String,
    /// The operations for those builds.
    pub plan: Plan,
}

/// The value name an operation touches (`None` for a key deletion).
fn op_name(op: &Op) -> Option<&str> {
    match op {
        Op::DeleteKey { .. } => None,
        Op::DeleteValue { name, .. } | Op::SetValue { name, .. } => Some(name),
    }
}

/// Whether branches can share one file: at least one, oldest first (each starts after the
/// one before), with the same operations in the same order, apart from their data.
fn aligned(branches: &[Branch]) -> bool {
    let Some(base) = branches.first() else {
        return false;
    };
    branches.iter().all(|b| {
        b.plan.ops.len() == base.plan.ops.len()
            && b.plan.ops.iter().zip(&base.plan.ops).all(|(x, y)| {
                std::mem::discriminant(x) == std::mem::discriminant(y)
                    && x.key() == y.key()
                    && op_name(x) == op_name(y)
            })
    }) && branches.windows(2).all(|w| w[0].first < w[1].first)
}

/// Whether changing this key needs a restart to take effect: everything the catalogue
/// writes (SCHANNEL, LSA, cipher-suite policy, .NET, WinHTTP) does.
pub(crate) fn needs_restart(key: &str) -> bool {
    let k = key.to_ascii_uppercase();
    crate::catalog::RESTART_KEY_PARTS
        .iter()
        .any(|p| k.contains(&p.to_ascii_uppercase()))
}
