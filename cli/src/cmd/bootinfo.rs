//! `bootinfo -b`, `bootinfo -B hdiskN`, `bootinfo -s hdiskN`.

use std::ffi::OsString;

use altdisk_engine::host::{bootinfo_b, bootinfo_big_b, bootinfo_s, Host};

use super::host::{fail, host_dir};

/// `bootinfo -b | -B DISK | -s DISK`.
pub fn run(mut args: Vec<OsString>) -> anyhow::Result<i32> {
    let dir = host_dir(&mut args)?;
    let args: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let h = match Host::open(&dir) {
        Ok(h) => h,
        Err(e) => return Ok(fail("bootinfo", e)),
    };
    let res = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["-b"] => Ok(bootinfo_b(&h.state)),
        ["-B", d] => bootinfo_big_b(&h.state, d),
        ["-s", d] => bootinfo_s(&h.state, d),
        _ => return crate::exit::usage("usage: bootinfo -b | -B hdiskN | -s hdiskN"),
    };
    match res {
        Ok(s) => {
            print!("{s}");
            Ok(crate::exit::OK)
        }
        Err(e) => Ok(fail("bootinfo", e)),
    }
}
