//! YAML profile text -> load (parse, validate, `extends` of built-ins) -> plan -> every
//! output writer (.reg regedit/hivex, plain and revert; .ps1 plain and revert) -> `show` YAML.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlsreg::compile::{self, Flavor, Options};

/// Alias shapes built from the input (issue 11): its text as one anchored scalar named
/// many times, and anchors nested in anchors. Each must load or be refused (`too-large`)
/// quickly, whatever the expansion would be.
fn alias_shapes(data: &[u8], text: &str) {
    let fan = usize::from(data.first().copied().unwrap_or(0)) * 64;
    let body: String = text
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\'))
        .collect();
    let mut y = format!("references:\n  - &a \"{body}\"\n");
    for _ in 0..fan {
        y.push_str("  - *a\n");
    }
    let _ = tlsreg::profile::load_with("fuzz.yaml", &y, None, "fuzz");
    let levels = usize::from(data.get(1).copied().unwrap_or(0) % 16);
    let width = usize::from(data.get(2).copied().unwrap_or(0) % 16) + 1;
    let mut y = format!("description: &l0 \"{body}\"\nreferences:\n  - &l1 [*l0]\n");
    for i in 2..levels + 2 {
        let refs = vec![format!("*l{}", i - 1); width].join(", ");
        y.push_str(&format!("  - &l{i} [{refs}]\n"));
    }
    let _ = tlsreg::profile::load_with("fuzz.yaml", &y, None, "fuzz");
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    alias_shapes(data, text);
    // `dir: None`: relative `extends` paths are not followed, so nothing is read from disk.
    let Ok(loaded) = tlsreg::profile::load_with("fuzz.yaml", text, None, "fuzz") else {
        return;
    };
    let p = &loaded.profile;
    let _ = p.plan();
    // The lists as two builds know them (leaving out, respelling).
    for build in [9600, 17763] {
        let _ = compile::resolve_for_build(p, Options { target_build: Some(build), ..Options::default() });
    }
    for revert in [false, true] {
        let _ = compile::reg_outputs(
            "fuzz",
            p,
            Options {
                flavor: Flavor::Regedit,
                revert,
                control_set: None,
                target_build: None,
            },
        );
        let _ = compile::reg_outputs(
            "fuzz",
            p,
            Options {
                flavor: Flavor::Hivex,
                revert,
                control_set: Some(1),
                target_build: None,
            },
        );
        let _ = compile::ps1_output("fuzz", p, revert);
    }
    let _ = tlsreg::profile::show::to_yaml(p);
});
