//! The audit as SARIF 2.1.0 results ([`crate::sarif`]): one per finding that does not pass,
//! at the profile line that asks for it and the registry key or value it is about.

use crate::audit::batch::Outcome;
use crate::audit::report::Status;

/// The SARIF rule of a finding code.
fn sarif_rule(code: crate::audit::FindingCode) -> crate::sarif::Rule {
    crate::sarif::Rule {
        id: code.as_str().to_string(),
        description: code.meaning().to_string(),
        level: crate::sarif::Level::Warning,
        help_uri: None,
    }
}

/// The results of one image: every finding that does not pass; the image's error as a
/// notification.
pub(super) fn sarif_outcome(b: &mut crate::sarif::Builder, o: &Outcome) {
    use crate::sarif::{FileLocation, Item, Level, LogicalLocation};
    let r = match &o.result {
        Ok(r) => r,
        Err(e) => {
            b.input_failed(e.clone(), None);
            return;
        }
    };
    for f in r.findings.iter().filter(|f| f.status != Status::Pass) {
        let level = match f.status {
            Status::Fail | Status::Unknown => Level::Error,
            Status::Warn => Level::Warning,
            Status::Pass | Status::NotAudited => Level::Note,
        };
        let mut detail = Vec::new();
        if let Some(e) = &f.expected {
            detail.push(format!("expected {e}"));
        }
        if let Some(a) = &f.actual {
            detail.push(format!("actual {a}"));
        }
        let value = f
            .value
            .as_ref()
            .map(|v| format!(" {v}"))
            .unwrap_or_default();
        let message = format!(
            "{}: {} [{}]{value}: {}{}{} ({})",
            o.name,
            f.setting,
            f.key,
            detail.join(", "),
            if detail.is_empty() { "" } else { ": " },
            f.reason,
            f.status.as_str()
        );
        let file = f
            .source
            .as_ref()
            .filter(|s| !s.file.starts_with("builtin:"))
            .map(|s| {
                let mut l = FileLocation::new(&s.file, s.line, s.col);
                l.line_text = s.line_text.as_deref().map(str::to_string);
                l
            });
        let logical = Some(match &f.value {
            Some(v) => LogicalLocation::registry_value(&f.key, v),
            None => LogicalLocation::registry_key(&f.key),
        });
        let mut props = serde_json::Map::new();
        props.insert("image".into(), o.name.clone().into());
        props.insert("status".into(), f.status.as_str().into());
        props.insert("setting".into(), f.setting.clone().into());
        b.push(Item {
            rule: sarif_rule(f.code),
            level,
            message,
            file,
            logical,
            properties: Some(props),
            suppressed: f.waived().then(|| {
                f.waiver
                    .as_ref()
                    .map(|w| format!("{} (until {}, {})", w.reason, w.expires, w.at))
                    .unwrap_or_default()
            }),
        });
    }
}
