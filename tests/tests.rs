//! The integration tests: one test binary (as ripgrep does), one module per concern.

mod util;

mod cli;
mod diagnostics;
mod oracle;
mod powershell;
mod snapshots;
