//! Man pages: clap_mangen renders what the clap definition knows (name,
//! synopsis, description, options, and one subsection per command), the
//! hand-written sections in `xtask/pages/` follow, and [`roff::tidy`]
//! makes the result lint-clean.

use anyhow::Context;
use clap_mangen::Man;

use crate::programs::{HandWritten, Program};
use crate::roff;

/// The date on every page: when the pages last changed in substance.
/// Fixed, so that regenerating is reproducible; bump it with real changes.
pub const DATE: &str = "2026-11-25";
/// The manual the pages belong to.
pub const MANUAL: &str = "SecureChat Manual";

/// The source field of the title line, e.g. `SecureChat 0.1.0`.
pub fn source() -> String {
    format!("SecureChat {}", env!("CARGO_PKG_VERSION"))
}

/// The man page of `program`.
pub fn page(program: &Program) -> anyhow::Result<String> {
    let mut cmd = (program.command)()
        .disable_help_subcommand(true)
        .subcommand_value_name("COMMAND")
        .subcommand_help_heading("COMMANDS");
    cmd.build();
    let man = Man::new(cmd.clone());
    let mut out = roff::title(program.name, program.section, DATE, &source(), MANUAL);
    let mut body = Vec::new();
    man.render_name_section(&mut body)?;
    man.render_synopsis_section(&mut body)?;
    man.render_description_section(&mut body)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut body)?;
    }
    let mut text = String::from_utf8(body).context("clap_mangen wrote something not UTF-8")?;
    if cmd.has_subcommands() {
        text.push_str(".SH COMMANDS\n");
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            command_sections(sub, &mut text)?;
        }
    }
    text.push_str(&extra(program, &cmd)?);
    out.push_str(roff::PREAMBLE);
    out.push_str(&roff::strip_preamble(&text));
    Ok(roff::tidy(&out))
}

/// A subcommand's subsection, then those of its own subcommands (`chat
/// group create`, `chat settings read-receipts`), each one level deeper in
/// the same list.
fn command_sections(sub: &clap::Command, text: &mut String) -> anyhow::Result<()> {
    text.push_str(&command_section(sub)?);
    for nested in sub.get_subcommands().filter(|s| !s.is_hide_set()) {
        command_sections(nested, text)?;
    }
    Ok(())
}

/// One subcommand as a subsection: its synopsis, what it does and its own
/// options (the global ones and --help are on the page already).
fn command_section(sub: &clap::Command) -> anyhow::Result<String> {
    let mut sub = sub.clone();
    let shared: Vec<_> = sub
        .get_arguments()
        .filter(|a| a.is_global_set() || matches!(a.get_id().as_str(), "help" | "version"))
        .map(|a| a.get_id().clone())
        .collect();
    for id in shared {
        sub = sub.mut_arg(id, |a| a.hide(true));
    }
    let name = sub
        .get_bin_name()
        .unwrap_or_else(|| sub.get_name())
        .to_string();
    let man = Man::new(sub.clone());
    let mut buf = Vec::new();
    man.render_synopsis_section(&mut buf)?;
    man.render_description_section(&mut buf)?;
    if sub.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut buf)?;
    }
    let rendered = String::from_utf8(buf).context("clap_mangen wrote something not UTF-8")?;
    let mut out = format!(".SS \"{}\"\n", roff::escape(&name));
    for line in roff::strip_preamble(&rendered).lines() {
        match line {
            // The options' `.TP` items start paragraphs of their own.
            ".SH SYNOPSIS" | ".SH OPTIONS" => {}
            ".SH DESCRIPTION" => out.push_str(".PP\n"),
            line => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    Ok(out)
}

/// The hand-written sections, with the generated parts filled in:
/// `@ENV_FROM_FLAGS@` (the variables flags read) and, for `chat`,
/// `@EXIT_STATUS@` (from the exit codes its `--help` lists).
fn extra(program: &Program, cmd: &clap::Command) -> anyhow::Result<String> {
    let mut text = program.extra.to_string();
    if text.contains("@EXIT_STATUS@") {
        text = text.replace(
            "@EXIT_STATUS@",
            &exit_status(chat_cli::cli::EXIT_CODES_HELP)?,
        );
    }
    Ok(text.replace("@ENV_FROM_FLAGS@", &env_from_flags(cmd)))
}

/// One tagged item per environment variable a flag falls back to, naming
/// the flag (and the command, for a subcommand's flag).
pub fn env_from_flags(cmd: &clap::Command) -> String {
    let mut vars: Vec<(String, Vec<String>)> = Vec::new();
    let mut visit = |cmd: &clap::Command| {
        let prefix = cmd
            .get_bin_name()
            .unwrap_or_else(|| cmd.get_name())
            .to_string();
        for arg in cmd.get_arguments() {
            let (Some(var), Some(long)) = (arg.get_env(), arg.get_long()) else {
                continue;
            };
            if arg.is_global_set() && cmd.get_bin_name().is_some_and(|b| b.contains(' ')) {
                continue;
            }
            let var = var.to_string_lossy().to_string();
            let flag = format!(
                "\\fB{} \\-\\-{}\\fR",
                roff::escape(&prefix),
                roff::escape(long)
            );
            match vars.iter_mut().find(|(v, _)| *v == var) {
                Some((_, flags)) => flags.push(flag),
                None => vars.push((var, vec![flag])),
            }
        }
    };
    visit(cmd);
    for sub in cmd.get_subcommands() {
        visit(sub);
    }
    vars.iter()
        .map(|(var, flags)| {
            format!(
                ".TP\n.B {}\nThe value of {} when the flag is not given.\n",
                roff::escape(var),
                flags.join(" and ")
            )
        })
        .collect()
}

/// `chat`'s exit codes, from the text its `--help` shows, as a tagged list.
pub fn exit_status(help: &str) -> anyhow::Result<String> {
    let mut out = String::new();
    for line in help.lines() {
        let line = line.trim();
        let Some((code, meaning)) = line.split_once("  ") else {
            continue;
        };
        if code.parse::<u8>().is_ok() {
            out.push_str(&format!(
                ".TP\n.B {code}\n{}\n",
                roff::escape(meaning.trim())
            ));
        }
    }
    anyhow::ensure!(
        !out.is_empty(),
        "found no exit codes in chat's help text; update xtask's man::exit_status"
    );
    Ok(out)
}

/// A page written by hand, with its title line filled in.
pub fn hand_written(page: &HandWritten) -> String {
    let text = page
        .text
        .replace("@DATE@", DATE)
        .replace("@SOURCE@", &source());
    roff::tidy(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_become_a_tagged_list() {
        let help = "Exit codes:\n  0  success\n  3  chatd is not running (`chat-x`)\n\nOther.";
        assert_eq!(
            exit_status(help).unwrap(),
            ".TP\n.B 0\nsuccess\n.TP\n.B 3\nchatd is not running (`chat\\-x`)\n"
        );
        assert!(exit_status("nothing").is_err());
    }
}
