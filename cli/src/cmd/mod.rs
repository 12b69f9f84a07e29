//! The commands: ONE clap command tree ([`command`]) serves parsing, `--help`, the man pages (`altdisk man`)
//! and the shell completions (`altdisk completions`). A command is reached as `altdisk NAME ...` or through a
//! symlink named NAME (argv\[0\]); either way its own clap definition parses the arguments, with AIX syntax
//! (clustered flags `-xqvf F`, attached values `-fout`, operands between flags, `--`).
//!
//! Adding a command (e.g. `lslpp`):
//! 1. `cli/src/cmd/lslpp.rs`: `#[derive(clap::Args)] pub struct Args` (doc comment = the one-line about;
//!    AIX commands also set `override_usage = USAGE` with the AIX synopsis and flatten
//!    [`host::HostArg`] when they work on the modelled host) and `pub fn run(a: Args) ->
//!    anyhow::Result<i32>`. Check flag combinations in `run` with `crate::exit::usage(...)` (exit 2).
//! 2. One line in the `commands!` list below: `Lslpp "lslpp" lslpp,` (and `pub mod lslpp;`).
//! 3. When it is an AIX command name, one line in [`install_links::AIX_NAMES`]; when AIX gives it a `-h`
//!    flag of its own, one line in [`OWN_H`].
//!
//! Help (`--help`, `-?`, and `-h` unless in [`OWN_H`]) goes to standard output with exit 0 and needs no host;
//! a bad command line prints `NAME: reason` once on standard error and exits 2.

use std::ffi::OsString;
use std::path::Path;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, CommandFactory, FromArgMatches, Parser};

pub mod alt_disk_copy;
pub mod alt_disk_install;
pub mod alt_disk_mksysb;
pub mod alt_rootvg_op;
pub mod backup;
pub mod bench;
pub mod bootinfo;
pub mod bootlist;
pub mod clone;
pub mod common;
pub mod completions;
pub mod convert;
pub mod demo;
pub mod host;
pub mod install_links;
pub mod installp;
pub mod instfix;
pub mod inutoc;
pub mod lslpp;
pub mod lspv;
pub mod lsvg;
pub mod man;
pub mod mkinstallp;
pub mod mksysb;
pub mod mkszfile;
pub mod oslevel;
pub mod restore;
pub mod space;
pub mod swroot;
pub mod verify;

/// Commands without `--json`: they neither change nor report the state of a system (the shell completions,
/// the man pages) or are a narrated show of the others (`demo`, whose every step has `--json` of its own).
pub const NO_JSON: &[&str] = &["completions", "man", "demo"];

/// Commands whose AIX original has a `-h` flag of its own: there `-h` is not help (`-?` and `--help` are).
pub const OWN_H: &[&str] = &["restore", "lslpp"];

/// The top level: `altdisk COMMAND ...`.
#[derive(Parser, Debug)]
#[command(
    name = "altdisk",
    version,
    about = "The AIX alternate-disk tools (alt_disk_copy, alt_disk_mksysb, alt_rootvg_op, mksysb, backup, \
             restore) on Linux",
    long_about = "The AIX alternate-disk tools on Linux. Run `altdisk COMMAND ...`, or a symlink named after \
                  the command (`altdisk install-links DIR`). AIX commands work on the modelled AIX host given \
                  by --host HOST or $ALTDISK_HOST.",
    arg_required_else_help = true
)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Cmd,
}

/// One line per command: the enum variant, the command name, the module (with `Args` and `run`).
macro_rules! commands {
    ($($variant:ident $name:literal $module:ident,)*) => {
        /// Every command of the tree.
        #[derive(clap::Subcommand, Debug)]
        pub enum Cmd {
            $(
                #[allow(missing_docs)]
                #[command(name = $name)]
                $variant($module::Args),
            )*
        }

        /// The names of every command of the tree, in the list's order (not `help`): known without building
        /// the clap tree, which every start-up would otherwise do twice more.
        pub const NAMES: &[&str] = &[$($name,)*];

        impl Cmd {
            /// The command's name (the prefix of its error lines).
            pub fn name(&self) -> &'static str {
                match self { $(Cmd::$variant(_) => $name,)* }
            }

            /// Runs the command; the exit code, or an error for [`crate::exit::report`].
            pub fn run(self) -> anyhow::Result<i32> {
                match self { $(Cmd::$variant(a) => $module::run(a),)* }
            }
        }
    };
}

commands! {
    AltDiskCopy "alt_disk_copy" alt_disk_copy,
    AltDiskInstall "alt_disk_install" alt_disk_install,
    AltDiskMksysb "alt_disk_mksysb" alt_disk_mksysb,
    AltRootvgOp "alt_rootvg_op" alt_rootvg_op,
    Backup "backup" backup,
    Bench "bench" bench,
    Bootinfo "bootinfo" bootinfo,
    Bootlist "bootlist" bootlist,
    Clone "clone" clone,
    Completions "completions" completions,
    Convert "convert" convert,
    Demo "demo" demo,
    Host "host" host,
    InstallLinks "install-links" install_links,
    Installp "installp" installp,
    Instfix "instfix" instfix,
    Inutoc "inutoc" inutoc,
    Lslpp "lslpp" lslpp,
    Lspv "lspv" lspv,
    Lsvg "lsvg" lsvg,
    Man "man" man,
    Mkinstallp "mkinstallp" mkinstallp,
    Mksysb "mksysb" mksysb,
    Mkszfile "mkszfile" mkszfile,
    Oslevel "oslevel" oslevel,
    Restore "restore" restore,
    Space "space" space,
    Verify "verify" verify,
}

/// The whole command tree, as parsed, documented and completed. Every command gets `--help` and `-?` (and
/// `-h` unless in [`OWN_H`]), and repeated flags override each other as with getopt (the last wins).
pub fn command() -> clap::Command {
    let mut root = Cli::command();
    let names: Vec<String> = root.get_subcommands().map(|s| s.get_name().to_string()).collect();
    for n in names {
        let own_h = OWN_H.contains(&n.as_str());
        let json = !NO_JSON.contains(&n.as_str());
        root =
            root.mut_subcommand(n, |c| {
                let c = with_help(c, own_h).args_override_self(true);
                if json {
                    c.arg(
                        Arg::new("json").long("json").action(ArgAction::SetTrue).global(true).help(
                            "Print JSON lines (one event per line, then a `done` summary; docs/json.md)",
                        ),
                    )
                } else {
                    c
                }
            });
    }
    root
}

/// `c` and its subcommands with our help flag (`-?` too).
fn with_help(mut c: clap::Command, own_h: bool) -> clap::Command {
    let subs: Vec<String> = c.get_subcommands().map(|s| s.get_name().to_string()).collect();
    for s in subs {
        c = c.mut_subcommand(s, |sc| with_help(sc, false));
    }
    let mut help =
        Arg::new("help").long("help").short_alias('?').action(ArgAction::Help).help("Print help (also -?)");
    if !own_h {
        help = help.short('h');
    }
    c.disable_help_flag(true).arg(help)
}

/// Parses a full command line (`altdisk NAME ARGS...`) with the tree; true when it has `--json`.
pub fn parse(argv: Vec<OsString>) -> Result<(Cli, bool), clap::Error> {
    let m = command().try_get_matches_from(argv)?;
    let json =
        m.subcommand().is_some_and(|(_, sub)| matches!(sub.try_get_one::<bool>("json"), Ok(Some(true))));
    Ok((Cli::from_arg_matches(&m)?, json))
}

/// Runs the binary: the command is the program name (a symlink named after it) or the first argument.
pub fn main(args: Vec<OsString>) -> i32 {
    let prog = args
        .first()
        .and_then(|a| Path::new(a).file_name())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut argv: Vec<OsString> = vec!["altdisk".into()];
    if NAMES.contains(&prog.as_str()) {
        argv.push(prog.into());
    }
    argv.extend(args.into_iter().skip(1));
    run_argv(argv)
}

/// Parses and runs `altdisk NAME ARGS...`; the exit code.
pub fn run_argv(argv: Vec<OsString>) -> i32 {
    let name = argv
        .get(1)
        .map(|a| a.to_string_lossy().into_owned())
        .filter(|n| NAMES.contains(&n.as_str()))
        .unwrap_or_else(|| "altdisk".into());
    // `--json` before a `--` (after it, it is an operand).
    let json_asked = argv.iter().skip(2).take_while(|a| *a != "--").any(|a| a == "--json");
    match parse(argv) {
        Ok((cli, json)) => {
            let name = cli.command.name();
            if json {
                crate::render::json::begin(name);
            }
            let code = match cli.command.run() {
                Ok(code) => code,
                Err(e) => crate::exit::report(name, &e),
            };
            crate::render::json::done(code);
            code
        }
        Err(e) => {
            let help = matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion);
            // A bad command line that asked for JSON still gets its start, error and done lines.
            let json = json_asked && !help && !NO_JSON.contains(&name.as_str()) && name != "altdisk";
            if json {
                crate::render::json::begin(&name);
            }
            let code = clap_error(&name, &e);
            crate::render::json::done(code);
            code
        }
    }
}

/// Help and version to standard output (exit 0); a bad command line as `NAME: reason` on standard error
/// (exit 2): `NAME: unknown option -z` for a wrong flag, followed by the AIX synopsis for an AIX command (as
/// AIX's getopt-driven commands print their usage), with clap's "did you mean" tip when there is one.
fn clap_error(name: &str, e: &clap::Error) -> i32 {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            print!("{}", e.render());
            return crate::exit::OK;
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            eprint!("{}", e.render());
            crate::render::json::error(&format!("{name}: a subcommand is required"));
            return crate::exit::USAGE;
        }
        _ => {}
    }
    let ctx = |k: ContextKind| match e.get(k) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        // clap lists suggestions from the least to the most likely (`clon`: convert, clone).
        Some(ContextValue::Strings(v)) => v.last().cloned(),
        _ => None,
    };
    let msg = match e.kind() {
        ErrorKind::InvalidSubcommand => {
            let bad = ctx(ContextKind::InvalidSubcommand).unwrap_or_default();
            let mut m = format!("unknown command '{bad}'");
            if let Some(s) = ctx(ContextKind::SuggestedSubcommand) {
                m.push_str(&format!("\n  tip: did you mean '{s}'?"));
            }
            m.push_str("\n  (altdisk --help lists the commands)");
            m
        }
        ErrorKind::UnknownArgument => {
            let bad = ctx(ContextKind::InvalidArg).unwrap_or_default();
            // AIX commands answer a wrong flag as AIX's getopt does: the flag, then the command's usage.
            let mut m = if bad.starts_with('-') && install_links::AIX_NAMES.contains(&name) {
                format!("unknown option {bad}\n{}", usage_of(name).trim_end())
            } else if bad.starts_with('-') {
                format!("unknown option {bad}")
            } else {
                format!("unexpected operand '{bad}'\n{}", usage_of(name))
            };
            if let Some(s) = ctx(ContextKind::SuggestedArg) {
                m.push_str(&format!("\n  tip: did you mean '{s}'?"));
            }
            m
        }
        _ => {
            // clap's own text without its `error: ` head and `For more information` tail.
            let text = e.render().to_string();
            let text = text.strip_prefix("error: ").unwrap_or(&text);
            let text = text.split("\n\nFor more information").next().unwrap_or(text).trim_end();
            if text.contains("Usage: ") {
                text.to_string()
            } else {
                format!("{text}\n{}", usage_of(name).trim_end())
            }
        }
    };
    eprintln!("{name}: {msg}");
    crate::render::json::error(&format!("{name}: {msg}"));
    crate::exit::USAGE
}

/// The usage lines of command `name` (`Usage: ...`).
pub fn usage_of(name: &str) -> String {
    let mut root = command();
    // Building sets each subcommand's bin name (`altdisk space`); AIX commands print their own synopsis.
    root.build();
    match root.find_subcommand_mut(name) {
        Some(c) => c.render_usage().to_string(),
        None => root.render_usage().to_string(),
    }
}

/// A usage error of command `name`: `reason` and the command's usage lines (exit 2).
pub fn usage_error<T>(name: &str, reason: &str) -> anyhow::Result<T> {
    let usage = usage_of(name);
    if reason.is_empty() {
        crate::exit::usage(usage)
    } else {
        crate::exit::usage(format!("{reason}\n{usage}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn every_aix_name_is_a_command() {
        for a in install_links::AIX_NAMES {
            assert!(NAMES.contains(a), "{a}");
        }
    }

    #[test]
    fn names_are_the_trees_commands() {
        let tree: Vec<String> = Cli::command().get_subcommands().map(|s| s.get_name().to_string()).collect();
        assert_eq!(tree, NAMES);
    }
}
