//! The demo's narration: numbered steps, each with one line on why it
//! matters, and indented details as things happen. Under `--json` it goes
//! to stderr so stdout holds only the summary object.

use std::cell::Cell;

use crate::output::Out;

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
        self.write(&format!("\n[{n}] {title}\n    {why}\n"));
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
