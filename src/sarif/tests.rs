//! Unit tests of the SARIF log: artifact URIs (relative, absolute, Windows prefixes),
//! fingerprints and their FNV-1a hash, and logical locations (registry keys and values).

use super::*;

#[test]
fn relative_paths_stay_relative_and_are_percent_encoded() {
    let l = artifact_location(Path::new("./sub dir/Straße #1%.reg"));
    assert_eq!(l.uri, "sub%20dir/Stra%C3%9Fe%20%231%25.reg");
    assert_eq!(l.uri_base_id.as_deref(), Some(SRCROOT));
    let l = artifact_location(Path::new("../a:b/c+d@e.reg"));
    assert_eq!(l.uri, "../a%3Ab/c+d@e.reg");
    let l = artifact_location(Path::new("back\\slash.reg"));
    assert_eq!(
        l.uri,
        if cfg!(windows) {
            "back/slash.reg"
        } else {
            "back%5Cslash.reg"
        }
    );
}

#[cfg(unix)]
#[test]
fn absolute_paths_are_file_uris() {
    let l = artifact_location(Path::new("/tmp/x y/ä.reg"));
    assert_eq!(l.uri, "file:///tmp/x%20y/%C3%A4.reg");
    assert_eq!(l.uri_base_id, None);
    // A name that is not UTF-8 keeps its bytes.
    use std::os::unix::ffi::OsStrExt;
    let l = artifact_location(Path::new(std::ffi::OsStr::from_bytes(b"/a\xff.reg")));
    assert_eq!(l.uri, "file:///a%FF.reg");
}

#[test]
fn windows_prefixes() {
    assert_eq!(windows_prefix("C:".as_ref()), "///C:");
    assert_eq!(windows_prefix(r"\\?\C:".as_ref()), "///C:");
    assert_eq!(
        windows_prefix(r"\\server\share name".as_ref()),
        "//server/share%20name"
    );
    assert_eq!(
        windows_prefix(r"\\?\UNC\server\share".as_ref()),
        "//server/share"
    );
}

#[test]
fn fingerprints_follow_the_text_not_the_line_number() {
    let item = |line: usize, text: &str| {
        let mut file = FileLocation::new("a.reg", line, 1);
        file.line_text = Some(text.to_string());
        Item {
            rule: Code::ValueTwice.into(),
            level: Level::Warning,
            message: "m".into(),
            file: Some(file),
            logical: None,
            properties: None,
            suppressed: None,
        }
    };
    let fp =
        |log: &Log, i: usize| log.runs[0].results[i].partial_fingerprints[FINGERPRINT_KEY].clone();
    let mut b = Builder::new();
    b.push(item(5, "\"Enabled\"=dword:00000001"));
    b.push(item(9, "\"Enabled\"=dword:00000001 "));
    b.push(item(12, "\"Other\"=dword:00000001"));
    let one = b.finish();
    let mut b = Builder::new();
    b.push(item(7, "\"Enabled\"=dword:00000001"));
    let moved = b.finish();
    assert_eq!(fp(&one, 0), fp(&moved, 0));
    let (h0, n0) = fp(&one, 0)
        .split_once(':')
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .unwrap();
    assert_eq!(h0.len(), 16);
    assert_eq!(n0, "1");
    assert_eq!(fp(&one, 1), format!("{h0}:2"));
    assert!(!fp(&one, 2).starts_with(&h0));
    // One rule, listed once.
    assert_eq!(one.runs[0].tool.driver.rules.len(), 1);
    assert_eq!(one.runs[0].results[2].rule_index, 0);
}

#[test]
fn fnv_1a_matches_its_published_vectors() {
    for (text, want) in [
        (&b"a"[..], 0xaf63_dc4c_8601_ec8c),
        (b"foobar", 0x8594_4171_f739_67e8),
    ] {
        let mut h = Fnv::new();
        h.bytes(text);
        assert_eq!(h.0, want);
    }
}

#[test]
fn logical_locations_for_registry_places() {
    let k = LogicalLocation::registry_key(r"HKEY_LOCAL_MACHINE\SYSTEM\Select");
    assert_eq!(k.name.as_deref(), Some("Select"));
    assert_eq!(k.kind, "registryKey");
    let v = LogicalLocation::registry_value(r"HKEY_LOCAL_MACHINE\SYSTEM\Select", "Current");
    assert_eq!(
        v.fully_qualified_name,
        r"HKEY_LOCAL_MACHINE\SYSTEM\Select\Current"
    );
    assert_eq!(v.kind, "registryValue");
    let mut b = Builder::new();
    b.push(Item {
        rule: Rule {
            id: "fail".into(),
            description: "a value differs from the profile".into(),
            level: Level::Error,
            help_uri: Some("https://example.org/fail".into()),
        },
        level: Level::Error,
        message: "m".into(),
        file: None,
        logical: Some(v),
        properties: None,
        suppressed: None,
    });
    let json = serde_json::to_value(b.finish()).unwrap();
    let r = &json["runs"][0]["results"][0];
    assert_eq!(
        r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        r"HKEY_LOCAL_MACHINE\SYSTEM\Select\Current"
    );
    assert!(r["locations"][0].get("physicalLocation").is_none());
    assert_eq!(
        json["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"],
        "https://example.org/fail"
    );
}
