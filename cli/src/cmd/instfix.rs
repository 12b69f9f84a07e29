//! `instfix`: which fixes (APARs, technology levels, service packs) a rootvg tree has (spec installp.md §9.7).

use altdisk_engine::installp::swvpd::Swvpd;
use altdisk_engine::installp::views;

use super::swroot::RootArg;

/// AIX's synopsis.
pub const USAGE: &str = "instfix -i [-k KEYWORD] [-c] [-q] [-v] [-R DIR]";

/// Report installed fixes: every keyword of the fix database (-i), or one (-ik KEYWORD).
#[derive(clap::Args, Debug)]
#[command(override_usage = USAGE)]
pub struct Args {
    /// Report whether the fixes are installed.
    #[arg(short = 'i')]
    i: bool,
    /// The keyword(s) to report (an APAR, `7200-05_AIX_ML`, `7200-05-01-2038_SP`); several separated by spaces.
    #[arg(short = 'k', value_name = "KEYWORD")]
    k: Option<String>,
    /// Colon-separated output: Keyword:Fileset:ReqLevel:InstLevel:Status:Abstract.
    #[arg(short = 'c')]
    c: bool,
    /// Quiet: no header line (with -c).
    #[arg(short = 'q')]
    q: bool,
    /// Verbose: each fileset of the fix and its state.
    #[arg(short = 'v')]
    v: bool,
    #[command(flatten)]
    root: RootArg,
}

use crate::render::json::print;

/// Runs `instfix`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    if !a.i {
        return crate::exit::usage(format!(
            "only the query form (-i) is available; fixes are installed with installp or alt_disk_copy -F\n\
             usage: {USAGE}"
        ));
    }
    let sw = Swvpd::load(&a.root.tree()?)?;
    let keys: Option<Vec<String>> = a.k.as_ref().map(|k| k.split_whitespace().map(str::to_string).collect());
    if a.c {
        let mut s = views::instfix_icq(&sw, keys.as_deref());
        if a.q {
            s = s.lines().filter(|l| !l.starts_with('#')).map(|l| format!("{l}\n")).collect();
        }
        print(&s);
        return Ok(crate::exit::OK);
    }
    match keys {
        None => print(&views::instfix_i(&sw)),
        Some(ks) => {
            let mut all_found = true;
            for k in ks {
                let s = views::instfix_ik(&sw, &k, a.v);
                all_found &= s.contains("All filesets for");
                print(&s);
            }
            // [I] instfix -ik exits 1 when a fix is not (completely) installed, so scripts can test it.
            if !all_found {
                return Ok(crate::exit::FAILED);
            }
        }
    }
    Ok(crate::exit::OK)
}
