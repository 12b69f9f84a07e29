//! image.data, vgname.data and bosinst.data stanza files, and `-T`'s JFS→JFS2 edit (spec alt-disk.md §3).
//!
//! Two layers: [`stanza`] keeps a file losslessly (every line, comment and unknown field, in order) and
//! [`image`] / [`bosinst`] read typed values out of it, naming the line and field of any bad value.
//! [`convert_to_jfs2`] is `-T`'s edit. `space::mkszfile()` generates an image.data from a description of a
//! volume group and the space its trees need (it depends on the space rules, so it lives there).

pub mod bosinst;
pub mod convert;
pub mod image;
pub mod stanza;

pub use bosinst::BosinstData;
pub use convert::{convert_to_jfs2, Conversion, JFS2_DEFAULTS};
pub use image::{FsData, FsKind, ImageData, LvData, SourceDisk};
pub use stanza::{parse, Field, FieldStyle, Item, Stanza, StanzaFile, StanzaLine};

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

/// The invariants a fuzzer checks on arbitrary bytes: no panic; whatever parses as a stanza file writes back
/// byte for byte; an image.data that parses still parses (and round-trips) after `-T` conversion.
/// Returns the broken invariant. Shared by `fuzz/fuzz_targets/stanza_parse.rs` and the corpus replay test.
pub fn fuzz_check(data: &[u8]) -> Result<(), String> {
    if let Ok(f) = stanza::parse("fuzz", data) {
        if f.to_text().as_bytes() != data {
            return Err("the stanza file does not write back byte for byte".into());
        }
    }
    if let Ok(mut img) = ImageData::parse("fuzz", data) {
        if img.to_text().as_bytes() != data {
            return Err("image.data does not write back byte for byte".into());
        }
        convert_to_jfs2(&mut img);
        let text = img.to_text();
        let again = ImageData::parse("fuzz", text.as_bytes()).map_err(|e| format!("converted file: {e}"))?;
        if again.to_text() != text {
            return Err("the converted file does not write back byte for byte".into());
        }
    }
    if let Ok(b) = BosinstData::parse("fuzz", data) {
        if b.to_text().as_bytes() != data {
            return Err("bosinst.data does not write back byte for byte".into());
        }
    }
    Ok(())
}
