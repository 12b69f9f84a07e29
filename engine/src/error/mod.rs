//! The engine's error type. Every error names what it concerns (a path, an archive offset, a phase, a line).

use std::io;
use std::path::PathBuf;

pub mod host;
pub mod installp;

pub use host::HostError;
pub use installp::InstallpError;

/// Result with the engine's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can stop an engine job.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O operation on a named path failed.
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        /// What was being done ("open", "read", "create", ...).
        op: &'static str,
        /// The path concerned.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The target filesystem is full.
    #[error("no space left on the filesystem of {} while writing {}", fs.display(), path.display())]
    NoSpace {
        /// The file being written.
        path: PathBuf,
        /// The mount point or target directory that filled up.
        fs: PathBuf,
    },
    /// A by-name archive could not be read or written.
    #[error(transparent)]
    Archive(#[from] crate::archive::ArchiveError),
    /// An exclude list could not be compiled.
    #[error(transparent)]
    Exclude(#[from] crate::exclude::ExcludeError),
    /// An image.data / bosinst.data file could not be parsed.
    #[error(transparent)]
    Stanza(#[from] crate::imagedata::StanzaError),
    /// The space plan failed or does not fit.
    #[error(transparent)]
    Space(#[from] crate::space::SpaceError),
    /// An installp image, table of contents or bundle is malformed, or verification failed.
    #[error(transparent)]
    Installp(#[from] InstallpError),
    /// A host directory could not be used (bad host.json, busy).
    #[error(transparent)]
    Host(#[from] HostError),
    /// An operation was refused before anything was changed (bad plan, conflicting options, unsafe name).
    #[error("{message}")]
    Refused {
        /// The full message for the user.
        message: String,
    },
    /// The job was cancelled (a stage hung up).
    #[error("cancelled: {0}")]
    Cancelled(String),
}

impl Error {
    /// An [`Error::Io`] with its context; a full filesystem is [`Error::NoSpace`] (`-` being standard output).
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        if source.raw_os_error() == Some(libc::ENOSPC) {
            let path = path.into();
            if path.as_os_str() == "-" {
                return Error::no_space_on_stdout();
            }
            return Error::NoSpace { fs: mount_point_of(&path), path };
        }
        Error::Io { op, path: path.into(), source }
    }

    /// An error met while writing the archive `path`: a full filesystem under it (ENOSPC from the archive
    /// writer's stream) becomes [`Error::NoSpace`] naming the archive, not a damaged-archive error.
    pub fn archive_output(self, path: &std::path::Path) -> Self {
        match self {
            Error::Archive(crate::archive::ArchiveError::Io { source, .. })
                if source.raw_os_error() == Some(libc::ENOSPC) =>
            {
                Error::io("write", path, source)
            }
            e => e,
        }
    }

    /// A full filesystem under standard output (`-f -` redirected to a file): names standard output and,
    /// when it is a file, that file and its mount point, never the current directory's.
    fn no_space_on_stdout() -> Self {
        let file = std::fs::read_link("/proc/self/fd/1").ok().filter(|p| p.is_absolute() && p.exists());
        match file {
            Some(f) => Error::NoSpace {
                fs: mount_point_of(&f),
                path: PathBuf::from(format!("standard output ({})", f.display())),
            },
            None => Error::NoSpace {
                fs: PathBuf::from("standard output"),
                path: PathBuf::from("standard output"),
            },
        }
    }

    /// A refusal with a message.
    pub fn refused(message: impl Into<String>) -> Self {
        Error::Refused { message: message.into() }
    }
}

/// The mount point of the filesystem holding `path` (which may not exist any more): from the nearest existing
/// directory above it, up while the device stays the same. Used for messages only; falls back to the parent.
fn mount_point_of(path: &std::path::Path) -> PathBuf {
    use std::os::unix::fs::MetadataExt;
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let dev = |d: &std::path::Path| std::fs::metadata(d).ok().map(|m| m.dev());
    let Some((mut dir, fs_dev)) = abs.ancestors().skip(1).find_map(|d| dev(d).map(|v| (d, v))) else {
        return abs.parent().unwrap_or(&abs).to_path_buf();
    };
    while let Some(up) = dir.parent().filter(|u| dev(u) == Some(fs_dev)) {
        dir = up;
    }
    dir.to_path_buf()
}
