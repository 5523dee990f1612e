//! The closed set of things that can happen to the app (its input) and of
//! things it can ask for (its output). Everything the terminal, chatd and
//! the clock do reaches the app as a [`Msg`]; everything it wants done is
//! an [`Effect`] that the runner carries out.

use chatd_api::{Event, Status};
use crossterm::event::KeyEvent;

use super::request::{Outcome, Request};

/// Input to [`App::update`](super::App::update).
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// A key was pressed.
    Key(KeyEvent),
    /// Text was pasted (bracketed paste).
    Paste(String),
    /// The terminal changed size.
    Resize {
        /// Columns.
        width: u16,
        /// Rows.
        height: u16,
    },
    /// The terminal window gained (true) or lost (false) focus.
    Focus(bool),
    /// The clock moved on (about once a second).
    Tick {
        /// Now, Unix ms.
        now_ms: i64,
    },
    /// The I/O task attached to chatd (connected and subscribed).
    Attached {
        /// chatd's status right after subscribing.
        status: Status,
    },
    /// The I/O task lost chatd, or could not reach it.
    Detached {
        /// Why, for people (says how to start chatd when it is not running).
        reason: String,
    },
    /// chatd sent an event.
    Event(Event),
    /// chatd answered a request.
    Answer {
        /// The request, as it was sent.
        request: Request,
        /// What came back.
        outcome: Outcome,
    },
}

/// Output of [`App::update`](super::App::update).
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Call chatd; the answer comes back as [`Msg::Answer`].
    Call(Request),
    /// Ring the terminal bell (a message came that is not on screen; a
    /// terminal or tmux turns it into an urgency hint).
    Bell,
    /// Leave: restore the terminal and exit.
    Quit,
}
