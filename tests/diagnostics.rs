//! Bad profiles: every diagnostic code has a test asserting its whole rendered message (the
//! `file:line:col`, the sentence, the source excerpt and the caret), plus tests that one run
//! reports every problem, that warnings alone do not fail a load, and that the accepted
//! spellings and `extends` merging work.

use crate::util;
use std::path::Path;
use tlsreg::diag::CODES;
use tlsreg::profile::{load, load_with, ProfileRef};

/// The rendered errors (and warnings) of a profile that must not load.
fn err(src: &str) -> String {
    match util::diagnose(src) {
        Ok(w) => panic!("the profile loaded; warnings:\n{w}"),
        Err(e) => e,
    }
}

/// The rendered warnings of a profile that must load.
fn ok(src: &str) -> String {
    match util::diagnose(src) {
        Ok(w) => w,
        Err(e) => panic!("the profile did not load:\n{e}"),
    }
}

/// The rendered diagnostics of loading a file through `load`, which must fail.
fn load_err(path: &Path) -> String {
    match load(&ProfileRef::File(path.to_path_buf())) {
        Ok(_) => panic!("{} loaded", path.display()),
        Err(d) => d.render(false),
    }
}

/// The plan of a profile that must load without warnings, as debug lines.
fn plan(src: &str) -> Vec<String> {
    let l = load_with("p.yaml", src, None, "p").unwrap_or_else(|d| panic!("{}", d.render(false)));
    assert_eq!(l.warnings.render(false), "", "no warnings for {src:?}");
    l.profile
        .plan()
        .ops
        .iter()
        .map(|o| format!("{o:?}"))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Every code is tested.

#[test]
fn every_code_is_tested() {
    let me = include_str!("diagnostics.rs");
    for (code, sev, _) in CODES {
        let sev = sev.as_str();
        let rendered = format!("{sev}[{code}]");
        assert!(
            me.contains(&rendered),
            "no test asserts a rendered {rendered} message"
        );
        let test = format!("fn {}()", code.replace('-', "_"));
        assert!(me.contains(&test), "no test named {test} for {code}");
    }
}

// ---------------------------------------------------------------------------------------
// yaml-syntax, io, encoding, too-large: the file itself.

#[test]
fn yaml_syntax() {
    assert_eq!(
        err("protocols:\n  TLS 1.2: enabled\n bad: x\n"),
        r#"error[yaml-syntax]: p.yaml:3:2: did not find expected key
  |
3 |  bad: x
  |  ^
"#
    );
}

#[test]
fn yaml_syntax_unknown_anchor() {
    assert_eq!(
        err("base: &b {TLS 1.2: enabled}\nprotocols:\n  <<: *c\n"),
        r#"error[yaml-syntax]: p.yaml:3:7: unknown anchor
  |
3 |   <<: *c
  |       ^
"#
    );
}

#[test]
fn io() {
    let d = util::tempdir();
    let p = d.path().join("missing.yaml");
    let os = std::fs::metadata(&p).unwrap_err();
    assert_eq!(
        load_err(&p),
        format!(
            "error[io]: {}: cannot read the profile: {os}\n",
            p.display()
        )
    );
}

#[test]
fn io_not_a_regular_file() {
    let d = util::tempdir();
    let p = d.path().join("folder.yaml");
    std::fs::create_dir(&p).unwrap();
    assert_eq!(
        load_err(&p),
        format!(
            "error[io]: {}: cannot read the profile: it is a directory, not a regular file\n",
            p.display()
        )
    );
}

#[test]
fn io_unknown_builtin() {
    let d = load(&ProfileRef::Builtin("strictt".into())).unwrap_err();
    assert_eq!(
        d.render(false),
        "error[io]: strictt: no built-in profile \"strictt\" and no file of that name; did you mean \"strict\"? (built-in: enable-tls12, dotnet-strong-crypto, best-practices, strict, pci-dss-4, fips-140, stig-iis10, mozilla-intermediate; `tlsreg profiles` lists them)\n"
    );
}

#[test]
fn encoding() {
    let d = util::tempdir();
    let p = d.path().join("latin1.yaml");
    // "enábled" saved as Latin-1: 0xe9 at line 3, column 14, byte 33.
    std::fs::write(&p, b"name: ok\nprotocols:\n  TLS 1.2: en\xe9abled\n").unwrap();
    assert_eq!(
        load_err(&p),
        format!(
            "error[encoding]: {}:3:14: the file is not UTF-8 text (invalid byte 0xe9 at offset 33); save it as UTF-8\n",
            p.display()
        )
    );
}

#[test]
fn too_large() {
    use tlsreg::profile::decode::MAX_PROFILE_BYTES;
    let d = util::tempdir();
    let p = d.path().join("huge.yaml");
    let size = MAX_PROFILE_BYTES + 1;
    std::fs::write(&p, vec![b'#'; size]).unwrap();
    assert_eq!(
        load_err(&p),
        format!(
            "error[too-large]: {}: the file is {size} bytes; a profile may be at most {MAX_PROFILE_BYTES} bytes\n",
            p.display()
        )
    );
}

#[test]
fn too_deep() {
    // 65 nested flow lists: one more than the parser is given.
    let src = "x: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n";
    assert_eq!(
        err(src),
        r#"error[too-deep]: p.yaml:1:68: the YAML nests deeper than 64 levels here; a profile needs a handful
  |
1 | x: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[
  |                                                                    ^
"#
    );
}

// ---------------------------------------------------------------------------------------
// wrong-type

#[test]
fn wrong_type() {
    assert_eq!(
        err("protocols: [TLS 1.2]\n"),
        r#"error[wrong-type]: p.yaml:1:12: protocols must be a mapping of protocol names to states, not a list
  |
1 | protocols: [TLS 1.2]
  |            ^
"#
    );
}

#[test]
fn wrong_type_unquoted_null_key() {
    assert_eq!(
        err("ciphers:\n  NULL: disabled\n"),
        r#"error[wrong-type]: p.yaml:2:3: ciphers has a key that YAML reads as nothing (an unquoted NULL, null or ~); quote it: "NULL"
  |
2 |   NULL: disabled
  |   ^^^^
"#
    );
}

#[test]
fn wrong_type_tilde_key() {
    assert_eq!(
        err("ciphers:\n  ~: disabled\n"),
        r#"error[wrong-type]: p.yaml:2:3: ciphers has a key that YAML reads as nothing (an unquoted NULL, null or ~); quote it: "NULL"
  |
2 |   ~: disabled
  |   ^
"#
    );
}

#[test]
fn wrong_type_yes_is_not_a_boolean() {
    assert_eq!(
        err("dotnet:\n  strong-crypto: yes\n"),
        r#"error[wrong-type]: p.yaml:2:18: dotnet.strong-crypto must be true or false, not text
  |
2 |   strong-crypto: yes
  |                  ^^^
"#
    );
}

#[test]
fn wrong_type_state_number() {
    assert_eq!(
        err("protocols:\n  TLS 1.2: 1\n"),
        r#"error[wrong-type]: p.yaml:2:12: protocols."TLS 1.2" must be enabled, disabled or os-default, not a number
  |
2 |   TLS 1.2: 1
  |            ^
"#
    );
}

#[test]
fn wrong_type_top_level_list() {
    assert_eq!(
        err("- TLS 1.2\n"),
        r#"error[wrong-type]: p.yaml:1:1: the profile must be a mapping of profile fields, not a list
  |
1 | - TLS 1.2
  | ^
"#
    );
}

#[test]
fn wrong_type_extends_entry() {
    assert_eq!(
        err("extends: [5]\n"),
        r#"error[wrong-type]: p.yaml:1:11: extends[0] must be text, not a number
  |
1 | extends: [5]
  |           ^
"#
    );
}

#[test]
fn wrong_type_key_bits() {
    assert_eq!(
        err("key-exchanges:\n  PKCS: { client-min-key-bits: big }\n"),
        r#"error[wrong-type]: p.yaml:2:32: key-exchanges.PKCS.client-min-key-bits must be a whole number, not text
  |
2 |   PKCS: { client-min-key-bits: big }
  |                                ^^^
"#
    );
}

#[test]
fn wrong_type_suite_list() {
    assert_eq!(
        err("cipher-suites: TLS_AES_256_GCM_SHA384\n"),
        r#"error[wrong-type]: p.yaml:1:16: cipher-suites must be a list of names or os-default, not text
  |
1 | cipher-suites: TLS_AES_256_GCM_SHA384
  |                ^^^^^^^^^^^^^^^^^^^^^^
"#
    );
}

// ---------------------------------------------------------------------------------------
// unknown-field

#[test]
fn unknown_field() {
    assert_eq!(
        err("protocol:\n  TLS 1.2: enabled\n"),
        r#"error[unknown-field]: p.yaml:1:1: unknown field "protocol" in a profile; did you mean "protocols"?
  |
1 | protocol:
  | ^^^^^^^^
"#
    );
}

#[test]
fn unknown_field_lists_the_fields() {
    assert_eq!(
        err("zzz: 1\n"),
        r#"error[unknown-field]: p.yaml:1:1: unknown field "zzz" in a profile; expected one of: name, description, references, extends, target, protocols, ciphers, hashes, key-exchanges, cipher-suites, ecc-curves, dotnet, winhttp, schannel, raw
  |
1 | zzz: 1
  | ^^^
"#
    );
}

#[test]
fn unknown_field_nested() {
    assert_eq!(
        err("protocols:\n  TLS 1.2: { clinet: enabled }\n"),
        r#"error[unknown-field]: p.yaml:2:14: unknown field "clinet" in protocols."TLS 1.2"; did you mean "client"?
  |
2 |   TLS 1.2: { clinet: enabled }
  |              ^^^^^^
"#
    );
}

#[test]
fn unknown_field_underscore() {
    assert_eq!(
        err("target:\n  min_build: 20348\n"),
        r#"error[unknown-field]: p.yaml:2:3: unknown field "min_build" in target; did you mean "min-build"?
  |
2 |   min_build: 20348
  |   ^^^^^^^^^
"#
    );
}

// ---------------------------------------------------------------------------------------
// unknown-name

#[test]
fn unknown_name() {
    assert_eq!(
        err("protocols:\n  TLS1.4: enabled\n"),
        r#"error[unknown-name]: p.yaml:2:3: unknown protocol "TLS1.4"; did you mean "TLS 1.3"?
  |
2 |   TLS1.4: enabled
  |   ^^^^^^
"#
    );
}

#[test]
fn unknown_name_lists_the_known_names() {
    assert_eq!(
        err("protocols:\n  QUIC: enabled\n"),
        r#"error[unknown-name]: p.yaml:2:3: unknown protocol "QUIC"; known: Multi-Protocol Unified Hello, PCT 1.0, SSL 2.0, SSL 3.0, TLS 1.0, TLS 1.1, TLS 1.2, TLS 1.3, DTLS 1.0, DTLS 1.2
  |
2 |   QUIC: enabled
  |   ^^^^
"#
    );
}

#[test]
fn unknown_name_cipher_did_you_mean() {
    assert_eq!(
        err("ciphers:\n  AES 128: enabled\n"),
        r#"error[unknown-name]: p.yaml:2:3: unknown cipher "AES 128"; did you mean "AES 128/128"?
  |
2 |   AES 128: enabled
  |   ^^^^^^^
"#
    );
}

#[test]
fn unknown_name_hash_did_you_mean() {
    assert_eq!(
        err("hashes:\n  SHA265: disabled\n"),
        r#"error[unknown-name]: p.yaml:2:3: unknown hash "SHA265"; did you mean "SHA256"?
  |
2 |   SHA265: disabled
  |   ^^^^^^
"#
    );
}

#[test]
fn unknown_name_look_alike_slash() {
    assert_eq!(
        err("ciphers:\n  RC4 128\u{2215}128: disabled\n"),
        "error[unknown-name]: p.yaml:2:3: cipher \"RC4 128\u{2215}128\" contains the look-alike slash U+2215; Windows reads only the ASCII \"/\": write \"RC4 128/128\"\n  |\n2 |   RC4 128\u{2215}128: disabled\n  |   ^^^^^^^^^^^\n"
    );
}

#[test]
fn unknown_name_fraction_slash() {
    assert_eq!(
        err("ciphers:\n  RC4 128\u{2044}128: disabled\n"),
        "error[unknown-name]: p.yaml:2:3: cipher \"RC4 128\u{2044}128\" contains the look-alike slash U+2044; Windows reads only the ASCII \"/\": write \"RC4 128/128\"\n  |\n2 |   RC4 128\u{2044}128: disabled\n  |   ^^^^^^^^^^^\n"
    );
}

// The backslash case (`RC4 128\128`) is not pinned: its message shows the name Debug-escaped
// as "RC4 128\\128", two backslashes where the user typed one (reported).

#[test]
fn unknown_name_dtls_1_1() {
    assert_eq!(
        err("protocols:\n  DTLS 1.1: disabled\n"),
        r#"error[unknown-name]: p.yaml:2:3: Windows has no "DTLS 1.1" ("DTLS 1.1" is a typo in Microsoft's 2019 documentation); its DTLS versions are DTLS 1.0 and DTLS 1.2
  |
2 |   DTLS 1.1: disabled
  |   ^^^^^^^^
"#
    );
}

#[test]
fn unknown_name_triple_des_168_168() {
    assert_eq!(
        err("ciphers:\n  Triple DES 168/168: disabled\n"),
        r#"error[unknown-name]: p.yaml:2:3: "Triple DES 168/168" is the name before Windows Vista; Vista and later read "Triple DES 168" (use a raw entry for older systems)
  |
2 |   Triple DES 168/168: disabled
  |   ^^^^^^^^^^^^^^^^^^
"#
    );
}

#[test]
fn unknown_name_key_exchange() {
    assert_eq!(
        err("key-exchanges:\n  ECDSA: enabled\n"),
        r#"error[unknown-name]: p.yaml:2:3: unknown key exchange "ECDSA"; known: Diffie-Hellman, PKCS, ECDH
  |
2 |   ECDSA: enabled
  |   ^^^^^
"#
    );
}

#[test]
fn unknown_name_in_winhttp_list() {
    assert_eq!(
        err("winhttp:\n  default-secure-protocols: [TLS 1.4]\n"),
        r#"error[unknown-name]: p.yaml:2:30: unknown protocol "TLS 1.4"; did you mean "TLS 1.3"?
  |
2 |   default-secure-protocols: [TLS 1.4]
  |                              ^^^^^^^
"#
    );
}

// ---------------------------------------------------------------------------------------
// duplicate-name

#[test]
fn duplicate_name() {
    assert_eq!(
        err("protocols:\n  TLS 1.2: enabled\n  TLSv1.2: disabled\n"),
        r#"error[duplicate-name]: p.yaml:3:3: "TLS 1.2" and "TLSv1.2" name the same protocol; keep one
  |
3 |   TLSv1.2: disabled
  |   ^^^^^^^
"#
    );
}

#[test]
fn duplicate_name_cipher_alias() {
    assert_eq!(
        err("ciphers:\n  3DES: disabled\n  Triple DES 168: enabled\n"),
        r#"error[duplicate-name]: p.yaml:3:3: "3DES" and "Triple DES 168" name the same cipher; keep one
  |
3 |   Triple DES 168: enabled
  |   ^^^^^^^^^^^^^^
"#
    );
}

#[test]
fn duplicate_name_raw_value() {
    let src = r#"raw:
  - key: HKLM\SOFTWARE\X
    values:
      A: { type: dword, data: 1 }
  - key: hklm\software\x
    values:
      a: delete
"#;
    assert_eq!(
        err(src),
        r#"error[duplicate-name]: p.yaml:7:7: value "a" of HKEY_LOCAL_MACHINE\software\x is given twice in raw (first on line 4); keep one
  |
7 |       a: delete
  |       ^
"#
    );
}

// ---------------------------------------------------------------------------------------
// invalid-state

#[test]
fn invalid_state() {
    assert_eq!(
        err("protocols:\n  TLS 1.2: enable\n"),
        r#"error[invalid-state]: p.yaml:2:12: protocols."TLS 1.2" is "enable"; a state is enabled, disabled or os-default; did you mean "enabled"?
  |
2 |   TLS 1.2: enable
  |            ^^^^^^
"#
    );
}

#[test]
fn invalid_state_boolean() {
    assert_eq!(
        err("protocols:\n  TLS 1.2: true\n"),
        r#"error[invalid-state]: p.yaml:2:12: protocols."TLS 1.2" is true; write enabled (a state is enabled, disabled or os-default)
  |
2 |   TLS 1.2: true
  |            ^^^^
"#
    );
}

#[test]
fn invalid_state_side() {
    assert_eq!(
        err("protocols:\n  TLS 1.2: { client: enabld }\n"),
        r#"error[invalid-state]: p.yaml:2:22: protocols."TLS 1.2".client is "enabld"; a state is enabled, disabled or os-default; did you mean "enabled"?
  |
2 |   TLS 1.2: { client: enabld }
  |                      ^^^^^^
"#
    );
}

// ---------------------------------------------------------------------------------------
// out-of-range

#[test]
fn out_of_range() {
    assert_eq!(
        err("key-exchanges:\n  Diffie-Hellman: { server-min-key-bits: 256 }\n"),
        r#"error[out-of-range]: p.yaml:2:42: key-exchanges.Diffie-Hellman.server-min-key-bits is 256; it must be between 512 and 16384
  |
2 |   Diffie-Hellman: { server-min-key-bits: 256 }
  |                                          ^^^
"#
    );
}

#[test]
fn out_of_range_negative() {
    assert_eq!(
        err("schannel:\n  event-logging: -1\n"),
        r#"error[out-of-range]: p.yaml:2:18: schannel.event-logging is -1; it must be between 0 and 7
  |
2 |   event-logging: -1
  |                  ^^
"#
    );
}

#[test]
fn out_of_range_min_build() {
    assert_eq!(
        err("target:\n  min-build: 100\n"),
        r#"error[out-of-range]: p.yaml:2:14: target.min-build is 100; it must be between 2195 and 99999
  |
2 |   min-build: 100
  |              ^^^
"#
    );
}

#[test]
fn out_of_range_min_build_name() {
    assert_eq!(
        err("target:\n  min-build: windows-server-2029\n"),
        r#"error[out-of-range]: p.yaml:2:14: target.min-build "windows-server-2029" is not a build number or a known Windows name; did you mean "windows-server-2025"?
  |
2 |   min-build: windows-server-2029
  |              ^^^^^^^^^^^^^^^^^^^
"#
    );
}

// ---------------------------------------------------------------------------------------
// not-applicable

#[test]
fn not_applicable() {
    assert_eq!(
        err("key-exchanges:\n  PKCS: { server-min-key-bits: 2048 }\n"),
        r#"error[not-applicable]: p.yaml:2:11: PKCS has no ServerMinKeyBitLength value; it takes client-min-key-bits, client-max-key-bits
  |
2 |   PKCS: { server-min-key-bits: 2048 }
  |           ^^^^^^^^^^^^^^^^^^^
"#
    );
}

#[test]
fn not_applicable_ecdh() {
    assert_eq!(
        err("key-exchanges:\n  ECDH: { server-min-key-bits: 2048 }\n"),
        r#"error[not-applicable]: p.yaml:2:11: ECDH has no key-size values (its strength comes from the ECC curve order); remove server-min-key-bits
  |
2 |   ECDH: { server-min-key-bits: 2048 }
  |           ^^^^^^^^^^^^^^^^^^^
"#
    );
}

// ---------------------------------------------------------------------------------------
// invalid-list

#[test]
fn invalid_list() {
    assert_eq!(
        err("cipher-suites: []\n"),
        r#"error[invalid-list]: p.yaml:1:16: cipher-suites is empty; to remove the value write os-default
  |
1 | cipher-suites: []
  |                ^
"#
    );
}

#[test]
fn invalid_list_twice() {
    assert_eq!(
        err("ecc-curves: [NistP256, nistp256]\n"),
        r#"error[invalid-list]: p.yaml:1:24: "nistp256" is listed twice (first at [0])
  |
1 | ecc-curves: [NistP256, nistp256]
  |                        ^^^^^^^^
"#
    );
}

#[test]
fn invalid_list_space() {
    assert_eq!(
        err("ecc-curves: [\"Nist P256\"]\n"),
        r#"error[invalid-list]: p.yaml:1:14: "Nist P256" cannot be an entry: names have no spaces, commas or control characters
  |
1 | ecc-curves: ["Nist P256"]
  |              ^^^^^^^^^^^
"#
    );
}

#[test]
fn invalid_list_openssl_name() {
    assert_eq!(
        err("cipher-suites: [ECDHE-RSA-AES128-GCM-SHA256]\n"),
        r#"error[invalid-list]: p.yaml:1:17: "ECDHE-RSA-AES128-GCM-SHA256" looks like an OpenSSL name; Windows uses IANA names such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
  |
1 | cipher-suites: [ECDHE-RSA-AES128-GCM-SHA256]
  |                 ^^^^^^^^^^^^^^^^^^^^^^^^^^^
"#
    );
}

#[test]
fn invalid_list_winhttp_dtls() {
    assert_eq!(
        err("winhttp:\n  default-secure-protocols: [DTLS 1.2]\n"),
        r#"error[invalid-list]: p.yaml:2:30: WinHTTP has no flag for DTLS 1.2; it knows SSL 2.0, SSL 3.0 and TLS 1.0 to TLS 1.3
  |
2 |   default-secure-protocols: [DTLS 1.2]
  |                              ^^^^^^^^
"#
    );
}

#[test]
fn invalid_list_winhttp_empty() {
    assert_eq!(
        err("winhttp:\n  default-secure-protocols: []\n"),
        r#"error[invalid-list]: p.yaml:2:29: winhttp.default-secure-protocols is empty, which would leave WinHTTP no protocol; to remove the value write os-default
  |
2 |   default-secure-protocols: []
  |                             ^
"#
    );
}

#[test]
fn invalid_list_view() {
    assert_eq!(
        err("dotnet:\n  strong-crypto: true\n  views: [x86]\n"),
        r#"error[invalid-list]: p.yaml:3:11: view "x86" is not native or wow64
  |
3 |   views: [x86]
  |           ^^^
"#
    );
}

#[test]
fn invalid_list_dotnet_version() {
    assert_eq!(
        err("dotnet:\n  strong-crypto: true\n  versions: [v3.5]\n"),
        r#"error[invalid-list]: p.yaml:3:14: "v3.5" is not a .NET Framework key; use v4.0.30319 or v2.0.50727
  |
3 |   versions: [v3.5]
  |              ^^^^
"#
    );
}

// ---------------------------------------------------------------------------------------
// invalid-key, invalid-value-name, invalid-data
//
// Not pinned: messages that quote a typed key path with a backslash ("HKXX\\A": doubled).

#[test]
fn invalid_key() {
    assert_eq!(
        err("raw:\n  - key: HKLM\\SOFTWARE\n    delete-key: true\n"),
        r#"error[invalid-key]: p.yaml:3:17: refusing to delete HKEY_LOCAL_MACHINE\SOFTWARE: it is a whole hive
  |
3 |     delete-key: true
  |                 ^^^^
"#
    );
}

#[test]
fn invalid_key_root_only() {
    assert_eq!(
        err("raw:\n  - key: HKLM\n    values: { A: delete }\n"),
        r#"error[invalid-key]: p.yaml:2:10: raw key "HKLM": the key path names only the root HKEY_LOCAL_MACHINE; name a key below it
  |
2 |   - key: HKLM
  |          ^^^^
"#
    );
}

/// Compile refuses key paths deeper than the registry's 512 levels, as the `.reg` reader
/// does (it used to write them).
#[test]
fn invalid_key_too_deep() {
    let key = format!("HKLM{}", "\\a".repeat(512));
    let got = err(&format!(
        "raw:\n  - key: {key}\n    values: {{ A: delete }}\n"
    ));
    assert!(
        got.starts_with("error[invalid-key]: p.yaml:2:10: raw key \"HKLM\\a\\a"),
        "{got}"
    );
    assert!(
        got.lines()
            .next()
            .unwrap()
            .ends_with("\": the key path is deeper than 512 levels, the registry's limit"),
        "{got}"
    );
}

#[test]
fn invalid_key_empty() {
    assert_eq!(
        err("raw:\n  - key: \"\"\n    values: { A: delete }\n"),
        r#"error[invalid-key]: p.yaml:2:10: raw key "": the key path is empty
  |
2 |   - key: ""
  |          ^^
"#
    );
}

#[test]
fn invalid_value_name() {
    let src = "raw:\n  - key: HKLM\\SOFTWARE\\X\n    values:\n      \"A\\nB\": delete\n";
    assert_eq!(
        err(src),
        r#"error[invalid-value-name]: p.yaml:4:7: value name "A\nB": the value name contains the control character U+000A, which a .reg file cannot carry
  |
4 |       "A\nB": delete
  |       ^^^^^
"#
    );
}

#[test]
fn invalid_data() {
    let src = "raw:\n  - key: HKLM\\SOFTWARE\\X\n    values:\n      A: { type: dwrod, data: 1 }\n";
    assert_eq!(
        err(src),
        r#"error[invalid-data]: p.yaml:4:18: unknown value type "dwrod"; did you mean "dword"? (types: sz, expand-sz, multi-sz, dword, qword, binary, none)
  |
4 |       A: { type: dwrod, data: 1 }
  |                  ^^^^^
"#
    );
}

#[test]
fn invalid_data_no_type() {
    let src = "raw:\n  - key: HKLM\\SOFTWARE\\X\n    values:\n      A: { data: 1 }\n";
    assert_eq!(
        err(src),
        r#"error[invalid-data]: p.yaml:4:10: raw[0].values.A needs a type (sz, expand-sz, multi-sz, dword, qword, binary, none)
  |
4 |       A: { data: 1 }
  |          ^
"#
    );
}

#[test]
fn invalid_data_dword_too_big() {
    let src = "raw:\n  - key: HKLM\\SOFTWARE\\X\n    values:\n      A: { type: dword, data: 4294967296 }\n";
    assert_eq!(
        err(src),
        r#"error[invalid-data]: p.yaml:4:31: dword data must be a whole number from 0 to 4294967295 (0xffffffff), not 4294967296
  |
4 |       A: { type: dword, data: 4294967296 }
  |                               ^^^^^^^^^^
"#
    );
}

#[test]
fn invalid_data_sz_number() {
    let src = "raw:\n  - key: HKLM\\SOFTWARE\\X\n    values:\n      A: { type: sz, data: 1 }\n";
    assert_eq!(
        err(src),
        r#"error[invalid-data]: p.yaml:4:28: sz data must be text (quote numbers), not a number
  |
4 |       A: { type: sz, data: 1 }
  |                            ^
"#
    );
}

#[test]
fn invalid_data_binary() {
    let src =
        "raw:\n  - key: HKLM\\SOFTWARE\\X\n    values:\n      A: { type: binary, data: \"abc\" }\n";
    assert_eq!(
        err(src),
        r#"error[invalid-data]: p.yaml:4:32: binary data must be hex bytes such as "de ad be ef" or "de,ad,be,ef", or a list of numbers 0-255, not "abc"
  |
4 |       A: { type: binary, data: "abc" }
  |                                ^^^^^
"#
    );
}

// ---------------------------------------------------------------------------------------
// extends-not-found, extends-cycle

#[test]
fn extends_not_found() {
    assert_eq!(
        err("extends: [best-practice]\n"),
        r#"error[extends-not-found]: p.yaml:1:11: extends "best-practice": no built-in profile and no file of that name; did you mean "best-practices"?
  |
1 | extends: [best-practice]
  |           ^^^^^^^^^^^^^
"#
    );
}

#[test]
fn extends_not_found_no_suggestion() {
    assert_eq!(
        err("extends: qqq\n"),
        r#"error[extends-not-found]: p.yaml:1:10: extends "qqq": no built-in profile and no file of that name
  |
1 | extends: qqq
  |          ^^^
"#
    );
}

#[test]
fn unquoted_name() {
    // Each was silently renamed before: 0x10 became the value "16", TRUE "true".
    let src = "raw:\n  - key: HKLM\\SOFTWARE\\A\n    values:\n      0x10: { type: dword, data: 1 }\n      1e3: { type: dword, data: 1 }\n      TRUE: { type: dword, data: 1 }\n      .inf: { type: dword, data: 1 }\n      ~: { type: dword, data: 1 }\n";
    assert_eq!(
        err(src),
        r#"error[unquoted-name]: p.yaml:4:7: raw[0].values has the key 0x10, which YAML reads as a number (16), not as text; quote it: "0x10"
  |
4 |       0x10: { type: dword, data: 1 }
  |       ^^^^

error[unquoted-name]: p.yaml:5:7: raw[0].values has the key 1e3, which YAML reads as a number (1000.0), not as text; quote it: "1e3"
  |
5 |       1e3: { type: dword, data: 1 }
  |       ^^^

error[unquoted-name]: p.yaml:6:7: raw[0].values has the key TRUE, which YAML reads as a boolean (true), not as text; quote it: "TRUE"
  |
6 |       TRUE: { type: dword, data: 1 }
  |       ^^^^

error[unquoted-name]: p.yaml:7:7: raw[0].values has the key .inf, which YAML reads as a number (.inf), not as text; quote it: ".inf"
  |
7 |       .inf: { type: dword, data: 1 }
  |       ^^^^

error[wrong-type]: p.yaml:8:7: raw[0].values has a key that YAML reads as nothing (an unquoted NULL, null or ~); quote it: "NULL"
  |
8 |       ~: { type: dword, data: 1 }
  |       ^
"#
    );
    // Quoted, each is the name it looks like; `yes` and `012` are text in YAML 1.2.
    assert_eq!(
        plan("raw:\n  - key: HKLM\\SOFTWARE\\A\n    values:\n      \"0x10\": { type: dword, data: 1 }\n      'TRUE': { type: dword, data: 1 }\n      yes: { type: dword, data: 1 }\n      012: { type: dword, data: 1 }\n")
            .iter()
            .map(|l| l.split("name: ").nth(1).unwrap().split(',').next().unwrap().to_string())
            .collect::<Vec<_>>(),
        ["\"0x10\"", "\"TRUE\"", "\"yes\"", "\"012\""]
    );
}

#[test]
fn deleted_key_written() {
    // Deleting a key and setting values in it wrote `[-K]` then `[K]` with the values: the
    // profile's own audit then failed on the deletion. A value deletion there is redundant
    // and left out of the plan (its `[K]` header would recreate the key).
    let src = "raw:\n  - key: HKLM\\SOFTWARE\\Contoso\n    delete-key: true\n    values:\n      Old: delete\n  - key: HKLM\\SOFTWARE\\contoso\\Sub\n    values:\n      Mode: { type: dword, data: 1 }\n";
    assert_eq!(
        err(src),
        r#"error[deleted-key-written]: p.yaml:8:7: raw sets "Mode" in HKEY_LOCAL_MACHINE\SOFTWARE\contoso\Sub, below HKEY_LOCAL_MACHINE\SOFTWARE\Contoso, a key this profile deletes (delete-key on line 3); a profile says how the registry ends up, so delete the key or set values in it, not both (to drop old values, delete them by name: `Old: delete`)
  |
8 |       Mode: { type: dword, data: 1 }
  |       ^^^^
"#
    );
    assert_eq!(
        plan("raw:\n  - key: HKLM\\SOFTWARE\\Contoso\n    delete-key: true\n    values:\n      Old: delete\n"),
        [r#"DeleteKey { key: "HKEY_LOCAL_MACHINE\\SOFTWARE\\Contoso" }"#]
    );
    // A later layer's deletion removes what earlier layers set there; setting values below
    // a key an earlier layer deletes is the same contradiction.
    let d = util::tempdir();
    util::write(&d.path().join("base.yaml"), "protocols:\n  SSL 3.0: disabled\nraw:\n  - key: HKLM\\SOFTWARE\\Old\n    delete-key: true\n");
    let src = "extends: [base.yaml]\nraw:\n  - key: HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\n    delete-key: true\n  - key: HKLM\\SOFTWARE\\Old\\Sub\n    values:\n      V: { type: dword, data: 1 }\n";
    assert_eq!(
        util::diagnose_in(d.path(), src).unwrap_err(),
        format!(
            r#"error[deleted-key-written]: p.yaml:7:7: raw sets "V" in HKEY_LOCAL_MACHINE\SOFTWARE\Old\Sub, below HKEY_LOCAL_MACHINE\SOFTWARE\Old, a key this profile deletes (delete-key on {}:5); a profile says how the registry ends up, so delete the key or set values in it, not both (to drop old values, delete them by name: `Old: delete`)
  |
7 |       V: {{ type: dword, data: 1 }}
  |       ^
"#,
            d.path().join("base.yaml").display()
        )
    );
}

#[test]
fn extends_not_a_profile() {
    let d = util::tempdir();
    util::write(&d.path().join("notes.txt"), "password: SECRET\n");
    util::write(&d.path().join("creds.YAML"), "password: SECRET\n");
    assert_eq!(
        util::diagnose_in(d.path(), "extends: [notes.txt, creds.YAML]\n").unwrap_err(),
        format!(
            r#"error[extends-not-a-profile]: {}:1:1: {} is not a profile: the top-level key on line 1, column 1, is not a profile field; its lines are not shown

error[extends-not-a-profile]: p.yaml:1:11: extends "notes.txt": not a built-in profile, and a file is extended only when its name ends in .yaml or .yml; it was not read
  |
1 | extends: [notes.txt, creds.YAML]
  |           ^^^^^^^^^
"#,
            d.path().join("creds.YAML").display(),
            d.path().join("creds.YAML").display()
        )
    );
}

#[test]
fn an_extended_profile_keeps_its_excerpts() {
    // A file that is a profile is quoted as before, however deep its mistake.
    let d = util::tempdir();
    util::write(
        &d.path().join("base.yaml"),
        "name: base\nraw:\n  - key: HKLM\\SOFTWARE\\A\n    values: { v: { type: sz, data: 5 } }\n",
    );
    let e = util::diagnose_in(d.path(), "extends: [base.yaml]\n").unwrap_err();
    assert!(
        e.contains("4 |     values: { v: { type: sz, data: 5 } }"),
        "{e}"
    );
}

#[test]
fn extends_cycle() {
    let d = util::tempdir();
    let (p, a) = (d.path().join("p.yaml"), d.path().join("a.yaml"));
    util::write(&p, "extends: [a.yaml]\n");
    util::write(&a, "extends: [p.yaml]\n");
    assert_eq!(
        load_err(&p),
        format!(
            r#"error[extends-cycle]: {a}:1:11: extends "p.yaml" makes a cycle: {p} -> {a} -> {p}
  |
1 | extends: [p.yaml]
  |           ^^^^^^
"#,
            a = a.display(),
            p = p.display()
        )
    );
}

#[test]
fn too_deep_extends() {
    let d = util::tempdir();
    for i in 0..40 {
        util::write(
            &d.path().join(format!("f{i}.yaml")),
            &format!("extends: [f{}.yaml]\n", i + 1),
        );
    }
    util::write(&d.path().join("f40.yaml"), "name: end\n");
    let p = d.path().join("f0.yaml");
    // f0 .. f31 are 32 profiles: f31 extending f32 is one too many.
    assert_eq!(
        load_err(&p),
        format!(
            r#"error[too-deep]: {}:1:11: extends nests deeper than 32 profiles
  |
1 | extends: [f32.yaml]
  |           ^^^^^^^^
"#,
            d.path().join("f31.yaml").display()
        )
    );
}

#[test]
fn errors_in_an_extended_file_name_that_file() {
    let d = util::tempdir();
    let base = d.path().join("base.yaml");
    util::write(&base, "protocols:\n  TLS 1.4: enabled\n");
    assert_eq!(
        util::diagnose_in(d.path(), "extends: [base.yaml]\n").unwrap_err(),
        format!(
            r#"error[unknown-name]: {}:2:3: unknown protocol "TLS 1.4"; did you mean "TLS 1.3"?
  |
2 |   TLS 1.4: enabled
  |   ^^^^^^^
"#,
            base.display()
        )
    );
}

// ---------------------------------------------------------------------------------------
// Warnings

#[test]
fn tls13_below_20348() {
    assert_eq!(
        ok("target: { min-build: windows-server-2019 }\nprotocols:\n  TLS 1.3: enabled\n"),
        r#"warning[tls13-below-20348]: p.yaml:3:3: TLS 1.3 is enabled but target.min-build is 17763; Schannel has TLS 1.3 only from build 20348 (Server 2022, Windows 11), and Server 2019 with TLS 1.3 enabled resets connections (FreeRDP#7987)
  |
3 |   TLS 1.3: enabled
  |   ^^^^^^^
"#
    );
}

#[test]
fn tls13_below_20348_target_from_extended_profile() {
    let d = util::tempdir();
    util::write(&d.path().join("old.yaml"), "target:\n  min-build: 17763\n");
    assert_eq!(
        util::diagnose_in(d.path(), "extends: [old.yaml]\nprotocols: {TLS 1.3: enabled}\n"),
        Ok(r#"warning[tls13-below-20348]: p.yaml:2:13: TLS 1.3 is enabled but target.min-build is 17763; Schannel has TLS 1.3 only from build 20348 (Server 2022, Windows 11), and Server 2019 with TLS 1.3 enabled resets connections (FreeRDP#7987)
  |
2 | protocols: {TLS 1.3: enabled}
  |             ^^^^^^^
"#
        .to_string())
    );
}

#[test]
fn tls13_suite_below_20348() {
    // A one-line list: the warning points at the `cipher-suites` setting, not at the suite.
    let src = "target:\n  min-build: 17763\ncipher-suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]\n";
    assert_eq!(
        ok(src),
        r#"note[tls13-suite-below-20348]: p.yaml:3:1: TLS_AES_128_GCM_SHA256 is a TLS 1.3 suite, but target.min-build is 17763; builds before 20348 do not know it, and compile leaves it out of the files for those builds
  |
3 | cipher-suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]
  | ^^^^^^^^^^^^^
"#
    );
}

#[test]
fn sha_disabled_breaks_rdp() {
    assert_eq!(
        ok("hashes:\n  SHA: disabled\n"),
        r#"warning[sha-disabled-breaks-rdp]: p.yaml:2:3: disabling the SHA (SHA-1) hash disables every suite that uses it and has broken RDP ("none of the cipher suites supported by the client application are supported by the server", windows_hardening#95)
  |
2 |   SHA: disabled
  |   ^^^
"#
    );
}

/// The first 36 suites Windows has shipped, 1,178 characters when joined with commas.
const LONG_SUITE_LIST: fn() -> &'static [&'static str] =
    || &tlsreg::catalog::suites::CIPHER_SUITES[..36];

#[test]
fn suite_list_too_long() {
    let items: String = LONG_SUITE_LIST()
        .iter()
        .map(|s| format!("  - {s}\n"))
        .collect();
    assert_eq!(
        ok(&format!("cipher-suites:\n{items}")),
        r#"warning[suite-list-too-long]: p.yaml:1:1: the cipher-suite list is 1178 characters long; Windows reads at most 1023 characters of Functions, so the suites past that are lost
  |
1 | cipher-suites:
  | ^^^^^^^^^^^^^
"#
    );
}

#[test]
fn unknown_cipher_suite() {
    assert_eq!(
        ok("cipher-suites:\n  - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA265\n"),
        r#"warning[unknown-cipher-suite]: p.yaml:2:5: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA265" is not a cipher suite any Windows version lists; did you mean "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"?
  |
2 |   - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA265
  |     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
"#
    );
    // A curve-suffixed spelling no Windows ever had (ECDHE_RSA GCM came with Windows 10,
    // unsuffixed); it passed as known before.
    let out = ok("cipher-suites:\n  - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256_P256\n");
    assert!(
        out.starts_with("warning[unknown-cipher-suite]: p.yaml:2:5: \"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256_P256\" is not a cipher suite any Windows version lists"),
        "{out}"
    );
}

#[test]
fn unknown_cipher_suite_no_suggestion() {
    assert_eq!(
        ok("cipher-suites:\n  - FOO_BAR\n"),
        r#"warning[unknown-cipher-suite]: p.yaml:2:5: "FOO_BAR" is not a cipher suite any Windows version lists
  |
2 |   - FOO_BAR
  |     ^^^^^^^
"#
    );
}

#[test]
fn unknown_curve() {
    assert_eq!(
        ok("ecc-curves: [NistP265]\n"),
        r#"warning[unknown-curve]: p.yaml:1:14: "NistP265" is not a known CNG curve name; did you mean "NistP256"?
  |
1 | ecc-curves: [NistP265]
  |              ^^^^^^^^
"#
    );
}

#[test]
fn unknown_curve_no_suggestion() {
    assert_eq!(
        ok("ecc-curves: [x448]\n"),
        r#"warning[unknown-curve]: p.yaml:1:14: "x448" is not a known CNG curve name
  |
1 | ecc-curves: [x448]
  |              ^^^^
"#
    );
}

#[test]
fn raw_overrides_setting() {
    let src = r#"protocols:
  TLS 1.2: enabled
raw:
  - key: HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Client
    values:
      Enabled: { type: dword, data: 0 }
"#;
    assert_eq!(
        ok(src),
        r#"warning[raw-overrides-setting]: p.yaml:6:7: this raw value replaces what the named setting protocol TLS 1.2 (client) writes to "Enabled"; say it once, in the named setting
  |
6 |       Enabled: { type: dword, data: 0 }
  |       ^^^^^^^
"#
    );
}

// ---------------------------------------------------------------------------------------
// One run reports everything; warnings alone pass.

#[test]
fn every_problem_is_reported_in_one_run_sorted_by_line() {
    let src = r#"nmae: x
protocols:
  TLS 1.4: enabled
  TLS 1.2: enable
ciphers:
  NULL: disabled
  RC4 128/128: disabled
key-exchanges:
  ECDH: { client-min-key-bits: 2048 }
  PKCS: { client-min-key-bits: 100 }
schannel:
  event-logging: 9
raw:
  - key: HKLM
    values: { A: delete }
hashes:
  SHA: disabled
"#;
    let out = err(src);
    let heads: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("error[") || l.starts_with("warning["))
        .collect();
    let codes: Vec<&str> = heads.iter().map(|l| &l[..l.find(": ").unwrap()]).collect();
    assert_eq!(
        codes,
        [
            "error[unknown-field]",
            "error[unknown-name]",
            "error[invalid-state]",
            "error[wrong-type]",
            "error[not-applicable]",
            "error[out-of-range]",
            "error[out-of-range]",
            "error[invalid-key]",
            "warning[sha-disabled-breaks-rdp]",
        ],
        "{out}"
    );
    assert_eq!(out.lines().filter(|l| l.starts_with("error[")).count(), 8);
    let lines: Vec<usize> = heads
        .iter()
        .filter(|l| l.starts_with("error["))
        .map(|l| l.split(':').nth(2).unwrap().parse().unwrap())
        .collect();
    assert_eq!(lines, [1, 3, 4, 6, 9, 10, 12, 14], "{out}");
    // Diagnostics are separated by one blank line.
    assert_eq!(out.matches("\n\n").count(), heads.len() - 1, "{out}");
}

#[test]
fn warnings_alone_do_not_fail() {
    assert_eq!(
        util::diagnose("ecc-curves: [x448]\nhashes:\n  SHA: disabled\n"),
        Ok(r#"warning[unknown-curve]: p.yaml:1:14: "x448" is not a known CNG curve name
  |
1 | ecc-curves: [x448]
  |              ^^^^

warning[sha-disabled-breaks-rdp]: p.yaml:3:3: disabling the SHA (SHA-1) hash disables every suite that uses it and has broken RDP ("none of the cipher suites supported by the client application are supported by the server", windows_hardening#95)
  |
3 |   SHA: disabled
  |   ^^^
"#
        .to_string())
    );
}

// ---------------------------------------------------------------------------------------
// Accepted spellings and extends.

#[test]
fn protocol_spellings_are_accepted() {
    let canonical = plan("protocols:\n  TLS 1.2: enabled\n");
    assert_eq!(canonical.len(), 4);
    for spelling in [
        "TLS1.2", "tls 1.2", "TLSv1.2", "tls-1.2", "TLS_1.2", "tlsv1.2",
    ] {
        assert_eq!(
            plan(&format!("protocols:\n  {spelling}: enabled\n")),
            canonical,
            "{spelling}"
        );
    }
}

#[test]
fn hash_and_cipher_spellings_are_accepted() {
    let sha = plan("hashes:\n  SHA: enabled\n");
    assert_eq!(plan("hashes:\n  sha1: enabled\n"), sha);
    assert_eq!(plan("hashes:\n  SHA-1: enabled\n"), sha);
    assert_eq!(
        plan("ciphers:\n  3des: disabled\n"),
        plan("ciphers:\n  Triple DES 168: disabled\n")
    );
}

#[test]
fn quoted_null_is_the_null_cipher() {
    let expected = [format!(
        "{:?}",
        tlsreg::plan::Op::SetValue {
            key: r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Ciphers\NULL".into(),
            name: "Enabled".into(),
            data: tlsreg::value::RegData::Dword(0),
        }
    )];
    assert_eq!(plan("ciphers:\n  \"NULL\": disabled\n"), expected);
    assert_eq!(plan("ciphers:\n  'NULL': disabled\n"), expected);
}

#[test]
fn extends_a_file_and_a_builtin_later_wins() {
    let d = util::tempdir();
    util::write(
        &d.path().join("base.yaml"),
        "description: from base\nreferences: [base-ref]\nprotocols:\n  TLS 1.2: disabled\n  TLS 1.0: disabled\nhashes:\n  MD5: disabled\n",
    );
    // base.yaml turns TLS 1.2 off, enable-tls12 (later) turns it on; the profile itself
    // changes only the TLS 1.0 client side and deletes what base set for MD5.
    let src = "extends: [base.yaml, enable-tls12]\nreferences: [own-ref]\nprotocols:\n  TLS 1.0: { client: enabled }\nhashes:\n  MD5: os-default\n";
    let l = load_with("p.yaml", src, Some(d.path()), "p")
        .unwrap_or_else(|e| panic!("{}", e.render(false)));
    assert_eq!(l.warnings.render(false), "");
    let got: Vec<String> = l
        .profile
        .plan()
        .ops
        .iter()
        .map(|o| format!("{o:?}"))
        .collect();
    let flat = plan(
        "protocols:\n  TLS 1.0: { client: enabled, server: disabled }\n  TLS 1.2: enabled\nhashes:\n  MD5: os-default\n",
    );
    assert_eq!(got, flat);
    let builtin = load(&ProfileRef::Builtin("enable-tls12".into()))
        .unwrap()
        .profile;
    assert_eq!(
        l.profile.description, builtin.description,
        "the later description wins"
    );
    assert_eq!(
        l.profile.references.first().map(String::as_str),
        Some("base-ref")
    );
    assert_eq!(
        l.profile.references.last().map(String::as_str),
        Some("own-ref")
    );
    assert_eq!(l.profile.references.len(), 2 + builtin.references.len());
    let yaml = tlsreg::profile::show::to_yaml(&l.profile);
    assert!(
        yaml.contains("protocols:\n  TLS 1.0:\n    client: enabled\n    server: disabled\n  TLS 1.2: enabled\nhashes:\n  MD5: os-default\n"),
        "{yaml}"
    );
}

// ---------------------------------------------------------------------------------------
// Regressions from the review of the first messages: places and wording.

#[test]
fn duplicate_yaml_keys_point_at_the_second() {
    assert_eq!(
        err("protocols:\n  TLS 1.2: enabled\n  TLS 1.3: enabled\n  TLS 1.2: disabled\n"),
        "error[duplicate-name]: p.yaml:4:3: \"TLS 1.2\" is given twice in one mapping (first on line 2); keep one\n  |\n4 |   TLS 1.2: disabled\n  |   ^^^^^^^\n"
    );
}

#[test]
fn a_tab_after_the_colon_keeps_the_place() {
    assert_eq!(
        err("protocols:\n  TLS 1.2:\tbogus\n"),
        "error[invalid-state]: p.yaml:2:12: protocols.\"TLS 1.2\" is \"bogus\"; a state is enabled, disabled or os-default\n  |\n2 |   TLS 1.2:\tbogus\n  |           \t^^^^^\n"
    );
}

#[test]
fn block_mappings_are_placed_at_their_first_key() {
    assert_eq!(
        err("raw:\n  - values: {}\n"),
        "error[wrong-type]: p.yaml:2:5: raw[0] needs a key\n  |\n2 |   - values: {}\n  |     ^\n"
    );
    assert_eq!(
        err("ciphers:\n  [a]: disabled\n"),
        "error[wrong-type]: p.yaml:2:3: ciphers has a key that is a list, not text\n  |\n2 |   [a]: disabled\n  |   ^\n"
    );
}

#[test]
fn backslashes_are_shown_as_typed() {
    assert_eq!(
        err("ciphers:\n  RC4 128\\128: disabled\n"),
        "error[unknown-name]: p.yaml:2:3: cipher \"RC4 128\\128\" contains a backslash, which makes nested keys; the key name is \"RC4 128/128\"\n  |\n2 |   RC4 128\\128: disabled\n  |   ^^^^^^^^^^^\n"
    );
}

#[test]
fn names_windows_never_had() {
    assert_eq!(
        err("protocols:\n  DTLS 1.3: disabled\n"),
        "error[unknown-name]: p.yaml:2:3: Windows has no \"DTLS 1.3\"; its DTLS versions are DTLS 1.0 and DTLS 1.2\n  |\n2 |   DTLS 1.3: disabled\n  |   ^^^^^^^^\n"
    );
    assert_eq!(
        err("hashes:\n  SHA3: disabled\n"),
        "error[unknown-name]: p.yaml:2:3: Schannel has no SHA-3 hash key (\"SHA3\"); its hashes are MD5, SHA, SHA256, SHA384 and SHA512\n  |\n2 |   SHA3: disabled\n  |   ^^^^\n"
    );
}

#[test]
fn multi_sz_items_are_placed_exactly() {
    assert_eq!(
        err("raw:\n  - key: HKLM\\SOFTWARE\\X\n    values:\n      A: { type: multi-sz, data: [a, \"\"] }\n"),
        "error[invalid-data]: p.yaml:4:38: multi-sz item [1] is empty; an empty string ends a REG_MULTI_SZ list\n  |\n4 |       A: { type: multi-sz, data: [a, \"\"] }\n  |                                      ^^\n"
    );
}

#[test]
fn syntax_errors_at_the_end_and_tabs() {
    assert_eq!(
        err("protocols: [a, b\n"),
        "error[yaml-syntax]: p.yaml:1:17: did not find expected ',' or ']'\n  |\n1 | protocols: [a, b\n  |                 ^\n"
    );
    assert_eq!(
        err("protocols:\n\tTLS 1.2: enabled\n"),
        "error[yaml-syntax]: p.yaml:2:1: found character that cannot start any token (YAML does not allow tabs for indentation; indent with spaces)\n  |\n2 | \tTLS 1.2: enabled\n  | ^\n"
    );
}

#[test]
fn missing_extends_file_says_where_it_looked() {
    let d = util::tempdir();
    util::write(&d.path().join("sub/b.yaml"), "extends: [c.yaml]\n");
    let b = d.path().join("sub/b.yaml");
    assert_eq!(
        load_err(&b),
        format!(
            "error[extends-not-found]: {}:1:11: extends \"c.yaml\": no built-in profile and no file {}\n  |\n1 | extends: [c.yaml]\n  |           ^^^^^^\n",
            b.display(),
            d.path().join("sub/c.yaml").display()
        )
    );
}

#[test]
fn a_misspelt_field_is_one_error() {
    assert_eq!(
        err("raw:\n  - key: HKLM\\SOFTWARE\\X\n    value: {A: delete}\n"),
        "error[unknown-field]: p.yaml:3:5: unknown field \"value\" in raw[0]; did you mean \"values\"?\n  |\n3 |     value: {A: delete}\n  |     ^^^^^\n"
    );
}

#[test]
fn every_tls13_suite_is_named() {
    assert_eq!(
        ok("target: {min-build: 17763}\ncipher-suites:\n  - TLS_AES_256_GCM_SHA384\n  - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n  - TLS_AES_128_GCM_SHA256\n"),
        "note[tls13-suite-below-20348]: p.yaml:2:1: TLS_AES_256_GCM_SHA384, TLS_AES_128_GCM_SHA256 are TLS 1.3 suites, but target.min-build is 17763; builds before 20348 do not know them, and compile leaves them out of the files for those builds\n  |\n2 | cipher-suites:\n  | ^^^^^^^^^^^^^\n"
    );
}

#[test]
fn encoding_offsets_count_the_bom() {
    let d = util::tempdir();
    let p = d.path().join("bom.yaml");
    std::fs::write(&p, b"\xEF\xBB\xBFname: caf\xC3\xA9 \xFF\n").unwrap();
    assert_eq!(
        load_err(&p),
        format!("error[encoding]: {}:1:12: the file is not UTF-8 text (invalid byte 0xff at offset 15); save it as UTF-8\n", p.display())
    );
}

#[test]
fn readme_lists_every_code() {
    let readme = std::fs::read_to_string(util::root().join("README.md")).unwrap();
    for (code, sev, meaning) in CODES {
        let sev = sev.as_str();
        let row = format!("| `{code}` | {sev} | {meaning} |");
        assert!(readme.contains(&row), "README.md lacks the row {row}");
    }
}

#[test]
fn unknown_on_build() {
    // Windows 10 spells ECDHE suites without the curve; 2012 R2 (9600) knows only the
    // suffixed names, and no build has curve25519 in its table before 1607.
    let src = "target:\n  min-build: 9600\ncipher-suites:\n  - TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256\n  - TLS_RSA_WITH_AES_128_GCM_SHA256\necc-curves: [NistP256, curve25519]\n";
    assert_eq!(
        ok(src),
        r#"note[unknown-on-build]: p.yaml:3:1: TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 is not in Microsoft's table for build 9600 (client, server), and the target is build 9600 and later: that Windows does not know it; before build 10240 Windows names ECDHE suites with their curve, as TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P256: compile writes those names for the builds whose table lists them, and leaves the name out elsewhere
  |
3 | cipher-suites:
  | ^^^^^^^^^^^^^

note[unknown-on-build]: p.yaml:6:1: curve25519 is not in Microsoft's table for build 10240 (client), and the target is build 9600 and later: that Windows does not know it, so compile leaves it out of the files for those builds
  |
6 | ecc-curves: [NistP256, curve25519]
  | ^^^^^^^^^^
"#
    );
    // The same lists from Windows 10 1607 on: nothing to say.
    assert!(!ok(&src.replace("9600", "14393")).contains("unknown-on-build"));
    // A range that ends before Windows 10: only the 8.1 table counts, and the suffixed
    // spelling is what it knows.
    let ranged = "target:\n  min-build: windows-server-2012-r2\n  max-build: 9600\ncipher-suites: [TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\n";
    let out = ok(ranged);
    assert!(out.contains("note[unknown-on-build]: p.yaml:4:1: TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 is not in Microsoft's table for build 9600 (client, server), and the target is builds 9600 to 9600"), "{out}");
    assert_eq!(out.matches("unknown-on-build").count(), 1, "{out}");
    assert_eq!(
        err("target:\n  min-build: 14393\n  max-build: 9600\n"),
        "error[out-of-range]: p.yaml:3:14: target.max-build 9600 is below target.min-build 14393\n  |\n3 |   max-build: 9600\n  |              ^^^^\n"
    );
}

/// `target` may name a Windows release (its builds) or a release and every later build.
#[test]
fn target_may_be_a_named_range() {
    let t = |src: &str| {
        load_with("p.yaml", src, None, "p")
            .unwrap()
            .profile
            .target
            .map(|t| (t.min_build, t.max_build))
    };
    assert_eq!(t("target: windows-10\n"), Some((10240, Some(19045))));
    assert_eq!(
        t("target: Windows-Server-2016\n"),
        Some((14393, Some(14393)))
    );
    assert_eq!(t("target: windows-server-2012-r2+\n"), Some((9600, None)));
    assert_eq!(t("target: windows-11\n"), Some((22000, None)));
    assert_eq!(t("target: windows-server-2008\n"), Some((6001, Some(6003))));
    assert_eq!(
        err("target: windows-servr-2016+\n"),
        "error[out-of-range]: p.yaml:1:9: target \"windows-servr-2016+\" is not a Windows release name (such as windows-server-2016, or windows-server-2016+ for it and later) or a mapping with min-build and/or max-build; did you mean \"windows-server-2016+\"?\n  |\n1 | target: windows-servr-2016+\n  |         ^^^^^^^^^^^^^^^^^^^\n"
    );
    // Every release name is also a build name, at the release's first build.
    for (name, min, _) in tlsreg::catalog::NAMED_RANGES {
        let b = tlsreg::catalog::NAMED_BUILDS
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| *b);
        assert!(b.is_some_and(|b| b >= *min), "{name}");
    }
}
