//! Hive bytes -> base-block checks -> walk of the whole hive -> regedit export -> the
//! extract requests audit makes -> the control sets -> the paired walk `diff` makes, of the
//! hive against itself, which must find no difference (duplicate values included).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use tlsreg::export::ExportOptions;
use tlsreg::hive::{HiveFile, Request, WalkEvent, ZipEvent};

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
    let _ = h.control_sets("HKEY_LOCAL_MACHINE\\SYSTEM");
    if h.read_whole().is_ok() {
        let mut differs = 0usize;
        let _ = HiveFile::zip("R", Some((&h, Some(1))), Some((&h, Some(1))), &mut |e| {
            if let ZipEvent::Differs { .. } = e {
                differs += 1;
            }
        });
        assert_eq!(differs, 0, "a hive differs from itself");
    }
    std::hint::black_box(events);
});
