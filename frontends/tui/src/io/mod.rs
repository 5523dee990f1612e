//! Everything that touches the outside world, each in a background task or
//! thread that talks to the app only through channels: chatd (chatd-api's
//! attach session, which also remembers the last event seen, and calls),
//! the terminal's input and the clock.

pub mod calls;
pub mod daemon;
pub mod terminal;
pub mod ticker;
