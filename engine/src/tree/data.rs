//! Writing a file's data: a whole-file `FICLONE` from a live source where the filesystems share blocks (xfs
//! with reflink=1, btrfs), else `copy_file_range` (which reflinks by itself on those), a read/write
//! fallback, and zero-block hole punching for data that arrives as bytes, so sparse files stay sparse
//! whichever way they come.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::{Mode, OFlags, SeekFrom};
use rustix::io::Errno;

use super::meta::Shared;
use crate::entry::{EntryData, Meta, SourceFile};
use crate::live::Stamp;

/// The size of the blocks checked for zeros (holes are made in whole blocks, as AIX restore does).
const BLOCK: usize = 4096;
/// The fallback copy buffer, reused per worker.
const BUF: usize = 1 << 20;
/// One `copy_file_range` call at most copies this much, so a stop is noticed between calls.
const CFR_CHUNK: u64 = 1 << 30;
/// Files at least this large without a known sparse map are checked for holes at the source.
const PROBE_SPARSE: u64 = 1 << 20;

/// Why the data could not be written.
#[derive(Debug)]
pub(crate) enum DataError {
    /// Reading the source failed (the entry is incomplete; the run goes on).
    Read(io::Error),
    /// Writing the target failed.
    Write(io::Error),
    /// The run is stopping.
    Stopped,
}

/// Opens a live source file the walker did not open: done before its target file is created, so a source that
/// vanished or cannot be read leaves no empty stand-in behind.
pub(crate) fn open_source(src: &SourceFile) -> io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK;
    Ok(rustix::fs::openat(&*src.dir, src.name.as_c_str(), flags, Mode::empty())?)
}

/// How a live source's copy relates to the versions of the file (see [`crate::live`]).
#[derive(Debug)]
pub(crate) enum Change {
    /// The file did not change after the walk saw it.
    None,
    /// It changed after the walk or during the first read; the copy is of one later version.
    Settled(String),
    /// It changed during the second read too; that copy is kept and may mix versions.
    Unsettled(String),
}

/// What [`write`] wrote.
#[derive(Debug)]
pub(crate) struct Written {
    /// Data bytes written (holes not counted).
    pub bytes: u64,
    /// For a live source: the length and mtime of the version copied, which the target's metadata takes.
    pub copied: Option<(u64, crate::entry::Timestamp)>,
    /// Whether the source changed.
    pub change: Change,
}

impl Written {
    fn bytes(bytes: u64) -> Self {
        Written { bytes, copied: None, change: Change::None }
    }
}

/// Writes `data` into `out` (a new or truncated file). `opened` is the source file of an
/// [`EntryData::Source`] already opened by [`open_source`].
pub(crate) fn write(
    sh: &Shared<'_>,
    out: &OwnedFd,
    data: &EntryData,
    opened: Option<OwnedFd>,
    meta: &Meta,
    buf: &mut Vec<u8>,
) -> Result<Written, DataError> {
    match data {
        EntryData::None => Ok(Written::bytes(0)),
        EntryData::Bytes(b) => {
            let mut w = HoleWriter::new(sh.opts.sparse);
            w.write(out, b)?;
            w.finish(out).map(Written::bytes)
        }
        EntryData::Stream(rx) => {
            let mut w = HoleWriter::new(sh.opts.sparse);
            for chunk in rx.iter() {
                if sh.stopped() {
                    return Err(DataError::Stopped);
                }
                w.write(out, &chunk.map_err(DataError::Read)?)?;
            }
            w.finish(out).map(Written::bytes)
        }
        EntryData::Source(src) => {
            // The walker usually opened the file already (and stat'ed it through that descriptor).
            if let Some(f) = &src.open {
                return copy_live(sh, f.file().as_fd(), out, meta, buf, &src.path, true);
            }
            let inp = match opened {
                Some(fd) => fd,
                None => open_source(src).map_err(DataError::Read)?,
            };
            copy_live(sh, inp.as_fd(), out, meta, buf, &src.path, false)
        }
    }
}

/// Copies a live source file, keeping its holes, between two stamps of it; copies it once more when it
/// changed during the read (see [`crate::live`]). `walker_fd`: `inp` is the descriptor the walker opened
/// and `statx`ed moments ago, so the walk's metadata is the "before" stamp and one `fstat` per file is
/// saved (a change since the walk then shows as a change during the read, and is copied again).
fn copy_live(
    sh: &Shared<'_>,
    inp: BorrowedFd<'_>,
    out: &OwnedFd,
    meta: &Meta,
    buf: &mut Vec<u8>,
    path: &std::path::Path,
    walker_fd: bool,
) -> Result<Written, DataError> {
    let stamp = |fd| match Stamp::of_fd(fd) {
        // A fifo or a device that took the place of the file is never read.
        Ok((_, false)) => Err(DataError::Read(io::Error::from_raw_os_error(libc::EINVAL))),
        Ok((s, true)) => Ok(s),
        Err(e) => Err(DataError::Read(e)),
    };
    let walked = Stamp::of_meta(meta);
    let before = if walker_fd { walked } else { stamp(inp)? };
    crate::live::before_read(|| path.to_path_buf());
    // The walk's hole map describes the version it saw only.
    let segs = if before == walked { meta.sparse.as_ref() } else { None };
    let (mut bytes, mut len) = copy_source(sh, inp, out, meta.dev, segs, before.size, buf)?;
    let after = stamp(inp)?;
    if after == before {
        let change = if before == walked {
            Change::None
        } else {
            Change::Settled(format!(
                "changed after the walk ({}); copied as it is now",
                walked.describe_change(&before)
            ))
        };
        return Ok(Written { bytes, copied: Some((len, after.mtime)), change });
    }
    // Changed during the read: copy it once more, into an emptied target.
    rustix::fs::ftruncate(out, 0).map_err(|e| DataError::Write(e.into()))?;
    crate::live::before_read(|| path.to_path_buf());
    (bytes, len) = copy_source(sh, inp, out, meta.dev, None, after.size, buf)?;
    let again = stamp(inp)?;
    let change = if again == after {
        Change::Settled(format!("changed during the read ({}); copied again", before.describe_change(&after)))
    } else {
        Change::Unsettled(format!(
            "{}: changed during the read ({}) and again while read a second time ({}); the second copy is kept",
            crate::live::CHANGED,
            before.describe_change(&after),
            after.describe_change(&again)
        ))
    };
    Ok(Written { bytes, copied: Some((len, again.mtime)), change })
}

/// Copies `size` bytes of a live source file (the data segments `segs` when known, keeping holes); a file
/// that shrank meanwhile stops at its end. Returns the data bytes written and the target's length. Where
/// the filesystems share blocks the whole file is cloned instead (`FICLONE`), unless reflinks are off.
#[allow(clippy::too_many_arguments)]
fn copy_source(
    sh: &Shared<'_>,
    inp: BorrowedFd<'_>,
    out: &OwnedFd,
    dev: crate::entry::DevId,
    segs: Option<&Vec<(u64, u64)>>,
    size: u64,
    buf: &mut Vec<u8>,
) -> Result<(u64, u64), DataError> {
    if sh.opts.reflink {
        if let Some(n) = try_reflink(sh, inp, out, dev, segs, size)? {
            return Ok((n, size));
        }
    }
    // Without reflinks, like `cp --reflink=never`: copy_file_range would share blocks on xfs and btrfs.
    let copy = if sh.opts.reflink { copy_range } else { rw_copy };
    let probed;
    let segments = match segs {
        Some(segs) if sh.opts.sparse => Some(segs.as_slice()),
        None if sh.opts.sparse && size >= PROBE_SPARSE => {
            probed = probe_segments(inp, size);
            probed.as_deref()
        }
        _ => None,
    };
    let Some(segs) = segments else {
        // Dense: copy until the size (a file that shrank stops at its end).
        let n = copy(sh, inp, out, 0, size, buf)?;
        return Ok((n, n));
    };
    let mut total = 0;
    for &(off, len) in segs {
        total += copy(sh, inp, out, off, len, buf)?;
    }
    rustix::fs::ftruncate(out, size).map_err(|e| DataError::Write(e.into()))?;
    Ok((total, size))
}

/// Clones the whole file (`FICLONE`): the copy shares the source's extents, holes included. `Ok(None)` when
/// the filesystems cannot (then the source filesystem is remembered and not tried again) or this file cannot
/// (an active swap file, a source opened for append): the caller copies the data.
fn try_reflink(
    sh: &Shared<'_>,
    inp: BorrowedFd<'_>,
    out: &OwnedFd,
    dev: crate::entry::DevId,
    segs: Option<&Vec<(u64, u64)>>,
    size: u64,
) -> Result<Option<u64>, DataError> {
    if size == 0 {
        return Ok(None);
    }
    if sh.no_reflink.contains(dev) {
        return Ok(None);
    }
    match rustix::fs::ioctl_ficlone(out, inp) {
        Ok(()) => {
            sh.counters.reflinked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(Some(segs.map_or(size, |s| s.iter().map(|(_, l)| l).sum())))
        }
        Err(Errno::XDEV | Errno::OPNOTSUPP | Errno::NOTTY | Errno::NOSYS | Errno::BADF) => {
            sh.no_reflink.insert(dev);
            Ok(None)
        }
        Err(e @ (Errno::NOSPC | Errno::DQUOT | Errno::FBIG | Errno::ROFS)) => Err(DataError::Write(e.into())),
        Err(_) => Ok(None),
    }
}

/// The data segments of a file with holes, from `SEEK_DATA`/`SEEK_HOLE`; `None` when it is dense.
fn probe_segments(inp: BorrowedFd<'_>, size: u64) -> Option<Vec<(u64, u64)>> {
    let st = rustix::fs::fstat(inp).ok()?;
    if (st.st_blocks as u64).saturating_mul(512) >= size {
        return None;
    }
    let mut segs = Vec::new();
    let mut off = 0u64;
    while off < size {
        let data = match rustix::fs::seek(inp, SeekFrom::Data(off)) {
            Ok(d) => d,
            Err(rustix::io::Errno::NXIO) => break,
            Err(_) => return None,
        };
        if data >= size {
            break;
        }
        let hole = rustix::fs::seek(inp, SeekFrom::Hole(data)).ok()?.min(size);
        segs.push((data, hole - data));
        off = hole;
    }
    Some(segs)
}

/// Copies `len` bytes at `off` from `inp` to the same offset of `out`: `copy_file_range`, or read/write
/// when the kernel or filesystem cannot.
fn copy_range(
    sh: &Shared<'_>,
    inp: BorrowedFd<'_>,
    out: &OwnedFd,
    off: u64,
    len: u64,
    buf: &mut Vec<u8>,
) -> Result<u64, DataError> {
    let mut done = 0u64;
    while done < len {
        if sh.stopped() {
            return Err(DataError::Stopped);
        }
        let (mut a, mut b) = (off + done, off + done);
        let want = (len - done).min(CFR_CHUNK) as usize;
        match rustix::fs::copy_file_range(inp, Some(&mut a), out, Some(&mut b), want) {
            Ok(0) => return Ok(done),
            Ok(n) => {
                done += n as u64;
            }
            Err(rustix::io::Errno::XDEV)
            | Err(rustix::io::Errno::INVAL)
            | Err(rustix::io::Errno::NOSYS)
            | Err(rustix::io::Errno::OPNOTSUPP) => {
                return Ok(done + rw_copy(sh, inp, out, off + done, len - done, buf)?);
            }
            Err(e) => return Err(classify(e.into())),
        }
    }
    Ok(done)
}

/// `copy_file_range` reports errors of both ends; ENOSPC-like errors are the target's, the rest the source's
/// unless the target says otherwise.
fn classify(e: io::Error) -> DataError {
    match e.raw_os_error() {
        Some(libc::ENOSPC) | Some(libc::EDQUOT) | Some(libc::EFBIG) | Some(libc::EROFS) => {
            DataError::Write(e)
        }
        _ => DataError::Read(e),
    }
}

fn rw_copy(
    sh: &Shared<'_>,
    inp: BorrowedFd<'_>,
    out: &OwnedFd,
    off: u64,
    len: u64,
    buf: &mut Vec<u8>,
) -> Result<u64, DataError> {
    // Never read a fifo or a device that took the place of a file.
    if !rustix::fs::fstat(inp).map(|st| st.st_mode & libc::S_IFMT == libc::S_IFREG).unwrap_or(false) {
        return Err(DataError::Read(io::Error::from_raw_os_error(libc::EINVAL)));
    }
    if buf.len() < BUF {
        buf.resize(BUF, 0);
    }
    let mut done = 0u64;
    while done < len {
        if sh.stopped() {
            return Err(DataError::Stopped);
        }
        let want = ((len - done) as usize).min(buf.len());
        let n =
            rustix::io::pread(inp, &mut buf[..want], off + done).map_err(|e| DataError::Read(e.into()))?;
        if n == 0 {
            break;
        }
        write_all_at(out, &buf[..n], off + done)?;
        done += n as u64;
    }
    Ok(done)
}

fn write_all_at(out: impl AsFd, mut data: &[u8], mut off: u64) -> Result<(), DataError> {
    while !data.is_empty() {
        match rustix::io::pwrite(&out, data, off) {
            Ok(0) => return Err(DataError::Write(io::Error::from_raw_os_error(libc::EIO))),
            Ok(n) => {
                data = &data[n..];
                off += n as u64;
            }
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(DataError::Write(e.into())),
        }
    }
    Ok(())
}

/// Writes a byte stream, seeking over all-zero blocks so they become holes; `finish` sets the length.
struct HoleWriter {
    sparse: bool,
    /// File offset of the next byte.
    pos: u64,
    /// End of the data actually written.
    written_end: u64,
}

impl HoleWriter {
    fn new(sparse: bool) -> Self {
        HoleWriter { sparse, pos: 0, written_end: 0 }
    }

    fn write(&mut self, out: &OwnedFd, data: &[u8]) -> Result<(), DataError> {
        if !self.sparse {
            write_all_at(out, data, self.pos)?;
            self.pos += data.len() as u64;
            self.written_end = self.pos;
            return Ok(());
        }
        // Walk block boundaries of the file (not of the chunk), coalescing non-zero runs into one write.
        let mut i = 0usize;
        let mut run_start: Option<usize> = None;
        while i < data.len() {
            let to_boundary = BLOCK - ((self.pos + i as u64) % BLOCK as u64) as usize;
            let end = (i + to_boundary).min(data.len());
            let zero = is_zero(&data[i..end]);
            match (zero, run_start) {
                (false, None) => run_start = Some(i),
                (true, Some(s)) => {
                    self.flush(out, &data[s..i], s)?;
                    run_start = None;
                }
                _ => {}
            }
            i = end;
        }
        if let Some(s) = run_start {
            self.flush(out, &data[s..], s)?;
        }
        self.pos += data.len() as u64;
        Ok(())
    }

    fn flush(&mut self, out: &OwnedFd, run: &[u8], at: usize) -> Result<(), DataError> {
        let off = self.pos + at as u64;
        write_all_at(out, run, off)?;
        self.written_end = off + run.len() as u64;
        Ok(())
    }

    fn finish(self, out: &OwnedFd) -> Result<u64, DataError> {
        if self.written_end < self.pos {
            rustix::fs::ftruncate(out, self.pos).map_err(|e| DataError::Write(e.into()))?;
        }
        Ok(self.pos)
    }
}

fn is_zero(b: &[u8]) -> bool {
    // Real data is rarely zero at its start: a look at the first 64 bytes settles most blocks without reading
    // the rest. Otherwise no early exit: the OR folds into wide vector operations, faster than a branchy scan.
    let fold = |s: &[u8]| s.iter().fold(0u8, |a, &x| a | x) == 0;
    let head = b.len().min(64);
    fold(&b[..head]) && fold(&b[head..])
}
