//! The commands. Each module parses its own flags (AIX flags for AIX command names) and runs the engine.
//! A command is reached as `altdisk NAME ...` or through a symlink named NAME.

use std::ffi::OsString;

pub mod alt_disk_copy;
pub mod alt_disk_install;
pub mod alt_disk_mksysb;
pub mod alt_rootvg_op;
pub mod backup;
pub mod bench;
pub mod bootinfo;
pub mod bootlist;
pub mod clone;
pub mod common;
pub mod demo;
pub mod getopt;
pub mod host;
pub mod install_links;
pub mod lspv;
pub mod lsvg;
pub mod mksysb;
pub mod mkszfile;
pub mod restore;
pub mod space;

/// Every command name this binary answers to, with a one-line description.
pub const COMMANDS: &[(&str, &str)] = &[
    ("alt_disk_copy", "clone the running rootvg to alternate disks (phases 1, 2, 3)"),
    ("alt_disk_install", "legacy front end: -C clone, -d mksysb install, -X/-q/-S/-v/-W"),
    ("alt_disk_mksysb", "install a mksysb image onto alternate disks (phases 1, 2, 3)"),
    ("alt_rootvg_op", "remove, wake, sleep, rename or customize an alternate rootvg"),
    ("backup", "write a by-name archive (backup -i: names from standard input; --walk: a tree)"),
    ("bench", "clone-speed benchmark against cp -a, tar, rsync and the syscall floor"),
    ("bootinfo", "boot disk, disk bootability and size of the modelled host"),
    ("bootlist", "show or set the normal-mode bootlist of the modelled host"),
    ("clone", "standalone fast rootvg copy of real mounts with full metadata"),
    ("demo", "build a sample AIX host and run the alternate-disk tools on it"),
    ("host", "create (init), boot (reboot) or show a modelled AIX host"),
    ("install-links", "create symlinks named after the AIX commands"),
    ("lspv", "list the physical volumes of the modelled host"),
    ("lsvg", "list volume groups, one VG's summary (VG) or its logical volumes (-l VG)"),
    ("mksysb", "write a system backup of the modelled rootvg as a by-name archive"),
    ("mkszfile", "write /image.data for the modelled rootvg"),
    ("restore", "list (-T) or extract (-x) a by-name archive"),
    ("space", "what a tree needs on JFS/JFS2 file systems, whether it fits, the PP plan"),
];

/// True when `name` is one of our commands.
pub fn is_command(name: &str) -> bool {
    COMMANDS.iter().any(|(n, _)| *n == name)
}

/// The top-level usage text.
pub fn usage() -> String {
    let mut s = String::from(
        "usage: altdisk COMMAND [ARGS...]   (or run a symlink named after the command)\n\ncommands:\n",
    );
    for (n, d) in COMMANDS {
        s.push_str(&format!("  {n:<18} {d}\n"));
    }
    s
}

/// Runs command `name` with its arguments (the program name not included).
pub fn dispatch(name: &str, args: Vec<OsString>) -> anyhow::Result<i32> {
    match name {
        "alt_disk_copy" => alt_disk_copy::run(args),
        "alt_disk_install" => alt_disk_install::run(args),
        "alt_disk_mksysb" => alt_disk_mksysb::run(args),
        "alt_rootvg_op" => alt_rootvg_op::run(args),
        "backup" => backup::run(args),
        "bench" => bench::run(args),
        "bootinfo" => bootinfo::run(args),
        "bootlist" => bootlist::run(args),
        "clone" => clone::run(args),
        "demo" => demo::run(args),
        "host" => host::run(args),
        "install-links" => install_links::run(args),
        "lspv" => lspv::run(args),
        "lsvg" => lsvg::run(args),
        "mksysb" => mksysb::run(args),
        "mkszfile" => mkszfile::run(args),
        "restore" => restore::run(args),
        "space" => space::run(args),
        _ => crate::exit::usage(format!("unknown command '{name}'")),
    }
}
