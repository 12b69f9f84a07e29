//! `altdisk verify --archive`: a by-name archive (plain or zstd) against the tree it was restored to, or
//! taken from. The archive is read once, as it streams; each member's data is compared with the tree's
//! file while it is read.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::{dot_name, read_full, scan, CompareOptions, DiffKind, Difference, TimePrecision};
use crate::acl::{PosixAcl, XATTR_ACCESS};
use crate::archive::{open_stream, ArchiveReader, ReaderOptions, Record};
use crate::entry::DevId;
use crate::exclude::ExcludeList;
use crate::{Error, Result};

/// Compares the archive at `archive` with the tree `dst`: each member's type, permission bits, owner,
/// mtime (to the second, all the format keeps), size, content, symlink target, device numbers and hard
/// links, and its ACL (the POSIX access ACL restore makes of it) against the tree's; names of `dst` the
/// archive lacks are [`DiffKind::Extra`]. Xattrs, default ACLs and sparse layout are not compared (the format
/// keeps none of them). A damaged or
/// truncated archive is an [`Error::Archive`]. Differences come sorted by path, then class.
pub fn compare_archive(
    archive: &Path,
    dst: &Path,
    opts: &CompareOptions,
    exclude: Option<&ExcludeList>,
) -> Result<Vec<Difference>> {
    let file = File::open(archive).map_err(|e| Error::io("open", archive, e))?;
    // The reader buffers by itself: a BufReader in front of it only copies twice, and a memmap2 mapping was
    // slower still (benches/benches/archive.rs, group archive_file; docs/parallelism.md).
    let stream = open_stream(file).map_err(|e| Error::io("read", archive, e))?;
    let mut reader = ArchiveReader::new(stream, ReaderOptions { resync: false });
    let mut out = Vec::new();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    while let Some(rec) = reader.next_record()? {
        let e = match rec {
            Record::Entry(e) => e,
            Record::End => break,
            _ => continue,
        };
        let rel = relative(&e.name);
        if !rel.as_os_str().is_empty() && exclude.is_some_and(|l| l.is_excluded(&dot_name(&rel))) {
            continue;
        }
        seen.insert(rel.clone());
        let p = dst.join(&rel);
        let md = match fs::symlink_metadata(&p) {
            Ok(md) => md,
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                opts.push(&mut out, &rel, DiffKind::Missing, "not in the tree".to_string());
                continue;
            }
            Err(err) => return Err(Error::io("stat", &p, err)),
        };
        let h = &e.header;
        let (ta, tb) = (h.mode & 0o170000, md.mode() & 0o170000);
        if ta != tb {
            opts.push(&mut out, &rel, DiffKind::Type, format!("{ta:o} vs {tb:o}"));
            continue;
        }
        let ft = md.file_type();
        if opts.mode && !ft.is_symlink() && h.mode & 0o7777 != md.mode() & 0o7777 {
            opts.push(
                &mut out,
                &rel,
                DiffKind::Mode,
                format!("{:o} vs {:o}", h.mode & 0o7777, md.mode() & 0o7777),
            );
        }
        if opts.owners && (h.uid, h.gid) != (md.uid(), md.gid()) {
            opts.push(
                &mut out,
                &rel,
                DiffKind::Owner,
                format!("{}:{} vs {}:{}", h.uid, h.gid, md.uid(), md.gid()),
            );
        }
        let check_time = !rel.as_os_str().is_empty()
            && (!ft.is_dir() || opts.dir_mtime)
            && opts.mtime != TimePrecision::Ignore;
        if check_time && i64::from(h.mtime) != md.mtime() {
            opts.push(&mut out, &rel, DiffKind::Mtime, format!("{} vs {}", h.mtime, md.mtime()));
        }
        // The archive's AIX ACL as restore applies it (its POSIX form), against the tree's access ACL.
        if opts.acls && !ft.is_symlink() {
            let want = e.security.as_ref().and_then(|s| s.acl.to_posix().0).filter(PosixAcl::is_extended);
            let have = access_acl(&p)?;
            if want != have {
                let show =
                    |a: &Option<PosixAcl>| a.as_ref().map_or_else(|| "none".to_string(), PosixAcl::to_text);
                let d =
                    format!("[{}] vs [{}]", show(&want).replace('\n', ","), show(&have).replace('\n', ","));
                opts.push(&mut out, &rel, DiffKind::Acls, d);
            }
        }
        let rdev = DevId { major: h.rdevmaj, minor: h.rdevmin }.to_dev();
        if (ft.is_char_device() || ft.is_block_device()) && rdev != md.rdev() {
            opts.push(
                &mut out,
                &rel,
                DiffKind::Rdev,
                format!("{}:{} vs {:x}", h.rdevmaj, h.rdevmin, md.rdev()),
            );
        }
        if let Some(first) = &e.hardlink_to {
            let q = dst.join(relative(first));
            let same = fs::symlink_metadata(&q).is_ok_and(|m| (m.dev(), m.ino()) == (md.dev(), md.ino()));
            if opts.hardlinks && !same {
                let d = format!("not a link of {}", String::from_utf8_lossy(first));
                opts.push(&mut out, &rel, DiffKind::HardLinks, d);
            }
            continue;
        }
        if ft.is_symlink() {
            let mut target = Vec::new();
            reader.read_data(&mut target)?;
            let have = fs::read_link(&p).map_err(|err| Error::io("readlink", &p, err))?;
            if target != have.as_os_str().as_bytes() {
                let d = format!("{} vs {}", String::from_utf8_lossy(&target), have.display());
                opts.push(&mut out, &rel, DiffKind::SymlinkTarget, d);
            }
        } else if ft.is_file() {
            if h.size != md.size() {
                opts.push(&mut out, &rel, DiffKind::Size, format!("{} vs {}", h.size, md.size()));
            } else if opts.content {
                let f = File::open(&p).map_err(|err| Error::io("open", &p, err))?;
                let mut against = Against { file: f, buf: Vec::new(), same: true, err: None };
                reader.read_data(&mut against)?;
                if let Some(err) = against.err {
                    return Err(Error::io("read", &p, err));
                }
                if !against.same {
                    opts.push(&mut out, &rel, DiffKind::Content, "the bytes differ".to_string());
                }
            }
        }
    }
    let tree = scan(dst, &CompareOptions { xattrs: false, acls: false, ..opts.clone() }, exclude)?;
    for rel in tree.keys() {
        if !seen.contains(rel) {
            opts.push(&mut out, rel, DiffKind::Extra, "not in the archive".to_string());
        }
    }
    out.sort_by(|x, y| (&x.path, x.kind).cmp(&(&y.path, y.kind)));
    Ok(out)
}

/// The extended POSIX access ACL of `p` (`None` when it has none beyond its mode bits).
fn access_acl(p: &Path) -> Result<Option<PosixAcl>> {
    let mut buf = vec![0u8; 64 << 10];
    match rustix::fs::lgetxattr(p, std::ffi::OsStr::from_bytes(XATTR_ACCESS), &mut buf[..]) {
        Ok(n) => Ok(PosixAcl::from_xattr(&buf[..n]).ok().filter(PosixAcl::is_extended)),
        Err(rustix::io::Errno::NODATA | rustix::io::Errno::NOTSUP) => Ok(None),
        Err(e) => Err(Error::io("read ACL", p, e.into())),
    }
}

/// `./usr/bin/ls`, `/usr/bin/ls` and `usr/bin/ls` all name `usr/bin/ls`; `.` and `./` the root.
fn relative(name: &[u8]) -> PathBuf {
    let mut n = name;
    while let Some(rest) = n.strip_prefix(b"./").or_else(|| n.strip_prefix(b"/")) {
        n = rest;
    }
    if n == b"." {
        n = b"";
    }
    PathBuf::from(std::ffi::OsStr::from_bytes(n))
}

/// A writer that compares what is written with the next bytes of `file`.
struct Against {
    file: File,
    buf: Vec<u8>,
    same: bool,
    err: Option<io::Error>,
}

impl Write for Against {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.same && self.err.is_none() {
            self.buf.resize(data.len(), 0);
            match read_full(&mut self.file, &mut self.buf) {
                Ok(n) => self.same = n == data.len() && self.buf[..n] == *data,
                Err(e) => self.err = Some(e),
            }
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
