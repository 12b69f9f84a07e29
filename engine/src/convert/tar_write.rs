//! The tar writer stage: [`Entry`] values in, a POSIX pax archive out (GNU-format headers, as GNU tar's
//! `--format=gnu` writes them, each preceded by a pax `x` header when it has something the header cannot
//! say).
//!
//! The `tar` crate writes the headers, GNU long names and long link names (`././@LongLink`, `L`/`K`) and
//! the pax extended headers. This stage decides their content: `mtime` (and `atime` when it differs) with
//! nanoseconds, `SCHILY.xattr.NAME` raw values, and POSIX ACLs as `SCHILY.acl.access` /
//! `SCHILY.acl.default` in the text form GNU tar writes (numeric ids), which `tar --acls` restores.
//!
//! Not done, and counted instead: a file's sparse map ([`crate::entry::Meta::sparse`]) is not written; its
//! data goes out dense, holes as zeros (pax sparse 1.0 needs the whole map before the data, and the data
//! arrives as a stream) and the file is counted in [`super::Losses::sparse_layout`]. An xattr whose name is
//! not UTF-8 cannot be a pax key and is counted in [`super::Losses::xattrs`].

use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;

use super::Losses;
use crate::entry::{Entry, EntryData, Kind, Timestamp};
use crate::error::{Error, Result};
use crate::events::{Event, Events};

/// What the tar writer did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TarWriteSummary {
    /// Members written (not counting the extension headers before them).
    pub entries: u64,
    /// Data bytes of the regular files.
    pub bytes: u64,
    /// Metadata that could not be written.
    pub lost: Losses,
    /// Entries skipped or written incomplete (each reported as a soft error).
    pub soft_errors: u64,
}

/// Writes entries as a tar stream.
pub struct TarWriter<W: Write> {
    b: tar::Builder<Watched<W>>,
    out_name: String,
    events: Arc<dyn Events>,
    summary: TarWriteSummary,
}

/// Remembers whether the output itself failed, to tell its errors from a name the `tar` crate refuses
/// (both come back as `io::Error`).
struct Watched<W> {
    inner: W,
    failed: bool,
}

impl<W: Write> Write for Watched<W> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.inner.write(b).inspect_err(|_| self.failed = true)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush().inspect_err(|_| self.failed = true)
    }
}

/// The member name for a by-name name: `./etc/hosts` becomes `etc/hosts` and `.` becomes `./`. The `tar`
/// crate drops a leading `./` from the names it puts in the header but not from GNU long names, and GNU tar
/// takes `deep` and `./deep/long...` for different directories (it then sets `deep`'s time too early), so
/// every name loses it here.
fn tar_name(name: &[u8]) -> Vec<u8> {
    let mut n = name;
    while n.len() > 2 && n.starts_with(b"./") {
        n = &n[2..];
    }
    if n == b"." || n == b"./" {
        return b"./".to_vec();
    }
    n.to_vec()
}

/// A pax time: `SEC` or `SEC.NNNNNNNNN`.
fn pax_time(t: Timestamp) -> String {
    if t.nsec == 0 {
        t.sec.to_string()
    } else if t.sec < 0 {
        // pax counts the fraction away from zero: second -2 plus 0.75 s is -1.25.
        format!("-{}.{:09}", -(t.sec + 1), 1_000_000_000 - t.nsec)
    } else {
        format!("{}.{:09}", t.sec, t.nsec)
    }
}

/// A file's data as the `tar` crate reads it: exactly `size` bytes, short sources zero-filled (and
/// remembered, for a soft error). It never fails: a source that fails is zero-filled like a short one, so
/// the tar crate's errors are the output's own (or a name it refuses).
struct Data<'a> {
    src: Src<'a>,
    left: u64,
    short: Option<String>,
}

enum Src<'a> {
    Bytes(&'a [u8]),
    Stream(&'a crossbeam_channel::Receiver<io::Result<Bytes>>, Bytes),
    File(std::fs::File),
    Zeros,
}

impl Read for Data<'_> {
    fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 || b.is_empty() {
            return Ok(0);
        }
        let want = (self.left as usize).min(b.len());
        let n = match &mut self.src {
            Src::Bytes(s) => {
                let k = want.min(s.len());
                b[..k].copy_from_slice(&s[..k]);
                *s = &s[k..];
                k
            }
            Src::Stream(rx, cur) => {
                if cur.is_empty() {
                    match rx.recv() {
                        Ok(Ok(c)) => *cur = c,
                        // The reader failed (damaged input): it reports that itself and stops the run.
                        Ok(Err(e)) => {
                            self.short = Some(format!("read error, rest zero-filled: {e}"));
                            *cur = Bytes::new();
                        }
                        Err(_) => *cur = Bytes::new(),
                    }
                }
                let k = want.min(cur.len());
                b[..k].copy_from_slice(&cur[..k]);
                *cur = cur.slice(k..);
                k
            }
            Src::File(f) => f.read(&mut b[..want]).unwrap_or_else(|e| {
                self.short = Some(format!("read error, rest zero-filled: {e}"));
                0
            }),
            Src::Zeros => 0,
        };
        if n == 0 {
            if self.short.is_none() && !matches!(self.src, Src::Zeros) {
                self.short = Some(format!("the data ends {} bytes early; zero-filled", self.left));
            }
            self.src = Src::Zeros;
            b[..want].fill(0);
            self.left -= want as u64;
            return Ok(want);
        }
        self.left -= n as u64;
        Ok(n)
    }
}

impl<W: Write> TarWriter<W> {
    /// A writer on `out` (`out_name` for messages).
    pub fn new(out: W, out_name: &str, events: Arc<dyn Events>) -> Self {
        let mut b = tar::Builder::new(Watched { inner: out, failed: false });
        b.mode(tar::HeaderMode::Complete);
        TarWriter { b, out_name: out_name.to_string(), events, summary: TarWriteSummary::default() }
    }

    fn soft(&mut self, e: &Entry, message: String) {
        self.summary.soft_errors += 1;
        self.events.event(&Event::SoftError {
            class: "convert",
            path: e.display_name().into_owned(),
            message,
        });
    }

    /// The output failed.
    fn fail(&self, e: io::Error) -> Error {
        Error::io("write", &self.out_name, e)
    }

    /// Writes one entry. Entries a tar cannot hold (a `..` component, an empty name) are soft errors.
    pub fn write_entry(&mut self, e: &Entry) -> Result<()> {
        let name = &e.name;
        if name.is_empty() || name.contains(&0) || name.split(|&c| c == b'/').any(|c| c == b"..") {
            self.summary.lost.entries += 1;
            self.soft(e, "a tar member name cannot be empty or contain `..` or NUL - skipped".into());
            return Ok(());
        }
        let mut path = tar_name(name);
        if e.kind == Kind::Dir && !path.ends_with(b"/") {
            path.push(b'/');
        }
        let path = Path::new(OsStr::from_bytes(&path));
        let m = &e.meta;

        let mut pax: Vec<(String, Vec<u8>)> = Vec::new();
        let header_secs = |t: Timestamp| u64::try_from(t.sec).ok().filter(|&s| s < 0o77777777777);
        if m.mtime.nsec != 0 || header_secs(m.mtime).is_none() {
            pax.push(("mtime".into(), pax_time(m.mtime).into_bytes()));
        }
        if m.atime != m.mtime {
            pax.push(("atime".into(), pax_time(m.atime).into_bytes()));
        }
        for x in &m.xattrs {
            match std::str::from_utf8(&x.name) {
                Ok(n) => pax.push((format!("SCHILY.xattr.{n}"), x.value.clone())),
                Err(_) => self.summary.lost.xattrs += 1,
            }
        }
        if let Some(a) = &m.acl {
            pax.push(("SCHILY.acl.access".into(), a.to_text().into_bytes()));
        }
        if let Some(a) = &m.default_acl {
            pax.push(("SCHILY.acl.default".into(), a.to_text().into_bytes()));
        }
        if !pax.is_empty() {
            let recs = pax.iter().map(|(k, v)| (k.as_str(), v.as_slice()));
            if let Err(err) = self.b.append_pax_extensions(recs) {
                return Err(self.fail(err));
            }
        }

        let mut h = tar::Header::new_gnu();
        h.set_mode(m.mode & 0o7777);
        h.set_uid(u64::from(m.uid));
        h.set_gid(u64::from(m.gid));
        h.set_mtime(header_secs(m.mtime).unwrap_or(0));
        h.set_size(0);
        let r = match e.kind {
            Kind::Symlink | Kind::HardLink => {
                h.set_entry_type(if e.kind == Kind::Symlink {
                    tar::EntryType::Symlink
                } else {
                    tar::EntryType::Link
                });
                let target = e.link_target.clone().unwrap_or_default();
                let target = if e.kind == Kind::HardLink { tar_name(&target) } else { target };
                self.b.append_link(&mut h, path, Path::new(OsStr::from_bytes(&target)))
            }
            Kind::Dir | Kind::Fifo | Kind::CharDev | Kind::BlockDev => {
                h.set_entry_type(match e.kind {
                    Kind::Dir => tar::EntryType::Directory,
                    Kind::Fifo => tar::EntryType::Fifo,
                    Kind::CharDev => tar::EntryType::Char,
                    _ => tar::EntryType::Block,
                });
                if matches!(e.kind, Kind::CharDev | Kind::BlockDev) {
                    let _ = h.set_device_major(m.rdev.major);
                    let _ = h.set_device_minor(m.rdev.minor);
                }
                self.b.append_data(&mut h, path, io::empty())
            }
            Kind::File => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(m.size);
                if m.sparse.is_some() {
                    self.summary.lost.sparse_layout += 1;
                }
                let src = match &e.data {
                    EntryData::Bytes(b) => Src::Bytes(b),
                    EntryData::Stream(rx) => Src::Stream(rx, Bytes::new()),
                    EntryData::Source(sf) => match &sf.open {
                        Some(f) => match f.file().try_clone() {
                            Ok(f) => Src::File(f),
                            Err(_) => Src::Zeros,
                        },
                        None => crate::archive::writer::open_source(sf).map_or(Src::Zeros, Src::File),
                    },
                    EntryData::None => Src::Zeros,
                };
                let mut data = Data { src, left: m.size, short: None };
                if m.size > 0 && matches!(data.src, Src::Zeros) {
                    data.short = Some("no data available; zero-filled".into());
                }
                let r = self.b.append_data(&mut h, path, &mut data);
                if let Some(msg) = data.short.take() {
                    self.soft(e, msg);
                }
                self.summary.bytes += m.size;
                r
            }
        };
        if let Err(err) = r {
            if self.b.get_ref().failed {
                return Err(self.fail(err));
            }
            // The crate refused the name or link target (e.g. a link target with `..` is fine, but a
            // name it cannot encode is not): skip this entry.
            self.summary.lost.entries += 1;
            self.soft(e, format!("cannot be written as a tar member: {err} - skipped"));
            return Ok(());
        }
        self.summary.entries += 1;
        self.events.event(&Event::Entry {
            name: &e.name,
            kind: e.kind,
            size: m.size,
            link: if e.kind == Kind::HardLink { e.link_target.as_deref() } else { None },
        });
        Ok(())
    }

    /// Writes the end-of-archive blocks and returns the output and the summary.
    pub fn finish(self) -> Result<(W, TarWriteSummary)> {
        let TarWriter { b, out_name, summary, .. } = self;
        let c = b.into_inner().map_err(|e| Error::io("write", &out_name, e))?;
        Ok((c.inner, summary))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_time_forms() {
        assert_eq!(pax_time(Timestamp { sec: 5, nsec: 0 }), "5");
        assert_eq!(tar_name(b"."), b"./");
        assert_eq!(tar_name(b"./deep/x"), b"deep/x");
        assert_eq!(tar_name(b"/abs"), b"/abs");
        assert_eq!(pax_time(Timestamp { sec: 1577934245, nsec: 123456789 }), "1577934245.123456789");
        assert_eq!(pax_time(Timestamp { sec: -2, nsec: 750_000_000 }), "-1.250000000");
    }
}
