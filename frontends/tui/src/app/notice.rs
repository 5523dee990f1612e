//! One-line notices in the status bar: what just happened or went wrong,
//! shown until replaced, dismissed with Esc, or old.

/// How much a notice matters (and so its colour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// For information.
    Info,
    /// Needs attention (a key change, a queued message).
    Warn,
    /// Something failed.
    Error,
}

/// A notice and when it appeared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// How much it matters.
    pub level: Level,
    /// What to say.
    pub text: String,
    /// When it appeared (Unix ms).
    pub at_ms: i64,
}

/// How long an information notice stays; warnings and errors stay until
/// replaced or dismissed.
pub const INFO_MS: i64 = 8_000;

impl Notice {
    /// True when it should no longer be shown at `now_ms`.
    pub fn expired(&self, now_ms: i64) -> bool {
        self.level == Level::Info && now_ms - self.at_ms >= INFO_MS
    }
}
