//! `bootlist -m normal -o` and `bootlist -m normal DISK [blv=NAME] ...`.

use altdisk_engine::host::{bootlist_o, BootEntry, Host, HostLock};

use super::host::{fail, HostArg};
use crate::render::json::{print, result};

/// The forms the model answers (AIX: `bootlist [{-m Mode} [-r] [-o] [[-i] [-V] [-F] | [[-f File] [Device
/// [Attr=Value...] ...]]]] [-v]`).
pub const USAGE: &str = "bootlist -m normal -o
       bootlist -m normal [-o] Device [blv=Name] ...";

/// Show or set the normal-mode bootlist of the modelled host.
#[derive(clap::Args, Debug)]
#[command(override_usage = USAGE)]
pub struct Args {
    /// The boot mode (only normal is modelled).
    #[arg(short = 'm', value_name = "Mode")]
    mode: Option<String>,
    /// Print the list, one device per line with its attributes.
    #[arg(short = 'o')]
    show: bool,
    /// Devices of the new list, each optionally followed by blv=NAME.
    #[arg(value_name = "Device")]
    operands: Vec<String>,
    #[command(flatten)]
    host: HostArg,
}

/// `bootlist -m normal [-o] [DISK [blv=NAME]]...`. Only normal mode is modelled.
pub fn run(a: Args) -> anyhow::Result<i32> {
    let dir = a.host.dir()?;
    let (mode, show) = (a.mode, a.show);
    let mut entries: Vec<BootEntry> = Vec::new();
    for s in &a.operands {
        match s.strip_prefix("blv=") {
            Some(blv) => match entries.last_mut() {
                Some(e) => e.blv = blv.to_string(),
                None => return crate::exit::usage("blv= must follow a device"),
            },
            None => entries.push(BootEntry { disk: s.to_string(), blv: "hd5".into() }),
        }
    }
    match mode.as_deref() {
        Some("normal") => {}
        Some(m) => return crate::exit::usage(format!("mode {m} is not modelled (only normal)")),
        None => return crate::exit::usage("-m normal is required"),
    }
    if entries.is_empty() {
        return match Host::open(&dir) {
            Ok(h) => {
                print(&bootlist_o(&h.state));
                result("bootlist", serde_json::to_value(&h.state.bootlist)?);
                Ok(crate::exit::OK)
            }
            Err(e) => Ok(fail("bootlist", e)),
        };
    }
    let res = HostLock::acquire(&dir).and_then(|lock| {
        let mut h = Host::open(&dir)?;
        h.set_bootlist(entries)?;
        Ok((lock, h))
    });
    match res {
        Ok((_lock, h)) => {
            if show {
                print(&bootlist_o(&h.state));
            }
            result("bootlist", serde_json::to_value(&h.state.bootlist)?);
            Ok(crate::exit::OK)
        }
        Err(e) => Ok(fail("bootlist", e)),
    }
}
