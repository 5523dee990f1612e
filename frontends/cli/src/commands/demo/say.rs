//! The demo's narration: numbered steps, each with one line on why it
//! matters, and indented details as things happen. Under `--json` it goes
//! to stderr so stdout holds only the summary object.

use std::cell::Cell;

use crate::output::Out;

/// Width the explanations are wrapped to.
const WIDTH: usize = 78;

/// Prints the story of the demo.
pub(crate) struct Say {
    out: Out,
    step: Cell<u32>,
}

impl Say {
    /// Narration for this output mode.
    pub(crate) fn new(out: Out) -> Self {
        Self {
            out,
            step: Cell::new(0),
        }
    }

    /// A new step: its title and why it is there.
    pub(crate) fn step(&self, title: &str, why: &str) {
        let n = self.step.get() + 1;
        self.step.set(n);
        self.write(&format!("\n[{n}] {title}\n{}", wrap(why, WIDTH, "    ")));
    }

    /// Something that happened within the step.
    pub(crate) fn detail(&self, text: &str) {
        let indented = text.replace('\n', "\n      ");
        self.write(&format!("    → {indented}\n"));
    }

    /// A plain line.
    pub(crate) fn line(&self, text: &str) {
        self.write(&format!("{text}\n"));
    }

    fn write(&self, text: &str) {
        // Narration is best effort: a closed terminal must not abort the
        // demo before it cleans up after itself.
        let _ = self.out.note(text);
    }
}

/// Word-wraps `text` to `width` columns, each line starting with `indent`.
fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::from(indent);
    for word in text.split_whitespace() {
        let fresh = line.len() == indent.len();
        if !fresh && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(&line);
            out.push('\n');
            line = String::from(indent);
        }
        if line.len() > indent.len() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if line.len() > indent.len() {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explanations_wrap_between_words() {
        assert_eq!(
            wrap("the quick brown fox jumps", 14, "  "),
            "  the quick\n  brown fox\n  jumps\n"
        );
        assert_eq!(wrap("", 10, "  "), "");
        assert_eq!(wrap("unbreakableword", 5, " "), " unbreakableword\n");
    }
}
