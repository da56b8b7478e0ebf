//! tlsreg: SCHANNEL / TLS hardening profiles compiled to byte-exact `.reg` files.
//!
//! The map of the crate:
//! - [`catalog`]: every setting tlsreg knows (key paths, value names, ranges, sources);
//! - [`profile`]: YAML profiles, parsed and validated with `file:line:col` diagnostics
//!   ([`diag`], [`yamlpos`]), `extends` followed, merged into one [`profile::Profile`];
//! - [`setting`] and [`plan`]: a profile becomes one ordered [`plan::Plan`] of registry
//!   operations;
//! - [`emit`]: writers for that plan (`.reg` for regedit and for hivexregedit);
//! - [`memreg`]: an in-memory registry that applies plans, for checks and tests;
//! - [`compile`]: a profile and options to named output files;
//! - [`output`]: writing files atomically and checking them for drift;
//! - [`hive`]: offline hive files (read whole, or only the cells a request reaches), with
//!   [`hive::logs`] replaying transaction logs; [`audit`], [`diff`] and [`export`] build on it.
//!
//! The library never prints; the `tlsreg` binary renders results and picks exit codes.
#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod audit;
pub mod builtin;
pub mod catalog;
pub mod compile;
pub mod diag;
pub mod diff;
pub mod emit;
pub mod export;
pub mod hive;
pub mod import;
pub mod keypath;
pub mod memreg;
pub mod output;
pub mod plan;
pub mod profile;
pub mod regfile;
pub mod setting;
pub mod value;
pub mod yamlpos;
