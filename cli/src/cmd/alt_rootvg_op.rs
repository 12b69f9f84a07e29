//! `alt_rootvg_op`: -X, -q, -W, -S, -v, -C on the modelled host (`altdisk_engine::altdisk::rootvg_op`).

use std::ffi::OsString;
use std::path::PathBuf;

use altdisk_engine::altdisk::rootvg_op::{customize_op, query, remove, rename, sleep, wake};
use altdisk_engine::altdisk::Customize;

use super::host::{fail, getopt, host_dir, Printer};

const USAGE: &str = "usage: alt_rootvg_op -X [VG] | -q -d disk | -W -d disk | -S [-t] | -v name -d disk | \
                     -C [-s script] [-R resolv_conf] [-DV]";

/// `alt_rootvg_op ...`.
pub fn run(mut args: Vec<OsString>) -> anyhow::Result<i32> {
    let dir = host_dir(&mut args)?;
    let (flags, operands) = getopt(&args, "dvsRbIlfFw", "XqWStCDVa")?;
    let has = |c: char| flags.iter().any(|(f, _)| *f == c);
    let val = |c: char| flags.iter().rev().find(|(f, _)| *f == c).and_then(|(_, v)| v.clone());
    let trace = has('D');
    let printer = Printer::new();
    let ops = ['X', 'q', 'W', 'S', 'v', 'C'].iter().filter(|c| has(**c)).count();
    if ops != 1 {
        return crate::exit::usage(USAGE);
    }
    for c in ['b', 'I', 'l', 'f', 'F', 'w'] {
        if has(c) {
            return Ok(fail(
                "alt_rootvg_op",
                altdisk_engine::Error::refused(format!(
                    "alt_rootvg_op: -{c}: installation of updates into the clone is not implemented yet"
                )),
            ));
        }
    }
    let need_disk = || match val('d') {
        Some(d) => Ok(d),
        None => crate::exit::usage(USAGE),
    };
    let res = if has('X') {
        let vg = operands.first().cloned().unwrap_or_else(|| "altinst_rootvg".into());
        remove(&dir, &vg, trace, &printer)
    } else if has('q') {
        query(&dir, &need_disk()?).map(|d| println!("{d}"))
    } else if has('W') {
        let force = std::env::var("FORCE").as_deref() == Ok("yes");
        wake(&dir, &need_disk()?, force, trace, &printer)
    } else if has('S') {
        sleep(&dir, has('t'), trace, &printer)
    } else if has('v') {
        let name = val('v').unwrap_or_default();
        rename(&dir, &name, &need_disk()?)
    } else {
        let c = Customize {
            script: val('s').map(PathBuf::from),
            resolv_conf: val('R').map(PathBuf::from),
            ..Customize::default()
        };
        for (f, p) in [('s', &c.script), ('R', &c.resolv_conf)] {
            if let Some(p) = p.as_ref().filter(|p| !p.is_absolute()) {
                return Ok(fail(
                    "alt_rootvg_op",
                    altdisk_engine::Error::refused(format!(
                        "alt_rootvg_op: the -{f} argument {} must be a full path name",
                        p.display()
                    )),
                ));
            }
        }
        customize_op(&dir, &c, trace, &printer)
    };
    match res {
        Ok(()) => Ok(crate::exit::OK),
        Err(e) => Ok(fail("alt_rootvg_op", e)),
    }
}
