//! A small text editor for the input line and the login fields: a buffer,
//! a cursor, the usual editing keys, and the soft-wrapped layout the
//! renderer draws (so the cursor the person sees is the one the editor
//! moves). Every index stays on a character boundary, whatever the keys.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use unicode_width::UnicodeWidthChar;

/// Text being typed, with a cursor (a byte offset on a char boundary).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    text: String,
    cursor: usize,
    multiline: bool,
}

/// What a key did to the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// The key edited the text or moved the cursor.
    Handled,
    /// The key means nothing to an editor.
    Ignored,
}

/// The input as drawn in a given width: visual rows and the cursor's row
/// and column among them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrapped {
    /// The rows, each at most `width` columns wide.
    pub rows: Vec<String>,
    /// Row of the cursor.
    pub cursor_row: usize,
    /// Column of the cursor (may equal the width at the end of a full row).
    pub cursor_col: usize,
}

impl TextInput {
    /// An input that accepts newlines (Alt+Enter, pastes).
    pub fn multiline() -> Self {
        Self {
            multiline: true,
            ..Self::default()
        }
    }

    /// A one-line input (usernames, passwords): newlines are dropped.
    pub fn single_line() -> Self {
        Self::default()
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// True when nothing is typed.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// True when the cursor is after the last character.
    pub fn at_end(&self) -> bool {
        self.cursor == self.text.len()
    }

    /// Characters typed.
    pub fn char_count(&self) -> usize {
        self.text.chars().count()
    }

    /// Replaces the text and puts the cursor at its end.
    pub fn set(&mut self, text: &str) {
        self.text.clear();
        self.cursor = 0;
        self.insert_str(text);
    }

    /// Takes the text out, leaving the input empty.
    pub fn take(&mut self) -> String {
        self.cursor = 0;
        std::mem::take(&mut self.text)
    }

    /// Empties the input, overwriting what was typed (passwords).
    pub fn wipe(&mut self) {
        // Overwrite in place before truncating, so the old bytes do not
        // linger in this allocation.
        let len = self.text.len();
        self.text.clear();
        self.text.extend(std::iter::repeat_n('\0', len));
        self.text.clear();
        self.cursor = 0;
    }

    /// Inserts `s` at the cursor: line breaks are normalised to `\n` (or
    /// dropped in a one-line input), tabs become spaces, other control
    /// characters are dropped.
    pub fn insert_str(&mut self, s: &str) {
        let s = s.replace("\r\n", "\n").replace('\r', "\n");
        for c in s.chars() {
            match c {
                '\n' if self.multiline => self.insert_char('\n'),
                '\n' => {}
                '\t' => {
                    for _ in 0..4 {
                        self.insert_char(' ');
                    }
                }
                c if c.is_control() => {}
                c => self.insert_char(c),
            }
        }
    }

    /// Inserts one character at the cursor (a newline only when
    /// multi-line).
    pub fn insert_char(&mut self, c: char) {
        if c == '\n' && !self.multiline {
            return;
        }
        self.text.insert(self.cursor, c);
        self.cursor += c.len_utf8();
    }

    /// Applies an editing key.
    pub fn key(&mut self, key: KeyEvent) -> Edit {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Char('a') if ctrl => self.cursor = self.line_start(),
            KeyCode::Char('e') if ctrl => self.cursor = self.line_end(),
            // The whole draft, as in weechat and readline's kill-whole-line.
            KeyCode::Char('u') if ctrl => self.delete_range(0, self.text.len()),
            KeyCode::Char('k') if ctrl => self.delete_range(self.cursor, self.line_end()),
            KeyCode::Char('w') if ctrl => self.delete_word_back(),
            KeyCode::Backspace if alt || ctrl => self.delete_word_back(),
            KeyCode::Char('b') if alt => self.cursor = self.word_back(),
            KeyCode::Char('f') if alt => self.cursor = self.word_forward(),
            KeyCode::Left if ctrl || alt => self.cursor = self.word_back(),
            KeyCode::Right if ctrl || alt => self.cursor = self.word_forward(),
            KeyCode::Char(c) if !ctrl && !alt => self.insert_char(c),
            KeyCode::Backspace => {
                if let Some(prev) = self.prev_boundary(self.cursor) {
                    self.delete_range(prev, self.cursor);
                }
            }
            KeyCode::Delete => {
                if let Some(next) = self.next_boundary(self.cursor) {
                    self.delete_range(self.cursor, next);
                }
            }
            KeyCode::Left => {
                if let Some(prev) = self.prev_boundary(self.cursor) {
                    self.cursor = prev;
                }
            }
            KeyCode::Right => {
                if let Some(next) = self.next_boundary(self.cursor) {
                    self.cursor = next;
                }
            }
            KeyCode::Home => self.cursor = self.line_start(),
            KeyCode::End => self.cursor = self.line_end(),
            _ => return Edit::Ignored,
        }
        Edit::Handled
    }

    /// Moves the cursor to the line above (`up`) or below, keeping its
    /// column as far as the line allows. False when there is no such line.
    pub fn move_line(&mut self, up: bool) -> bool {
        let start = self.line_start();
        let column = self.text[start..self.cursor].chars().count();
        let target_start = if up {
            if start == 0 {
                return false;
            }
            self.text[..start - 1].rfind('\n').map_or(0, |i| i + 1)
        } else {
            let end = self.line_end();
            if end == self.text.len() {
                return false;
            }
            end + 1
        };
        let line_end = self.text[target_start..]
            .find('\n')
            .map_or(self.text.len(), |i| target_start + i);
        let offset = self.text[target_start..line_end]
            .char_indices()
            .nth(column)
            .map_or(line_end, |(i, _)| target_start + i);
        self.cursor = offset;
        true
    }

    /// Soft-wraps the text at `width` columns (by character, so the cursor
    /// column is exact), with an optional mask character for passwords.
    pub fn wrapped(&self, width: usize, mask: Option<char>) -> Wrapped {
        let width = width.max(1);
        let mut rows = vec![String::new()];
        let mut row_width = 0;
        let mut cursor = (0, 0);
        for (i, c) in self.text.char_indices() {
            if i == self.cursor {
                cursor = (rows.len() - 1, row_width);
            }
            if c == '\n' {
                rows.push(String::new());
                row_width = 0;
                continue;
            }
            let shown = mask.unwrap_or(c);
            let w = shown.width().unwrap_or(0);
            if row_width + w > width && row_width > 0 {
                rows.push(String::new());
                row_width = 0;
                if i == self.cursor {
                    cursor = (rows.len() - 1, 0);
                }
            }
            if let Some(row) = rows.last_mut() {
                row.push(shown);
            }
            row_width += w;
        }
        if self.cursor >= self.text.len() {
            cursor = (rows.len() - 1, row_width);
        }
        Wrapped {
            rows,
            cursor_row: cursor.0,
            cursor_col: cursor.1,
        }
    }

    fn line_start(&self) -> usize {
        self.text[..self.cursor].rfind('\n').map_or(0, |i| i + 1)
    }

    fn line_end(&self) -> usize {
        self.text[self.cursor..]
            .find('\n')
            .map_or(self.text.len(), |i| self.cursor + i)
    }

    fn prev_boundary(&self, at: usize) -> Option<usize> {
        self.text[..at].char_indices().next_back().map(|(i, _)| i)
    }

    fn next_boundary(&self, at: usize) -> Option<usize> {
        self.text[at..].chars().next().map(|c| at + c.len_utf8())
    }

    fn delete_range(&mut self, from: usize, to: usize) {
        if from < to && to <= self.text.len() {
            self.text.replace_range(from..to, "");
            self.cursor = from;
        }
    }

    fn word_back(&self) -> usize {
        let before = &self.text[..self.cursor];
        let trimmed = before.trim_end_matches(|c: char| c.is_whitespace());
        trimmed
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace())
            .map_or(0, |(i, c)| i + c.len_utf8())
    }

    fn word_forward(&self) -> usize {
        let after = &self.text[self.cursor..];
        let skip_space = after.len() - after.trim_start_matches(char::is_whitespace).len();
        let rest = &after[skip_space..];
        let word = rest.find(char::is_whitespace).unwrap_or(rest.len());
        self.cursor + skip_space + word
    }

    fn delete_word_back(&mut self) {
        let from = self.word_back();
        self.delete_range(from, self.cursor);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(input: &mut TextInput, code: KeyCode, modifiers: KeyModifiers) {
        input.key(KeyEvent::new(code, modifiers));
    }

    #[test]
    fn edits_keep_the_cursor_on_char_boundaries() {
        let mut i = TextInput::multiline();
        i.insert_str("héllo wörld");
        press(&mut i, KeyCode::Left, KeyModifiers::NONE);
        press(&mut i, KeyCode::Backspace, KeyModifiers::NONE);
        assert_eq!(i.text(), "héllo wörd");
        press(&mut i, KeyCode::Char('w'), KeyModifiers::CONTROL);
        assert_eq!(i.text(), "héllo d");
        press(&mut i, KeyCode::Home, KeyModifiers::NONE);
        press(&mut i, KeyCode::Delete, KeyModifiers::NONE);
        assert_eq!(i.text(), "éllo d");
        press(&mut i, KeyCode::Char('k'), KeyModifiers::CONTROL);
        assert!(i.is_empty());
        // Keys at the edges are harmless.
        for code in [
            KeyCode::Backspace,
            KeyCode::Delete,
            KeyCode::Left,
            KeyCode::Right,
        ] {
            press(&mut i, code, KeyModifiers::NONE);
        }
    }

    #[test]
    fn lines_and_wrapping() {
        let mut i = TextInput::multiline();
        i.insert_str("ab\r\ncdef\tg");
        assert_eq!(i.text(), "ab\ncdef    g");
        assert!(i.move_line(true));
        assert!(!i.move_line(true));
        assert!(i.move_line(false));
        let w = i.wrapped(4, None);
        assert_eq!(w.rows, vec!["ab", "cdef", "    ", "g"]);
        let mut single = TextInput::single_line();
        single.insert_str("pass\nword");
        assert_eq!(single.text(), "password");
        let w = single.wrapped(20, Some('•'));
        assert_eq!(w.rows, vec!["••••••••"]);
        assert_eq!((w.cursor_row, w.cursor_col), (0, 8));
    }

    #[test]
    fn wide_characters_wrap_by_width() {
        let mut i = TextInput::multiline();
        i.insert_str("日本語です");
        let w = i.wrapped(5, None);
        assert_eq!(w.rows, vec!["日本", "語で", "す"]);
        assert_eq!((w.cursor_row, w.cursor_col), (2, 2));
        let w = i.wrapped(0, None);
        assert_eq!(w.rows.len(), 5);
    }
}
