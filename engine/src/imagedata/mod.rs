//! image.data, vgname.data and bosinst.data stanza files, and mkszfile (spec alt-disk.md §3).
//!
//! Two layers: [`stanza`] keeps a file losslessly (every line, comment and unknown field, in order) and
//! [`image`] / [`bosinst`] read typed values out of it, naming the line and field of any bad value.
//! [`mkszfile`] generates an image.data from a description of a volume group and the space its trees need.

pub mod bosinst;
pub mod image;
pub mod mkszfile;
pub mod stanza;

pub use bosinst::BosinstData;
pub use image::{FsData, FsKind, ImageData, LvData, SourceDisk};
pub use mkszfile::{mkszfile, DiskDesc, FsDesc, LvDesc, VgDesc};
pub use stanza::{parse, Field, Item, Stanza, StanzaFile, StanzaLine};

/// Why a stanza file could not be parsed or a value in it could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StanzaError {
    /// A line is not a stanza header, a field or a comment.
    #[error("{file}:{line}: {message}")]
    Syntax {
        /// The file name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A field is misplaced, missing or has a value that cannot be used.
    #[error("{file}:{line}: {field}: {message}")]
    Field {
        /// The file name.
        file: String,
        /// 1-based line number (of the field, or of its stanza's header when the field is missing).
        line: usize,
        /// The field name.
        field: String,
        /// What is wrong.
        message: String,
    },
}
