//! The PowerShell output, checked without PowerShell: every script passes the tree-sitter
//! grammar (`ps1check.py`); the registry calls read out of its syntax tree (tree-sitter
//! PowerShell grammar, not string matching) and applied to an empty in-memory registry give
//! exactly what hivex imports from the `.reg` of the same plan; profile text only ever
//! appears as one single-quoted literal.

use crate::oracle::{builtin, expected, plan_of, steps, write_reg};
use crate::util::{self, lines, run_oracle};
use proptest::prelude::*;
use tlsreg::compile;
use tlsreg::emit::powershell::{self, ScriptInfo};
use tlsreg::memreg::MemRegistry;
use tlsreg::plan::{Op, Plan};
use tlsreg::value::RegData;
use tree_sitter::{Node, Parser};

/// One argument of a registry call, as the syntax tree has it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Text(String),
    Int(u64),
    List(Vec<String>),
    Switch,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Call {
    pub(crate) command: String,
    args: Vec<(String, Arg)>,
}

impl Call {
    fn text(&self, p: &str) -> String {
        match self.args.iter().find(|(n, _)| n == p) {
            Some((_, Arg::Text(s))) => s.clone(),
            other => panic!("{} -{p} is {other:?}, not a literal", self.command),
        }
    }
    fn has(&self, p: &str) -> bool {
        self.args.iter().any(|(n, _)| n == p)
    }
    fn arg(&self, p: &str) -> &Arg {
        &self
            .args
            .iter()
            .find(|(n, _)| n == p)
            .unwrap_or_else(|| panic!("no -{p}"))
            .1
    }
}

fn text_of<'a>(n: Node, src: &'a str) -> &'a str {
    &src[n.byte_range()]
}

/// The value of a single-quoted literal node: outer quotes off, doubled quotes single.
/// Anything else (an expandable string, a variable, a subexpression) fails the test.
fn verbatim(n: Node, src: &str) -> String {
    assert_eq!(
        n.kind(),
        "string_literal",
        "not a string literal: {}",
        text_of(n, src)
    );
    assert_eq!(n.child_count(), 1);
    let v = n.child(0).unwrap();
    assert_eq!(
        v.kind(),
        "verbatim_string_characters",
        "not single-quoted: {}",
        text_of(n, src)
    );
    let raw = text_of(v, src);
    let inner = &raw[1..raw.len() - 1];
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'].contains(&c) {
            assert_eq!(chars.next(), Some(c), "an undoubled quote in {raw}");
        }
        out.push(c);
    }
    out
}

fn named_children(n: Node) -> Vec<Node> {
    let mut c = n.walk();
    n.named_children(&mut c).collect()
}

/// Every string literal below `n`, in order.
fn literals_below(n: Node, src: &str, out: &mut Vec<String>) {
    if n.kind() == "string_literal" {
        out.push(verbatim(n, src));
        return;
    }
    assert!(
        !n.kind().contains("expandable") && n.kind() != "variable" && n.kind() != "sub_expression",
        "{} in a list",
        n.kind()
    );
    for c in named_children(n) {
        literals_below(c, src, out);
    }
}

/// The value of one argument node.
fn argument(n: Node, src: &str) -> Arg {
    assert_eq!(n.kind(), "array_literal_expression", "{}", text_of(n, src));
    let items = named_children(n);
    assert_eq!(items.len(), 1, "one value, not a list: {}", text_of(n, src));
    let u = items[0];
    assert_eq!(u.kind(), "unary_expression");
    let inner = named_children(u);
    assert_eq!(inner.len(), 1);
    let v = inner[0];
    match v.kind() {
        "string_literal" => Arg::Text(verbatim(v, src)),
        "integer_literal" => Arg::Int(text_of(v, src).parse().expect("a decimal integer")),
        "array_expression" => {
            let mut out = Vec::new();
            literals_below(v, src, &mut out);
            Arg::List(out)
        }
        // `(ConvertFrom-TlsregUtf16Hex 'HEX')`: text an ASCII script cannot carry as a
        // literal, as the hex of its UTF-16LE units; nothing else may sit in parentheses.
        "parenthesized_expression" => {
            let mut found = Vec::new();
            converted_text(v, src, &mut found);
            assert_eq!(
                found.len(),
                1,
                "not one converted text: {}",
                text_of(v, src)
            );
            let expected = format!("(ConvertFrom-TlsregUtf16Hex '{}')", found[0].0);
            assert_eq!(text_of(v, src), expected, "more than the conversion");
            Arg::Text(found.remove(0).1)
        }
        other => panic!("unexpected argument {other}: {}", text_of(v, src)),
    }
}

/// Every `ConvertFrom-TlsregUtf16Hex 'HEX'` command below `n`: its hex and the text.
fn converted_text(n: Node, src: &str, out: &mut Vec<(String, String)>) {
    if n.kind() == "command" {
        let parts: Vec<Node> = named_children(n);
        let name = parts
            .iter()
            .find(|c| c.kind() == "command_name")
            .expect("a name");
        assert_eq!(text_of(*name, src), "ConvertFrom-TlsregUtf16Hex");
        let mut lits = Vec::new();
        literals_below(n, src, &mut lits);
        assert_eq!(lits.len(), 1, "{}", text_of(n, src));
        let units: Vec<u16> = unhex(&lits[0])
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        out.push((lits[0].clone(), String::from_utf16(&units).expect("UTF-16")));
        return;
    }
    for c in named_children(n) {
        converted_text(c, src, out);
    }
}

/// The build an `if ($script:Build -ge N)` condition tests, `None` for any other condition.
fn build_condition(cond: Node, src: &str) -> Option<u32> {
    text_of(cond, src)
        .strip_prefix("$script:Build -ge ")
        .and_then(|n| n.parse().ok())
}

/// The statement block a build `if` runs on `build` (the `if`, an `elseif` or the `else`),
/// `None` for an `if` on something else.
fn branch_taken<'t>(n: Node<'t>, src: &str, build: Option<u32>) -> Option<Option<Node<'t>>> {
    let cond = n.child_by_field_name("condition")?;
    let first = build_condition(cond, src)?;
    let build = build.expect("the script branches on the build: give one");
    let block = |n: Node<'t>| {
        named_children(n)
            .into_iter()
            .find(|c| c.kind() == "statement_block")
    };
    if build >= first {
        return Some(block(n));
    }
    for c in named_children(n) {
        match c.kind() {
            "elseif_clauses" => {
                for e in named_children(c) {
                    let cond = e.child_by_field_name("condition").expect("a condition");
                    let b = build_condition(cond, src).expect("an elseif on the build");
                    if build >= b {
                        return Some(block(e));
                    }
                }
            }
            "else_clause" => return Some(block(c)),
            _ => {}
        }
    }
    Some(None)
}

/// The registry calls below `n`, taking only the branch an `if` on `$script:Build` takes on
/// `build`.
fn collect_calls_on(n: Node, src: &str, build: Option<u32>, out: &mut Vec<Call>) {
    // The runtime's own functions call one another (`-Check` hands Set-TlsregValue's
    // arguments to Test-TlsregValue); the script's operations are the calls outside them.
    if n.kind() == "function_statement" {
        return;
    }
    if n.kind() == "if_statement" {
        if let Some(taken) = branch_taken(n, src, build) {
            if let Some(b) = taken {
                collect_calls_on(b, src, build, out);
            }
            return;
        }
    }
    if n.kind() == "command" {
        let name = n.child_by_field_name("command_name").or_else(|| {
            named_children(n)
                .into_iter()
                .find(|c| c.kind() == "command_name")
        });
        if let Some(name) = name {
            let command = text_of(name, src).to_string();
            if REGISTRY_CALLS.contains(&command.as_str()) {
                let elems = named_children(n)
                    .into_iter()
                    .find(|c| c.kind() == "command_elements")
                    .expect("arguments");
                let parts: Vec<Node> = named_children(elems)
                    .into_iter()
                    .filter(|c| c.kind() != "command_argument_sep")
                    .collect();
                let mut args = Vec::new();
                let mut i = 0;
                while i < parts.len() {
                    assert_eq!(
                        parts[i].kind(),
                        "command_parameter",
                        "positional argument in {command}"
                    );
                    let p = text_of(parts[i], src).trim_start_matches('-').to_string();
                    if i + 1 < parts.len() && parts[i + 1].kind() != "command_parameter" {
                        args.push((p, argument(parts[i + 1], src)));
                        i += 2;
                    } else {
                        args.push((p, Arg::Switch));
                        i += 1;
                    }
                }
                out.push(Call { command, args });
                return;
            }
        }
    }
    for c in named_children(n) {
        collect_calls_on(c, src, build, out);
    }
}

/// The commands that apply an operation, and those the detection script checks one with.
pub(crate) const REGISTRY_CALLS: [&str; 6] = [
    "Set-TlsregValue",
    "Remove-TlsregValue",
    "Remove-TlsregKey",
    "Test-TlsregValue",
    "Test-TlsregValueAbsent",
    "Test-TlsregKeyAbsent",
];

/// Parses a generated script and returns its registry calls in order.
pub(crate) fn calls(bytes: &[u8]) -> Vec<Call> {
    calls_on(bytes, None)
}

/// The registry calls a script makes on `build` (needed when it branches on the build).
pub(crate) fn calls_on(bytes: &[u8], build: Option<u32>) -> Vec<Call> {
    // The script people run has a BOM; the Intune scripts are ASCII without one.
    let body = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(b) => b,
        None => {
            assert!(bytes.is_ascii(), "no BOM and not ASCII");
            bytes
        }
    };
    let src = std::str::from_utf8(body).expect("UTF-8");
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_powershell::LANGUAGE.into())
        .unwrap();
    let tree = parser.parse(src, None).expect("parses");
    assert!(!tree.root_node().has_error(), "the grammar finds an error");
    let mut out = Vec::new();
    collect_calls_on(tree.root_node(), src, build, &mut out);
    out
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn decode_text(s: &str, encoded: bool) -> String {
    if !encoded {
        return s.to_string();
    }
    let units: Vec<u16> = unhex(s)
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).unwrap()
}

/// The registry call as a plan operation, with the value the runtime would write.
pub(crate) fn to_op(c: &Call) -> Op {
    let key = c.text("Key");
    match c.command.as_str() {
        "Remove-TlsregKey" | "Test-TlsregKeyAbsent" => Op::DeleteKey { key },
        "Remove-TlsregValue" | "Test-TlsregValueAbsent" => Op::DeleteValue {
            key,
            name: c.text("Name"),
        },
        _ => {
            let enc = c.has("Encoded");
            let data = match (c.text("Kind").as_str(), c.arg("Data")) {
                ("String", Arg::Text(s)) => RegData::Sz(decode_text(s, enc)),
                ("ExpandString", Arg::Text(s)) => RegData::ExpandSz(decode_text(s, enc)),
                ("MultiString", Arg::List(items)) => {
                    RegData::MultiSz(items.iter().map(|s| decode_text(s, enc)).collect())
                }
                ("DWord", Arg::Int(n)) => RegData::Dword(u32::try_from(*n).expect("a DWORD")),
                ("QWord", Arg::Text(s)) => RegData::Qword(s.parse().expect("a QWORD")),
                ("Binary", Arg::Text(s)) => RegData::Binary(unhex(s)),
                ("None", Arg::Text(s)) => RegData::None(unhex(s)),
                other => panic!("unexpected kind and data {other:?}"),
            };
            Op::SetValue {
                key,
                name: c.text("Name"),
                data,
            }
        }
    }
}

/// What the script's calls leave in an empty registry.
fn applied(scripts: &[&[u8]]) -> Vec<String> {
    applied_on(scripts, None)
}

/// What the script's calls leave in an empty registry when run on `build`.
pub(crate) fn applied_on(scripts: &[&[u8]], build: Option<u32>) -> Vec<String> {
    let mut r = MemRegistry::new();
    for s in scripts {
        for c in calls_on(s, build) {
            r.apply_op(&to_op(&c));
        }
    }
    r.value_lines()
}

fn ps1(plan: &Plan) -> Vec<u8> {
    powershell::to_powershell(
        plan,
        &ScriptInfo {
            profile: "p".into(),
            prerequisites: false,
            revert: false,
            kind: Default::default(),
        },
    )
    .unwrap()
}

/// Every built-in's script passes the grammar, and run (as its syntax tree says) on the
/// first build of each family it writes what that family's `.reg` makes hivex import; its
/// undo script removes all of it.
#[test]
fn every_builtin_script_passes_the_grammar_and_equals_the_reg() {
    let dir = util::tempdir();
    let all = compile::Formats {
        reg: true,
        ps1: true,
        ..Default::default()
    };
    for name in util::builtins() {
        let p = builtin(name);
        let mut scripts = Vec::new();
        for revert in [false, true] {
            let opts = compile::Options {
                revert,
                ..Default::default()
            };
            let outs = compile::outputs(name, &p, opts, all).unwrap().outputs;
            let ps = outs
                .into_iter()
                .find(|o| o.file_name.ends_with(".ps1"))
                .expect("one script");
            let path = dir.path().join(&ps.file_name);
            std::fs::write(&path, &ps.bytes).unwrap();
            let Some(out) = run_oracle("ps1check.py", &[&"--quiet", &path]) else {
                return;
            };
            assert_eq!(out.trim(), "", "{}", ps.file_name);
            // CRLF only.
            let text = std::str::from_utf8(&ps.bytes[3..]).unwrap();
            assert!(
                !text.replace("\r\n", "").contains(['\r', '\n']),
                "{}: bare CR or LF",
                ps.file_name
            );
            scripts.push(ps.bytes);
        }
        let (script, undo) = (&scripts[0], &scripts[1]);
        let builds: Vec<Option<u32>> = match compile::resolve(&p, Default::default()).unwrap() {
            compile::Resolved::One { .. } => vec![None],
            compile::Resolved::Families(f) => f.iter().map(|f| Some(f.first)).collect(),
        };
        let regs = util::builtin_reg_files(name, Default::default());
        assert_eq!(regs.len(), builds.len(), "{name}: one .reg per family");
        for ((reg, _), build) in regs.iter().zip(builds) {
            let reg_path = dir.path().join(&reg.file_name);
            std::fs::write(&reg_path, &reg.bytes).unwrap();
            let Some(got) = run_oracle("reg2values.sh", &[&reg_path]) else {
                return;
            };
            assert_eq!(
                applied_on(&[script], build),
                lines(&got),
                "{}: the script on build {build:?} and the .reg differ",
                reg.file_name
            );
            assert_eq!(
                applied_on(&[script, undo], build),
                Vec::<String>::new(),
                "{name}: the undo script leaves values on build {build:?}"
            );
        }
    }
}

/// A script that branches on the build refuses a build outside its families' range, or
/// one it cannot read, before it changes anything; it reads the build from the value
/// Windows keeps it in.
#[test]
fn a_script_by_build_checks_the_build_first() {
    let all = compile::Formats {
        reg: false,
        ps1: true,
        ..Default::default()
    };
    let p = builtin("best-practices");
    let ps = compile::outputs("best-practices", &p, Default::default(), all)
        .unwrap()
        .outputs
        .remove(0);
    let s = String::from_utf8(ps.bytes).unwrap();
    let check = s
        .find("$script:Build = Assert-TlsregBuild -Min 7601 -Max 0\r\n")
        .expect("the check");
    let first_change = s.find("\r\ntry {\r\n").expect("the changes");
    assert!(check < first_change);
    assert!(s.contains("'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion' 'CurrentBuildNumber'"));
    // Scripts of one family do not check the build.
    let strict = compile::outputs("strict", &builtin("strict"), Default::default(), all)
        .unwrap()
        .outputs
        .remove(0);
    assert!(!String::from_utf8(strict.bytes)
        .unwrap()
        .contains("Assert-TlsregBuild -Min"));
}

#[test]
fn prerequisites_are_checked_where_the_article_needs_them() {
    for (name, want) in [
        ("enable-tls12", true),
        ("dotnet-strong-crypto", true),
        ("stig-iis10", true),
        ("best-practices", true),
    ] {
        let s = String::from_utf8(
            compile::ps1_output(name, &builtin(name), false)
                .unwrap()
                .bytes,
        )
        .unwrap();
        assert_eq!(
            s.contains("if (-not $Force -and -not $Check) { Test-TlsregPrerequisites }"),
            want,
            "{name}"
        );
        let undo = String::from_utf8(
            compile::ps1_output(name, &builtin(name), true)
                .unwrap()
                .bytes,
        )
        .unwrap();
        assert!(
            !undo.contains("if (-not $Force) { Test-TlsregPrerequisites }"),
            "{name} undo"
        );
    }
    let l = tlsreg::profile::load_with("p.yaml", "protocols: { TLS 1.0: disabled }\n", None, "p")
        .unwrap();
    let s = String::from_utf8(compile::ps1_output("p", &l.profile, false).unwrap().bytes).unwrap();
    assert!(!s.contains("if (-not $Force) { Test-TlsregPrerequisites }"));
}

#[test]
fn hostile_profile_text_stays_literal() {
    let nasty = [
        "it's",
        "\"dq\"",
        "$(Remove-Item C:\\ -Recurse)",
        "`backtick`",
        "a; Stop-Computer",
        "# not a comment",
        "line\nbreak",
        "crlf\r\nx",
        "grüße 日本 😀",
        "smart \u{2019}quote\u{2018} \u{201A}\u{201B}",
        "'; Remove-Item C:\\; '",
        "tab\there",
        "@(1,2)",
        "",
    ];
    let mut src = String::from("name: \"evil'; Remove-Item C:\\\\; '\"\nraw:\n  - key: HKLM\\SOFTWARE\\Contoso\\it's $(x) `y` ; #z ä\n    values:\n");
    for (i, s) in nasty.iter().enumerate() {
        let yaml = serde_json::to_string(s).unwrap();
        src.push_str(&format!(
            "      {}: {{ type: sz, data: {yaml} }}\n",
            serde_json::to_string(&format!("n{i} {s}").replace(['\r', '\n'], " ")).unwrap()
        ));
    }
    src.push_str(&format!(
        "      multi: {{ type: multi-sz, data: {} }}\n",
        serde_json::to_string(&nasty[..13]).unwrap()
    ));
    src.push_str("      exp: { type: expand-sz, data: \"%PATH%;$env:x\" }\n");
    let l = tlsreg::profile::load_with("p.yaml", &src, None, "p").unwrap();
    let out = compile::ps1_output("p", &l.profile, false).unwrap();
    let dir = util::tempdir();
    let path = dir.path().join("p.ps1");
    std::fs::write(&path, &out.bytes).unwrap();
    if let Some(o) = run_oracle("ps1check.py", &[&"--quiet", &path]) {
        assert_eq!(o.trim(), "");
    }
    // Every call's arguments are single literals that decode to exactly the profile's text.
    let got: Vec<Op> = calls(&out.bytes).iter().map(to_op).collect();
    assert_eq!(got, l.profile.plan().ops);
    // The profile name is one literal too.
    let text = String::from_utf8(out.bytes).unwrap();
    assert!(text.contains("$script:ProfileName = 'evil''; Remove-Item C:\\; '''\r\n"));
}

#[test]
fn nul_in_text_is_refused_for_powershell() {
    let src =
        "raw:\n  - key: HKLM\\SOFTWARE\\X\n    values:\n      a: { type: sz, data: \"a\\0b\" }\n";
    let l = tlsreg::profile::load_with("p.yaml", src, None, "p").unwrap();
    let e = compile::ps1_output("p", &l.profile, false).unwrap_err();
    assert_eq!(e.to_string(), "value \"a\" of key \"HKEY_LOCAL_MACHINE\\SOFTWARE\\X\" holds text with a NUL character, which RegistryKey.SetValue cannot write faithfully; use the .reg output for it");
    // The .reg carries it.
    assert!(compile::reg_outputs("p", &l.profile, Default::default()).is_ok());
}

pub(crate) fn without_nul(plan: &Plan) -> bool {
    plan.ops.iter().all(|op| match op {
        Op::SetValue {
            data: RegData::Sz(s) | RegData::ExpandSz(s),
            ..
        } => !s.contains('\0'),
        Op::SetValue {
            data: RegData::MultiSz(items),
            ..
        } => items.iter().all(|s| !s.contains('\0')),
        _ => true,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random plans: the script's calls equal what hivex imports from the `.reg`.
    #[test]
    fn random_plans_script_equals_reg((keys, steps) in steps()) {
        let plan = plan_of(&keys, &steps);
        prop_assume!(without_nul(&plan));
        let script = ps1(&plan);
        let dir = util::tempdir();
        let f = write_reg(dir.path(), "random.reg", &plan);
        let from_script = applied(&[&script]);
        prop_assert_eq!(&from_script, &expected(&[&plan]));
        if let Some(got) = run_oracle("reg2values.sh", &[&f]) {
            prop_assert_eq!(from_script, lines(&got));
        }
    }
}
