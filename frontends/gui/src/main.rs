//! `chat-gui`: the desktop frontend. Everything lives in the library so that
//! tests drive the same code; this file only hands over the command line.

use std::process::ExitCode;

fn main() -> ExitCode {
    chat_gui::main()
}
