//! `bootinfo -b`, `bootinfo -B hdiskN`, `bootinfo -s hdiskN`.

use altdisk_engine::host::{bootinfo_b, bootinfo_big_b, bootinfo_s, Host};

use super::host::{fail, HostArg};
use crate::render::json::{print, result};

/// The forms the model answers.
pub const USAGE: &str = "bootinfo -b | -B hdiskN | -s hdiskN";

/// Boot disk, disk bootability and size of the modelled host.
#[derive(clap::Args, Debug)]
#[command(override_usage = USAGE)]
pub struct Args {
    /// The last boot device.
    #[arg(short = 'b')]
    boot_disk: bool,
    /// 1 when the disk is bootable, else 0.
    #[arg(short = 'B', value_name = "hdiskN")]
    bootable: Option<String>,
    /// The disk's size in MB.
    #[arg(short = 's', value_name = "hdiskN")]
    size: Option<String>,
    #[command(flatten)]
    host: HostArg,
}

/// `bootinfo -b | -B DISK | -s DISK`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    let dir = a.host.dir()?;
    let given = usize::from(a.boot_disk) + usize::from(a.bootable.is_some()) + usize::from(a.size.is_some());
    if given != 1 {
        return super::usage_error("bootinfo", "");
    }
    let h = match Host::open(&dir) {
        Ok(h) => h,
        Err(e) => return Ok(fail("bootinfo", e)),
    };
    let res = match (&a.bootable, &a.size) {
        (Some(d), _) => bootinfo_big_b(&h.state, d),
        (_, Some(d)) => bootinfo_s(&h.state, d),
        _ => Ok(bootinfo_b(&h.state)),
    };
    match res {
        Ok(s) => {
            print(&s);
            let v = s.trim();
            match (&a.bootable, &a.size) {
                (Some(d), _) => {
                    result("disk", serde_json::json!(d));
                    result("bootable", serde_json::json!(v == "1"));
                }
                (_, Some(d)) => {
                    result("disk", serde_json::json!(d));
                    result("size_mb", serde_json::json!(v.parse::<u64>().ok()));
                }
                _ => result("boot_disk", serde_json::json!(v)),
            }
            Ok(crate::exit::OK)
        }
        Err(e) => Ok(fail("bootinfo", e)),
    }
}
