//! Extraction: what a list of [`Request`]s names, copied from hive bytes into a
//! [`MemRegistry`]. All or nothing: the first fault is the extraction's error.

use super::error::HiveError;
use super::request::Request;
use super::walk::{Faults, Guard, Reader, WalkEvent};
use crate::memreg::MemRegistry;
use nt_hive::Hive;

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
            Request::Key(_) => r.key(&node, &full, Faults::Stop, &mut copy_into(&mut out))?,
            Request::Tree(_) => {
                let mut guard = Guard::new(Faults::Stop);
                r.tree(&node, &full, &mut guard, &mut copy_into(&mut out))?
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
/// extraction stops on them).
fn copy_into(out: &mut MemRegistry) -> impl FnMut(WalkEvent<'_>) + '_ {
    let mut key = String::new();
    move |ev| match ev {
        WalkEvent::Key(k) => {
            out.create_key(k);
            key.clear();
            key.push_str(k);
        }
        WalkEvent::Value {
            name,
            type_code,
            data,
        } => out.set_raw(&key, name, type_code, data.to_vec()),
        WalkEvent::Damaged { .. } => {}
    }
}
