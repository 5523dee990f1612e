//! Text from other people made safe for a terminal: a message may carry
//! escape sequences that would rewrite the screen or the window title, so
//! control characters are shown as visible escapes.

/// `text` with every control character except newline and tab replaced by
/// its `\u{..}` escape.
pub fn safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// The first line of `text`, made safe and cut to `max` characters with an
/// ellipsis, for one-line previews.
pub fn preview(text: &str, max: usize) -> String {
    let first = text.lines().next().unwrap_or("");
    let more_lines = text.trim_end().lines().nth(1).is_some();
    let safe = safe(first);
    let count = safe.chars().count();
    if count > max {
        let cut: String = safe.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else if more_lines {
        format!("{safe} …")
    } else {
        safe
    }
}

/// Indents every line after the first by `width` spaces, so a multi-line
/// message stays in its column.
pub fn hang(text: &str, width: usize) -> String {
    let pad = format!("\n{}", " ".repeat(width));
    text.trim_end_matches('\n').replace('\n', &pad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_cannot_reach_the_terminal() {
        assert_eq!(safe("hi\x1b]0;owned\x07"), "hi\\u{1b}]0;owned\\u{7}");
        assert_eq!(safe("a\tb\nc"), "a\tb\nc");
        assert_eq!(safe("e\u{9b}2J"), "e\\u{9b}2J");
    }

    #[test]
    fn previews_are_one_short_line() {
        assert_eq!(preview("hello", 10), "hello");
        assert_eq!(preview("hello world", 6), "hello…");
        assert_eq!(preview("one\ntwo", 10), "one …");
        assert_eq!(preview("", 10), "");
    }

    #[test]
    fn continuation_lines_hang_under_the_first() {
        assert_eq!(hang("a\nb\n", 3), "a\n   b");
    }
}
