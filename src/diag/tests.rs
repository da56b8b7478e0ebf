//! Unit tests of diagnostics: terminal-safe text, the code tables, the rendering with a
//! caret, and the JSON form.

use super::*;

#[test]
fn printable_escapes_what_a_terminal_would_obey() {
    assert_eq!(printable("RC4 128/128"), "RC4 128/128");
    assert_eq!(
        printable("a\x1b[31mb\rc\nd\te"),
        "a\\u{1b}[31mb\\rc\\nd\\te"
    );
    assert_eq!(printable("x\u{202e}y\u{9b}"), "x\\u{202e}y\\u{9b}");
    assert_eq!(printable("Straße ∕"), "Straße ∕");
}

#[test]
fn codes_are_unique_per_family_and_tables_match() {
    let mut seen = std::collections::HashSet::new();
    for c in Code::REG {
        assert!(seen.insert(c.as_str()), "{c} twice");
    }
    assert_eq!(CODES.len(), Code::PROFILE.len());
    assert_eq!(
        CODES[2],
        ("encoding", Severity::Error, "the file is not UTF-8 text")
    );
}

#[test]
fn codes_are_unique() {
    let mut seen = std::collections::HashSet::new();
    for (code, _, _) in CODES {
        assert!(seen.insert(code), "{code} twice");
    }
}

#[test]
fn renders_with_caret() {
    let src = "protocols:\n  TLS1.4: enabled\n";
    let d = Diagnostic::new(
        Code::UnknownName,
        "unknown protocol \"TLS1.4\"; did you mean \"TLS 1.3\"?",
        "p.yaml",
        Some(src),
        Pos {
            line: 2,
            col: 3,
            len: 6,
        },
    );
    assert_eq!(
        d.render(false),
        "error[unknown-name]: p.yaml:2:3: unknown protocol \"TLS1.4\"; did you mean \"TLS 1.3\"?\n  |\n2 |   TLS1.4: enabled\n  |   ^^^^^^\n"
    );
}

#[test]
fn json_has_the_code_name_and_severity() {
    let pos = Pos {
        line: 2,
        col: 3,
        len: 1,
    };
    let d = Diagnostic::new(Code::RegEncoding, "m", "", None, pos);
    assert_eq!(
        serde_json::to_string(&d).unwrap(),
        r#"{"severity":"error","code":"encoding","message":"m","line":2,"col":3}"#
    );
    let d = Diagnostic::new(Code::UnknownCurve, "m", "p.yaml", None, pos);
    assert_eq!(
        serde_json::to_string(&d).unwrap(),
        r#"{"severity":"warning","code":"unknown-curve","message":"m","file":"p.yaml","line":2,"col":3}"#
    );
}
