//! `alt_rootvg_op`: -X, -q, -W, -S, -v, -C on the modelled host (`altdisk_engine::altdisk::rootvg_op`).

use std::ffi::OsString;
use std::path::PathBuf;

use altdisk_engine::altdisk::rootvg_op::{customize_with, query, remove, rename, sleep, wake};
use altdisk_engine::altdisk::{Customize, NoSoftware, PhaseOptions, SoftwareOptions};

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
        let words =
            |c: char| val(c).map(|v| v.split_whitespace().map(str::to_string).collect()).unwrap_or_default();
        let o = PhaseOptions {
            customize: Customize {
                script: val('s').map(PathBuf::from),
                resolv_conf: val('R').map(PathBuf::from),
                ..Customize::default()
            },
            software: SoftwareOptions {
                location: val('l').map(PathBuf::from),
                bundle: val('b'),
                filesets: words('w'),
                fix_bundle: val('f').map(PathBuf::from),
                fixes: words('F'),
                flags: val('I'),
            },
            trace,
            verbose: has('V'),
            ..PhaseOptions::default()
        };
        match customize_with(&dir, &o, &NoSoftware, &printer) {
            Ok(out) if out.failed => return Ok(crate::exit::FAILED),
            r => r.map(|_| ()),
        }
    };
    match res {
        Ok(()) => Ok(crate::exit::OK),
        Err(e) => Ok(fail("alt_rootvg_op", e)),
    }
}
