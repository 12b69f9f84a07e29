//! `lspv`: physical volumes of the modelled host.

use std::ffi::OsString;

use altdisk_engine::host::{lspv, Host};

use super::host::{fail, host_dir};

/// `lspv [--host HOST]`.
pub fn run(mut args: Vec<OsString>) -> anyhow::Result<i32> {
    let dir = host_dir(&mut args)?;
    if let Some(a) = args.first() {
        return crate::exit::usage(format!("lspv: unsupported argument {}", a.to_string_lossy()));
    }
    match Host::open(&dir) {
        Ok(h) => {
            print!("{}", lspv(&h.state));
            Ok(crate::exit::OK)
        }
        Err(e) => Ok(fail("lspv", e)),
    }
}
