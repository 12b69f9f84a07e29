//! `lslpp`: the software inventory of a rootvg tree (spec installp.md §9.1-§9.5).

use altdisk_engine::installp::swvpd::Swvpd;
use altdisk_engine::installp::views;

use super::swroot::{print_view, RootArg};

/// AIX's synopsis.
pub const USAGE: &str = "lslpp {-l [-a] [-c] | -L | -h | -f | -w} [-R DIR] [FILESET... | PATH...]";

/// List installed software: filesets and levels (-l, -L), history (-h), files (-f), the owner of a file (-w).
#[derive(clap::Args, Debug)]
#[command(override_usage = USAGE)]
pub struct Args {
    /// Installed filesets, latest level, per part (usr, root, share).
    #[arg(short = 'l')]
    l: bool,
    /// With -l: every level (base and each update).
    #[arg(short = 'a')]
    a: bool,
    /// Colon-separated output (with -l).
    #[arg(short = 'c')]
    c: bool,
    /// One line per fileset with state and type codes.
    #[arg(short = 'L')]
    big_l: bool,
    /// History of each fileset: apply, commit, reject events with date and time (UTC).
    #[arg(short = 'h')]
    h: bool,
    /// Files each fileset installed.
    #[arg(short = 'f')]
    f: bool,
    /// Which fileset owns each PATH (patterns allowed).
    #[arg(short = 'w')]
    w: bool,
    /// Quiet: no header lines (with -c: no `#` comment line).
    #[arg(short = 'q')]
    q: bool,
    #[command(flatten)]
    root: RootArg,
    /// Filesets (patterns with * and ? allowed) or, with -w, paths.
    names: Vec<String>,
}

/// Runs `lslpp`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    let actions = [a.l || (a.c && !a.big_l), a.big_l, a.h, a.f, a.w].iter().filter(|x| **x).count();
    if actions != 1 {
        return crate::exit::usage(format!("give exactly one of -l, -L, -h, -f, -w\nusage: {USAGE}"));
    }
    let tree = a.root.tree()?;
    let sw = Swvpd::load(&tree)?;
    let r = if a.l || (a.c && !a.big_l) {
        if a.c {
            views::lslpp_lc(&sw, &a.names, a.a)
        } else {
            views::lslpp_l(&sw, &a.names, a.a)
        }
    } else if a.big_l && a.c {
        views::lslpp_big_lc(&sw, &a.names)
    } else if a.big_l {
        views::lslpp_big_l(&sw, &a.names)
    } else if a.h {
        views::lslpp_h(&sw, &a.names)
    } else if a.f {
        views::lslpp_f(&sw, &a.names)
    } else {
        if a.names.is_empty() {
            return crate::exit::usage(format!("-w needs a PATH\nusage: {USAGE}"));
        }
        views::lslpp_w(&sw, &a.names)
    };
    // -q: no header. The colon forms have one comment line; the column forms two header lines.
    let quiet = |t: String| -> String {
        if !a.q {
            return t;
        }
        let skip = if a.c { 1 } else { 2 };
        let mut lines = t.split_inclusive('\n');
        if a.c {
            return lines.filter(|l| !l.starts_with('#')).collect();
        }
        for _ in 0..skip {
            lines.next();
        }
        lines.collect()
    };
    let r = match r {
        Ok(t) => Ok(quiet(t)),
        Err(mut e) => {
            e.stdout = quiet(e.stdout);
            Err(e)
        }
    };
    Ok(print_view(r))
}
