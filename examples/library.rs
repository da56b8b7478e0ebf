//! The README's library example: compile a built-in profile into `out/` and audit a SYSTEM
//! hive against it (`cargo run --example library`, in a folder holding a SYSTEM hive).

use tlsreg::compile::{Batch, Formats};
use tlsreg::profile::{load, ProfileRef};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let r = ProfileRef::parse("enable-tls12");
    let loaded = load(&r).map_err(|d| d.render(false))?;
    // compile: every output made in memory, then written all-or-nothing (or checked)
    let mut batch = Batch::default();
    batch.add(
        "enable-tls12",
        &r,
        &loaded,
        Default::default(),
        Formats {
            reg: true,
            ps1: true,
            ..Default::default()
        },
    )?;
    for row in batch.write(std::path::Path::new("out"), false)? {
        println!("{} {}", row.status.as_str(), row.file);
    }
    // audit: one image here; many, in parallel, with tlsreg::audit::batch::stream
    let inputs = tlsreg::audit::Inputs {
        system: Some("SYSTEM".into()),
        ..Default::default()
    };
    let report = tlsreg::audit::audit(&loaded.profile, &inputs, Default::default())?;
    let verbosity = tlsreg::audit::render::Verbosity::Normal;
    print!(
        "{}",
        tlsreg::audit::render::human(&report, false, verbosity)
    );
    Ok(())
}
