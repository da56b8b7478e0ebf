//! .reg bytes (any encoding) -> parse -> lint -> apply to an in-memory registry -> import as
//! a profile, and the same for the input set inside the shapes of issue 11 (as UTF-16LE and
//! as UTF-8): after a continuation backslash, after [-KEY], with lone CR line ends, with a
//! NUL, with non-ASCII indentation, after a blank line or spaces around the header, after
//! upper-case DWORD:/HEX:, inside a hex list with spaces, and as hex(1)/hex(7) data.
#![no_main]

use libfuzzer_sys::fuzz_target;

const H: &str = "Windows Registry Editor Version 5.00";
const K: &str = r"HKEY_LOCAL_MACHINE\SOFTWARE\Fuzz";

fn check(bytes: &[u8]) {
    let f = tlsreg::regfile::parse(bytes, Default::default());
    let diags = tlsreg::regfile::lint::check(&f, Default::default());
    let _ = tlsreg::regfile::lint::lint(
        &f,
        tlsreg::regfile::lint::LintOptions {
            os_build: Some(14393),
            ..Default::default()
        },
    );
    for d in f.placed("fuzz.reg", &diags).0 {
        assert!(d.line >= 1, "every .reg diagnostic has a line");
        let _ = d.render(false);
    }
    f.apply(&mut tlsreg::memreg::MemRegistry::new());
    let (p, _) = tlsreg::import::import(&f, "fuzz", "fuzz.reg");
    let _ = tlsreg::import::to_yaml(&p, "fuzz.reg");
}

fn utf16le(text: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    v.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    v
}

fuzz_target!(|data: &[u8]| {
    check(data);
    if data.len() > 4096 {
        return;
    }
    let t = String::from_utf8_lossy(data);
    let shapes = [
        format!("{H}\r\n\r\n[{K}]\r\n\"a\"=hex:01,02,\\\r\n{t}\r\n\"b\"=dword:00000001\r\n"),
        format!("{H}\r\n\r\n[{K}]\r\n\"a\"=hex:01,\\ ; c\r\n; c\r\n\r\n  {t}\r\n"),
        format!("{H}\r\n\r\n[-{K}]\r\n{t}\r\n[{K}]\r\n{t}\r\n"),
        format!("{H}\r[{K}]\r{t}\r\"a\"=\"x\"\r"),
        format!("{H}\r\n[{K}]\r\n\"a\"=dword:0000\0{t}\r\n"),
        format!("{H}\r\n[{K}]\r\n\u{a0}{t}\r\n\u{3000}\"a\"=DWORD:1\r\n\"b\"=HEX:{t}\r\n"),
        format!("\r\n{H} \r\n[{K}]\r\n{t}\r\n"),
        format!("REGEDIT4\r\n[{K}]\r\n\"a\"=hex(1):{t}\r\n\"b\"=hex(7):{t}\r\n"),
        format!("{H}\r\n[{K}]\r\n\"a\"=hex: 01 ,{t}, 02\r\n\"a\"={t}\r\n\"a\"=-\r\n"),
    ];
    for s in &shapes {
        check(&utf16le(s));
        check(s.as_bytes());
    }
});
