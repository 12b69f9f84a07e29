//! `altdisk install-links DIR`: symlinks named after the AIX commands, pointing at this binary, so that
//! `alt_disk_copy -d hdisk1` works as on AIX when DIR is on the PATH.

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
    "lslpp",
    "oslevel",
    "instfix",
    "installp",
    "inutoc",
    "mkinstallp",
];

/// Create symlinks named after the AIX commands (alt_disk_copy, mksysb, lspv, ...) that run this binary.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Replace files in the way that are not links to this binary.
    #[arg(short = 'f', long)]
    force: bool,
    /// The directory for the links (created if missing), e.g. /usr/local/sbin.
    dir: PathBuf,
}

/// Runs `altdisk install-links [--force] DIR`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    let (force, dir) = (a.force, a.dir);
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
    crate::render::json::result("created", serde_json::json!(made));
    crate::render::json::print(&format!(
        "{made} links created in {} ({} already there)",
        dir.display(),
        AIX_NAMES.len() - made
    ));
    Ok(crate::exit::OK)
}
