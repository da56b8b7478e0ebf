//! The cipher-suite and elliptic-curve names Windows knows, for the `cipher-suites:` and
//! `ecc-curves:` lists (validation, did-you-mean, import).

/// Windows cipher-suite names Schannel has shipped (Microsoft "TLS Cipher Suites in Windows"
/// pages, Vista through Windows 11 / Server 2025): every name is in one of the tables of
/// [`super::suite_builds`], and every unsuffixed name of those tables is here. `_P256`, `_P384`, `_P521` suffixed names
/// are the pre-Windows 10 spellings of the ECDHE suites.
pub const CIPHER_SUITES: &[&str] = &[
    "TLS_AES_256_GCM_SHA384",
    "TLS_AES_128_GCM_SHA256",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256",
    "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256",
    "TLS_DHE_DSS_WITH_AES_256_CBC_SHA",
    "TLS_DHE_DSS_WITH_AES_128_CBC_SHA",
    "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_CBC_SHA256",
    "TLS_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_RSA_WITH_RC4_128_SHA",
    "TLS_RSA_WITH_RC4_128_MD5",
    "TLS_RSA_WITH_DES_CBC_SHA",
    "TLS_RSA_WITH_NULL_SHA256",
    "TLS_RSA_WITH_NULL_SHA",
    "TLS_RSA_WITH_NULL_MD5",
    "TLS_RSA_EXPORT1024_WITH_RC4_56_SHA",
    "TLS_RSA_EXPORT1024_WITH_DES_CBC_SHA",
    "TLS_RSA_EXPORT_WITH_RC4_40_MD5",
    "TLS_DHE_DSS_EXPORT1024_WITH_DES_CBC_SHA",
    "TLS_DHE_DSS_WITH_DES_CBC_SHA",
    "TLS_PSK_WITH_AES_256_GCM_SHA384",
    "TLS_PSK_WITH_AES_128_GCM_SHA256",
    "TLS_PSK_WITH_AES_256_CBC_SHA384",
    "TLS_PSK_WITH_AES_128_CBC_SHA256",
    "TLS_PSK_WITH_NULL_SHA384",
    "TLS_PSK_WITH_NULL_SHA256",
    "SSL_CK_RC4_128_WITH_MD5",
    "SSL_CK_DES_192_EDE3_CBC_WITH_MD5",
    "SSL_CK_RC4_128_EXPORT40_WITH_MD5",
    "SSL_CK_DES_64_CBC_WITH_MD5",
    // The Vista page's spelling of SSL_CK_RC4_128_EXPORT40_WITH_MD5. (SSL_CK_RC2_128_CBC_WITH_MD5
    // and SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5 were here; no Microsoft table has them:
    // schannel-reference.md §9, "Catalogue hygiene".)
    "SSL_CK_RC4_128_EXPORT40_MD5",
];

/// The ECDHE suites that had curve-suffixed names before Windows 10.
pub const CURVE_SUFFIXES: &[&str] = &["_P256", "_P384", "_P521"];

/// CNG curve names seen in `EccCurves` (cng-named-elliptic-curves.md).
pub const ECC_CURVES: &[&str] = &[
    "curve25519",
    "NistP256",
    "NistP384",
    "NistP521",
    "brainpoolP256r1",
    "brainpoolP384r1",
    "brainpoolP512r1",
    "secP256k1",
];

/// Whether `name` is a cipher-suite name Windows knows, with the pre-Windows 10 curve
/// suffixes only where a Microsoft table lists the suffixed name (no `_P256` spelling of a
/// `TLS_ECDHE_RSA_*_GCM_*` suite ever existed; schannel-reference.md §9).
pub fn is_known_suite(name: &str) -> bool {
    if CIPHER_SUITES.contains(&name) {
        return true;
    }
    CURVE_SUFFIXES.iter().any(|sfx| {
        name.strip_suffix(sfx)
            .is_some_and(|base| base.starts_with("TLS_ECDHE_") && CIPHER_SUITES.contains(&base))
    }) && !super::suite_builds::builds_having(name).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixed_suites_are_known() {
        assert!(is_known_suite("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA_P256"));
        // In no Microsoft table: Windows 7-8.1 had no ECDHE_RSA GCM suite at all.
        assert!(!is_known_suite(
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256_P256"
        ));
        assert!(!is_known_suite("TLS_RSA_WITH_AES_128_CBC_SHA_P256"));
        assert!(!is_known_suite("ECDHE-RSA-AES128-GCM-SHA256"));
    }
}
