//! The entry: the currency between the reader, filter and writer stages.
//!
//! An entry carries an archive-style name (`./usr/bin/ls`, bytes, not necessarily UTF-8), its kind, its
//! metadata and a way to get its data. The same type flows from the walker and from the archive reader, and
//! into the tree writer, the archive writer, the listing and the space accounting.

use std::fmt;
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::sync::Arc;

use crate::acl::PosixAcl;

/// A point in time with nanoseconds, as Unix time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Timestamp {
    /// Seconds since the epoch (may be negative).
    pub sec: i64,
    /// Nanoseconds within the second, `0..1_000_000_000`.
    pub nsec: u32,
}

impl Timestamp {
    /// A whole-second timestamp.
    pub const fn from_secs(sec: i64) -> Self {
        Timestamp { sec, nsec: 0 }
    }
}

/// A device number split in major and minor, as the by-name format stores it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct DevId {
    /// Major number.
    pub major: u32,
    /// Minor number.
    pub minor: u32,
}

impl DevId {
    /// Splits a Linux `dev_t`.
    pub fn from_dev(dev: u64) -> Self {
        DevId { major: rustix::fs::major(dev), minor: rustix::fs::minor(dev) }
    }
    /// Joins into a Linux `dev_t`.
    pub fn to_dev(self) -> u64 {
        rustix::fs::makedev(self.major, self.minor)
    }
}

/// What an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A regular file with data.
    File,
    /// A directory.
    Dir,
    /// A symbolic link; the target is in [`Entry::link_target`].
    Symlink,
    /// A second or later name of a file already seen; the first name is in [`Entry::link_target`].
    HardLink,
    /// A character device.
    CharDev,
    /// A block device.
    BlockDev,
    /// A named pipe.
    Fifo,
}

impl Kind {
    /// The `S_IFMT` bits for this kind (a hard link reports a regular file).
    pub(crate) fn ifmt(self) -> u32 {
        match self {
            Kind::File | Kind::HardLink => 0o100000,
            Kind::Dir => 0o040000,
            Kind::Symlink => 0o120000,
            Kind::CharDev => 0o020000,
            Kind::BlockDev => 0o060000,
            Kind::Fifo => 0o010000,
        }
    }

    /// The kind for `S_IFMT` bits; `None` for sockets and unknown types.
    pub fn from_ifmt(mode: u32) -> Option<Kind> {
        match mode & 0o170000 {
            0o100000 => Some(Kind::File),
            0o040000 => Some(Kind::Dir),
            0o120000 => Some(Kind::Symlink),
            0o020000 => Some(Kind::CharDev),
            0o060000 => Some(Kind::BlockDev),
            0o010000 => Some(Kind::Fifo),
            _ => None,
        }
    }

    /// One letter as `ls -l` prints it.
    pub fn letter(self) -> char {
        match self {
            Kind::File | Kind::HardLink => '-',
            Kind::Dir => 'd',
            Kind::Symlink => 'l',
            Kind::CharDev => 'c',
            Kind::BlockDev => 'b',
            Kind::Fifo => 'p',
        }
    }
}

/// An extended attribute (never a POSIX ACL: those are in [`Meta::acl`] and [`Meta::default_acl`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Xattr {
    /// Full name including the namespace, e.g. `user.comment`, `security.selinux`.
    pub name: Vec<u8>,
    /// Raw value.
    pub value: Vec<u8>,
}

/// The metadata of an entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    /// Permission bits including setuid, setgid and sticky (`mode & 0o7777`); never the type bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Access time.
    pub atime: Timestamp,
    /// Modification time.
    pub mtime: Timestamp,
    /// Status-change time (informational: nothing can set it).
    pub ctime: Timestamp,
    /// Logical size in bytes: file length, symlink target length, 0 for everything else.
    pub size: u64,
    /// Link count at the source.
    pub nlink: u32,
    /// Inode number at the source (hard-link identity together with `dev`).
    pub ino: u64,
    /// Device of the filesystem holding the entry at the source.
    pub dev: DevId,
    /// Device number of a character or block device.
    pub rdev: DevId,
    /// Extended attributes other than POSIX ACLs.
    pub xattrs: Vec<Xattr>,
    /// POSIX access ACL, when it has more than the three base entries.
    pub acl: Option<PosixAcl>,
    /// POSIX default ACL of a directory.
    pub default_acl: Option<PosixAcl>,
    /// The data segments `(offset, length)` of a sparse file, in order; `None` when the file is dense or the
    /// layout is unknown. Holes are everything not covered.
    pub sparse: Option<Vec<(u64, u64)>>,
}

/// A live source file, opened relative to its parent directory handle when the data is needed.
#[derive(Clone)]
pub struct SourceFile {
    /// The open parent directory.
    pub dir: Arc<OwnedFd>,
    /// The file's name within `dir`.
    pub name: std::ffi::CString,
    /// The full path, for messages.
    pub path: PathBuf,
    /// The file itself, when the walker opened it already (it stat'ed it through this descriptor, so the
    /// data read through it is the file that was stat'ed); `None`: open `name` in `dir`.
    pub open: Option<Arc<OpenFile>>,
}

/// A regular file opened by the walker, counted against the walk's budget of open descriptors until it is
/// closed (dropped).
pub struct OpenFile {
    file: std::fs::File,
    budget: Arc<std::sync::atomic::AtomicUsize>,
}

impl OpenFile {
    /// Wraps `file`, which was counted in `budget` when it was opened.
    pub fn new(file: std::fs::File, budget: Arc<std::sync::atomic::AtomicUsize>) -> Self {
        OpenFile { file, budget }
    }

    /// The open file.
    pub fn file(&self) -> &std::fs::File {
        &self.file
    }
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        self.budget.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

impl fmt::Debug for OpenFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OpenFile({:?})", self.file)
    }
}

impl fmt::Debug for SourceFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SourceFile({})", self.path.display())
    }
}

/// Where an entry's data comes from.
#[derive(Debug, Default)]
pub enum EntryData {
    /// No data (directories, links, devices, fifos, empty files, or a listing that skipped it).
    #[default]
    None,
    /// A file on a live filesystem.
    Source(SourceFile),
    /// The whole content, in memory (small files from an archive). It may share its allocation with the
    /// data of neighbouring entries: the archive reader hands out slices of the block it read, without
    /// copying them.
    Bytes(bytes::Bytes),
    /// The content as an ordered stream of chunks (large files from an archive); the sender closes the
    /// channel after the last chunk, or sends an error. Chunks of stored (unpacked) data are slices of the
    /// blocks the archive reader read, without a copy.
    Stream(crossbeam_channel::Receiver<std::io::Result<bytes::Bytes>>),
}

impl EntryData {
    /// Bytes of file data this holds in memory (what bounds a batch's memory): the length of `Bytes`, else 0.
    pub(crate) fn in_memory_len(&self) -> usize {
        match self {
            EntryData::Bytes(b) => b.len(),
            _ => 0,
        }
    }
}

/// One object of a tree or an archive.
#[derive(Debug)]
pub struct Entry {
    /// The archive name as stored: `./usr/bin/ls` from the walker and from mksysb; any bytes from an archive.
    pub name: Vec<u8>,
    /// What it is.
    pub kind: Kind,
    /// Its metadata.
    pub meta: Meta,
    /// Symlink target (for [`Kind::Symlink`]) or the first name of the file (for [`Kind::HardLink`]).
    pub link_target: Option<Vec<u8>>,
    /// Its data.
    pub data: EntryData,
}

impl Entry {
    /// A new entry with no data and no link target.
    pub fn new(name: impl Into<Vec<u8>>, kind: Kind, meta: Meta) -> Self {
        Entry { name: name.into(), kind, meta, link_target: None, data: EntryData::None }
    }

    /// The name for messages (lossy UTF-8).
    pub fn display_name(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.name)
    }

    /// The full AIX-style `st_mode`: type bits and permission bits.
    pub fn st_mode(&self) -> u32 {
        self.kind.ifmt() | (self.meta.mode & 0o7777)
    }
}
