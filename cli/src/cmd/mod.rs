//! The commands. Each module parses its own flags (AIX flags for AIX command names) and runs the engine.
//! A command is reached as `altdisk NAME ...` or through a symlink named NAME.

use std::ffi::OsString;

pub mod bench;

/// Every command name this binary answers to, with a one-line description.
pub const COMMANDS: &[(&str, &str)] =
    &[("bench", "clone/backup/restore speed benchmark against cp, tar, rsync and the floor")];

/// True when `name` is one of our commands.
pub fn is_command(name: &str) -> bool {
    COMMANDS.iter().any(|(n, _)| *n == name)
}

/// The top-level usage text.
pub fn usage() -> String {
    let mut s = String::from(
        "usage: altdisk COMMAND [ARGS...]   (or run a symlink named after the command)\n\ncommands:\n",
    );
    for (n, d) in COMMANDS {
        s.push_str(&format!("  {n:<18} {d}\n"));
    }
    s
}

/// Runs command `name` with its arguments (the program name not included).
pub fn dispatch(name: &str, args: Vec<OsString>) -> anyhow::Result<i32> {
    match name {
        "bench" => bench::run(args),
        _ => crate::exit::usage(format!("unknown command '{name}'")),
    }
}
