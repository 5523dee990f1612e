//! Shell completions for bash, zsh and fish, from the same clap
//! definitions, named the way each shell's completion directory expects
//! (packaging/install.sh puts them there).

use std::path::Path;

use clap_complete::Shell;

use crate::Generated;
use crate::programs::Program;

/// The file name of `program`'s completions for `shell` in `completions/`.
pub fn file_name(shell: Shell, program: &str) -> String {
    match shell {
        Shell::Zsh => format!("_{program}"),
        Shell::Fish => format!("{program}.fish"),
        _ => format!("{program}.bash"),
    }
}

/// The shells completions are made for.
pub const SHELLS: [Shell; 3] = [Shell::Bash, Shell::Zsh, Shell::Fish];

/// `program`'s completions for every shell.
pub fn for_program(program: &Program) -> anyhow::Result<Vec<Generated>> {
    let mut files = Vec::new();
    for shell in SHELLS {
        let mut cmd = (program.command)();
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut cmd, program.name, &mut buf);
        files.push(Generated {
            path: Path::new("completions").join(file_name(shell, program.name)),
            text: String::from_utf8(buf)?,
        });
    }
    Ok(files)
}
