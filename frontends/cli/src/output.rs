//! Where results go: stdout, either as one JSON object per line (`--json`)
//! or as text for people. Write errors are returned, not panicked on, so
//! `chat watch | head -1` ends quietly when the reader goes away.

use std::io::Write;

use serde::Serialize;

/// The output mode of this run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Out {
    json: bool,
}

impl Out {
    /// Text or JSON.
    pub(crate) fn new(json: bool) -> Self {
        Self { json }
    }

    /// True with `--json`.
    pub(crate) fn json(self) -> bool {
        self.json
    }

    /// Prints a result: the value as one JSON line, or `human(value)`.
    pub(crate) fn result<T: Serialize>(
        self,
        value: &T,
        human: impl FnOnce(&T) -> String,
    ) -> anyhow::Result<()> {
        if self.json {
            self.json_line(value)
        } else {
            Ok(self.text(&human(value))?)
        }
    }

    /// One JSON line.
    pub(crate) fn json_line<T: Serialize>(self, value: &T) -> anyhow::Result<()> {
        let mut line = serde_json::to_string(value)?;
        line.push('\n');
        Ok(self.text(&line)?)
    }

    /// Text as is (the caller ends it with a newline), flushed at once so
    /// that a pipe sees each line as it happens.
    pub(crate) fn text(self, text: &str) -> std::io::Result<()> {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.flush()
    }

    /// A progress or status note: stdout for people, stderr under `--json`
    /// so that stdout stays pure JSON.
    pub(crate) fn note(self, text: &str) -> std::io::Result<()> {
        if self.json {
            let mut stderr = std::io::stderr().lock();
            stderr.write_all(text.as_bytes())?;
            stderr.flush()
        } else {
            self.text(text)
        }
    }
}
