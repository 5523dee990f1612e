//! The `chat-tui` binary; everything lives in the library.

fn main() -> std::process::ExitCode {
    chat_tui::main()
}
