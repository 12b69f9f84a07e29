//! Which rootvg tree a software command (`lslpp`, `oslevel`, `instfix`, `installp`) works on: `-R DIR` /
//! `--root DIR` (AIX's alternate-root flag; e.g. a clone mounted at `HOST/root/alt_inst`), else the running
//! rootvg of the modelled host (`--host HOST` or `$ALTDISK_HOST`).

use std::path::PathBuf;

use super::host::HostArg;

/// `--host`, `-R`/`--root`: flattened into every software command.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct RootArg {
    /// The rootvg tree to work on (default: the running rootvg of the modelled host).
    #[arg(short = 'R', long = "root", value_name = "DIR")]
    pub root: Option<PathBuf>,
    #[command(flatten)]
    pub host: HostArg,
}

impl RootArg {
    /// The tree: `-R DIR` when given (it must be a directory), else the host's running root.
    pub fn tree(&self) -> anyhow::Result<PathBuf> {
        if let Some(r) = &self.root {
            if !r.is_dir() {
                return crate::exit::usage(format!("-R {}: not a directory", r.display()));
            }
            return Ok(r.clone());
        }
        let dir = match self.host.host.clone().or_else(|| std::env::var_os("ALTDISK_HOST").map(PathBuf::from))
        {
            Some(d) => d,
            None => {
                return crate::exit::usage(
                    "no software tree: give -R DIR (a rootvg tree) or --host HOST (or set ALTDISK_HOST)",
                )
            }
        };
        let h = altdisk_engine::host::Host::open(&dir)?;
        Ok(h.root())
    }
}

/// Prints a view's result: its text on stdout; an error's partial text on stdout and its message on stderr,
/// with the view's exit code.
pub fn print_view(r: Result<String, altdisk_engine::installp::views::ViewError>) -> i32 {
    match r {
        Ok(s) => {
            crate::render::json::print(&s);
            crate::exit::OK
        }
        Err(e) => {
            crate::render::json::print(&e.stdout);
            crate::render::json::flush();
            eprintln!("{}", e.message);
            crate::render::json::error(&e.message);
            e.exit_code
        }
    }
}
