//! Hive bytes -> base-block checks -> walk of the whole hive -> regedit export -> the
//! extract requests audit makes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use tlsreg::export::ExportOptions;
use tlsreg::hive::{HiveFile, Request, WalkEvent};

fuzz_target!(|data: &[u8]| {
    let Ok(mut h) = HiveFile::from_bytes(Path::new("fuzz"), data.to_vec()) else {
        return;
    };
    let mut events = 0usize;
    let _ = h.walk("HKEY_LOCAL_MACHINE\\FUZZ", "", &mut |e| {
        events += 1;
        if let WalkEvent::Value { name, data, .. } = e {
            std::hint::black_box((name.len(), data.len()));
        }
    });
    let _ = tlsreg::export::export(
        &mut h,
        &ExportOptions {
            root: "HKEY_LOCAL_MACHINE\\SYSTEM".into(),
            ..Default::default()
        },
        &mut std::io::sink(),
    );
    // CurrentControlSet resolved through Select\Current, as `export --current-control-set` does.
    let _ = tlsreg::export::export(
        &mut h,
        &ExportOptions {
            root: "HKEY_LOCAL_MACHINE\\SYSTEM".into(),
            keys: vec!["CurrentControlSet\\Control".into()],
            current_control_set: true,
        },
        &mut std::io::sink(),
    );
    let _ = h.extract(
        "HKEY_LOCAL_MACHINE\\SYSTEM",
        &[
            Request::Tree("ControlSet001\\Control\\SecurityProviders\\SCHANNEL".into()),
            Request::Key("Select".into()),
            Request::Children("ControlSet001\\Control".into()),
        ],
    );
    std::hint::black_box(events);
});
