//! Extraction: what a list of [`Request`]s names, copied from hive bytes into a
//! [`MemRegistry`]. All or nothing: the first fault is the extraction's error.

use super::error::HiveError;
use super::request::Request;
use super::walk::{Faults, Guard, Reader, WalkEvent};
use crate::keypath::fold;
use crate::memreg::MemRegistry;
use nt_hive::Hive;
use std::collections::HashSet;

/// Copies what the requests name into a registry model whose key paths start with
/// `prefix`; requests are relative to the hive root.
pub(crate) fn extract(
    r: &Reader<'_>,
    prefix: &str,
    requests: &[Request],
) -> Result<MemRegistry, HiveError> {
    let hive = Hive::without_validation(r.bytes).map_err(|e| r.nt_error(e))?;
    let root = hive.root_key_node().map_err(|e| r.nt_error(e))?;
    let mut out = MemRegistry::new();
    let mut visited = HashSet::new();
    for req in requests {
        let path = req.path();
        let Some(node) = r.find(&root, path)? else {
            continue;
        };
        let full = if path.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}\\{path}")
        };
        match req {
            Request::Key(_) => r.key(
                &node,
                &full,
                Faults::Stop,
                &mut copy_into(&mut out, &mut visited),
            )?,
            Request::Tree(_) => {
                let mut guard = Guard::new(Faults::Stop);
                r.tree(
                    &node,
                    &full,
                    &mut guard,
                    &mut copy_into(&mut out, &mut visited),
                )?
            }
            Request::Children(_) => {
                out.create_key(&full);
                for name in r.child_names(&node)? {
                    out.create_key(&format!("{full}\\{name}"));
                }
            }
        }
    }
    Ok(out)
}

/// A traversal callback that copies keys and values into `out` (faults never reach it:
/// extraction stops on them); a shadowed value is recorded, not copied (Windows reads the
/// first of two same-named values, and so does the model). `visited` holds the keys copied
/// before (requests may overlap), whose shadowed values are already recorded.
fn copy_into<'a>(
    out: &'a mut MemRegistry,
    visited: &'a mut HashSet<String>,
) -> impl FnMut(WalkEvent<'_>) + 'a {
    let mut key = String::new();
    let mut first_visit = true;
    move |ev| match ev {
        WalkEvent::Key(k) => {
            out.create_key(k);
            key.clear();
            key.push_str(k);
            first_visit = visited.insert(fold(k));
        }
        WalkEvent::Value {
            name,
            type_code,
            data,
        } => out.set_raw(&key, name, type_code, data.to_vec()),
        WalkEvent::Shadowed {
            name,
            first,
            type_code,
            data,
        } => {
            if first_visit {
                out.note_shadowed(&key, name, first, type_code, data.to_vec());
            }
        }
        WalkEvent::Damaged { .. } => {}
    }
}
