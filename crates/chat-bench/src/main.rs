//! `chat-bench`: a thin entry point, so that every part of the load
//! generator lives in the library where it can be read module by module.

fn main() -> std::process::ExitCode {
    chat_bench::main()
}
