//! Writers that turn a [`Plan`](crate::plan::Plan) into files.

pub mod pol;
pub mod powershell;
pub mod reg;
