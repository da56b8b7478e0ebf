//! The nesting guard: YAML nested deeper than a profile can need is refused before any
//! parser sees it (parsers slow down badly on thousands of levels).

/// Deepest `[` / `{` nesting accepted (YAML parsers slow down badly on thousands of levels).
pub(super) const MAX_FLOW_DEPTH: usize = 64;

/// Where flow collections first nest deeper than [`MAX_FLOW_DEPTH`], skipping quoted text
/// and comments; a linear scan done before any parser sees the text.
pub(super) fn too_deep(src: &str) -> Option<crate::yamlpos::Pos> {
    // Block nesting: indentation plus `- ` / `? ` markers opening a line.
    for (i, l) in src.lines().enumerate() {
        let rest = l.trim_start_matches(' ');
        let indent = l.len() - rest.len();
        let mut markers = 0;
        let mut r = rest;
        while let Some(next) = r.strip_prefix("- ").or_else(|| r.strip_prefix("? ")) {
            markers += 1;
            r = next.trim_start_matches(' ');
        }
        if indent / 2 + markers > MAX_FLOW_DEPTH {
            return Some(crate::yamlpos::Pos {
                line: i + 1,
                col: 1,
                len: 1,
            });
        }
    }
    let (mut depth, mut line, mut col) = (0usize, 1usize, 0usize);
    let mut chars = src.chars().peekable();
    let mut prev = '\n';
    while let Some(c) = chars.next() {
        col += 1;
        match c {
            '\n' => {
                line += 1;
                col = 0;
            }
            '#' if prev.is_whitespace() => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        line += 1;
                        col = 0;
                        break;
                    }
                }
                prev = '\n';
                continue;
            }
            '"' | '\'' => {
                let quote = c;
                while let Some(n) = chars.next() {
                    col += 1;
                    if n == '\n' {
                        line += 1;
                        col = 0;
                    } else if n == '\\' && quote == '"' {
                        chars.next();
                        col += 1;
                    } else if n == quote {
                        break;
                    }
                }
            }
            '[' | '{' => {
                depth += 1;
                if depth > MAX_FLOW_DEPTH {
                    return Some(crate::yamlpos::Pos { line, col, len: 1 });
                }
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        prev = c;
    }
    None
}
