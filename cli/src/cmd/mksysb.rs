//! `mksysb [-e] [-i] [-p] [-v] [-V] [-a] [-Z] [-b N] [-x FILE] [--zstd[=LEVEL]] [--threads N] FILE`: back up the modelled host's rootvg as a
//! by-name archive (`altdisk_engine::altdisk::mksysb`).
//!
//! Supported: `-i` (mkszfile first), `-e` (`/etc/exclude.rootvg`), `-p` (no packing), `-b N`, `-x FILE`,
//! `-v` (list files), `-V` (read the archive back), `-a` (no EAs/ACLs), `-Z` (accepted: the archive never
//! holds EFS information; zstd compression is `--zstd` here, as `-Z` is taken), `--zstd[=LEVEL]` (not AIX:
//! compress the whole image, level 3 by default, `--threads N` workers). Refused with a message: `-A` (DMAPI), `-m` (map files), `-P`
//! (exclude_packing.rootvg), `-T` (snapshot backup), `-X` (expand /tmp: the model has nothing to expand).

use std::path::PathBuf;

use altdisk_engine::altdisk::mksysb::{mksysb, MksysbOptions};

use super::host::{fail, HostArg, Printer};

/// The synopsis of what is supported.
pub const USAGE: &str =
    "mksysb [-e] [-i] [-p] [-v] [-V] [-a] [-Z] [-b number] [-x file] [--zstd[=LEVEL]] [--threads N] FILE";

/// Write a system backup of the modelled rootvg as a by-name archive.
#[derive(clap::Args, Debug)]
#[command(override_usage = USAGE)]
pub struct Args {
    /// Exclude the files listed in /etc/exclude.rootvg.
    #[arg(short = 'e')]
    exclude: bool,
    /// Run mkszfile first (a new /image.data).
    #[arg(short = 'i')]
    regenerate: bool,
    /// Do not pack files as they are backed up.
    #[arg(short = 'p')]
    no_pack: bool,
    /// Verbose: list the files as they are backed up.
    #[arg(short = 'v')]
    verbose: bool,
    /// Verify the archive by reading it back.
    #[arg(short = 'V')]
    verify: bool,
    /// Do not back up extended attributes or ACLs.
    #[arg(short = 'a')]
    no_xattrs: bool,
    /// Accepted: the archive never holds EFS information.
    #[arg(short = 'Z')]
    no_efs: bool,
    /// Blocks of 512 bytes per write.
    #[arg(short = 'b', value_name = "number")]
    blocks: Option<String>,
    /// Exclude the file systems listed in this file.
    #[arg(short = 'x', value_name = "file")]
    exclude_fs: Option<PathBuf>,
    /// DMAPI file backup (not supported).
    #[arg(short = 'A')]
    dmapi: bool,
    /// Map files (not supported: the host model has no physical partition maps).
    #[arg(short = 'm')]
    map: bool,
    /// /etc/exclude_packing.rootvg (not supported).
    #[arg(short = 'P')]
    exclude_packing: bool,
    /// Snapshot-based backup (not supported).
    #[arg(short = 'T')]
    snapshot: bool,
    /// Expand /tmp (not supported: the host model has no /tmp space to grow).
    #[arg(short = 'X')]
    expand_tmp: bool,
    #[command(flatten)]
    zstd: super::common::ZstdArg,
    /// Compression worker threads with --zstd (default: the number of CPUs).
    #[arg(long = "threads", value_name = "N")]
    threads: Option<usize>,
    /// The archive file to write.
    #[arg(value_name = "FILE")]
    operands: Vec<String>,
    #[command(flatten)]
    host: HostArg,
}

/// Runs `mksysb`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    let dir = a.host.dir()?;
    let refused = [
        ('A', a.dmapi, "DMAPI file backup"),
        ('m', a.map, "map files (the host model has no physical partition maps)"),
        ('P', a.exclude_packing, "/etc/exclude_packing.rootvg"),
        ('T', a.snapshot, "snapshot-based backup"),
        ('X', a.expand_tmp, "expanding /tmp (the host model has no /tmp space to grow)"),
    ];
    if let Some((c, _, what)) = refused.iter().find(|r| r.1) {
        crate::render::json::failure(&format!("mksysb: -{c}: {what} is not supported"));
        return Ok(crate::exit::REFUSED);
    }
    let mut o = MksysbOptions {
        regenerate: a.regenerate,
        exclude: a.exclude,
        verbose: a.verbose,
        verify: a.verify,
        no_xattrs: a.no_xattrs,
        exclude_fs: a.exclude_fs,
        ..MksysbOptions::default()
    };
    if a.no_pack {
        o.pack = false;
    }
    let _accepted = a.no_efs;
    o.compression = match super::common::compression(false, a.zstd.level(), a.threads) {
        Ok(c) => c,
        Err(m) => return crate::exit::usage(format!("mksysb: {m}")),
    };
    if let Some(v) = a.blocks {
        match v.parse::<usize>() {
            Ok(n) if n > 0 => o.blocks = Some(n),
            _ => return crate::exit::usage(format!("mksysb: -b {v}: the number of blocks must be positive")),
        }
    }
    let [file] = a.operands.as_slice() else {
        return super::usage_error("mksysb", "");
    };
    o.output = PathBuf::from(file);
    crate::render::json::result("archive", serde_json::json!(o.output));
    let printer = Printer::aix();
    let r = mksysb(&dir, &o, &printer);
    drop(printer);
    if let Ok(s) = &r {
        crate::render::json::result("soft_errors", serde_json::json!(s.soft_errors));
    }
    match r {
        Ok(s) if s.soft_errors > 0 => Ok(crate::exit::FAILED),
        Ok(_) => Ok(crate::exit::OK),
        Err(e) => Ok(fail("mksysb", e)),
    }
}
