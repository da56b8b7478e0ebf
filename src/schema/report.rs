//! The JSON Schema of every JSON document tlsreg writes: the audit's document and records,
//! and the reports of `compile`, `lint` and `diff`.

use super::DIALECT;
use serde_json::{json, Value};

/// The `$id` of the report schema; its version is [`crate::SCHEMA_VERSION`].
pub const REPORT_ID: &str = "urn:tlsreg:schema:report:2";

/// A string or null.
fn opt_string() -> Value {
    json!({"type": ["string", "null"]})
}

/// An object with exactly these properties, all required.
fn object(description: &str, props: Value) -> Value {
    let required: Vec<String> = props
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    json!({
        "description": description,
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": props,
    })
}

/// `{"schema_version": 2, "command": NAME}`'s two properties.
fn head(command: &str, mut props: Value) -> Value {
    if let Some(m) = props.as_object_mut() {
        m.insert(
            "schema_version".into(),
            json!({"const": crate::SCHEMA_VERSION}),
        );
        m.insert("command".into(), json!({"const": command}));
    }
    props
}

/// The JSON Schema (draft 2020-12) of every JSON document tlsreg writes: the audit's
/// document (`--format json`) and its records (each line of `--format jsonl`), and the
/// reports of `compile --report json`, `lint --format json` and `diff --format json`. Every
/// object is closed (`additionalProperties: false`) and every property required, so a
/// change of shape fails validation; the enums are the library's own lists (finding codes,
/// diagnostic codes, statuses).
pub fn report() -> Value {
    use crate::audit::{FindingCode, Status};
    let finding_codes: Vec<&str> = FindingCode::ALL.iter().map(|c| c.as_str()).collect();
    let statuses: Vec<&str> = [
        Status::Pass,
        Status::Warn,
        Status::Fail,
        Status::Unknown,
        Status::NotAudited,
    ]
    .iter()
    .map(|s| s.as_str())
    .collect();
    let diag_codes: Vec<&str> = crate::diag::CODES
        .iter()
        .chain(crate::regfile::CODES)
        .map(|(c, ..)| *c)
        .collect();
    let uint = json!({"type": "integer", "minimum": 0});
    let opt_uint = json!({"type": ["integer", "null"], "minimum": 0});
    let recovery = json!({
        "description": "What was done about a dirty hive.",
        "oneOf": [
            object("The hive was clean.", json!({"state": {"const": "clean"}})),
            object("Dirty; its logs were replayed in memory.", json!({
                "state": {"const": "recovered"},
                "logs": {"type": "array", "items": {"type": "string"}},
                "entries": uint,
                "format": {"type": "string"},
            })),
            object("Dirty, and no log lies beside it: values may be stale.", json!({"state": {"const": "dirty-no-logs"}})),
            object("Dirty, but its logs hold nothing newer.", json!({
                "state": {"const": "logs-not-newer"},
                "logs": {"type": "array", "items": {"type": "string"}},
            })),
            object("Dirty, and its logs could not be replayed: read as it is.", json!({
                "state": {"const": "logs-failed"},
                "error": {"type": "string"},
            })),
            object("Dirty, read as it is (--no-recover).", json!({"state": {"const": "not-recovered"}})),
        ]
    });
    let hive = object(
        "A hive that was read.",
        json!({
            "path": {"type": "string"},
            "dirty": {"type": "boolean"},
            "recovery": {"$ref": "#/$defs/recovery"},
            "checksum_ok": {"type": "boolean"},
            "primary_sequence": uint,
            "secondary_sequence": uint,
        }),
    );
    let os = object(
        "The Windows the SOFTWARE hive (or --os-build) says it is.",
        json!({
            "name": {"type": "string"},
            "product_name": opt_string(),
            "build": uint,
            "ubr": opt_uint,
            "display_version": opt_string(),
            "edition_id": opt_string(),
            "installation_type": opt_string(),
            "csd_version": opt_string(),
            "server": {"type": "boolean"},
        }),
    );
    let partition = object(
        "The partition holding the installation.",
        json!({
            "number": uint,
            "offset": uint,
            "size": uint,
            "type": {"type": "string"},
            "type_id": {"type": "string"},
            "name": opt_string(),
        }),
    );
    let image = object(
        "Where in a disk image the hives were read.",
        json!({
            "path": {"type": "string"},
            "format": {"type": "string"},
            "partition": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/partition"}]},
            "system_path": opt_string(),
            "software_path": opt_string(),
        }),
    );
    let waiver_ref = object(
        "The waiver that matched a finding.",
        json!({
            "reason": {"type": "string"},
            "expires": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
            "at": {"type": "string"},
            "expired": {"type": "boolean"},
        }),
    );
    let finding = object(
        "One finding: a stable code, the check, the setting, where, expected and actual, the verdict and why.",
        json!({
            "code": {"enum": finding_codes},
            "check": {"enum": ["value", "effective", "trap", "prerequisite", "image"]},
            "setting": {"type": "string"},
            "key": {"type": "string"},
            "value": opt_string(),
            "expected": opt_string(),
            "actual": opt_string(),
            "status": {"enum": statuses},
            "reason": {"type": "string"},
            "waiver": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/waiver-ref"}]},
            "source": {"oneOf": [{"type": "null"}, object("Where the profile asks for it.", json!({
                "file": {"type": "string"},
                "line": {"type": "integer", "minimum": 1},
                "col": {"type": "integer", "minimum": 1},
            }))]},
        }),
    );
    let summary = object(
        "Findings counted by status; waived ones only as waived.",
        json!({
            "pass": uint, "warn": uint, "fail": uint, "unknown": uint,
            "not_audited": uint, "waived": uint,
        }),
    );
    let control_sets = object(
        "The SYSTEM hive's Select values.",
        json!({"current": uint, "default": opt_uint, "last_known_good": opt_uint}),
    );
    let audit_report = object(
        "The audit of one Windows installation.",
        json!({
            "profile": {"type": "string"},
            "mode": {"enum": ["strict", "effective"]},
            "image": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/image"}]},
            "system": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/hive"}]},
            "software": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/hive"}]},
            "os": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/os"}]},
            "control_sets": {"oneOf": [{"type": "null"}, control_sets]},
            "findings": {"type": "array", "items": {"$ref": "#/$defs/finding"}},
            "summary": summary,
            "compliant": {"type": "boolean"},
            "complete": {"type": "boolean"},
        }),
    );
    let mut record = object(
        "One image's result: an element of the audit document's images, and one line of --format jsonl.",
        head(
            "audit",
            json!({
                "profile": {"type": "string"},
                "image": {"type": "string"},
                "result": {"enum": ["compliant", "not-compliant", "error"]},
                "notes": {"type": "array", "items": {"type": "string"}},
                "error": opt_string(),
                "report": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/audit-report"}]},
            }),
        ),
    );
    // An error has no report, a report no error.
    record["oneOf"] = json!([
        {"properties": {"result": {"const": "error"}, "error": {"type": "string"}, "report": {"type": "null"}}},
        {"properties": {"result": {"enum": ["compliant", "not-compliant"]}, "error": {"type": "null"}, "report": {"type": "object"}}},
    ]);
    let waiver_outcome = object(
        "What became of a waiver.",
        json!({
            "at": {"type": "string"},
            "code": {"enum": finding_codes},
            "reason": {"type": "string"},
            "expires": {"type": "string"},
            "matched": uint,
            "state": {"enum": ["active", "expired", "unmatched"]},
        }),
    );
    let audit_doc = object(
        "The audit's --format json document, whatever the number of images.",
        head(
            "audit",
            json!({
                "profile": {"type": "string"},
                "images": {"type": "array", "items": {"$ref": "#/$defs/audit-record"}},
                "summary": object("Images counted by result.", json!({
                    "images": uint, "compliant": uint, "not_compliant": uint, "errors": uint,
                })),
                "waivers": {"type": "array", "items": waiver_outcome},
                "exit_code": {"enum": [0, 1, 2]},
            }),
        ),
    );
    let mut diagnostic = object(
        "One diagnostic: severity, stable code, message and place (line 0: the whole file).",
        json!({
            "severity": {"enum": ["error", "warning", "note"]},
            "code": {"enum": diag_codes},
            "message": {"type": "string"},
            "file": {"type": "string"},
            "line": uint,
            "col": uint,
        }),
    );
    // A diagnostic not placed in a named file has no `file`.
    diagnostic["required"] = json!(["severity", "code", "message", "line", "col"]);
    let compile = object(
        "compile --report json.",
        head(
            "compile",
            json!({
                "diagnostics": {"type": "array", "items": {"$ref": "#/$defs/diagnostic"}},
                "files": {"type": "array", "items": object("One output file.", json!({
                    "file": {"type": "string"},
                    "profile": {"type": "string"},
                    "status": {"enum": ["written", "up-to-date", "missing", "differs"]},
                }))},
            }),
        ),
    );
    let lint = object(
        "lint --format json.",
        head(
            "lint",
            json!({
                "files": {"type": "array", "items": object("One file: its diagnostics, or why it could not be read.", json!({
                    "file": {"type": "string"},
                    "error": opt_string(),
                    "diagnostics": {"type": "array", "items": {"$ref": "#/$defs/diagnostic"}},
                }))},
            }),
        ),
    );
    let side = json!({"oneOf": [{"type": "null"}, object("A value on one side.", json!({
        "type": {"type": "string"},
        "data": {"type": "string"},
    }))]});
    let change = object(
        "One value that differs.",
        json!({"key": {"type": "string"}, "name": {"type": "string"}, "old": side, "new": side}),
    );
    let diff = object(
        "diff --format json.",
        head(
            "diff",
            json!({
                "added": {"type": "array", "items": change},
                "removed": {"type": "array", "items": change},
                "changed": {"type": "array", "items": change},
                "not_compared": {"type": "array", "items": object("A root one side has no hive for.", json!({
                    "root": {"type": "string"},
                    "missing_on": {"enum": ["a", "b"]},
                }))},
                "duplicates": {"type": "array", "items": object("A later value under a name an earlier one has.", json!({
                    "side": {"enum": ["a", "b"]},
                    "key": {"type": "string"},
                    "name": {"type": "string"},
                    "first": {"type": "string"},
                }))},
            }),
        ),
    );
    json!({
        "$schema": DIALECT,
        "$id": REPORT_ID,
        "title": "tlsreg JSON reports",
        "description": "Every JSON document tlsreg writes, told apart by `command` (and, for the audit, by `images` for the document and `image` for one record).",
        "oneOf": [
            {"$ref": "#/$defs/audit-document"},
            {"$ref": "#/$defs/audit-record"},
            {"$ref": "#/$defs/compile"},
            {"$ref": "#/$defs/lint"},
            {"$ref": "#/$defs/diff"},
        ],
        "$defs": {
            "audit-document": audit_doc,
            "audit-record": record,
            "audit-report": audit_report,
            "finding": finding,
            "waiver-ref": waiver_ref,
            "hive": hive,
            "recovery": recovery,
            "os": os,
            "image": image,
            "partition": partition,
            "diagnostic": diagnostic,
            "compile": compile,
            "lint": lint,
            "diff": diff,
        }
    })
}
