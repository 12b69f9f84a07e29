//! Files that change while they are copied.
//!
//! Every reader of a live regular file (the walker's read-ahead, the tree writer, the archive writer) takes a
//! [`Stamp`] (size, mtime and ctime, with nanoseconds) of the open descriptor just before it reads the data
//! and again after the last byte. Two equal stamps mean no write or truncation reached the file while it was
//! read (every write moves mtime and ctime). What each writer does with a difference:
//!
//! * the tree writer (`clone`, `alt_disk_copy` phase 1) copies the file again once, from a truncated target,
//!   and takes the target's size and mtime from the last stamp; when the file changed during the second read
//!   too, the second copy is kept and reported as a soft error (class `changed`);
//! * the archive writer (`backup`, `mksysb`) has sent the header already: it stops at the announced size or
//!   pads with zeros up to it, and reports a soft error (class `changed`).
//!
//! A change between the walk's stat and the read, with a stable read, only makes the copy newer than the
//! walk saw it: it is counted and told as [`Event::Changed`](crate::events::Event::Changed), not an error.

use std::os::fd::AsFd;

use crate::entry::{Meta, Timestamp};

/// What tells one version of a file from the next: any write or truncation moves mtime and ctime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// Length in bytes.
    pub size: u64,
    /// Modification time.
    pub mtime: Timestamp,
    /// Status-change time.
    pub ctime: Timestamp,
}

impl Stamp {
    /// The stamp the walk recorded in `meta`.
    pub fn of_meta(meta: &Meta) -> Self {
        Stamp { size: meta.size, mtime: meta.mtime, ctime: meta.ctime }
    }

    /// The stamp of the open file `fd`, and whether it is a regular file.
    pub fn of_fd(fd: impl AsFd) -> std::io::Result<(Self, bool)> {
        let st = rustix::fs::fstat(fd)?;
        let ts = |sec: i64, nsec: u64| Timestamp { sec, nsec: nsec.min(999_999_999) as u32 };
        let stamp = Stamp {
            size: st.st_size.max(0) as u64,
            mtime: ts(st.st_mtime, st.st_mtime_nsec),
            ctime: ts(st.st_ctime, st.st_ctime_nsec),
        };
        Ok((stamp, st.st_mode & libc::S_IFMT == libc::S_IFREG))
    }

    /// Describes how `self` (before) differs from `after`, for messages: "size 10 -> 12, mtime".
    pub fn describe_change(&self, after: &Stamp) -> String {
        let mut parts = Vec::new();
        if self.size != after.size {
            parts.push(format!("size {} -> {}", self.size, after.size));
        }
        if self.mtime != after.mtime {
            parts.push("mtime".to_string());
        }
        if self.ctime != after.ctime {
            parts.push("ctime".to_string());
        }
        parts.join(", ")
    }
}

/// The message of a file whose copy may not be one version of it.
pub const CHANGED: &str = "changed while copied";

/// Runs the test hook registered for `path`, if any, between the "before" stamp and the read. `path` is
/// only computed when a hook is registered (test builds only).
#[inline]
pub(crate) fn before_read(path: impl FnOnce() -> std::path::PathBuf) {
    #[cfg(any(test, feature = "test-hooks"))]
    hook::fire(path);
    #[cfg(not(any(test, feature = "test-hooks")))]
    let _ = path;
}

/// Test hooks (test builds and the `test-hooks` feature only): run a closure at the moment a chosen file has
/// been stamped and is about to be read, so a test can change exactly that file at exactly that moment.
#[cfg(any(test, feature = "test-hooks"))]
pub mod hook {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    type Hook = Box<dyn FnOnce() + Send>;

    /// Hooks registered and not yet run (a cheap check for the common case of none).
    static PENDING: AtomicUsize = AtomicUsize::new(0);
    static HOOKS: Mutex<Vec<(PathBuf, Hook)>> = Mutex::new(Vec::new());

    /// Runs `f` once, the first time any reader has stamped `path` and is about to read its data; hooks of
    /// one path run in the order they were registered.
    pub fn before_read(path: impl AsRef<Path>, f: impl FnOnce() + Send + 'static) {
        if let Ok(mut v) = HOOKS.lock() {
            v.push((path.as_ref().to_path_buf(), Box::new(f)));
            PENDING.fetch_add(1, Ordering::SeqCst);
        }
    }

    pub(crate) fn fire(path: impl FnOnce() -> PathBuf) {
        if PENDING.load(Ordering::SeqCst) == 0 {
            return;
        }
        let p = path();
        let f = {
            let Ok(mut v) = HOOKS.lock() else { return };
            let Some(i) = v.iter().position(|(q, _)| *q == p) else { return };
            PENDING.fetch_sub(1, Ordering::SeqCst);
            v.remove(i).1
        };
        f();
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::Path;
    use std::sync::Arc;

    use crate::archive::{ArchiveReader, ArchiveWriter, ReaderOptions, WriterOptions};
    use crate::events::RecordEvents;
    use crate::pipeline::{self, CloneSummary, Filter, Refresh};
    use crate::tree::TreeOptions;
    use crate::walk::WalkOptions;

    fn append(p: &Path, b: &[u8]) {
        std::fs::OpenOptions::new().append(true).open(p).unwrap().write_all(b).unwrap();
    }

    fn truncate(p: &Path, len: u64) {
        std::fs::OpenOptions::new().write(true).open(p).unwrap().set_len(len).unwrap();
    }

    /// A source tree of the given files, a target path and the walk options (`read_ahead` 0: the tree
    /// writer reads every file; otherwise the walker reads small files first).
    fn setup(files: &[(&str, &[u8])]) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
        let t = tempfile::tempdir().unwrap();
        let src = t.path().join("src");
        std::fs::create_dir(&src).unwrap();
        for (n, b) in files {
            std::fs::write(src.join(n), b).unwrap();
        }
        let dst = t.path().join("dst");
        (t, src, dst)
    }

    fn clone(src: &Path, dst: &Path, read_ahead: u64) -> (CloneSummary, Vec<String>) {
        let wopts = WalkOptions::new(src).with_data_source(true).read_ahead(read_ahead).threads(1);
        let topts = TreeOptions { target: dst.to_path_buf(), threads: 1, ..TreeOptions::default() };
        let ev = RecordEvents::default();
        let s = pipeline::clone_tree(&wopts, None, false, &topts, Refresh::All, &ev).unwrap();
        (s, ev.0.into_inner().unwrap())
    }

    fn lines_with<'a>(ev: &'a [String], prefix: &str) -> Vec<&'a String> {
        ev.iter().filter(|l| l.starts_with(prefix)).collect()
    }

    #[test]
    fn clone_copies_a_file_appended_to_while_read_again_whichever_stage_reads_it() {
        for read_ahead in [0, 64 << 10] {
            let (_t, src, dst) = setup(&[("a", b"aaaa"), ("quiet", b"q")]);
            let a = src.join("a");
            let hooked = a.clone();
            super::hook::before_read(&a, move || append(&hooked, b"AAAA"));
            let (s, ev) = clone(&src, &dst, read_ahead);
            assert_eq!((s.tree.changed, s.tree.soft_errors, s.tree.files), (1, 0, 2), "{ev:?}");
            assert_eq!(std::fs::read(dst.join("a")).unwrap(), b"aaaaAAAA");
            assert_eq!(std::fs::read(dst.join("quiet")).unwrap(), b"q");
            // The target's mtime is the version copied, not the one the walk saw.
            let mtime = |p: &Path| std::fs::metadata(p).unwrap().modified().unwrap();
            assert_eq!(mtime(&dst.join("a")), mtime(&a));
            let changed = lines_with(&ev, "changed ");
            assert_eq!(changed.len(), 1, "{ev:?}");
            assert!(changed[0].starts_with(&format!("changed {}: changed ", a.display())), "{changed:?}");
            assert!(changed[0].contains("(size 4 -> 8"), "{changed:?}");
        }
    }

    #[test]
    fn clone_copies_a_file_truncated_while_read_as_truncated() {
        let (_t, src, dst) = setup(&[("b", b"bbbbbbbb")]);
        let b = src.join("b");
        let hooked = b.clone();
        super::hook::before_read(&b, move || truncate(&hooked, 2));
        let (s, ev) = clone(&src, &dst, 0);
        assert_eq!((s.tree.changed, s.tree.soft_errors), (1, 0), "{ev:?}");
        assert_eq!(std::fs::read(dst.join("b")).unwrap(), b"bb");
        let changed = lines_with(&ev, "changed ");
        assert_eq!(
            changed[0].split(" (").next(),
            Some(format!("changed {}: changed during the read", b.display()).as_str())
        );
    }

    #[test]
    fn a_file_that_changes_during_the_second_read_too_is_kept_as_read_and_is_a_soft_error() {
        let (_t, src, dst) = setup(&[("c", b"ccc")]);
        let c = src.join("c");
        let (h1, h2) = (c.clone(), c.clone());
        super::hook::before_read(&c, move || append(&h1, b"1"));
        super::hook::before_read(&c, move || append(&h2, b"2"));
        let (s, ev) = clone(&src, &dst, 0);
        assert_eq!((s.tree.changed, s.tree.soft_errors, s.tree.files), (1, 1, 1), "{ev:?}");
        // The second read copies the size stamped before it: a version the file had ("ccc1").
        assert_eq!(std::fs::read(dst.join("c")).unwrap(), b"ccc1");
        let errors = lines_with(&ev, "error ");
        assert_eq!(errors.len(), 1, "{ev:?}");
        assert!(
            errors[0].starts_with(&format!(
                "error changed {}: changed while copied: changed during the read (size 3 -> 4",
                c.display()
            )),
            "{errors:?}"
        );
        assert!(errors[0].ends_with("; the second copy is kept"), "{errors:?}");
        assert!(lines_with(&ev, "changed ").is_empty(), "{ev:?}");
    }

    #[test]
    fn a_file_renamed_or_deleted_while_read_is_copied_from_its_open_descriptor() {
        let (_t, src, dst) = setup(&[("d", b"dddd"), ("e", b"eeee")]);
        let (d, e) = (src.join("d"), src.join("e"));
        let (hd, he) = (d.clone(), e.clone());
        let moved = src.join("d.moved");
        super::hook::before_read(&d, move || std::fs::rename(&hd, &moved).unwrap());
        super::hook::before_read(&e, move || std::fs::remove_file(&he).unwrap());
        let (s, ev) = clone(&src, &dst, 0);
        // A rename or unlink moves ctime only: the data is the same whichever the read.
        assert_eq!((s.tree.soft_errors, s.tree.files), (0, 2), "{ev:?}");
        assert_eq!(std::fs::read(dst.join("d")).unwrap(), b"dddd");
        assert_eq!(std::fs::read(dst.join("e")).unwrap(), b"eeee");
        assert!(!dst.join("d.moved").exists());
    }

    /// Each regular file's data in the archive `a`, by name.
    fn archived(a: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut r = ArchiveReader::new(a, ReaderOptions::default());
        let mut out = Vec::new();
        while let Some(rec) = r.next_record().unwrap() {
            if let crate::archive::reader::Record::Entry(e) = rec {
                if e.header.mode & 0o170000 == 0o100000 {
                    let mut data = Vec::new();
                    r.read_data(&mut data).unwrap();
                    out.push((String::from_utf8_lossy(&e.name).into_owned(), data));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn backup_keeps_the_announced_size_of_a_file_that_changed_while_read_and_reports_it() {
        for read_ahead in [0, 64 << 10] {
            let (_t, src, _) = setup(&[("f", b"ffff"), ("g", b"gggggggg"), ("h", b"hh")]);
            let (f, g) = (src.join("f"), src.join("g"));
            let (hf, hg) = (f.clone(), g.clone());
            super::hook::before_read(&f, move || append(&hf, b"FFFF"));
            super::hook::before_read(&g, move || truncate(&hg, 3));
            let ev = Arc::new(RecordEvents::default());
            let w = ArchiveWriter::new(Vec::new(), WriterOptions::default()).unwrap().with_events(ev.clone());
            let wopts = WalkOptions::new(&src).with_data_source(true).read_ahead(read_ahead).threads(1);
            let filter = Filter { exclude: None, explain: false, select: None };
            let (out, s) = pipeline::backup_walk(&wopts, None, &filter, w, None, ev.as_ref()).unwrap();
            let lines = ev.0.lock().unwrap().clone();
            let got = archived(&out);
            let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, ["./f", "./g", "./h"]);
            if read_ahead == 0 {
                // Read by the archive writer after its header was out: the announced size holds.
                assert_eq!((s.write.changed, s.write.soft_errors), (2, 2), "{lines:?}");
                assert_eq!(got[0].1, b"ffff");
                assert_eq!(got[1].1, b"ggg\0\0\0\0\0");
                let errors = lines_with(&lines, "error changed ");
                assert_eq!(errors.len(), 2, "{lines:?}");
                assert!(errors[0].starts_with("error changed ./f: changed while copied (size 4 -> 8"));
                assert!(errors[0].ends_with("): stored as its first 4 bytes"), "{errors:?}");
                assert!(errors[1].starts_with("error changed ./g: changed while copied (size 8 -> 3"));
                assert!(errors[1].ends_with("): 3 of 8 bytes read, rest zero-filled"), "{errors:?}");
            } else {
                // The walker saw the change and left the file to the writer, which stamped it anew before the
                // header: one version, whole, and no error.
                assert_eq!((s.write.changed, s.write.soft_errors), (2, 0), "{lines:?}");
                assert_eq!(got[0].1, b"ffffFFFF");
                assert_eq!(got[1].1, b"ggg");
                assert_eq!(lines_with(&lines, "changed ").len(), 2, "{lines:?}");
            }
            assert_eq!(got[2].1, b"hh");
        }
    }
}
