//! `lspv`: physical volumes of the modelled host.

use altdisk_engine::host::{lspv, Host};

use super::host::{fail, HostArg};

/// List the physical volumes of the modelled host.
#[derive(clap::Args, Debug)]
#[command(override_usage = "lspv")]
pub struct Args {
    #[command(flatten)]
    host: HostArg,
}

/// `lspv [--host HOST]`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    let dir = a.host.dir()?;
    match Host::open(&dir) {
        Ok(h) => {
            print!("{}", lspv(&h.state));
            Ok(crate::exit::OK)
        }
        Err(e) => Ok(fail("lspv", e)),
    }
}
