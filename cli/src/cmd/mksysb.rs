//! `mksysb [-e] [-i] [-p] [-v] [-V] [-a] [-Z] [-b N] [-x FILE] FILE`: back up the modelled host's rootvg as a
//! by-name archive (`altdisk_engine::altdisk::mksysb`).
//!
//! Supported: `-i` (mkszfile first), `-e` (`/etc/exclude.rootvg`), `-p` (no packing), `-b N`, `-x FILE`,
//! `-v` (list files), `-V` (read the archive back), `-a` (no EAs/ACLs), `-Z` (accepted: the archive never
//! holds EFS information). Refused with a message: `-A` (DMAPI), `-m` (map files), `-P`
//! (exclude_packing.rootvg), `-T` (snapshot backup), `-X` (expand /tmp: the model has nothing to expand).

use std::ffi::OsString;
use std::path::PathBuf;

use altdisk_engine::altdisk::mksysb::{mksysb, MksysbOptions};

use super::host::{fail, getopt, host_dir, Printer};

/// Runs `mksysb`.
pub fn run(mut args: Vec<OsString>) -> anyhow::Result<i32> {
    let dir = host_dir(&mut args)?;
    let (flags, operands) = getopt(&args, "bx", "eipvVaZAmPTX")?;
    let mut o = MksysbOptions::default();
    for (c, v) in flags {
        let v = v.unwrap_or_default();
        match c {
            'i' => o.regenerate = true,
            'e' => o.exclude = true,
            'p' => o.pack = false,
            'v' => o.verbose = true,
            'V' => o.verify = true,
            'a' => o.no_xattrs = true,
            'Z' => {}
            'b' => match v.parse::<usize>() {
                Ok(n) if n > 0 => o.blocks = Some(n),
                _ => {
                    return crate::exit::usage(format!(
                        "mksysb: -b {v}: the number of blocks must be positive"
                    ))
                }
            },
            'x' => o.exclude_fs = Some(PathBuf::from(v)),
            'A' | 'm' | 'P' | 'T' | 'X' => {
                let what = match c {
                    'A' => "DMAPI file backup",
                    'm' => "map files (the host model has no physical partition maps)",
                    'P' => "/etc/exclude_packing.rootvg",
                    'T' => "snapshot-based backup",
                    _ => "expanding /tmp (the host model has no /tmp space to grow)",
                };
                eprintln!("mksysb: -{c}: {what} is not supported");
                return Ok(crate::exit::REFUSED);
            }
            _ => return crate::exit::usage(format!("mksysb: unknown flag -{c}")),
        }
    }
    let [file] = operands.as_slice() else {
        return crate::exit::usage("usage: mksysb [-e] [-i] [-p] [-v] [-V] [-a] [-Z] [-b N] [-x file] FILE");
    };
    o.output = PathBuf::from(file);
    match mksysb(&dir, &o, &Printer::new()) {
        Ok(s) if s.soft_errors > 0 => Ok(crate::exit::FAILED),
        Ok(_) => Ok(crate::exit::OK),
        Err(e) => Ok(fail("mksysb", e)),
    }
}
