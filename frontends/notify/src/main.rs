//! The chat-notify binary: everything is in the library, so that the man
//! page and the completions read the same clap definition.

fn main() -> std::process::ExitCode {
    chat_notify::main()
}
