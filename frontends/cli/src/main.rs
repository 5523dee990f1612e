//! The `chat` binary; everything lives in the library.

fn main() -> std::process::ExitCode {
    chat_cli::main()
}
