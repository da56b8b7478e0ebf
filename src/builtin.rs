//! The built-in profiles, embedded in the binary so `tlsreg compile enable-tls12` works
//! from any directory. Their sources live in `profiles/`.

/// `(name, YAML text)` of every built-in profile, in the order `tlsreg profiles` lists them.
pub const BUILTINS: &[(&str, &str)] = &[
    (
        "enable-tls12",
        include_str!("../profiles/enable-tls12.yaml"),
    ),
    (
        "dotnet-strong-crypto",
        include_str!("../profiles/dotnet-strong-crypto.yaml"),
    ),
    (
        "best-practices",
        include_str!("../profiles/best-practices.yaml"),
    ),
    ("strict", include_str!("../profiles/strict.yaml")),
    ("pci-dss-4", include_str!("../profiles/pci-dss-4.yaml")),
    ("fips-140", include_str!("../profiles/fips-140.yaml")),
    ("stig-iis10", include_str!("../profiles/stig-iis10.yaml")),
    (
        "mozilla-intermediate",
        include_str!("../profiles/mozilla-intermediate.yaml"),
    ),
];

/// The YAML text of a built-in profile.
pub fn get(name: &str) -> Option<&'static str> {
    BUILTINS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, src)| *src)
}

/// Built-in names, for listings and did-you-mean.
pub fn names() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().map(|(n, _)| *n)
}
