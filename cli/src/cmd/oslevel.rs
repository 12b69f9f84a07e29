//! `oslevel`: the AIX level of a rootvg tree, from its inventory's fix database (spec installp.md §9.6).

use altdisk_engine::installp::swvpd::Swvpd;
use altdisk_engine::installp::views;

use super::swroot::{print_view, RootArg};

/// AIX's synopsis.
pub const USAGE: &str = "oslevel [-r | -s | -l LEVEL] [-R DIR]";

/// Show the installed AIX level: base (V.R.M.F), technology level (-r) or service pack (-s).
#[derive(clap::Args, Debug)]
#[command(override_usage = USAGE)]
pub struct Args {
    /// The technology level, VVRR-TL.
    #[arg(short = 'r')]
    r: bool,
    /// The service pack, VVRR-TL-SP-YYWW.
    #[arg(short = 's')]
    s: bool,
    /// With -r: the filesets below the technology level LEVEL (e.g. 7200-05).
    #[arg(short = 'l', value_name = "LEVEL")]
    l: Option<String>,
    #[command(flatten)]
    root: RootArg,
}

/// Runs `oslevel`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    if a.r && a.s {
        return crate::exit::usage(format!("-r and -s cannot be used together\nusage: {USAGE}"));
    }
    let sw = Swvpd::load(&a.root.tree()?)?;
    if let Some(tl) = &a.l {
        return Ok(print_view(views::oslevel_rl(&sw, tl)));
    }
    let s = if a.s {
        views::oslevel_s(&sw)
    } else if a.r {
        views::oslevel_r(&sw)
    } else {
        views::oslevel(&sw)
    };
    crate::render::json::print(&format!("{s}\n"));
    crate::render::json::result("oslevel", serde_json::json!(s));
    Ok(crate::exit::OK)
}
