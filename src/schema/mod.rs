//! JSON Schemas (draft 2020-12) of the files tlsreg reads and writes, for editors and CI:
//! [`report`] describes every JSON document tlsreg writes; [`profile`] describes the profile
//! format, generated from the decoder's field lists and the catalogue
//! so that it cannot drift from what the loader accepts.
//!
//! The schema accepts every profile the loader accepts (names in any spelling the loader
//! matches, `REG_` type names, a single `extends` name), and rejects what the loader rejects
//! for its shape: unknown fields, wrong types, unknown protocol, cipher, hash and key-exchange
//! names, out-of-range numbers, unwritable list entries. What only the loader can judge
//! (`extends` files that exist, one name given twice under two spellings, a key deleted and
//! written, the limits on size) is left to it.

mod patterns;
mod profile;
mod report;

pub use profile::{profile, PROFILE_ID};
pub use report::{report, REPORT_ID};

/// The JSON Schema dialect of every schema here.
pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";
