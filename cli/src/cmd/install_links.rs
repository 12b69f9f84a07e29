//! `altdisk install-links DIR`: symlinks named after the AIX commands, pointing at this binary, so that
//! `alt_disk_copy -d hdisk1` works as on AIX when DIR is on the PATH.

use std::ffi::OsString;
use std::path::PathBuf;

/// The AIX command names the binary answers to under its own name.
pub const AIX_NAMES: &[&str] = &[
    "alt_disk_copy",
    "alt_disk_mksysb",
    "alt_rootvg_op",
    "alt_disk_install",
    "mksysb",
    "mkszfile",
    "backup",
    "restore",
    "lspv",
    "lsvg",
    "bootlist",
    "bootinfo",
];

/// Runs `altdisk install-links [--force] DIR`.
pub fn run(args: Vec<OsString>) -> anyhow::Result<i32> {
    let mut force = false;
    let mut dir = None;
    for a in args {
        match a.to_str() {
            Some("--force") | Some("-f") => force = true,
            Some("-h") | Some("--help") => {
                println!(
                    "usage: altdisk install-links [--force] DIR\n\nCreates DIR/NAME -> altdisk for: {}",
                    AIX_NAMES.join(" ")
                );
                return Ok(crate::exit::OK);
            }
            _ if dir.is_none() => dir = Some(PathBuf::from(a)),
            _ => return crate::exit::usage("install-links takes one directory"),
        }
    }
    let Some(dir) = dir else { return crate::exit::usage("usage: altdisk install-links [--force] DIR") };
    let exe = std::env::current_exe()
        .map_err(|e| altdisk_engine::Error::io("find the running binary", "/proc/self/exe", e))?;
    std::fs::create_dir_all(&dir).map_err(|e| altdisk_engine::Error::io("create", &dir, e))?;
    let mut made = 0;
    for name in AIX_NAMES {
        let link = dir.join(name);
        if let Ok(m) = std::fs::symlink_metadata(&link) {
            let ours = m.file_type().is_symlink() && std::fs::read_link(&link).is_ok_and(|t| t == exe);
            if ours {
                continue;
            }
            if !force {
                return Err(altdisk_engine::Error::refused(format!(
                    "{} exists and is not a link to {}: remove it or use --force",
                    link.display(),
                    exe.display()
                ))
                .into());
            }
            std::fs::remove_file(&link).map_err(|e| altdisk_engine::Error::io("remove", &link, e))?;
        }
        std::os::unix::fs::symlink(&exe, &link)
            .map_err(|e| altdisk_engine::Error::io("create link", &link, e))?;
        made += 1;
    }
    println!("{made} links created in {} ({} already there)", dir.display(), AIX_NAMES.len() - made);
    Ok(crate::exit::OK)
}
