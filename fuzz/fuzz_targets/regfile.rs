//! .reg bytes (any encoding) -> parse -> lint -> apply to an in-memory registry -> import as
//! a profile.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let f = tlsreg::regfile::parse(data, Default::default());
    let _ = tlsreg::regfile::lint::lint(&f, Default::default());
    let _ = tlsreg::regfile::lint::lint(
        &f,
        tlsreg::regfile::lint::LintOptions {
            os_build: Some(14393),
        },
    );
    f.apply(&mut tlsreg::memreg::MemRegistry::new());
    let _ = tlsreg::import::import(&f, "fuzz", "fuzz.reg");
});
