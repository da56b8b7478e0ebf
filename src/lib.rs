//! tlsreg: SCHANNEL / TLS hardening profiles compiled to byte-exact `.reg` files.
//!
//! The map of the crate, from the floor up (a module imports only lower ones; see
//! `ARCHITECTURE.md`):
//! - [`keypath`], [`value`], [`input`]: key paths, control sets, the one name comparison; value data
//!   and the one way to read stored bytes; inputs opened only as regular files of sane size;
//! - [`catalog`]: every setting tlsreg knows, the per-build defaults
//!   ([`catalog::defaults`]) and every known trap and prerequisite ([`catalog::traps`]);
//! - [`diag`]: the one diagnostic type, with a code per problem;
//! - [`setting`] and [`plan`]: what a profile says and the ordered [`plan::Plan`] of
//!   registry operations it means, each operation knowing where it came from;
//! - [`memreg`]: an in-memory registry that plans, `.reg` files and hives are applied to;
//! - [`profile`]: YAML profiles, parsed and validated with `file:line:col` diagnostics
//!   ([`yamlpos`]), `extends` followed, merged into one [`profile::Profile`];
//! - [`hive`]: offline hive files (whole or lazily read, dirty ones replayed from their
//!   logs); [`regfile`]: `.reg` files read, written and linted;
//! - [`emit`]: plan → `.reg` and PowerShell; [`audit`], [`diff`], [`export`], [`import`]:
//!   the jobs on hives and `.reg` files; [`compile`]: profiles → files, all or none
//!   ([`output`] writes atomically); [`sarif`]: findings as a SARIF 2.1.0 log;
//!   [`schema`]: the JSON Schemas of profiles and of the JSON reports.
//!
//! The library never prints; the `tlsreg` binary renders results and picks exit codes.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

/// The version of every JSON document tlsreg writes (the audit, compile, lint and diff
/// reports and each JSON Lines record), in their `schema_version` field: one number for all
/// of them, raised when any of their shapes changes. Version 2: every document names its
/// `command`; an audit is always `{"images": [...]}`, whatever the number of images, with
/// errors in it; every audit finding has a stable `code`.
pub const SCHEMA_VERSION: u32 = 2;

pub mod audit;
pub mod builtin;
pub mod catalog;
pub mod compile;
pub mod crc;
pub mod diag;
pub mod diff;
pub mod emit;
pub mod export;
pub mod hive;
pub mod image;
pub mod import;
pub mod input;
pub mod keypath;
pub mod memreg;
pub mod output;
pub mod plan;
pub mod profile;
pub mod quiet;
pub mod regfile;
pub mod sarif;
pub mod schema;
pub mod setting;
pub mod source;
pub mod value;
pub mod vm;
pub mod yamlpos;
