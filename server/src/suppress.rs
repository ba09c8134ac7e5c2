//! Line suppressions: `# sqla: ignore[SA203]`, `# sqla: ignore` (all codes)
//! and `# noqa: SA203` (a bare `# noqa` suppresses all, as in ruff).

/// Is `code` suppressed by a comment on this line?
pub fn is_suppressed(line: &str, code: &str) -> bool {
    let Some(comment) = comment_of(line) else {
        return false;
    };
    let lower = comment.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(at) = rest.find('#') {
        let directive = rest[at + 1..].trim_start();
        if let Some(after) = directive.strip_prefix("sqla:") {
            let after = after.trim_start();
            if let Some(after) = after.strip_prefix("ignore") {
                let after = after.trim_start();
                match after.strip_prefix('[') {
                    Some(list) => {
                        let list = list.split(']').next().unwrap_or("");
                        if codes_match(list, code) {
                            return true;
                        }
                    }
                    None => return true,
                }
            }
        } else if let Some(after) = directive.strip_prefix("noqa") {
            match after.trim_start().strip_prefix(':') {
                Some(list) => {
                    let list: String = list.split('#').next().unwrap_or("").to_string();
                    if codes_match(&list, code) {
                        return true;
                    }
                }
                None => {
                    if after.is_empty()
                        || after.starts_with(char::is_whitespace)
                        || after.starts_with('#')
                    {
                        return true;
                    }
                }
            }
        }
        rest = &rest[at + 1..];
    }
    false
}

fn codes_match(list: &str, code: &str) -> bool {
    list.split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .any(|c| c.eq_ignore_ascii_case(code))
}

/// The edit that suppresses `code` on a line: `code` added to the line's
/// `# sqla: ignore[...]` list when it has one, else `  # sqla: ignore[CODE]`
/// appended after the line's last non-blank character. Returns the byte
/// range of the line to replace and the replacement.
pub fn ignore_edit(line: &str, code: &str) -> (std::ops::Range<usize>, String) {
    if let Some(comment) = comment_of(line) {
        let comment_start = line.len() - comment.len();
        let lower = comment.to_ascii_lowercase();
        let mut from = 0;
        while let Some(at) = lower[from..].find("sqla:") {
            let after = from + at + "sqla:".len();
            let rest = &lower[after..];
            let directive = rest.trim_start();
            if let Some(list) = directive.strip_prefix("ignore") {
                let list_trimmed = list.trim_start();
                if list_trimmed.starts_with('[') {
                    let open = after + (rest.len() - list_trimmed.len());
                    if let Some(close) = lower[open..].find(']') {
                        let close = open + close;
                        let inside = comment[open + 1..close].trim();
                        let insert = comment_start + close;
                        let text = if inside.is_empty() {
                            code.to_string()
                        } else {
                            format!(", {code}")
                        };
                        return (insert..insert, text);
                    }
                }
            }
            from = after;
        }
    }
    let end = line.trim_end().len();
    (end..line.len(), format!("  # sqla: ignore[{code}]"))
}

/// The comment part of a line: from the first `#` outside a string literal.
fn comment_of(line: &str) -> Option<&str> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match quote {
            Some(q) => {
                if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '#' => return Some(&line[i..]),
                _ => {}
            },
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{ignore_edit, is_suppressed};

    fn apply(line: &str, code: &str) -> String {
        let (range, text) = ignore_edit(line, code);
        format!("{}{text}{}", &line[..range.start], &line[range.end..])
    }

    #[test]
    fn ignore_edits_add_or_extend_the_directive() {
        assert_eq!(
            apply("x = relationship('A')  ", "SA203"),
            "x = relationship('A')  # sqla: ignore[SA203]"
        );
        assert_eq!(
            apply("x = relationship('A')  # sqla: ignore[SA201]", "SA203"),
            "x = relationship('A')  # sqla: ignore[SA201, SA203]"
        );
        assert_eq!(
            apply("x = f('# sqla: ignore[SA1]')  # noqa: E501", "SA203"),
            "x = f('# sqla: ignore[SA1]')  # noqa: E501  # sqla: ignore[SA203]"
        );
        for line in ["a  # sqla: ignore[SA201]", "a = 1", "b = 'x'  # note"] {
            assert!(is_suppressed(&apply(line, "SA106"), "SA106"), "{line}");
        }
    }

    #[test]
    fn directives() {
        assert!(is_suppressed(
            "x = relationship('A')  # sqla: ignore[SA203]",
            "SA203"
        ));
        assert!(is_suppressed(
            "x = relationship('A')  # sqla: ignore[SA201, SA203]",
            "SA203"
        ));
        assert!(!is_suppressed(
            "x = relationship('A')  # sqla: ignore[SA201]",
            "SA203"
        ));
        assert!(is_suppressed(
            "x = relationship('A')  # sqla: ignore",
            "SA203"
        ));
        assert!(is_suppressed(
            "x = relationship('A')  # noqa: SA203",
            "SA203"
        ));
        assert!(is_suppressed(
            "x = relationship('A')  # type: ignore  # noqa: E501,SA203",
            "SA203"
        ));
        assert!(!is_suppressed(
            "x = relationship('A')  # noqa: E501",
            "SA203"
        ));
        assert!(is_suppressed("x = relationship('A')  # noqa", "SA203"));
        assert!(!is_suppressed(
            "x = relationship('# sqla: ignore')",
            "SA203"
        ));
    }
}
