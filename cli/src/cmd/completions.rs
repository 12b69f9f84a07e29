//! `altdisk completions SHELL`: the shell completion script for the whole command tree (clap_complete), on
//! standard output. For bash and fish it also completes the AIX command names run through symlinks.

use std::io::Write;

use clap_complete::Shell;

/// Print the shell completion script (bash, zsh, fish, elvish, powershell) on standard output.
#[derive(clap::Args, Debug)]
#[command(after_help = "Example: altdisk completions bash > /etc/bash_completion.d/altdisk")]
pub struct Args {
    /// The shell.
    #[arg(value_enum)]
    shell: Shell,
}

/// Runs `altdisk completions SHELL`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    let mut out = Vec::new();
    let mut root = super::command();
    clap_complete::generate(a.shell, &mut root, "altdisk", &mut out);
    if matches!(a.shell, Shell::Bash | Shell::Fish) {
        for name in super::install_links::AIX_NAMES {
            if let Some(c) = root.find_subcommand(name) {
                clap_complete::generate(a.shell, &mut c.clone(), *name, &mut out);
            }
        }
    }
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = std::io::stdout().write_all(&out);
    Ok(crate::exit::OK)
}
