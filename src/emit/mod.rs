//! Writers that turn a [`Plan`](crate::plan::Plan) into files.

pub mod powershell;
pub mod reg;
