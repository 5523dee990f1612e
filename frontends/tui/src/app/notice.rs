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

/// What a notice is about, so it goes away as soon as it stops being true
/// rather than staying until replaced.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum About {
    /// Something that happened; stays until replaced, dismissed or old.
    #[default]
    Event,
    /// What was typed could not be run (a usage error): gone once a
    /// command or message goes through.
    Typing,
    /// chatd is not logged in: gone once it is.
    LoggedOut,
    /// This message waits in chatd's outbox: gone once it left.
    Outbox(String),
    /// This user's key changed: gone once it is accepted (here or in
    /// another frontend).
    KeyChanged(String),
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
    /// What it is about.
    pub about: About,
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
