//! `convert`: by-name ⇄ tar, as a stream, on the one pipeline (reader → filter → writer).
//!
//! The input format is recognised by its content, after [`crate::archive::open_stream`] has taken off a zstd
//! layer: a by-name FS_VOLUME label, or a tar header with the `ustar` magic (POSIX pax and GNU alike). The
//! readers are [`crate::archive::ArchiveReader`] and [`tar_read`]; the writers
//! [`crate::archive::ArchiveWriter`] and [`tar_write`]. Every stage speaks [`Entry`], so a conversion is
//! an ordinary pipeline run and nothing here seeks: pipes and standard input/output work.
//!
//! Metadata the target format cannot hold is counted per class in [`Losses`], never dropped silently:
//! by-name has no arbitrary xattrs, no default ACLs, no sub-second or post-2038 times and no sparse map;
//! tar has no AIX PCLs, and an [`Entry`] (hence tar) no AIX ACL entries without a POSIX equivalent.

pub mod tar_read;
pub mod tar_write;

use std::io::{self, Read, Write};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};

use crate::archive::{
    open_stream, ArchiveError, ArchiveReader, ArchiveWriter, Compression, OutStream, ReaderOptions,
    WriterOptions,
};
use crate::entry::Entry;
use crate::error::Result;
use crate::events::Events;
use crate::pipeline::{self, Batch, Counters, Filter};

/// An archive format `convert` reads or writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// The AIX by-name format (`backup -i`, mksysb).
    ByName,
    /// POSIX pax / GNU tar.
    Tar,
}

impl Format {
    /// The name used in messages and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::ByName => "by-name",
            Format::Tar => "tar",
        }
    }
}

/// Recognises the format from the first 512 bytes (fewer when the stream is shorter): a by-name stream
/// starts with FS_VOLUME (type 0, magic 60011, spec §4), a tar stream with a header whose magic at byte
/// 257 is `ustar`. `None` for anything else.
pub fn detect(head: &[u8]) -> Option<Format> {
    if head.len() >= 8 && head[1] == crate::archive::record::FS_VOLUME && head[2..4] == [0x6b, 0xea] {
        return Some(Format::ByName);
    }
    if head.len() >= 262 && &head[257..262] == b"ustar" {
        return Some(Format::Tar);
    }
    None
}

/// What `convert` writes.
#[derive(Clone, Debug)]
pub struct ConvertOptions {
    /// The output format.
    pub to: Format,
    /// Compress the output stream with zstd (either format).
    pub compression: Compression,
    /// By-name output: Huffman-pack files as `backup -p` does.
    pub pack: bool,
    /// By-name output: the volume label's date, Unix seconds.
    pub date: i32,
}

impl Default for ConvertOptions {
    fn default() -> Self {
        ConvertOptions { to: Format::Tar, compression: Compression::None, pack: false, date: 0 }
    }
}

/// Metadata the output could not hold, per class. Nothing in here was written; the rest of each entry was.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Losses {
    /// Extended attributes (by-name holds none but POSIX access ACLs; tar cannot name a non-UTF-8 one).
    pub xattrs: u64,
    /// POSIX default ACLs of directories (by-name cannot hold them).
    pub default_acls: u64,
    /// AIX ACL entries with no POSIX equivalent (deny, specify, multi-id), from a by-name input.
    pub aix_acl_entries: u64,
    /// AIX PCLs carrying privileges, from a by-name input (tar has no PCLs).
    pub aix_pcls: u64,
    /// Entries whose atime or mtime had nanoseconds: by-name holds whole seconds, so they were truncated.
    pub ns_times: u64,
    /// Entries with a time after 2038-01-19 (by-name's 32-bit times): stored as that limit.
    pub times_clamped: u64,
    /// Files with a sparse map whose holes were written as zeros (the target keeps no map; AIX restore makes
    /// all-zero 4 KiB blocks holes again).
    pub sparse_layout: u64,
    /// Pax records of a tar input that this reader does not understand (`SCHILY.fflags`, vendor keys):
    /// each key was named in a warning.
    pub pax_records: u64,
    /// Entries the output could not hold at all (name too long, `..` in a tar name, unsupported tar entry
    /// types); each was also reported as a soft error or warning.
    pub entries: u64,
}

impl Losses {
    /// The classes with a nonzero count, as `(label, count)`, in a fixed order.
    pub fn classes(&self) -> Vec<(&'static str, u64)> {
        [
            ("xattrs", self.xattrs),
            ("default ACLs", self.default_acls),
            ("AIX ACL entries", self.aix_acl_entries),
            ("AIX PCLs", self.aix_pcls),
            ("nanosecond times (truncated to seconds)", self.ns_times),
            ("times after 2038 (clamped)", self.times_clamped),
            ("sparse layouts (written dense)", self.sparse_layout),
            ("pax records not understood", self.pax_records),
            ("entries", self.entries),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect()
    }

    /// True when nothing was lost.
    pub fn is_empty(&self) -> bool {
        self.classes().is_empty()
    }
}

/// What [`convert`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ConvertSummary {
    /// The input format, as recognised.
    pub from: Option<Format>,
    /// True when the input was zstd-compressed.
    pub from_zstd: bool,
    /// Entries written.
    pub entries: u64,
    /// Data bytes of the regular files written.
    pub bytes: u64,
    /// Metadata the output could not hold.
    pub lost: Losses,
    /// Soft errors (entries skipped or incomplete), each also reported through the events.
    pub soft_errors: u64,
    /// Output bytes written (compressed bytes when compressing).
    pub output_bytes: u64,
}

/// A stream whose first bytes were read and are given back first.
type Peeked<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

/// Reads the first bytes of `input` (at most `n`) without losing them: returns them and a reader that yields
/// them again followed by the rest.
fn peek<R: Read>(mut input: R, n: usize) -> io::Result<(Vec<u8>, Peeked<R>)> {
    let mut head = vec![0u8; n];
    let mut got = 0;
    while got < n {
        match input.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(got);
    Ok((head.clone(), io::Cursor::new(head).chain(input)))
}

/// Converts the archive on `input` (by-name or tar, either possibly zstd-compressed) to `opts.to` on
/// `output`, streaming. Returns the output writer (flushed) and the summary.
///
/// A damaged or unrecognised input stops the run with [`crate::Error::Archive`] naming the byte offset (of
/// the uncompressed stream); what came before it has been written. An output failure is
/// [`crate::Error::Io`] naming `out_name` (or [`crate::Error::NoSpace`]).
pub fn convert<R, W>(
    input: R,
    output: W,
    out_name: &str,
    opts: &ConvertOptions,
    events: Arc<dyn Events>,
) -> Result<(W, ConvertSummary)>
where
    R: Read + Send,
    W: Write + Send,
{
    let out_err = |e: io::Error| crate::Error::io("write", out_name, e);
    let stream = open_stream(input).map_err(|e| ArchiveError::from_read(0, e))?;
    let from_zstd = stream.is_zstd();
    let (head, stream) = peek(stream, 512).map_err(|e| ArchiveError::from_read(0, e))?;
    let from = detect(&head).ok_or_else(|| ArchiveError::UnknownFormat {
        message: if head.is_empty() {
            "the input is empty".into()
        } else {
            format!("no by-name volume label and no ustar magic in the first {} bytes", head.len())
        },
    })?;
    let out = OutStream::new(output, opts.compression).map_err(out_err)?;
    let counters = Counters::default();
    let filter = Filter { exclude: None, explain: false, select: None };
    let ev = &*events;

    // Reader stages: their own losses come back with them.
    let read = |tx: Sender<Batch>| -> Result<Losses> {
        let mut lost = Losses::default();
        match from {
            Format::ByName => {
                let mut r = ArchiveReader::new(stream, ReaderOptions::default()).with_events(events.clone());
                pipeline::send_archive(&mut r, &tx, ev)?;
                lost.aix_acl_entries = r.stats().acl_entries_dropped;
                lost.aix_pcls = r.stats().pcls_dropped;
            }
            Format::Tar => {
                let stats = tar_read::send_tar(stream, &tx, ev)?;
                lost.entries = stats.unsupported;
                lost.pax_records = stats.unknown_records;
            }
        }
        Ok(lost)
    };

    // Writer stages: the writer's losses and soft errors, and the finished output.
    type Written<W> = (OutStream<W>, Losses, u64, u64, u64);
    let write = |rx: Receiver<Batch>| -> Result<Written<W>> {
        let mut lost = Losses::default();
        match opts.to {
            Format::ByName => {
                let wopts = WriterOptions { pack: opts.pack, date: opts.date, ..WriterOptions::default() };
                let mut w = ArchiveWriter::new(out, wopts)?.with_events(events.clone());
                for e in rx.into_iter().flatten() {
                    count_byname_losses(&e, &mut lost);
                    w.write_entry(&e).map_err(|e| crate::Error::from(e).archive_output(out_name.as_ref()))?;
                }
                let (out, s) =
                    w.finish().map_err(|e| crate::Error::from(e).archive_output(out_name.as_ref()))?;
                lost.xattrs += s.xattrs_dropped;
                lost.default_acls += s.default_acls_dropped;
                lost.times_clamped += s.times_clamped;
                lost.entries += s.skipped;
                Ok((out, lost, s.entries, s.bytes, s.soft_errors))
            }
            Format::Tar => {
                let mut w = tar_write::TarWriter::new(out, out_name, events.clone());
                for e in rx.into_iter().flatten() {
                    w.write_entry(&e)?;
                }
                let (out, s) = w.finish()?;
                Ok((out, s.lost, s.entries, s.bytes, s.soft_errors))
            }
        }
    };

    let (read_lost, (out, write_lost, entries, bytes, soft_errors)) =
        pipeline::run(read, &filter, write, &counters, ev)?;
    let (output, output_bytes) = out.finish().map_err(out_err)?;
    let _ = counters.kept.load(Ordering::Relaxed);
    let lost = Losses {
        xattrs: read_lost.xattrs + write_lost.xattrs,
        default_acls: read_lost.default_acls + write_lost.default_acls,
        aix_acl_entries: read_lost.aix_acl_entries + write_lost.aix_acl_entries,
        aix_pcls: read_lost.aix_pcls + write_lost.aix_pcls,
        ns_times: read_lost.ns_times + write_lost.ns_times,
        times_clamped: read_lost.times_clamped + write_lost.times_clamped,
        sparse_layout: read_lost.sparse_layout + write_lost.sparse_layout,
        pax_records: read_lost.pax_records + write_lost.pax_records,
        entries: read_lost.entries + write_lost.entries,
    };
    let summary =
        ConvertSummary { from: Some(from), from_zstd, entries, bytes, lost, soft_errors, output_bytes };
    Ok((output, summary))
}

/// What the by-name writer does not count itself: sub-second times and sparse maps.
fn count_byname_losses(e: &Entry, lost: &mut Losses) {
    let m = &e.meta;
    if m.mtime.nsec != 0 || m.atime.nsec != 0 {
        lost.ns_times += 1;
    }
    if m.sparse.is_some() {
        lost.sparse_layout += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_by_magic() {
        let mut byname = vec![0u8; 64];
        byname[..4].copy_from_slice(&[9, 0, 0x6b, 0xea]);
        assert_eq!(detect(&byname), Some(Format::ByName));
        let mut tar = vec![0u8; 512];
        tar[257..263].copy_from_slice(b"ustar\0");
        assert_eq!(detect(&tar), Some(Format::Tar));
        tar[257..265].copy_from_slice(b"ustar  \0");
        assert_eq!(detect(&tar), Some(Format::Tar));
        assert_eq!(detect(b"hello"), None);
        assert_eq!(detect(&[0u8; 512]), None);
    }

    /// A by-name file whose PCL carries privileges: tar cannot hold them, so they are counted, and the rest
    /// of the file (name, data, owner, mode) arrives in the tar.
    #[test]
    fn aix_pcls_are_counted_going_to_tar() {
        use crate::entry::{EntryData, Kind, Meta};
        let meta = Meta { mode: 0o640, uid: 7, gid: 8, nlink: 1, size: 5, ..Meta::default() };
        let mut e = Entry::new(b"./p".to_vec(), Kind::File, meta);
        e.data = EntryData::Bytes(bytes::Bytes::from_static(b"hello"));
        let mut w = ArchiveWriter::new(Vec::new(), WriterOptions::default()).unwrap();
        w.write_entry(&e).unwrap();
        let (mut bff, _) = w.finish().unwrap();
        // Volume label (9 dwords), the file's header (len dwords), sac_rec, base ACL (16), then the PCL:
        // pcl_len, pcl_mode, default privileges.
        let pcl = 72 + usize::from(bff[72]) * 8 + 8 + 16;
        assert_eq!(u32::from_le_bytes(bff[pcl..pcl + 4].try_into().unwrap()), 16);
        bff[pcl + 8] = 1;
        let opts = ConvertOptions { to: Format::Tar, ..ConvertOptions::default() };
        let (tar, s) = convert(&bff[..], Vec::new(), "-", &opts, Arc::new(crate::events::NoEvents)).unwrap();
        assert_eq!(s.from, Some(Format::ByName));
        assert_eq!(s.lost.classes(), vec![("AIX PCLs", 1)]);
        assert_eq!((s.entries, s.bytes), (1, 5));
        let mut ar = tar::Archive::new(&tar[..]);
        let mut ents = ar.entries().unwrap();
        let mut t = ents.next().unwrap().unwrap();
        assert_eq!(&*t.path_bytes(), b"p");
        assert_eq!(
            (t.header().mode().unwrap(), t.header().uid().unwrap(), t.header().gid().unwrap()),
            (0o640, 7, 8)
        );
        let mut data = Vec::new();
        t.read_to_end(&mut data).unwrap();
        assert_eq!(data, b"hello");
    }

    /// Returns reads of 1 to 13 bytes, as a pipe may.
    struct Dribble<'a>(&'a [u8], usize);

    impl Read for Dribble<'_> {
        fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
            self.1 = (self.1 * 7 + 3) % 13 + 1;
            let k = self.1.min(b.len()).min(self.0.len());
            b[..k].copy_from_slice(&self.0[..k]);
            self.0 = &self.0[k..];
            Ok(k)
        }
    }

    /// Our own tar (long name, ACLs, an xattr, a ns time) read back through short reads: ACL text with
    /// newlines parses, the access ACL and the file reach the by-name archive, and what by-name cannot hold is
    /// counted.
    #[test]
    fn tar_with_acls_and_long_names_reads_back_through_short_reads() {
        use crate::acl::{AclEntry, AclTag, PosixAcl};
        use crate::entry::{EntryData, Kind, Meta, Timestamp, Xattr};
        let acl = PosixAcl {
            entries: vec![
                AclEntry { tag: AclTag::UserObj, perm: 6 },
                AclEntry { tag: AclTag::User(12345), perm: 4 },
                AclEntry { tag: AclTag::GroupObj, perm: 4 },
                AclEntry { tag: AclTag::Mask, perm: 4 },
                AclEntry { tag: AclTag::Other, perm: 0 },
            ],
        };
        let long = format!("./{}/{}", "d".repeat(90), "f".repeat(90));
        let dir = Entry::new(
            format!("./{}", "d".repeat(90)).into_bytes(),
            Kind::Dir,
            Meta { mode: 0o755, nlink: 2, default_acl: Some(acl.clone()), ..Meta::default() },
        );
        let meta = Meta {
            mode: 0o640,
            nlink: 1,
            size: 3,
            mtime: Timestamp { sec: 1_600_000_000, nsec: 5 },
            acl: Some(acl.clone()),
            xattrs: vec![Xattr { name: b"user.bin".to_vec(), value: b"a\nb\0c".to_vec() }],
            ..Meta::default()
        };
        let mut file = Entry::new(long.clone().into_bytes(), Kind::File, meta);
        file.data = EntryData::Bytes(bytes::Bytes::from_static(b"abc"));
        let mut w = tar_write::TarWriter::new(Vec::new(), "-", Arc::new(crate::events::NoEvents));
        w.write_entry(&dir).unwrap();
        w.write_entry(&file).unwrap();
        let (tar, ts) = w.finish().unwrap();
        assert_eq!((ts.entries, ts.lost.clone()), (2, Losses::default()));

        let opts = ConvertOptions { to: Format::ByName, ..ConvertOptions::default() };
        let ev = || Arc::new(crate::events::NoEvents);
        let (whole, s1) = convert(&tar[..], Vec::new(), "-", &opts, ev()).unwrap();
        let (dribbled, s2) = convert(Dribble(&tar, 0), Vec::new(), "-", &opts, ev()).unwrap();
        assert_eq!(whole, dribbled);
        assert_eq!(s1, s2);
        assert_eq!(s1.from, Some(Format::Tar));
        assert_eq!(
            s1.lost.classes(),
            vec![("xattrs", 1), ("default ACLs", 1), ("nanosecond times (truncated to seconds)", 1)]
        );
        let mut r = ArchiveReader::new(&whole[..], ReaderOptions::default());
        let d = r.next_entry().unwrap().unwrap();
        assert_eq!((d.kind, d.name.len()), (Kind::Dir, 92));
        let f = r.next_entry().unwrap().unwrap();
        assert_eq!(f.name, long.as_bytes());
        assert_eq!(f.meta.acl, Some(acl));
        assert_eq!(f.meta.mtime, Timestamp::from_secs(1_600_000_000));
        match f.data {
            EntryData::Bytes(b) => assert_eq!(&b[..], b"abc"),
            other => panic!("{other:?}"),
        }
    }

    /// bsdtar writes xattrs as `LIBARCHIVE.xattr.NAME` (percent-encoded name, base64 value): they are read
    /// as xattrs. A key nobody here understands (`SCHILY.fflags`) is counted and named in one warning.
    #[test]
    fn libarchive_xattrs_are_read_and_unknown_pax_keys_are_counted() {
        let tar_bytes = {
            let mut h = tar::Header::new_gnu();
            h.set_size(2);
            h.set_mode(0o644);
            h.set_uid(0);
            h.set_gid(0);
            h.set_mtime(1_600_000_000);
            h.set_cksum();
            let mut b2 = tar::Builder::new(Vec::new());
            b2.append_pax_extensions([
                ("LIBARCHIVE.xattr.user.a%20b", &b"aGk="[..]),
                ("SCHILY.fflags", &b"nodump"[..]),
            ])
            .unwrap();
            b2.append_data(&mut h.clone(), "f", &b"ok"[..]).unwrap();
            b2.append_pax_extensions([("SCHILY.fflags", &b"nodump"[..])]).unwrap();
            b2.append_data(&mut h, "g", &b"ok"[..]).unwrap();
            b2.into_inner().unwrap()
        };
        let rec = Arc::new(crate::events::RecordEvents::default());
        let opts = ConvertOptions { to: Format::Tar, ..ConvertOptions::default() };
        let (out, s) = convert(&tar_bytes[..], Vec::new(), "-", &opts, rec.clone()).unwrap();
        assert_eq!(s.lost.classes(), vec![("pax records not understood", 2)]);
        let warnings: Vec<String> =
            rec.0.lock().unwrap().iter().filter(|l| l.starts_with("warning")).cloned().collect();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("SCHILY.fflags"), "{warnings:?}");
        // The xattr went on as SCHILY.xattr.user.a b (its name decoded).
        let mut ar = tar::Archive::new(&out[..]);
        let mut first = ar.entries().unwrap().next().unwrap().unwrap();
        let pax: Vec<(String, Vec<u8>)> = first
            .pax_extensions()
            .unwrap()
            .unwrap()
            .map(|x| {
                let x = x.unwrap();
                (x.key().unwrap().to_string(), x.value_bytes().to_vec())
            })
            .collect();
        assert!(pax.contains(&("SCHILY.xattr.user.a b".to_string(), b"hi".to_vec())), "{pax:?}");
    }

    #[test]
    fn losses_list_only_nonzero_classes() {
        let l = Losses { xattrs: 3, aix_pcls: 1, ..Losses::default() };
        assert_eq!(l.classes(), vec![("xattrs", 3), ("AIX PCLs", 1)]);
        assert!(Losses::default().is_empty());
    }
}
