//! Typed view of bosinst.data (spec alt-disk.md §3.5): `control_flow`, `target_disk_data`, `locale` and any
//! other stanza, kept losslessly.

use super::image::disk_of;
use super::stanza::{self, StanzaFile};
use super::{SourceDisk, StanzaError};

/// A parsed bosinst.data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BosinstData {
    /// The file name used in error messages.
    pub file: String,
    doc: StanzaFile,
}

impl BosinstData {
    /// Parses bosinst.data text; `file` names it in errors.
    pub fn parse(file: &str, text: &[u8]) -> Result<Self, StanzaError> {
        let doc = stanza::parse(file, text)?;
        let me = BosinstData { file: file.to_string(), doc };
        me.target_disks()?;
        Ok(me)
    }

    /// The lossless file.
    pub fn file(&self) -> &StanzaFile {
        &self.doc
    }

    /// The lossless file, for edits.
    pub fn file_mut(&mut self) -> &mut StanzaFile {
        &mut self.doc
    }

    /// The text, byte for byte as parsed when nothing was changed.
    pub fn to_text(&self) -> String {
        self.doc.to_text()
    }

    /// A `control_flow` field (`INSTALL_METHOD`, `PROMPT`, `CREATE_JFS2_FS`, ...).
    pub fn control_flow(&self, key: &str) -> Option<&str> {
        self.doc.first("control_flow").and_then(|s| s.get(key))
    }

    /// A `locale` field (`BOSINST_LANG`, `CULTURAL_CONVENTION`, `MESSAGES`, `KEYBOARD`).
    pub fn locale(&self, key: &str) -> Option<&str> {
        self.doc.first("locale").and_then(|s| s.get(key))
    }

    /// The `target_disk_data` stanzas (the documented way to size a disk for alt_disk_mksysb).
    pub fn target_disks(&self) -> Result<Vec<SourceDisk>, StanzaError> {
        self.doc.named("target_disk_data").map(|st| disk_of(&self.file, st)).collect()
    }
}
