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
//! * [`space`]: the space check and `-X` growth (host model or a plain directory).
//! * [`transcript`]: installp's own console text (verification, summary).
//! * [`mkinstallp`]: template + build root → image.
//! * [`alt`]: installp as phase 2 of the alternate-disk commands.
//! * [`sample`]: a technology-level update for the sample host, built with mkinstallp.
//!
//! Malformed input is reported as an [`InstallpError`] naming the image, the member and the line or byte
//! offset, so the rest of an image location stays usable.

use std::fmt;
use std::path::PathBuf;

pub mod alt;
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

/// Where in a member a problem was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loc {
    /// A 1-based line of a text member (`lpp_name`, `.toc`, a bundle, `FILESET.al`, ...).
    Line(usize),
    /// A byte offset into a binary member (`liblpp.a`) or into the image file.
    Offset(u64),
    /// No finer location.
    Whole,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Loc::Line(n) => write!(f, "line {n}"),
            Loc::Offset(o) => write!(f, "byte offset {o}"),
            Loc::Whole => Ok(()),
        }
    }
}

/// A problem found in one text or binary member, before the caller knows which image it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{loc}: {message}")]
pub struct ParseError {
    /// Where.
    pub loc: Loc,
    /// What is wrong, in words a user can act on.
    pub message: String,
}

impl ParseError {
    /// A problem at a line.
    pub fn line(line: usize, message: impl Into<String>) -> Self {
        ParseError { loc: Loc::Line(line), message: message.into() }
    }

    /// A problem at a byte offset.
    pub fn offset(offset: u64, message: impl Into<String>) -> Self {
        ParseError { loc: Loc::Offset(offset), message: message.into() }
    }
}

/// Everything that stops an installp job.
#[derive(Debug, thiserror::Error)]
pub enum InstallpError {
    /// An image (or a `.toc`, a bundle, a template) is malformed.
    #[error("{}: {member}{}{}: {}", image.display(), if matches!(error.loc, Loc::Whole) { "" } else { ": " }, error.loc, error.message)]
    Malformed {
        /// The file: the image, `.toc`, bundle or template.
        image: PathBuf,
        /// The member of the image (`./lpp_name`, `liblpp.a(bos.rte.al)`), or the file's own name.
        member: String,
        /// Where and what.
        error: ParseError,
    },
    /// Pre-installation verification failed (missing requisites, unknown filesets, ...): nothing was written.
    /// The message is installp's FAILURES section.
    #[error("{summary}")]
    Verification {
        /// One line: what failed.
        summary: String,
        /// The full pre-installation verification text (FAILURES section included).
        report: String,
    },
    /// A file system of the target cannot hold what the plan needs (and cannot or may not grow).
    #[error("{message}")]
    NoSpace {
        /// installp's message: the file system, what is needed and what is free.
        message: String,
    },
}

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
