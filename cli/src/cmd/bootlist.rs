//! `bootlist -m normal -o` and `bootlist -m normal DISK [blv=NAME] ...`.

use std::ffi::OsString;

use altdisk_engine::host::{bootlist_o, BootEntry, Host, HostLock};

use super::host::{fail, host_dir};

/// `bootlist -m normal [-o] [DISK [blv=NAME]]...`. Only normal mode is modelled.
pub fn run(mut args: Vec<OsString>) -> anyhow::Result<i32> {
    let dir = host_dir(&mut args)?;
    let args: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let mut mode = None;
    let mut show = false;
    let mut entries: Vec<BootEntry> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-m" => mode = it.next().cloned(),
            "-o" => show = true,
            s if s.starts_with("-m") => mode = Some(s[2..].to_string()),
            s if s.starts_with("blv=") => match entries.last_mut() {
                Some(e) => e.blv = s[4..].to_string(),
                None => return crate::exit::usage("bootlist: blv= must follow a device"),
            },
            s if s.starts_with('-') => return crate::exit::usage(format!("bootlist: unsupported flag {s}")),
            s => entries.push(BootEntry { disk: s.to_string(), blv: "hd5".into() }),
        }
    }
    match mode.as_deref() {
        Some("normal") => {}
        Some(m) => return crate::exit::usage(format!("bootlist: mode {m} is not modelled (only normal)")),
        None => return crate::exit::usage("bootlist: -m normal is required"),
    }
    if entries.is_empty() {
        return match Host::open(&dir) {
            Ok(h) => {
                print!("{}", bootlist_o(&h.state));
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
                print!("{}", bootlist_o(&h.state));
            }
            Ok(crate::exit::OK)
        }
        Err(e) => Ok(fail("bootlist", e)),
    }
}
