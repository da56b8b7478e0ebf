//! The integration tests: one test binary (as ripgrep does), one module per concern.

mod util;

mod ansible;
mod audit;
mod ci;
mod cli;
mod containers;
mod corpus;
mod diagnostics;
mod escaping;
mod export;
mod fuzz_equiv;
mod gpp;
mod images;
mod intune;
mod lint_sarif;
mod logs;
mod machine;
mod oracle;
mod pol;
mod powershell;
mod precommit;
mod regfile;
mod schema;
mod snapshots;
mod suite_tables;
mod volumes;
mod wine;
