//! installp's errors (re-exported by `installp`): below every module so that `installp` and the engine's
//! [`super::Error`] can both use them without importing each other.

use std::fmt;
use std::path::PathBuf;

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
