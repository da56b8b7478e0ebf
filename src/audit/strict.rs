//! Strict mode: every operation of the plan, checked against the hives. A value the profile
//! sets must be there with its type and data; a value or key it deletes must be absent.

use super::report::{Check, Finding, FindingCode, Status};
use super::{show, Ctx};
use crate::keypath::{SOFTWARE_ROOT, SYSTEM_ROOT};
use crate::memreg::data_field;
use crate::plan::Op;
use crate::value::type_name;

/// What the plan expects, as shown in a finding.
fn expected(op: &Op) -> String {
    match op {
        Op::SetValue { data, .. } => show(data.type_code(), &data.to_bytes()),
        Op::DeleteValue { .. } => "absent".into(),
        Op::DeleteKey { .. } => "key absent".into(),
    }
}

fn display_name(name: &str) -> String {
    if name.is_empty() {
        "(default)".into()
    } else {
        name.to_string()
    }
}

/// Why an operation's hive is not there.
fn not_given(key: &str) -> &'static str {
    if super::image::below(key, SYSTEM_ROOT).is_some() {
        "no SYSTEM hive was given"
    } else if super::image::below(key, SOFTWARE_ROOT).is_some() {
        "no SOFTWARE hive was given"
    } else {
        "tlsreg audits only the SYSTEM and SOFTWARE hives"
    }
}

/// The strict check of one operation of the setting labelled `setting`.
pub(super) fn check_op(cx: &Ctx, setting: &str, op: &Op) -> Finding {
    let (key, reg) = cx.locate(op.key());
    let value = match op {
        Op::SetValue { name, .. } | Op::DeleteValue { name, .. } => Some(display_name(name)),
        Op::DeleteKey { .. } => None,
    };
    let finding = |actual: Option<String>, status: Status, reason: String| Finding {
        code: FindingCode::SettingValue,
        waiver: None,
        source: None,
        check: Check::Value,
        setting: setting.into(),
        key: key.clone(),
        value: value.clone(),
        expected: Some(expected(op)),
        actual,
        status,
        reason,
    };
    let Some(reg) = reg else {
        return finding(None, Status::NotAudited, not_given(&key).into());
    };
    let (status, actual, reason) = match op {
        Op::SetValue { name, data, .. } => match reg.get(&key, name) {
            None if !reg.key_exists(&key) => (Status::Fail, None, "the key is missing".to_string()),
            None => (Status::Fail, None, "the value is missing".to_string()),
            Some((t, b)) => {
                let want_t = data.type_code();
                let want_b = data.to_bytes();
                let actual = Some(show(t, b));
                if t != want_t {
                    (
                        Status::Fail,
                        actual,
                        format!("the value is {}, not {}", type_name(t), type_name(want_t)),
                    )
                } else if data_field(t, b) != data_field(want_t, &want_b) {
                    (Status::Fail, actual, "the data differs".to_string())
                } else {
                    (Status::Pass, actual, "as the profile says".to_string())
                }
            }
        },
        Op::DeleteValue { name, .. } => match reg.get(&key, name) {
            None => (
                Status::Pass,
                Some("absent".into()),
                "absent, as the profile says".to_string(),
            ),
            Some((t, b)) => (
                Status::Fail,
                Some(show(t, b)),
                "the profile removes this value, but it is set".to_string(),
            ),
        },
        Op::DeleteKey { .. } => {
            if reg.key_exists(&key) {
                (
                    Status::Fail,
                    Some("key present".into()),
                    "the profile deletes this key, but it exists".to_string(),
                )
            } else {
                (
                    Status::Pass,
                    Some("key absent".into()),
                    "absent, as the profile says".to_string(),
                )
            }
        }
    };
    finding(actual, status, reason)
}
