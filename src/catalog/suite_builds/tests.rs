//! Checks of the generated table data itself: well-formed ranges and rows, every name known
//! to `suites.rs`, the facts of schannel-reference.md §9 as the tables state them, and the
//! questions by build. (That `data.rs` is what the script makes of the pages is checked in
//! `tests/suite_tables.rs`, where a copy of MicrosoftDocs/win32 is at hand.)

use super::data::*;
use super::*;
use crate::catalog::suites::{is_known_suite, CIPHER_SUITES, ECC_CURVES};
use crate::catalog::TLS13_MIN_BUILD;

const PROTOCOLS: &[&str] = &[
    "SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3",
];

/// Curve-suffixed names that no table has (§9: "suffixed `TLS_ECDHE_RSA_*_GCM_*_P256` names
/// never existed"); `suites::is_known_suite` refuses them.
const SUFFIXED_IN_NO_TABLE: &[&str] = &[
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384_P256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384_P256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384_P384",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384_P521",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256_P256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256_P384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256_P521",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384_P256",
];
/// Curve and group names the tables have that `suites::ECC_CURVES` lacks.
const NEW_CURVES: &[&str] = &[
    "x25519_mlkem768",
    "secp256r1_mlkem768",
    "secp384r1_mlkem1024",
    "nistP192",
    "nistP224",
    "secP160k1",
    "secP160r1",
    "secP160r2",
    "secP192k1",
    "secP192r1",
    "secP224k1",
    "secP224r1",
    "secP256r1",
    "secP384r1",
    "secP521r1",
];

fn rows_of(table: &Table) -> impl Iterator<Item = &'static SuiteAvailability> + '_ {
    ROWS.iter().filter(move |r| std::ptr::eq(r.table, table))
}

fn suites() -> impl Iterator<Item = &'static SuiteAvailability> {
    ROWS.iter().filter(|r| r.kind() == Kind::Suite)
}

#[test]
fn tables_are_well_formed() {
    assert_eq!(TABLES.len(), 21);
    assert_eq!(SOURCE_COMMIT.len(), 40);
    for t in TABLES {
        assert!(t.page.starts_with("desktop-src/SecAuthN/") && t.page.ends_with(".md"));
        assert!(
            t.max_build.is_none_or(|max| t.min_build <= max),
            "{}",
            t.page
        );
        assert!(t.client || t.server, "{} names no edition", t.page);
        assert!(!t.evidence.is_empty() && !t.builds_source.is_empty());
        assert!(rows_of(t).count() > 0, "{} has no rows", t.page);
        assert_eq!(
            TABLES.iter().filter(|u| u.page == t.page).count(),
            1,
            "{} twice",
            t.page
        );
    }
    // Where two pages of a kind cover a build for an edition, their first builds differ
    // (so exactly one decides).
    for a in TABLES {
        for b in TABLES {
            let shared = Edition::ALL.iter().any(|&e| a.names(e) && b.names(e));
            if std::ptr::eq(*a, *b) || a.kind != b.kind || !shared {
                continue;
            }
            let overlap = a.covers_build(b.min_build) || b.covers_build(a.min_build);
            if overlap {
                assert_ne!(a.min_build, b.min_build, "{} and {}", a.page, b.page);
                // Only open-ended pages are replaced by newer ones.
                let older = if a.min_build < b.min_build { a } else { b };
                assert_eq!(older.max_build, None, "{} and {}", a.page, b.page);
            }
        }
    }
}

#[test]
fn rows_are_well_formed() {
    assert_eq!(ROWS.len(), 909);
    for r in ROWS {
        assert!(
            !r.name.is_empty()
                && r.name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_'),
            "{:?}",
            r.name
        );
        assert!(r.protocols.iter().all(|p| PROTOCOLS.contains(p)), "{r:?}");
        assert_eq!(r.enabled_by_default, r.listing == Listing::EnabledByDefault);
        assert!(r.order >= 1);
        if r.kind() == Kind::Curve {
            assert_eq!(r.strong_crypto, None);
        }
    }
    // Positions run 1..=n within each listing of each page.
    for t in TABLES {
        for l in [
            Listing::EnabledByDefault,
            Listing::NotEnabledByDefault,
            Listing::Psk,
        ] {
            let orders: Vec<u16> = rows_of(t)
                .filter(|r| r.listing == l)
                .map(|r| r.order)
                .collect();
            assert!(
                orders.iter().copied().eq(1..=orders.len() as u16),
                "{}",
                t.page
            );
        }
    }
    let names = |k| {
        let mut v: Vec<String> = ROWS
            .iter()
            .filter(|r| r.kind() == k)
            .map(|r| r.name.to_ascii_lowercase())
            .collect();
        v.sort();
        v.dedup();
        v.len()
    };
    assert_eq!((names(Kind::Suite), names(Kind::Curve)), (81, 23));
}

#[test]
fn every_name_is_in_the_catalogue_or_listed_as_new() {
    for r in suites() {
        assert!(
            is_known_suite(r.name),
            "{} ({}) is not in suites::CIPHER_SUITES",
            r.name,
            r.table.page
        );
    }
    for r in ROWS.iter().filter(|r| r.kind() == Kind::Curve) {
        let known = ECC_CURVES.iter().any(|c| c.eq_ignore_ascii_case(r.name));
        assert!(
            known || NEW_CURVES.contains(&r.name),
            "{} ({}) is not in suites::ECC_CURVES",
            r.name,
            r.table.page
        );
    }
    for new in NEW_CURVES {
        assert!(!builds_having(new).is_empty(), "{new} is in no table");
    }
    let unlisted: Vec<&str> = CIPHER_SUITES
        .iter()
        .copied()
        .filter(|s| builds_having(s).is_empty())
        .collect();
    // Every catalogue name is in a table (two SSL 2.0 RC2 names that no table has were
    // dropped: schannel-reference.md §9).
    assert_eq!(unlisted, Vec::<&str>::new());
    let suffixed: Vec<String> = CIPHER_SUITES
        .iter()
        .filter(|b| b.starts_with("TLS_ECDHE_"))
        .flat_map(|b| CURVE_SUFFIX.iter().map(move |s| format!("{b}{s}")))
        .filter(|n| is_known_suite(n) && builds_having(n).is_empty())
        .collect();
    // `is_known_suite` takes a suffixed name only where a table lists it (it took these
    // eight, which never existed, before).
    assert!(suffixed.is_empty(), "{suffixed:?}");
    assert!(SUFFIXED_IN_NO_TABLE.iter().all(|n| !is_known_suite(n)));
    assert!(ECC_CURVES.iter().all(|c| !builds_having(c).is_empty()));
}

/// §9: Windows 7 / 8 / 8.1 (and Vista) have no `TLS_ECDHE_RSA_*_GCM_*` suite.
#[test]
fn no_ecdhe_rsa_gcm_before_windows_10() {
    let gcm = |n: &str| n.starts_with("TLS_ECDHE_RSA_") && n.contains("_GCM_");
    for r in suites().filter(|r| gcm(r.name)) {
        assert!(r.min_build() >= 10240, "{} on {}", r.name, r.table.page);
    }
    for build in [6002, 7601, 9200, 9600] {
        assert_eq!(
            known_on("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", build),
            Some(false)
        );
    }
    assert_eq!(
        known_on("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 10240),
        Some(true)
    );
    assert!(builds_having("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256_P256").is_empty());
}

/// §9: curve-suffixed names on Vista to 8.1 only; unsuffixed ECDHE names from Windows 10.
#[test]
fn curve_suffixed_names_end_with_windows_8_1() {
    let suffixed = |n: &str| CURVE_SUFFIX.iter().any(|s| n.ends_with(s));
    for r in suites().filter(|r| suffixed(r.name)) {
        assert!(r.name.starts_with("TLS_ECDHE_"), "{}", r.name);
        assert!(
            r.max_build().is_some_and(|m| m <= 9600),
            "{} on {}",
            r.name,
            r.table.page
        );
    }
    for t in [&VISTA, &WIN7, &WIN8, &WIN81] {
        assert!(rows_of(t).any(|r| suffixed(r.name)), "{}", t.page);
        assert!(
            rows_of(t).all(|r| !r.name.starts_with("TLS_ECDHE_") || suffixed(r.name)),
            "{}",
            t.page
        );
    }
    let name = "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA_P256";
    assert_eq!(known_on(name, 7601), Some(true));
    assert_eq!(known_on(name, 9600), Some(true));
    assert_eq!(known_on(name, 10240), Some(false));
    assert_eq!(known_on(name, 14393), Some(false));
    assert_eq!(
        known_on("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 9600),
        Some(false)
    );
    assert_eq!(
        known_on("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 10240),
        Some(true)
    );
    // P521 suffixes: supported but not enabled by default on 7 to 8.1.
    let p521 = "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384_P521";
    assert_eq!(enabled_by_default_on(p521, 9600), Some(false));
    assert_eq!(known_on(p521, 9600), Some(true));
}

const CURVE_SUFFIX: &[&str] = &["_P256", "_P384", "_P521"];

/// §9: TLS 1.3 names from build 20348 (Server 2022) and 22000 (Windows 11) only.
#[test]
fn tls13_names_from_server_2022() {
    let mut names: Vec<&str> = suites()
        .filter(|r| r.protocols.contains(&"TLS 1.3"))
        .map(|r| r.name)
        .collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(
        names,
        [
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256"
        ]
    );
    for n in &names {
        let first = builds_having(n).iter().map(|r| r.min_build()).min();
        assert_eq!(first, Some(TLS13_MIN_BUILD), "{n}");
        for r in builds_having(n) {
            assert_eq!(r.protocols, ["TLS 1.3"], "{n} on {}", r.table.page);
        }
    }
    assert_eq!(known_on("TLS_AES_256_GCM_SHA384", 19045), Some(false));
    assert_eq!(
        enabled_by_default_on("TLS_AES_256_GCM_SHA384", 20348),
        Some(true)
    );
    assert_eq!(
        enabled_by_default_on("TLS_AES_256_GCM_SHA384", 22000),
        Some(true)
    );
    assert_eq!(
        enabled_by_default_on("TLS_AES_256_GCM_SHA384", 26100),
        Some(true)
    );
}

/// §9: `TLS_CHACHA20_POLY1305_SHA256` from 20348, never on by default; no ECDHE ChaCha20.
#[test]
fn chacha20_from_server_2022_off_by_default() {
    let name = "TLS_CHACHA20_POLY1305_SHA256";
    let rows = builds_having(name);
    assert_eq!(rows.len(), 4);
    assert!(rows
        .iter()
        .all(|r| !r.enabled_by_default && r.min_build() >= 20348));
    assert_eq!(known_on(name, 19045), Some(false));
    for build in [20348, 22000, 22621, 26100] {
        assert_eq!(known_on(name, build), Some(true), "{build}");
        assert_eq!(enabled_by_default_on(name, build), Some(false), "{build}");
    }
    assert!(suites().all(|r| !(r.name.contains("CHACHA20") && r.name.contains("ECDHE"))));
}

#[test]
fn builds_no_page_covers_are_unknown() {
    let name = "TLS_RSA_WITH_AES_128_CBC_SHA";
    for build in [2600, 3790, 6003, 7100, 9599, 17000, 20000, 21999] {
        assert_eq!(known_on(name, build), None, "{build}");
        assert_eq!(enabled_by_default_on(name, build), None, "{build}");
    }
    // Server 2019 shares 17763 with Windows 10 1809, whose page names no server.
    assert_eq!(known_on_edition(name, 17763, Edition::Server), None);
    assert_eq!(known_on_edition(name, 17763, Edition::Client), Some(true));
    assert_eq!(known_on(name, 17763), Some(true));
    // Server 2016 is named by the 1607 page.
    assert_eq!(known_on_edition(name, 14393, Edition::Server), Some(true));
    // A name no page lists is absent where a page covers the build.
    assert_eq!(known_on("TLS_FOO", 19045), Some(false));
    assert_eq!(known_on("TLS_FOO", 17000), None);
    assert_eq!(
        verdict(name, 3790, Edition::Client),
        Verdict::Unknown,
        "Windows XP / 2003 have no table here"
    );
}

#[test]
fn the_newer_open_ended_page_decides() {
    assert_eq!(
        deciding_table(Kind::Curve, 22000, Edition::Client).map(|t| t.page),
        Some(CURVES_WIN10_1607.page)
    );
    assert_eq!(
        deciding_table(Kind::Curve, 26100, Edition::Client).map(|t| t.page),
        Some(GROUPS_WIN11_24H2.page)
    );
    assert_eq!(deciding_table(Kind::Curve, 20348, Edition::Server), None);
    assert_eq!(
        deciding_table(Kind::Suite, 26100, Edition::Client).map(|t| t.page),
        Some(WIN11_22H2.page)
    );
    assert_eq!(
        deciding_table(Kind::Suite, 26100, Edition::Server).map(|t| t.page),
        Some(SERVER_2025.page)
    );
    // DHE-RSA GCM: on by default through 21H2 (19044), Windows 11 21H2 and Server 2022, off
    // from Windows 10 22H2, Windows 11 22H2 and Server 2025.
    let dhe = "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384";
    for (build, on) in [(19044, true), (19045, false), (20348, true), (22000, true)] {
        assert_eq!(enabled_by_default_on(dhe, build), Some(on), "{build}");
    }
    assert_eq!(enabled_by_default_on(dhe, 22621), Some(false));
    assert_eq!(enabled_by_default_on(dhe, 26100), Some(false));
}

#[test]
fn curves() {
    assert_eq!(kind_of("NISTP256"), Kind::Curve);
    assert_eq!(kind_of("TLS_AES_128_GCM_SHA256"), Kind::Suite);
    assert_eq!(enabled_by_default_on("curve25519", 10586), Some(false));
    assert_eq!(enabled_by_default_on("curve25519", 14393), Some(true));
    assert_eq!(enabled_by_default_on("NistP256", 26100), Some(true));
    assert_eq!(known_on("nistp521", 10240), Some(true));
    assert_eq!(
        known_on("NistP256", 9600),
        None,
        "no curve page before Windows 10"
    );
    // The ML-KEM groups need an update revision the build does not tell.
    let mlkem = "x25519_mlkem768";
    let row = builds_having(mlkem);
    assert_eq!(row.len(), 1);
    assert!(row[0]
        .needs_update
        .is_some_and(|n| n.contains("26100.8514")));
    assert_eq!(row[0].protocols, ["TLS 1.3"]);
    assert_eq!(known_on(mlkem, 26100), None);
    assert_eq!(enabled_by_default_on(mlkem, 26100), Some(false));
    assert_eq!(known_on(mlkem, 22621), Some(false));
}

#[test]
fn page_notes_and_double_rows() {
    // PSK suites: listed from 1607, never on by default.
    let psk = "TLS_PSK_WITH_AES_128_GCM_SHA256";
    assert_eq!(known_on(psk, 10586), Some(false));
    assert_eq!(known_on(psk, 14393), Some(true));
    assert_eq!(enabled_by_default_on(psk, 14393), Some(false));
    assert!(builds_having(psk).iter().all(|r| r.listing == Listing::Psk));
    // The Vista page lists the NULL suites as enabled by default and as not present.
    let null = "TLS_RSA_WITH_NULL_MD5";
    assert_eq!(known_on(null, 6002), Some(true));
    assert_eq!(enabled_by_default_on(null, 6002), None);
    assert_eq!(enabled_by_default_on(null, 7601), Some(false));
    // Server 2022's note on three of its default suites.
    let noted: Vec<&str> = rows_of(&SERVER_2022)
        .filter(|r| r.note.is_some_and(|n| n.contains("23H2")))
        .map(|r| r.name)
        .collect();
    assert_eq!(
        noted,
        [
            "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_RSA_WITH_3DES_EDE_CBC_SHA"
        ]
    );
    assert!(WIN81.note.is_some_and(|n| n.contains("2919355")));
    // SSL 2.0 suites: through Windows 10 1511 only.
    let ssl2 = "SSL_CK_RC4_128_WITH_MD5";
    assert_eq!(known_on(ssl2, 10586), Some(true));
    assert_eq!(known_on(ssl2, 14393), Some(false));
}

#[test]
fn editions_are_combined_or_unknown() {
    assert_eq!(combine(&[None, None]), None);
    assert_eq!(combine(&[Some(Some(true)), None]), Some(true));
    assert_eq!(
        combine(&[Some(Some(false)), Some(Some(false))]),
        Some(false)
    );
    assert_eq!(combine(&[Some(Some(true)), Some(Some(false))]), None);
    assert_eq!(combine(&[Some(None), Some(Some(true))]), None);
}
