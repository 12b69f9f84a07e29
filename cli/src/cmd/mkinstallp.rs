//! `mkinstallp -d BUILDROOT -T TEMPLATE`: builds an installp image from a build root and a template (spec
//! installp.md §10).

use std::path::PathBuf;

use super::host::fail;

/// AIX's synopsis.
pub const USAGE: &str = "mkinstallp [-d BaseDirectory] -T TemplateFile";

/// Build an installp image (lpp_name, liblpp.a, the files) from a build root and an AIX template file.
#[derive(clap::Args, Debug)]
#[command(override_usage = USAGE)]
pub struct Args {
    /// The build root: files sit under it at their installed paths (default: the current directory).
    #[arg(short = 'd', value_name = "BaseDirectory")]
    d: Option<PathBuf>,
    /// The template file (AIX mkinstallp template format). Required: altdisk does not prompt for one.
    #[arg(short = 'T', value_name = "TemplateFile")]
    t: Option<PathBuf>,
}

/// Runs `mkinstallp`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    let Some(t) = a.t else {
        return crate::exit::usage(format!(
            "give the template with -T (altdisk does not prompt for one)\nusage: {USAGE}"
        ));
    };
    let root = a.d.unwrap_or_else(|| PathBuf::from("."));
    match altdisk_engine::installp::mkinstallp::mkinstallp(&root, &t) {
        Ok(b) => {
            for l in &b.lines {
                crate::render::json::print(&format!("{l}\n"));
            }
            Ok(crate::exit::OK)
        }
        Err(e) => Ok(fail("mkinstallp", e)),
    }
}
