//! `inutoc [DIR]`: writes the `.toc` of a directory of installp images (spec installp.md §5.1).

use std::path::PathBuf;

use super::host::{fail, HostArg};

/// AIX's synopsis.
pub const USAGE: &str = "inutoc [DIRECTORY]";

/// Create the .toc (table of contents) of a directory of installp images.
#[derive(clap::Args, Debug)]
#[command(override_usage = USAGE)]
pub struct Args {
    /// The image directory (default: /usr/sys/inst.images of the modelled host's running rootvg).
    dir: Option<PathBuf>,
    #[command(flatten)]
    host: HostArg,
}

/// Runs `inutoc`: every readable image gets an entry; an image that cannot be read is named on standard
/// error and left out, and the exit code is then 1 (the `.toc` is still written for the others).
pub fn run(a: Args) -> anyhow::Result<i32> {
    let dir = match a.dir {
        Some(d) => d,
        None => {
            let h = altdisk_engine::host::Host::open(&a.host.dir()?)?;
            h.root().join("usr/sys/inst.images")
        }
    };
    match altdisk_engine::installp::location::inutoc(&dir) {
        Ok((_, problems)) => {
            for p in &problems {
                crate::render::json::warning(&format!("inutoc: {p}; left out of the .toc"));
            }
            Ok(if problems.is_empty() { crate::exit::OK } else { crate::exit::FAILED })
        }
        Err(e) => Ok(fail("inutoc", e)),
    }
}
