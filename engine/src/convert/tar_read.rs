//! The tar reader stage: POSIX pax and GNU tar in, [`Entry`] values out.
//!
//! The `tar` crate parses the headers: checksums, GNU long names and long link names (`L`/`K`), pax `path`,
//! `linkpath`, `size`, `uid` and `gid`, and old-GNU sparse members (`S`, whose holes it fills with zeros).
//! This stage adds what the crate leaves to its caller: pax times with nanoseconds, `SCHILY.xattr.*` (with
//! `system.posix_acl_*` taken as the ACLs they are), `SCHILY.acl.access` / `SCHILY.acl.default` (the text
//! form GNU tar and star write), bsdtar's `LIBARCHIVE.xattr.*` (percent-encoded name, base64 value), and
//! GNU's pax sparse formats 0.1 and 1.0, which the crate does not know
//! (it would hand out the raw map and data under the `GNUSparseFile.0/` name).
//!
//! Where the crate does not do the job: its pax record parser (0.4) splits the extended header at every
//! newline before reading the length prefix, so any value holding a newline fails to parse, and that is
//! every ACL GNU tar writes (one entry per line) and many binary xattr values. The raw extended header is
//! not reachable through its API, so a tap under the crate (`Tap`) keeps the bytes between one member's
//! data and the next member's header (only extension headers live there), and [`parse_pax`] reads the
//! records from them by their length prefixes, as POSIX defines them.
//!
//! Names become by-name style: `etc/hosts` and `./etc/hosts` both become `./etc/hosts`, the top `./`
//! becomes `.`, a directory's trailing `/` goes; absolute names stay as they are.
//!
//! Hard links: tar records no link count, and a stream cannot look ahead to see whether a later member
//! links to this one. Every regular file therefore gets an id of its own and a link count of 2, so that a
//! later `Link` member (which names it) can be written as a by-name hard link: AIX restore links a record
//! only to an earlier one with the same id and `nlink > 1`.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::io::{self, Read};
use std::rc::Rc;

use bytes::Bytes;
use crossbeam_channel::Sender;

use crate::acl::{PosixAcl, XATTR_ACCESS, XATTR_DEFAULT};
use crate::archive::reader::{CHUNK, INLINE_MAX};
use crate::archive::ArchiveError;
use crate::batch::{Batch, Batcher};
use crate::entry::{DevId, Entry, EntryData, Kind, Meta, Timestamp, Xattr};
use crate::error::{Error, Result};
use crate::events::{Event, Events};

/// What the tar reader saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TarReadStats {
    /// Entries passed on.
    pub entries: u64,
    /// Members of a type an [`Entry`] cannot be (GNU volume labels, multi-volume continuations, sockets
    /// ...): skipped with a warning each.
    pub unsupported: u64,
    /// Pax records this reader does not understand (`SCHILY.fflags`, a vendor's key ...): what they held
    /// is not carried over. Each key is named in one warning.
    pub unknown_records: u64,
}

/// Pax keys whose meaning is carried over, or which only describe the writer's side (star's `SCHILY.dev`,
/// `SCHILY.ino`, `SCHILY.nlink`; `comment`, `charset`): nothing is lost when they are not kept.
fn known_pax_key(k: &str) -> bool {
    matches!(
        k,
        "path"
            | "linkpath"
            | "size"
            | "uid"
            | "gid"
            | "uname"
            | "gname"
            | "mtime"
            | "atime"
            | "ctime"
            | "comment"
            | "charset"
            | "hdrcharset"
            | "SCHILY.dev"
            | "SCHILY.ino"
            | "SCHILY.nlink"
            | "SCHILY.devmajor"
            | "SCHILY.devminor"
            | "SCHILY.acl.access"
            | "SCHILY.acl.default"
    ) || k.starts_with("SCHILY.xattr.")
        || k.starts_with("LIBARCHIVE.xattr.")
        || k.starts_with("GNU.sparse.")
}

/// bsdtar's `LIBARCHIVE.xattr.NAME=VALUE`: NAME percent-encoded, VALUE base64. `None` when either does not
/// decode.
fn libarchive_xattr(key: &str, value: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    use base64::Engine as _;
    let enc = key.strip_prefix("LIBARCHIVE.xattr.")?.as_bytes();
    let mut name = Vec::with_capacity(enc.len());
    let mut i = 0;
    while i < enc.len() {
        if enc[i] == b'%' {
            let hex = std::str::from_utf8(enc.get(i + 1..i + 3)?).ok()?;
            name.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            name.push(enc[i]);
            i += 1;
        }
    }
    let trimmed: Vec<u8> = value.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
    let v = base64::engine::general_purpose::STANDARD
        .decode(&trimmed)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(&trimmed))
        .ok()?;
    Some((name, v))
}

/// Largest run of extension headers kept between two members (GNU tar's own are a few KiB).
const MAX_EXT: usize = 16 << 20;

/// What the tap under the `tar` crate has seen: the stream offset, and the bytes from `keep_from` on.
#[derive(Default)]
struct TapState {
    at: u64,
    keep_from: u64,
    kept: Vec<u8>,
}

impl TapState {
    /// The bytes kept from `keep_from` up to `end` (a member's header): its extension headers. Then keeps
    /// nothing before `next` (the end of that member's data).
    fn take_until(&mut self, end: u64, next: u64) -> Vec<u8> {
        let n = (end.saturating_sub(self.keep_from) as usize).min(self.kept.len());
        let region = self.kept[..n].to_vec();
        let drop = (next.saturating_sub(self.keep_from) as usize).min(self.kept.len());
        self.kept.drain(..drop);
        self.keep_from = next.max(self.keep_from);
        region
    }
}

/// The reader under the `tar` crate: counts the bytes it takes, so errors can name an offset, and keeps
/// the bytes at and after `keep_from` (see the module documentation).
struct Tap<R> {
    inner: R,
    st: Rc<RefCell<TapState>>,
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(b)?;
        let mut st = self.st.borrow_mut();
        let start = st.at;
        st.at += n as u64;
        if st.at > st.keep_from {
            let skip = st.keep_from.saturating_sub(start) as usize;
            if st.kept.len() + n - skip > MAX_EXT {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "more than 16 MiB of extension headers",
                ));
            }
            st.kept.extend_from_slice(&b[skip..n]);
        }
        Ok(n)
    }
}

/// A tar header number: octal digits (NUL/space padded), or GNU base-256 when the top bit is set.
fn header_num(f: &[u8]) -> Option<u64> {
    if f.first().is_some_and(|b| b & 0x80 != 0) {
        let mut v: u64 = u64::from(f[0] & 0x7f);
        for &b in &f[1..] {
            v = v.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(v);
    }
    let s = std::str::from_utf8(f).ok()?.trim_matches(|c| c == '\0' || c == ' ');
    if s.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(s, 8).ok()
}

/// The pax records of the `x` headers among the extension headers `region`.
fn region_pax(region: &[u8]) -> std::result::Result<Pax, String> {
    let mut pax = Pax::new();
    let mut off = 0usize;
    while off + 512 <= region.len() {
        let h = &region[off..off + 512];
        let size = header_num(&h[124..136]).ok_or("bad size field in an extension header")?;
        let end = off.saturating_add(512).saturating_add(size as usize);
        if h[156] == b'x' {
            let data = region.get(off + 512..end).ok_or("extension header cut short")?;
            pax.extend(parse_pax(data)?);
        }
        off = end.saturating_add(511) / 512 * 512;
    }
    Ok(pax)
}

/// Parses pax records `LEN KEY=VALUE\n` by their length prefix (values may hold newlines and any byte).
pub fn parse_pax(mut d: &[u8]) -> std::result::Result<Pax, String> {
    let mut out = Pax::new();
    while !d.is_empty() {
        if d.iter().all(|&b| b == 0) {
            break;
        }
        let sp = d.iter().position(|&b| b == b' ').ok_or("pax record without a length")?;
        let len: usize = std::str::from_utf8(&d[..sp])
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or("pax record length is not a number")?;
        if len <= sp + 1 || len > d.len() || d[len - 1] != b'\n' {
            return Err(format!("pax record length {len} does not fit the header"));
        }
        let kv = &d[sp + 1..len - 1];
        let eq = kv.iter().position(|&b| b == b'=').ok_or("pax record without `=`")?;
        out.push((String::from_utf8_lossy(&kv[..eq]).into_owned(), kv[eq + 1..].to_vec()));
        d = &d[len..];
    }
    Ok(out)
}

/// The by-name form of a tar name (see the module documentation).
pub fn byname_name(p: &[u8]) -> Vec<u8> {
    let mut p = p;
    while p.len() > 1 && p.ends_with(b"/") {
        p = &p[..p.len() - 1];
    }
    if p.is_empty() || p == b"." || p == b"./" {
        return b".".to_vec();
    }
    if p.starts_with(b"./") || p.starts_with(b"/") {
        return p.to_vec();
    }
    let mut n = b"./".to_vec();
    n.extend_from_slice(p);
    n
}

/// A pax time `SEC[.FRAC]` (possibly negative).
fn pax_time(v: &[u8]) -> Option<Timestamp> {
    let s = std::str::from_utf8(v).ok()?;
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let mut sec: i64 = int.parse().ok()?;
    let digits: String = frac.chars().take(9).collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut nsec: u32 = if digits.is_empty() { 0 } else { format!("{digits:0<9}").parse().ok()? };
    if int.starts_with('-') && nsec > 0 {
        // -1.25 is 1.25 s before the epoch: second -2 plus 0.75 s.
        sec -= 1;
        nsec = 1_000_000_000 - nsec;
    }
    Some(Timestamp { sec, nsec })
}

/// User and group names in ACL text are looked up on this host (GNU tar writes names when it knows them).
fn lookup_id(name: &str, group: bool) -> Option<u32> {
    let c = std::ffi::CString::new(name).ok()?;
    let mut buf = vec![0u8; 16 * 1024];
    // SAFETY: getpwnam_r/getgrnam_r write into `pw`/`gr` and `buf`, both live and of the sizes given; the
    // result pointer is only compared with null.
    unsafe {
        if group {
            let mut gr: libc::group = std::mem::zeroed();
            let mut res: *mut libc::group = std::ptr::null_mut();
            let rc = libc::getgrnam_r(c.as_ptr(), &mut gr, buf.as_mut_ptr().cast(), buf.len(), &mut res);
            (rc == 0 && !res.is_null()).then_some(gr.gr_gid)
        } else {
            let mut pw: libc::passwd = std::mem::zeroed();
            let mut res: *mut libc::passwd = std::ptr::null_mut();
            let rc = libc::getpwnam_r(c.as_ptr(), &mut pw, buf.as_mut_ptr().cast(), buf.len(), &mut res);
            (rc == 0 && !res.is_null()).then_some(pw.pw_uid)
        }
    }
}

/// The pax records of one member, in order.
type Pax = Vec<(String, Vec<u8>)>;

fn pax_get<'a>(pax: &'a Pax, key: &str) -> Option<&'a [u8]> {
    pax.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_slice())
}

fn pax_num(pax: &Pax, key: &str) -> Option<u64> {
    std::str::from_utf8(pax_get(pax, key)?).ok()?.trim().parse().ok()
}

/// A member's link target: pax `linkpath` (read here, as it may hold a newline), else the crate's.
fn link_name<R: Read>(ent: &tar::Entry<'_, R>, pax: &Pax) -> Vec<u8> {
    match pax_get(pax, "linkpath") {
        Some(l) => l.to_vec(),
        None => ent.link_name_bytes().map(|t| t.into_owned()).unwrap_or_default(),
    }
}

/// A GNU pax sparse member (formats 0.1 and 1.0): its real name, real size and data map.
struct PaxSparse {
    name: Vec<u8>,
    size: u64,
    /// `(offset, length)` data segments; `None` for 1.0 until read from the data.
    map: Option<Vec<(u64, u64)>>,
}

fn pax_sparse(pax: &Pax) -> Option<PaxSparse> {
    let name = pax_get(pax, "GNU.sparse.name")?.to_vec();
    let major = pax_num(pax, "GNU.sparse.major");
    let size = pax_num(pax, "GNU.sparse.realsize").or_else(|| pax_num(pax, "GNU.sparse.size"))?;
    if major == Some(1) {
        return Some(PaxSparse { name, size, map: None });
    }
    // 0.1: the map is a pax record `off,len,off,len,...`.
    let text = std::str::from_utf8(pax_get(pax, "GNU.sparse.map")?).ok()?;
    let nums: Vec<u64> =
        text.split(',').filter(|s| !s.is_empty()).map(|s| s.parse().ok()).collect::<Option<_>>()?;
    if !nums.len().is_multiple_of(2) {
        return None;
    }
    Some(PaxSparse { name, size, map: Some(nums.chunks(2).map(|c| (c[0], c[1])).collect()) })
}

/// Reads the 1.0 map at the start of the member's data: decimal lines (count, then offset/length pairs),
/// padded to 512 bytes. Returns the map and the bytes of data consumed.
fn read_map_1_0(r: &mut dyn Read) -> io::Result<(Vec<(u64, u64)>, u64)> {
    let bad = |m: &str| io::Error::new(io::ErrorKind::InvalidData, format!("GNU sparse 1.0 map: {m}"));
    let mut used = 0u64;
    let mut line = || -> io::Result<u64> {
        let mut s = Vec::new();
        let mut b = [0u8; 1];
        loop {
            if r.read(&mut b)? == 0 {
                return Err(bad("the data ends inside the map"));
            }
            used += 1;
            if b[0] == b'\n' {
                break;
            }
            if s.len() > 20 {
                return Err(bad("a number is too long"));
            }
            s.push(b[0]);
        }
        std::str::from_utf8(&s).ok().and_then(|t| t.parse().ok()).ok_or_else(|| bad("not a number"))
    };
    let n = line()?;
    if n > 1 << 20 {
        return Err(bad("too many segments"));
    }
    let mut map = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let off = line()?;
        let len = line()?;
        map.push((off, len));
    }
    let pad = (512 - used % 512) % 512;
    io::copy(&mut r.take(pad), &mut io::sink())?;
    Ok((map, used + pad))
}

/// Expands sparse data (the segments stored back to back) into the whole file, zeros in the holes.
struct Expand<'a> {
    inner: &'a mut dyn Read,
    map: Vec<(u64, u64)>,
    seg: usize,
    pos: u64,
    size: u64,
}

impl Read for Expand<'_> {
    fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.size || b.is_empty() {
            return Ok(0);
        }
        while self.seg < self.map.len() && self.map[self.seg].0 + self.map[self.seg].1 <= self.pos {
            self.seg += 1;
        }
        let (off, len) = self.map.get(self.seg).copied().unwrap_or((self.size, 0));
        if self.pos < off {
            let k = ((off.min(self.size) - self.pos) as usize).min(b.len());
            b[..k].fill(0);
            self.pos += k as u64;
            return Ok(k);
        }
        let k = ((off + len - self.pos) as usize).min(b.len());
        let n = self.inner.read(&mut b[..k])?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the sparse data ends early"));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

/// Reads `size` bytes of `r` into memory or into a chunk stream (see [`send_tar`]).
fn read_exact_len(r: &mut dyn Read, size: u64, out: &mut Vec<u8>) -> io::Result<()> {
    out.clear();
    let n = r.take(size).read_to_end(out)?;
    if (n as u64) < size {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("the data ends after {n} of {size} bytes"),
        ));
    }
    Ok(())
}

/// The reader stage: every member of the tar stream `input` as an [`Entry`], in batches, on `tx`. A file
/// larger than [`INLINE_MAX`] is sent first with an [`EntryData::Stream`] and its data then follows in
/// [`CHUNK`]s (the next stage drains it while this one reads).
pub fn send_tar<R: Read>(input: R, tx: &Sender<Batch>, events: &dyn Events) -> Result<TarReadStats> {
    let st = Rc::new(RefCell::new(TapState::default()));
    let at = || st.borrow().at;
    let mut ar = tar::Archive::new(Tap { inner: input, st: st.clone() });
    let damaged =
        |offset: u64, e: &dyn std::fmt::Display| ArchiveError::Tar { offset, message: e.to_string() };
    let mut out = Batcher::new(tx);
    let mut stats = TarReadStats::default();
    let mut ids: HashMap<Vec<u8>, u64> = HashMap::new();
    let mut unknown_keys: HashSet<String> = HashSet::new();
    let mut next_id = 1u64;
    let mut buf = Vec::new();
    let entries = ar.entries().map_err(|e| damaged(at(), &e))?;
    // Progress, in the reader's measure (entries, bytes of the tar stream read), as the by-name reader gives it.
    let (mut shown_at, mut shown_n) = (0u64, 0u64);
    for item in entries {
        if at() >= shown_at + (8 << 20) || stats.entries >= shown_n + 4096 {
            (shown_at, shown_n) = (at(), stats.entries);
            events.event(&Event::Progress { entries: shown_n, bytes: shown_at });
        }
        let mut ent = item.map_err(|e| damaged(at(), &e))?;
        let hdr_at = ent.raw_header_position();
        let h = ent.header().clone();
        let et = h.entry_type();
        // The member's data ends here (an old-GNU sparse member's stored data is its header's size).
        let stored = if et.is_gnu_sparse() { h.entry_size().unwrap_or(0) } else { ent.size() };
        let data_end = ent.raw_file_position().saturating_add(stored.saturating_add(511) / 512 * 512);
        let region = st.borrow_mut().take_until(hdr_at, data_end);
        let pax = region_pax(&region).map_err(|m| damaged(hdr_at, &m))?;
        let kind = if et.is_file() || et.is_contiguous() || et.is_gnu_sparse() {
            Kind::File
        } else if et.is_dir() {
            Kind::Dir
        } else if et.is_symlink() {
            Kind::Symlink
        } else if et.is_hard_link() {
            Kind::HardLink
        } else if et.is_character_special() {
            Kind::CharDev
        } else if et.is_block_special() {
            Kind::BlockDev
        } else if et.is_fifo() {
            Kind::Fifo
        } else {
            if !et.is_pax_global_extensions() {
                stats.unsupported += 1;
            }
            events.event(&Event::Warning(format!(
                "{}: tar member type {:?} at byte offset {hdr_at} cannot be converted - skipped",
                String::from_utf8_lossy(&ent.path_bytes()),
                et.as_byte() as char
            )));
            continue;
        };
        let sparse = if kind == Kind::File { pax_sparse(&pax) } else { None };
        let raw_name = match (&sparse, pax_get(&pax, "path")) {
            (Some(s), _) => s.name.clone(),
            (None, Some(p)) => p.to_vec(),
            (None, None) => ent.path_bytes().into_owned(),
        };
        let name = byname_name(&raw_name);
        let num = |v: io::Result<u64>| v.map_err(|e| damaged(hdr_at, &e));
        let mtime = pax_get(&pax, "mtime")
            .and_then(pax_time)
            .map_or_else(|| num(h.mtime()).map(|s| Timestamp::from_secs(s as i64)), Ok)?;
        let gnu_time = |f: fn(&tar::GnuHeader) -> io::Result<u64>| {
            h.as_gnu().and_then(|g| f(g).ok()).filter(|&t| t > 0).map(|t| Timestamp::from_secs(t as i64))
        };
        let atime = pax_get(&pax, "atime").and_then(pax_time).or_else(|| gnu_time(tar::GnuHeader::atime));
        let ctime = pax_get(&pax, "ctime").and_then(pax_time).or_else(|| gnu_time(tar::GnuHeader::ctime));
        let mut meta = Meta {
            mode: num(h.mode().map(u64::from))? as u32 & 0o7777,
            uid: num(h.uid())? as u32,
            gid: num(h.gid())? as u32,
            mtime,
            atime: atime.unwrap_or(mtime),
            ctime: ctime.unwrap_or(mtime),
            nlink: 1,
            ..Meta::default()
        };
        let dev =
            |v: io::Result<Option<u32>>| v.map_err(|e| damaged(hdr_at, &e)).map(Option::unwrap_or_default);
        if matches!(kind, Kind::CharDev | Kind::BlockDev) {
            meta.rdev = DevId { major: dev(h.device_major())?, minor: dev(h.device_minor())? };
        }
        // Attributes and ACLs.
        let (mut acl_x, mut dacl_x) = (None, None);
        for (k, v) in &pax {
            let (n, v) = if let Some(x) = k.strip_prefix("SCHILY.xattr.") {
                (x.as_bytes().to_vec(), v.clone())
            } else if k.starts_with("LIBARCHIVE.xattr.") {
                match libarchive_xattr(k, v) {
                    Some(nv) => nv,
                    None => {
                        stats.unknown_records += 1;
                        events.event(&Event::Warning(format!(
                            "{}: pax record {k} at byte offset {hdr_at} does not decode - not carried over",
                            String::from_utf8_lossy(&ent.path_bytes())
                        )));
                        continue;
                    }
                }
            } else {
                if !known_pax_key(k) {
                    stats.unknown_records += 1;
                    if unknown_keys.insert(k.clone()) {
                        events.event(&Event::Warning(format!(
                            "pax record {k} (first at byte offset {hdr_at}) is not understood - not carried over"
                        )));
                    }
                }
                continue;
            };
            match n.as_slice() {
                XATTR_ACCESS => acl_x = PosixAcl::from_xattr(&v).ok(),
                XATTR_DEFAULT => dacl_x = PosixAcl::from_xattr(&v).ok(),
                _ => meta.xattrs.push(Xattr { name: n, value: v }),
            }
        }
        let acl_text = |key: &str| -> Result<Option<PosixAcl>> {
            match pax_get(&pax, key) {
                None => Ok(None),
                Some(v) => {
                    let t = String::from_utf8_lossy(v);
                    PosixAcl::from_text(&t, &lookup_id)
                        .map(Some)
                        .map_err(|e| Error::from(damaged(hdr_at, &e)))
                }
            }
        };
        let acl = acl_text("SCHILY.acl.access")?.or(acl_x);
        meta.acl = acl.filter(PosixAcl::is_extended);
        meta.default_acl = acl_text("SCHILY.acl.default")?.or(dacl_x).filter(|a| !a.entries.is_empty());

        let mut e = Entry::new(name, kind, meta);
        match kind {
            Kind::Symlink => {
                let t = link_name(&ent, &pax);
                e.meta.size = t.len() as u64;
                e.link_target = Some(t);
            }
            Kind::HardLink => {
                let first = byname_name(&link_name(&ent, &pax));
                match ids.get(&first) {
                    Some(&id) => {
                        e.meta.ino = id;
                        e.meta.nlink = 2;
                    }
                    None => events.event(&Event::Warning(format!(
                        "{}: hard link to {}, which is not earlier in the archive",
                        e.display_name(),
                        String::from_utf8_lossy(&first)
                    ))),
                }
                e.link_target = Some(first);
            }
            Kind::File => {
                e.meta.ino = next_id;
                e.meta.nlink = 2;
                ids.insert(e.name.clone(), next_id);
                next_id += 1;
            }
            _ => {}
        }
        if kind != Kind::File {
            out.push(e)?;
            stats.entries += 1;
            continue;
        }

        // The data: a pax sparse member is expanded here; an old-GNU one the crate expands.
        let data_at = ent.raw_file_position();
        let cut = |e: io::Error| damaged(data_at, &format!("{}: {e}", String::from_utf8_lossy(&raw_name)));
        let mut expand;
        let (size, reader): (u64, &mut dyn Read) = match sparse {
            Some(s) => {
                let map = match s.map {
                    Some(m) => m,
                    None => read_map_1_0(&mut ent).map_err(cut)?.0,
                };
                e.meta.sparse = Some(map.clone());
                expand = Expand { inner: &mut ent, map, seg: 0, pos: 0, size: s.size };
                (s.size, &mut expand)
            }
            None => {
                if et.is_gnu_sparse() {
                    e.meta.sparse = Some(Vec::new());
                }
                (ent.size(), &mut ent)
            }
        };
        e.meta.size = size;
        stats.entries += 1;
        if size <= INLINE_MAX {
            read_exact_len(reader, size, &mut buf).map_err(cut)?;
            e.data = EntryData::Bytes(Bytes::copy_from_slice(&buf));
            out.push(e)?;
            continue;
        }
        let (ctx, crx) = crossbeam_channel::bounded(4);
        e.data = EntryData::Stream(crx);
        out.push(e)?;
        out.flush()?;
        let mut left = size;
        while left > 0 {
            let want = left.min(CHUNK as u64);
            let r = read_exact_len(reader, want, &mut buf);
            if let Err(err) = r {
                let err = cut(err);
                let _ = ctx.send(Err(io::Error::new(io::ErrorKind::InvalidData, err.to_string())));
                return Err(err.into());
            }
            left -= want;
            // A writer that stopped taking the data has failed and will say so; keep the stream in step.
            let _ = ctx.send(Ok(Bytes::copy_from_slice(&buf)));
        }
    }
    out.flush()?;
    events.event(&Event::Progress { entries: stats.entries, bytes: at() });
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_by_name_style() {
        assert_eq!(byname_name(b"./"), b".");
        assert_eq!(byname_name(b"."), b".");
        assert_eq!(byname_name(b"./d/"), b"./d");
        assert_eq!(byname_name(b"etc/hosts"), b"./etc/hosts");
        assert_eq!(byname_name(b"/etc/hosts"), b"/etc/hosts");
    }

    #[test]
    fn pax_records_may_hold_newlines() {
        let d = b"30 mtime=1577934245.123456789\n54 SCHILY.acl.access=user::rwx\ngroup::r-x\nother::r-x\n\n";
        let p = parse_pax(d).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].0, "SCHILY.acl.access");
        assert_eq!(p[1].1, b"user::rwx\ngroup::r-x\nother::r-x\n");
        assert!(parse_pax(b"99 a=b\n").is_err());
        assert!(parse_pax(b"6 a=bc").is_err());
        assert_eq!(header_num(b"0000644\0"), Some(0o644));
        assert_eq!(header_num(&[0x80, 0, 0, 1, 0]), Some(256));
    }

    #[test]
    fn pax_times_keep_nanoseconds() {
        assert_eq!(pax_time(b"1577934245.123456789"), Some(Timestamp { sec: 1577934245, nsec: 123456789 }));
        assert_eq!(pax_time(b"12.5"), Some(Timestamp { sec: 12, nsec: 500_000_000 }));
        assert_eq!(pax_time(b"-1.25"), Some(Timestamp { sec: -2, nsec: 750_000_000 }));
        assert_eq!(pax_time(b"7"), Some(Timestamp::from_secs(7)));
        assert_eq!(pax_time(b"x"), None);
    }

    #[test]
    fn sparse_1_0_map_and_expansion() {
        let mut data = b"2\n0\n3\n8192\n2\n".to_vec();
        data.resize(512, 0);
        data.extend_from_slice(b"abcde");
        let mut r = &data[..];
        let (map, used) = read_map_1_0(&mut r).unwrap();
        assert_eq!((map.clone(), used), (vec![(0, 3), (8192, 2)], 512));
        let mut x = Expand { inner: &mut r, map, seg: 0, pos: 0, size: 8200 };
        let mut got = Vec::new();
        x.read_to_end(&mut got).unwrap();
        assert_eq!(got.len(), 8200);
        assert_eq!(&got[..3], b"abc");
        assert!(got[3..8192].iter().all(|&b| b == 0));
        assert_eq!(&got[8192..8194], b"de");
        assert!(got[8194..].iter().all(|&b| b == 0));
    }
}
