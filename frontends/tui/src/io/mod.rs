//! Everything that touches the outside world, each in a background task or
//! thread that talks to the app only through channels: chatd (connection,
//! events, calls), the terminal's input, the clock, and the small file
//! that remembers the last event seen.

pub mod calls;
pub mod daemon;
pub mod seqfile;
pub mod terminal;
pub mod ticker;
