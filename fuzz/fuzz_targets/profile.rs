//! YAML profile text -> load (parse, validate, `extends` of built-ins) -> plan -> every
//! output writer (.reg regedit/hivex, plain and revert; .ps1 plain and revert) -> `show` YAML.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlsreg::compile::{self, Flavor, Options};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // `dir: None`: relative `extends` paths are not followed, so nothing is read from disk.
    let Ok(loaded) = tlsreg::profile::load_with("fuzz.yaml", text, None, "fuzz") else {
        return;
    };
    let p = &loaded.profile;
    let _ = p.plan();
    for revert in [false, true] {
        let _ = compile::reg_outputs(
            "fuzz",
            p,
            Options {
                flavor: Flavor::Regedit,
                revert,
                control_set: None,
            },
        );
        let _ = compile::reg_outputs(
            "fuzz",
            p,
            Options {
                flavor: Flavor::Hivex,
                revert,
                control_set: Some(1),
            },
        );
        let _ = compile::ps1_output("fuzz", p, revert);
    }
    let _ = tlsreg::profile::show::to_yaml(p);
});
