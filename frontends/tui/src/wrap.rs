//! Word wrapping by display width. The renderer draws exactly the rows this
//! produces and the app counts them to scroll, so both agree on how tall a
//! conversation is.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Display width of `s` in terminal columns.
pub fn width(s: &str) -> usize {
    s.width()
}

/// Wraps `text` into rows: the very first row at most `first` columns
/// wide, every later row at most `rest`. Line breaks in the text start new
/// rows; words are kept whole unless a word alone is wider than a row.
/// Always returns at least one row.
pub fn wrap(text: &str, first: usize, rest: usize) -> Vec<String> {
    let mut rows: Vec<String> = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut line_width = 0;
        let mut started = false;
        for word in paragraph.split(' ') {
            let limit = limit_for(&rows, first, rest);
            let w = width(word);
            if !started {
                started = true;
            } else if line_width + 1 + w <= limit {
                line.push(' ');
                line.push_str(word);
                line_width += 1 + w;
                continue;
            } else {
                rows.push(std::mem::take(&mut line));
            }
            // `word` starts a row.
            let limit = limit_for(&rows, first, rest);
            if w <= limit {
                line.push_str(word);
                line_width = w;
            } else {
                let mut chunks = split_word(word, limit, rest.max(1));
                let tail = chunks.pop().unwrap_or_default();
                rows.extend(chunks);
                line_width = width(&tail);
                line = tail;
            }
        }
        rows.push(line);
    }
    if rows.is_empty() {
        rows.push(String::new());
    }
    rows
}

fn limit_for(rows: &[String], first: usize, rest: usize) -> usize {
    if rows.is_empty() { first } else { rest }.max(1)
}

/// Splits a word too wide for a row into pieces: the first at most
/// `first` columns, the others at most `rest`.
fn split_word(word: &str, first: usize, rest: usize) -> Vec<String> {
    let mut pieces = vec![String::new()];
    let mut w = 0;
    let mut limit = first.max(1);
    for c in word.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > limit && w > 0 {
            pieces.push(String::new());
            w = 0;
            limit = rest;
        }
        if let Some(p) = pieces.last_mut() {
            p.push(c);
        }
        w += cw;
    }
    pieces
}

/// Cuts `s` to at most `max` columns, ending with `…` when it was cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > max - 1 {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_stay_whole() {
        assert_eq!(
            wrap("the quick brown fox jumps", 9, 11),
            vec!["the quick", "brown fox", "jumps"]
        );
        assert_eq!(wrap("", 5, 5), vec![""]);
        assert_eq!(wrap("a\n\nb", 5, 5), vec!["a", "", "b"]);
    }

    #[test]
    fn long_words_and_tiny_widths() {
        assert_eq!(
            wrap("abcdefghij xy", 4, 3),
            vec!["abcd", "efg", "hij", "xy"]
        );
        assert_eq!(wrap("日本語", 3, 3), vec!["日", "本", "語"]);
        assert_eq!(wrap("abc", 0, 0), vec!["a", "b", "c"]);
        assert_eq!(wrap("a  b", 10, 10), vec!["a  b"]);
    }

    #[test]
    fn truncation_marks_the_cut() {
        assert_eq!(truncate("alice", 10), "alice");
        assert_eq!(truncate("alexander", 5), "alex…");
        assert_eq!(truncate("alexander", 0), "");
    }
}
