//! installp: AIX software packages (installp images) read, selected, applied into a rootvg tree, and recorded
//! in the tree's own software inventory (spec installp.md).
//!
//! One concept per file:
//!
//! * [`level`]: fileset levels `V.R.M.F` and requisite expressions.
//! * [`lpp_name`]: the `lpp_name` file that heads every image (package, filesets, requisites, sizes, fixes).
//! * [`bigar`]: the AIX big-format `ar` archive of `liblpp.a`.
//! * [`control`]: the text members of `liblpp.a` (`.al`, `.inventory`, `.size`).
//! * [`toc`]: a directory's `.toc`.
//! * [`bundle`]: bundle files (`installp -f`, `alt_disk_copy -b`).
//! * [`image`]: one image file, its `lpp_name` and control libraries.
//! * [`location`]: a directory of images (`-d DIR`) and `inutoc`.
//! * [`resolve`]: selection, requisites (`-g`), supersedes, install order.
//! * [`apply`]: apply/commit/reject into a tree (the archive reader → apply-list filter → tree writer).
//! * [`swvpd`]: the software inventory of a rootvg tree, kept inside the tree as ODM stanza text.
//! * [`views`]: `lslpp`, `oslevel` and `instfix` output, every layout in one module.
//! * [`space`]: the space check of a plain directory and the [`space::Space`] trait; the host model's, with
//!   `-X` growth, is `host::space`.
//! * [`transcript`]: installp's own console text (verification, summary).
//! * [`mkinstallp`]: template + build root → image.
//! * installp as phase 2 of the alternate-disk commands is `altdisk::installp` (this module knows nothing of
//!   hosts or alternate disks).
//! * [`sample`]: a technology-level update for the sample host, built with mkinstallp.
//!
//! Malformed input is reported as an [`InstallpError`] naming the image, the member and the line or byte
//! offset, so the rest of an image location stays usable.

pub mod apply;
pub mod bigar;
pub mod bundle;
pub mod control;
pub mod image;
pub mod level;
pub mod location;
pub mod lpp_name;
pub mod mkinstallp;
pub mod resolve;
pub mod sample;
pub mod space;
pub mod swvpd;
pub mod toc;
pub mod transcript;
pub mod views;

pub use level::{Level, LevelReq, ReqExpr, ReqKind, Requisite};

pub use crate::error::installp::{InstallpError, Loc, ParseError};

/// The BSD checksum of `sum -r` (spec §4.3): a 16-bit rotate-and-add checksum and the size in 1 KiB blocks,
/// rounded up. Inventories store it as `"SUM BLOCKS "` (stanza) or the integer SUM (`inventory` class).
pub fn sum_r(data: &[u8]) -> (u16, u64) {
    let mut c: u16 = 0;
    for &b in data {
        c = c.rotate_right(1).wrapping_add(u16::from(b));
    }
    (c, (data.len() as u64).div_ceil(1024))
}

#[cfg(test)]
mod tests {
    #[test]
    fn sum_r_matches_coreutils() {
        // `printf 'hello\n' | sum -r` prints "36979     1"; an empty input "00000     0".
        assert_eq!(super::sum_r(b"hello\n"), (36979, 1));
        assert_eq!(super::sum_r(b""), (0, 0));
    }
}
