//! Generates man pages and shell completions from the CLI definitions (being written).

fn main() {}
