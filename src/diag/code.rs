//! The diagnostic codes: the [`Code`] enum (profile and `.reg` codes), each code's name,
//! severity and meaning from one table row, and the [`CODES`] table of the profile codes.

use super::Severity;
use serde::Serialize;
use std::fmt;

/// Every diagnostic code. Each knows its stable kebab-case name ([`Code::as_str`], `Display`,
/// serde), its severity and its one-line meaning, all from one row of [`Code::info`].
/// `encoding` and `tls13-below-20348` exist for profiles and for `.reg` files with
/// different meanings, so each is two variants that render the same string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    // Profiles.
    /// `yaml-syntax` (profile, error): the file is not valid YAML.
    YamlSyntax,
    /// `io` (profile, error): the file cannot be read.
    Io,
    /// `encoding` (profile, error): the file is not UTF-8 text.
    Encoding,
    /// `too-large` (profile, error): the file, its YAML after aliases are expanded, or the data it
    /// writes is larger than a profile can be.
    TooLarge,
    /// `wrong-type` (profile, error): a field has the wrong kind of value (text, number, list,
    /// mapping).
    WrongType,
    /// `unknown-field` (profile, error): a field the profile format does not have.
    UnknownField,
    /// `unknown-name` (profile, error): a protocol, cipher, hash or key exchange Windows does not
    /// have.
    UnknownName,
    /// `duplicate-name` (profile, error): one setting is given twice under different spellings.
    DuplicateName,
    /// `invalid-state` (profile, error): a state other than enabled, disabled or os-default.
    InvalidState,
    /// `out-of-range` (profile, error): a number outside the setting's valid range.
    OutOfRange,
    /// `not-applicable` (profile, error): a field that does not apply to this key exchange.
    NotApplicable,
    /// `invalid-list` (profile, error): a cipher-suite, curve or protocol list that cannot be
    /// written.
    InvalidList,
    /// `invalid-key` (profile, error): a raw key path that cannot be written to a .reg file.
    InvalidKey,
    /// `invalid-value-name` (profile, error): a raw value name that cannot be written to a .reg
    /// file.
    InvalidValueName,
    /// `invalid-data` (profile, error): raw value data that does not fit its type.
    InvalidData,
    /// `extends-not-found` (profile, error): an `extends` entry that is neither a built-in profile
    /// nor a file.
    ExtendsNotFound,
    /// `extends-cycle` (profile, error): profiles that extend each other in a circle.
    ExtendsCycle,
    /// `too-deep` (profile, error): YAML nested, or extends chained, deeper than a profile can
    /// need.
    TooDeep,
    /// `tls13-below-20348` (profile, warning): TLS 1.3 enabled for a target older than build 20348
    /// (Server 2022).
    Tls13Below20348,
    /// `tls13-suite-below-20348` (profile, note): TLS 1.3 cipher suites listed for a target older
    /// than build 20348: compile leaves them out for the builds before it.
    Tls13SuiteBelow20348,
    /// `sha-disabled-breaks-rdp` (profile, warning): disabling the SHA (SHA-1) hash has broken RDP.
    ShaDisabledBreaksRdp,
    /// `suite-list-too-long` (profile, warning): the cipher-suite list is longer than the 1023
    /// characters Windows reads.
    SuiteListTooLong,
    /// `unknown-cipher-suite` (profile, warning): a cipher-suite name no Windows version has.
    UnknownCipherSuite,
    /// `unknown-curve` (profile, warning): a curve name that is not a known CNG curve.
    UnknownCurve,
    /// `raw-overrides-setting` (profile, warning): a raw value replaces a value a named setting
    /// writes.
    RawOverridesSetting,
    // `.reg` files: the reader, then the linter.
    /// `encoding` (`.reg`, error): bytes that are not valid in the file's encoding.
    RegEncoding,
    /// `missing-header` (`.reg`, warning): no header line: regedit ignores the whole file.
    MissingHeader,
    /// `bad-header` (`.reg`, warning): a header regedit does not accept: it ignores the whole file.
    BadHeader,
    /// `utf8-bom` (`.reg`, warning): UTF-8 with BOM under the 5.00 header: regedit ignores the
    /// whole file.
    Utf8Bom,
    /// `utf16-no-bom` (`.reg`, warning): UTF-16 without a BOM: regedit does not recognise the
    /// header and ignores the file.
    Utf16NoBom,
    /// `ansi-text` (`.reg`, warning): non-ASCII text in a file without BOM: regedit reads it in the
    /// ANSI code page.
    AnsiText,
    /// `abbreviated-root` (`.reg`, warning): a key under HKLM, HKCU...: regedit ignores the block;
    /// the root must be spelled out.
    AbbreviatedRoot,
    /// `syntax` (`.reg`, error): a line regedit cannot read.
    Syntax,
    /// `bad-data` (`.reg`, error): value data that does not parse (hex bytes, dword digits).
    BadData,
    /// `unknown-escape` (`.reg`, warning): a backslash before a character other than `\` or `"`:
    /// regedit drops the backslash.
    UnknownEscape,
    /// `unsupported-type` (`.reg`, warning): a value form only Wine or hivex know (`str(N):`).
    UnsupportedType,
    /// `value-before-key` (`.reg`, error): a value line before any `[KEY]` line.
    ValueBeforeKey,
    /// `dword-digits` (`.reg`, warning): `dword:` with fewer than 8 hex digits (regedit reads it;
    /// hivex rejects it).
    DwordDigits,
    /// `value-twice` (`.reg`, warning): a value set twice in one block (hivex keeps both).
    ValueTwice,
    /// `set-and-delete` (`.reg`, warning): a value set and deleted in one block (hivex keeps the
    /// value).
    SetAndDelete,
    /// `lookalike-slash` (`.reg`, warning): a look-alike slash (U+2215 ...) in a cipher key:
    /// Schannel ignores the key.
    LookalikeSlash,
    /// `nested-cipher-key` (`.reg`, warning): a nested key like `Ciphers\AES 128\128`: Schannel
    /// reads only `AES 128/128`.
    NestedCipherKey,
    /// `enabled-ffffffff` (`.reg`, warning): `Enabled=0xffffffff`: works, but documentation asks
    /// for 1 and checkers flag it.
    EnabledFfffffff,
    /// `functions-multi-sz` (`.reg`, warning): the policy `Functions` as `hex(7)`: Windows reads it
    /// only as REG_SZ.
    FunctionsMultiSz,
    /// `dtls-version` (`.reg`, warning): a DTLS 1.1 or DTLS 1.3 key: Windows has neither.
    DtlsVersion,
    /// `triple-des-168-168` (`.reg`, warning): `Triple DES 168/168`: the pre-Vista name; Vista and
    /// later read `Triple DES 168`.
    TripleDes168168,
    /// `tls13-below-20348` (`.reg`, warning): TLS 1.3 keys for a target below build 20348.
    RegTls13Below20348,
    /// `control-set-mix` (`.reg`, warning): CurrentControlSet and ControlSet00N in one file, or
    /// ControlSet00N in a file for a live system.
    ControlSetMix,
    // profile hostility (issue 11)
    /// An `extends` entry that is neither a built-in name nor a `.yaml`/`.yml` file, or such a
    /// file that is not a profile; the file's content is never quoted.
    ExtendsNotAProfile,
    /// A value or key name that YAML reads as a number, boolean or null when unquoted.
    UnquotedName,
    /// Values set or deleted at or below a key the same profile deletes.
    DeletedKeyWritten,
    // build-aware lists (issue 12)
    /// A cipher-suite or curve name that Microsoft's table for some build of the target
    /// does not list.
    UnknownOnBuild,
    /// The same in a `.reg` file's `Functions` or `EccCurves`, for `--os-build`.
    RegUnknownOnBuild,
    // .reg reading vs regedit (issue 11)
    /// `utf16-be` (`.reg`, warning): UTF-16BE: regedit reads only UTF-16LE as Unicode and ignores
    /// the whole file.
    Utf16Be,
    /// `header-spacing` (`.reg`, warning): a blank line before the header or spaces after it:
    /// regedit ignores the whole file.
    HeaderSpacing,
    /// `nul-in-line` (`.reg`, error): a NUL character inside a line: regedit ends the line there
    /// and loses the text after it.
    NulInLine,
    /// `unicode-space` (`.reg`, error): a line indented with a space other than space or tab
    /// (U+00A0 ...): regedit skips the line.
    UnicodeSpace,
    /// `type-case` (`.reg`, error): `DWORD:`, `HEX:` or `Hex(N):` not in lower case: regedit skips
    /// the line.
    TypeCase,
    /// `hex-spacing` (`.reg`, warning): spaces inside a hex list: regedit allows them only after a
    /// comma, hivex not at all.
    HexSpacing,
    /// `no-final-nul` (`.reg`, warning): `hex(1)`, `hex(2)` or `hex(7)` data without its final NUL:
    /// regedit adds one, hivex does not.
    NoFinalNul,
    /// `ansi-hex-string` (`.reg`, warning): `hex(1)`, `hex(2)` or `hex(7)` data in a 5.00 file that
    /// is not UTF-16LE: regedit reads the bytes as ANSI characters.
    AnsiHexString,
    /// `value-after-delete` (`.reg`, warning): a value line after `[-KEY]`: regedit has no key open
    /// and skips it.
    ValueAfterDelete,
}

impl Code {
    /// Every profile code, in the order README lists them.
    pub const PROFILE: [Code; 29] = [
        Code::YamlSyntax,
        Code::Io,
        Code::Encoding,
        Code::TooLarge,
        Code::WrongType,
        Code::UnknownField,
        Code::UnknownName,
        Code::DuplicateName,
        Code::InvalidState,
        Code::OutOfRange,
        Code::NotApplicable,
        Code::InvalidList,
        Code::InvalidKey,
        Code::InvalidValueName,
        Code::InvalidData,
        Code::ExtendsNotFound,
        Code::ExtendsCycle,
        Code::TooDeep,
        Code::Tls13Below20348,
        Code::Tls13SuiteBelow20348,
        Code::ShaDisabledBreaksRdp,
        Code::SuiteListTooLong,
        Code::UnknownCipherSuite,
        Code::UnknownCurve,
        Code::RawOverridesSetting,
        // profile hostility (issue 11)
        Code::ExtendsNotAProfile,
        Code::UnquotedName,
        Code::DeletedKeyWritten,
        Code::UnknownOnBuild,
    ];
    /// Every `.reg` reader and lint code, in the order README lists them.
    pub const REG: [Code; 33] = [
        Code::RegEncoding,
        Code::MissingHeader,
        Code::BadHeader,
        Code::Utf8Bom,
        Code::Utf16NoBom,
        Code::AnsiText,
        Code::AbbreviatedRoot,
        Code::Syntax,
        Code::BadData,
        Code::UnknownEscape,
        Code::UnsupportedType,
        Code::ValueBeforeKey,
        Code::DwordDigits,
        Code::ValueTwice,
        Code::SetAndDelete,
        Code::LookalikeSlash,
        Code::NestedCipherKey,
        Code::EnabledFfffffff,
        Code::FunctionsMultiSz,
        Code::DtlsVersion,
        Code::TripleDes168168,
        Code::RegTls13Below20348,
        Code::ControlSetMix,
        Code::Utf16Be,
        Code::HeaderSpacing,
        Code::NulInLine,
        Code::UnicodeSpace,
        Code::TypeCase,
        Code::HexSpacing,
        Code::NoFinalNul,
        Code::AnsiHexString,
        Code::ValueAfterDelete,
        Code::RegUnknownOnBuild,
    ];

    /// The name, severity and meaning of the code: the one table of them.
    pub const fn info(self) -> (&'static str, Severity, &'static str) {
        use Severity::{Error, Note, Warning};
        match self {
            Code::YamlSyntax => ("yaml-syntax", Error, "the file is not valid YAML"),
            Code::Io => ("io", Error, "the file cannot be read"),
            Code::Encoding => ("encoding", Error, "the file is not UTF-8 text"),
            Code::TooLarge => ("too-large", Error, "the file, its YAML after aliases are expanded, or the data it writes is larger than a profile can be"),
            Code::WrongType => ("wrong-type", Error, "a field has the wrong kind of value (text, number, list, mapping)"),
            Code::UnknownField => ("unknown-field", Error, "a field the profile format does not have"),
            Code::UnknownName => ("unknown-name", Error, "a protocol, cipher, hash or key exchange Windows does not have"),
            Code::DuplicateName => ("duplicate-name", Error, "one setting is given twice under different spellings"),
            Code::InvalidState => ("invalid-state", Error, "a state other than enabled, disabled or os-default"),
            Code::OutOfRange => ("out-of-range", Error, "a number outside the setting's valid range"),
            Code::NotApplicable => ("not-applicable", Error, "a field that does not apply to this key exchange"),
            Code::InvalidList => ("invalid-list", Error, "a cipher-suite, curve or protocol list that cannot be written"),
            Code::InvalidKey => ("invalid-key", Error, "a raw key path that cannot be written to a .reg file"),
            Code::InvalidValueName => ("invalid-value-name", Error, "a raw value name that cannot be written to a .reg file"),
            Code::InvalidData => ("invalid-data", Error, "raw value data that does not fit its type"),
            Code::ExtendsNotFound => ("extends-not-found", Error, "an `extends` entry that is neither a built-in profile nor a file"),
            Code::ExtendsCycle => ("extends-cycle", Error, "profiles that extend each other in a circle"),
            Code::TooDeep => ("too-deep", Error, "YAML nested, or extends chained, deeper than a profile can need"),
            Code::Tls13Below20348 => ("tls13-below-20348", Warning, "TLS 1.3 enabled for a target older than build 20348 (Server 2022)"),
            Code::Tls13SuiteBelow20348 => ("tls13-suite-below-20348", Note, "TLS 1.3 cipher suites listed for a target older than build 20348: compile leaves them out for the builds before it"),
            Code::ShaDisabledBreaksRdp => ("sha-disabled-breaks-rdp", Warning, "disabling the SHA (SHA-1) hash has broken RDP"),
            Code::SuiteListTooLong => ("suite-list-too-long", Warning, "the cipher-suite list is longer than the 1023 characters Windows reads"),
            Code::UnknownCipherSuite => ("unknown-cipher-suite", Warning, "a cipher-suite name no Windows version has"),
            Code::UnknownCurve => ("unknown-curve", Warning, "a curve name that is not a known CNG curve"),
            Code::RawOverridesSetting => ("raw-overrides-setting", Warning, "a raw value replaces a value a named setting writes"),
            Code::RegEncoding => ("encoding", Error, "bytes that are not valid in the file's encoding"),
            Code::MissingHeader => ("missing-header", Warning, "no header line: regedit ignores the whole file"),
            Code::BadHeader => ("bad-header", Warning, "a header regedit does not accept: it ignores the whole file"),
            Code::Utf8Bom => ("utf8-bom", Warning, "UTF-8 with BOM under the 5.00 header: regedit ignores the whole file"),
            Code::Utf16NoBom => ("utf16-no-bom", Warning, "UTF-16 without a BOM: regedit does not recognise the header and ignores the file"),
            Code::AnsiText => ("ansi-text", Warning, "non-ASCII text in a file without BOM: regedit reads it in the ANSI code page"),
            Code::AbbreviatedRoot => ("abbreviated-root", Warning, "a key under HKLM, HKCU...: regedit ignores the block; the root must be spelled out"),
            Code::Syntax => ("syntax", Error, "a line regedit cannot read"),
            Code::BadData => ("bad-data", Error, "value data that does not parse (hex bytes, dword digits)"),
            Code::UnknownEscape => ("unknown-escape", Warning, "a backslash before a character other than \\ or \": regedit drops the backslash"),
            Code::UnsupportedType => ("unsupported-type", Warning, "a value form only Wine or hivex know (str(N):)"),
            Code::ValueBeforeKey => ("value-before-key", Error, "a value line before any [KEY] line"),
            Code::DwordDigits => ("dword-digits", Warning, "dword: with fewer than 8 hex digits (regedit reads it; hivex rejects it)"),
            Code::ValueTwice => ("value-twice", Warning, "a value set twice in one block (hivex keeps both)"),
            Code::SetAndDelete => ("set-and-delete", Warning, "a value set and deleted in one block (hivex keeps the value)"),
            Code::LookalikeSlash => ("lookalike-slash", Warning, "a look-alike slash (U+2215 ...) in a cipher key: Schannel ignores the key"),
            Code::NestedCipherKey => ("nested-cipher-key", Warning, "a nested key like Ciphers\\AES 128\\128: Schannel reads only \"AES 128/128\""),
            Code::EnabledFfffffff => ("enabled-ffffffff", Warning, "Enabled=0xffffffff: works, but documentation asks for 1 and checkers flag it"),
            Code::FunctionsMultiSz => ("functions-multi-sz", Warning, "the policy Functions as hex(7): Windows reads it only as REG_SZ"),
            Code::DtlsVersion => ("dtls-version", Warning, "a DTLS 1.1 or DTLS 1.3 key: Windows has neither"),
            Code::TripleDes168168 => ("triple-des-168-168", Warning, "\"Triple DES 168/168\": the pre-Vista name; Vista and later read \"Triple DES 168\""),
            Code::RegTls13Below20348 => ("tls13-below-20348", Warning, "TLS 1.3 keys for a target below build 20348"),
            Code::ControlSetMix => ("control-set-mix", Warning, "CurrentControlSet and ControlSet00N in one file, ControlSet00N in a file for a live system, or CurrentControlSet in one for an offline hive (hivex)"),
            // profile hostility (issue 11)
            Code::ExtendsNotAProfile => ("extends-not-a-profile", Error, "an `extends` entry that is not a built-in profile or a .yaml/.yml profile; its content is never shown"),
            Code::UnquotedName => ("unquoted-name", Error, "a name YAML reads as a number, boolean or null unless it is quoted"),
            Code::DeletedKeyWritten => ("deleted-key-written", Error, "a value set or deleted at or below a key the same profile deletes"),
            // build-aware lists (issue 12)
            Code::UnknownOnBuild => ("unknown-on-build", Note, "a cipher-suite or curve name that Microsoft's table for a build of the target does not list: that Windows does not know it, and compile leaves it out (or respells it) for that build"),
            Code::RegUnknownOnBuild => ("unknown-on-build", Warning, "a Functions or EccCurves name that Microsoft's table for the --os-build (or a build up to --max-build) does not list: that Windows does not know it"),
            // .reg reading vs regedit (issue 11)
            Code::Utf16Be => ("utf16-be", Warning, "UTF-16BE: regedit reads only UTF-16LE as Unicode and ignores the whole file"),
            Code::HeaderSpacing => ("header-spacing", Warning, "a blank line before the header or spaces after it: regedit ignores the whole file"),
            Code::NulInLine => ("nul-in-line", Error, "a NUL character inside a line: regedit ends the line there and loses the text after it"),
            Code::UnicodeSpace => ("unicode-space", Error, "a line indented with a space other than space or tab (U+00A0 ...): regedit skips the line"),
            Code::TypeCase => ("type-case", Error, "DWORD:, HEX: or Hex(N): not in lower case: regedit skips the line"),
            Code::HexSpacing => ("hex-spacing", Warning, "spaces inside a hex list: regedit allows them only after a comma, hivex not at all"),
            Code::NoFinalNul => ("no-final-nul", Warning, "hex(1), hex(2) or hex(7) data without its final NUL: regedit adds one, hivex does not"),
            Code::AnsiHexString => ("ansi-hex-string", Warning, "hex(1), hex(2) or hex(7) data in a 5.00 file that is not UTF-16LE: regedit reads the bytes as ANSI characters"),
            Code::ValueAfterDelete => ("value-after-delete", Warning, "a value line after [-KEY]: regedit has no key open and skips it"),
        }
    }
}

impl Code {
    /// The stable name, e.g. `unknown-name`.
    pub const fn as_str(self) -> &'static str {
        self.info().0
    }
    /// How bad a diagnostic with this code is.
    pub const fn severity(self) -> Severity {
        self.info().1
    }
    /// The one-line meaning (README and `tlsreg explain` list these).
    pub const fn meaning(self) -> &'static str {
        self.info().2
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl PartialEq<Code> for &str {
    fn eq(&self, other: &Code) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// `(name, severity, meaning)` rows for a list of codes, the shape [`CODES`] has.
pub const fn table<const N: usize>(
    codes: [Code; N],
) -> [(&'static str, Severity, &'static str); N] {
    let mut out = [("", Severity::Error, ""); N];
    let mut i = 0;
    while i < N {
        out[i] = codes[i].info();
        i += 1;
    }
    out
}

/// Every profile code with its severity and one-line meaning (README and `tlsreg explain`
/// list these); the `.reg` codes are [`crate::regfile::CODES`].
pub const CODES: &[(&str, Severity, &str)] = &table(Code::PROFILE);
