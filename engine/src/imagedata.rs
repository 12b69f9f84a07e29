//! image.data and bosinst.data stanza files, and mkszfile.

/// Why a stanza file could not be parsed.
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
}
