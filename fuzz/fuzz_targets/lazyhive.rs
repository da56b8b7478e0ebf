//! Hive bytes written to a file -> a lazy read (only the cells reached) and a whole read of
//! it, for the requests an audit makes; the two must agree exactly (keys, values, errors).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};
use tlsreg::hive::{HiveFile, Request};

fn outcome(h: Result<HiveFile, tlsreg::hive::HiveError>, sets: &[Vec<Request>]) -> Vec<String> {
    let mut h = match h {
        Ok(h) => h,
        Err(e) => return vec![format!("open: {e}")],
    };
    let mut out = vec![format!("{:?} {:?}", h.header, h.recovery)];
    for set in sets {
        out.push(match h.extract("HKLM", set) {
            Ok(r) => format!("{:?} {:?}", r.key_paths(), r.value_lines()),
            Err(e) => format!("error: {e}"),
        });
    }
    out
}

fn scratch() -> PathBuf {
    std::env::temp_dir().join(format!("tlsreg-fuzz-lazyhive-{}.hive", std::process::id()))
}

fuzz_target!(|data: &[u8]| {
    let sets = [
        vec![Request::Key("Select".into())],
        vec![
            Request::Tree("ControlSet001\\Control\\SecurityProviders\\SCHANNEL".into()),
            Request::Key("ControlSet001\\Control\\Session Manager".into()),
            Request::Children("ControlSet001\\Control".into()),
        ],
        vec![
            Request::Key("Microsoft\\Windows NT\\CurrentVersion".into()),
            Request::Tree("Microsoft\\.NETFramework".into()),
        ],
        vec![Request::Tree(String::new())],
    ];
    let path = scratch();
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let p: &Path = &path;
    let lazy = outcome(HiveFile::open_lazy(p, false), &sets);
    let whole = outcome(HiveFile::open_with(p, Vec::new(), false), &sets);
    assert_eq!(lazy, whole, "a lazy read differs from a whole read");
});
