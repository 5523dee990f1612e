//! The configuration file (`--config FILE`). Operators keep a node's
//! settings, the database URL with its password among them, in one
//! root-owned file that configuration management ships, rather than on a
//! command line every local user can read in `/proc`.
//!
//! The file has no schema of its own: its keys are the running server's
//! long options, so `--help`, the man page and the file cannot disagree
//! and every new option is a key at once. The file's values are handed to
//! the same clap parser as the command line, so they are checked exactly
//! as flags are. Precedence is the usual one: the command line, then the
//! option's environment variable, then the file, then the default; a
//! one-off flag overrides the file without editing it.

use std::ffi::OsString;
use std::path::Path;

use clap::error::{ContextKind, ContextValue};
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};

use super::Cli;

/// The command line with the file's options applied, and what the person
/// running it should hear about the file.
#[derive(Debug)]
pub struct Parsed {
    /// What to run, with what.
    pub cli: Cli,
    /// Warnings about the file (e.g. a password others can read).
    pub warnings: Vec<String>,
}

/// Why the command line and the file did not make a configuration.
#[derive(Debug)]
pub enum ParseError {
    /// From clap: usage errors, and `--help` / `--version` (print it and
    /// exit with its code: `clap::Error::exit`).
    Clap(clap::Error),
    /// The configuration file is missing, unreadable or holds a bad key
    /// or value; the message names the file and the key.
    File(String),
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseError::Clap(e) => write!(f, "{e}"),
            ParseError::File(m) => f.write_str(m),
        }
    }
}

/// Parses the process's command line and the file it names.
pub fn parse() -> Result<Parsed, ParseError> {
    parse_from(std::env::args_os())
}

/// Parses `args` (the program name first) and the file they name.
pub fn parse_from<I, T>(args: I) -> Result<Parsed, ParseError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let argv: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let matches = Cli::command()
        .try_get_matches_from(&argv)
        .map_err(ParseError::Clap)?;
    let cli = Cli::from_arg_matches(&matches).map_err(ParseError::Clap)?;
    let Some(path) = cli.run.config.clone() else {
        return Ok(Parsed {
            cli,
            warnings: Vec::new(),
        });
    };
    let table = read(&path)?;
    let options = as_options(&path, &table, &matches)?;
    // The file's options go first: the subcommand, if any, comes after
    // the top-level options.
    let mut full = Vec::with_capacity(argv.len() + options.len());
    full.extend(argv.first().cloned());
    full.extend(options.iter().map(|o| OsString::from(&o.flag)));
    full.extend(argv.iter().skip(1).cloned());
    let matches = Cli::command()
        .try_get_matches_from(full)
        .map_err(|e| blame(e, &path, &options))?;
    let cli = Cli::from_arg_matches(&matches).map_err(ParseError::Clap)?;
    Ok(Parsed {
        cli,
        warnings: warnings(&path, &table),
    })
}

/// One option the file sets, as a flag.
struct FileOption {
    /// The key as written in the file.
    key: String,
    /// The long option it sets (`--bus-poll-secs`).
    long: String,
    /// `--long=value`, or `--long` for a switch.
    flag: String,
}

/// The file as a TOML table.
fn read(path: &Path) -> Result<toml::Table, ParseError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ParseError::File(format!(
            "cannot read the configuration file {}: {e}; check --config (or CHAT_SERVER_CONFIG)",
            path.display()
        ))
    })?;
    text.parse::<toml::Table>().map_err(|e| {
        ParseError::File(format!(
            "{} is not valid TOML: {}",
            path.display(),
            e.to_string().trim_end()
        ))
    })
}

/// The file's keys as flags, leaving out the options the command line or
/// the environment already set.
fn as_options(
    path: &Path,
    table: &toml::Table,
    matches: &ArgMatches,
) -> Result<Vec<FileOption>, ParseError> {
    let command = Cli::command();
    let bad = |key: &str, why: String| {
        ParseError::File(format!("{}: key `{key}`: {why}", path.display()))
    };
    let mut options: Vec<FileOption> = Vec::new();
    for (key, value) in table {
        let id = key.replace('-', "_");
        let arg = command
            .get_arguments()
            .find(|a| a.get_id().as_str() == id && !NOT_IN_FILE.contains(&id.as_str()))
            .ok_or_else(|| {
                bad(
                    key,
                    format!(
                        "not an option of the running server; the keys are the long options \
                         of `chat-server --help` with `_` for `-`: {}",
                        keys(&command).join(", ")
                    ),
                )
            })?;
        if let Some(other) = options.iter().find(|o| o.key.replace('-', "_") == id) {
            return Err(bad(key, format!("set twice (also as `{}`)", other.key)));
        }
        let long = arg
            .get_long()
            .ok_or_else(|| bad(key, "has no long option".to_owned()))?
            .to_owned();
        if matches!(
            matches.value_source(&id),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        ) {
            continue;
        }
        let switch = !arg.get_action().takes_values();
        let flag = match value {
            toml::Value::Boolean(true) if switch => format!("--{long}"),
            toml::Value::Boolean(false) if switch => continue,
            _ if switch => return Err(bad(key, "expected true or false".to_owned())),
            toml::Value::String(s) => format!("--{long}={s}"),
            toml::Value::Integer(n) => format!("--{long}={n}"),
            toml::Value::Boolean(b) => format!("--{long}={b}"),
            other => {
                return Err(bad(
                    key,
                    format!(
                        "expected a string or a whole number, not {}",
                        other.type_str()
                    ),
                ));
            }
        };
        options.push(FileOption {
            key: key.clone(),
            long,
            flag,
        });
    }
    Ok(options)
}

/// Arguments that are not keys of the file.
const NOT_IN_FILE: &[&str] = &["config", "help", "version"];

/// Every key the file may hold.
fn keys(command: &clap::Command) -> Vec<String> {
    command
        .get_arguments()
        .filter(|a| a.get_long().is_some())
        .map(|a| a.get_id().as_str().to_owned())
        .filter(|id| !NOT_IN_FILE.contains(&id.as_str()))
        .collect()
}

/// A parse error caused by a value from the file names the file and key.
fn blame(e: clap::Error, path: &Path, options: &[FileOption]) -> ParseError {
    let culprit = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => options.iter().find(|o| {
            arg.strip_prefix("--")
                .and_then(|a| a.split([' ', '=']).next())
                .is_some_and(|a| a == o.long)
        }),
        _ => None,
    };
    match culprit {
        Some(o) => {
            // clap's first line says what was wrong with the value
            // ("invalid value '…' for '--listen <ADDR>': …").
            let rendered = e.to_string();
            let why = rendered
                .lines()
                .next()
                .unwrap_or("refused")
                .trim_start_matches("error: ");
            ParseError::File(format!("{}: key `{}`: {why}", path.display(), o.key))
        }
        None => ParseError::Clap(e),
    }
}

/// What the operator should fix about the file without it being an error.
fn warnings(path: &Path, table: &toml::Table) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let has_password = table
        .get("store")
        .and_then(toml::Value::as_str)
        .and_then(|url| url.split_once("://"))
        .and_then(|(_, rest)| rest.split_once('@'))
        .is_some_and(|(userinfo, _)| userinfo.contains(':'));
    let others_read = std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o004 != 0)
        .unwrap_or(false);
    if has_password && others_read {
        vec![format!(
            "{} holds the database password and every user of this machine can read it; \
             `chmod 600` it (or 640 with the server's group)",
            path.display()
        )]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests;
