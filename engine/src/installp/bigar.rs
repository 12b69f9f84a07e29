//! The AIX big-format `ar` archive (`<bigaf>`) that holds `liblpp.a` (spec installp.md §3). No crate reads
//! or writes it, so this is the project's own.
//!
//! Reading trusts nothing: every offset and length is checked against the input, allocations never exceed
//! the input's length, and a chain of member offsets that loops is refused.

use std::collections::HashSet;

use super::ParseError;

/// Magic of the big format.
pub const MAGIC: &[u8; 8] = b"<bigaf>\n";
/// Magic of the small format (AIX 4.3 and older), which is refused.
const SMALL_MAGIC: &[u8; 8] = b"<aiaff>\n";
/// Size of the file header.
const FL_HDR: usize = 128;
/// Size of a member header without its name.
const AR_HDR: usize = 112;
/// The member header terminator.
const FMAG: &[u8; 2] = b"`\n";

/// One archive member.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Member {
    /// The name (`ranch.apps.hog.al`); never holds `/` in liblpp.a.
    pub name: String,
    /// The contents.
    pub data: Vec<u8>,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Permission bits (the low 12 bits of the stored octal mode).
    pub mode: u32,
}

impl Member {
    /// A member with mode 644, owner 0 and date 0: what a deterministic writer stores.
    pub fn new(name: impl Into<String>, data: impl Into<Vec<u8>>) -> Member {
        Member { name: name.into(), data: data.into(), mtime: 0, uid: 0, gid: 0, mode: 0o644 }
    }

    /// The contents as text, or why not (liblpp.a members are text files).
    pub fn text(&self) -> Result<&str, ParseError> {
        std::str::from_utf8(&self.data).map_err(|e| {
            ParseError::offset(e.valid_up_to() as u64, "not UTF-8 text (a control file must be text)")
        })
    }
}

/// The member called `name`.
pub fn find<'a>(members: &'a [Member], name: &str) -> Option<&'a Member> {
    members.iter().find(|m| m.name == name)
}

/// A decimal (or octal) field: left-justified digits padded with spaces (or NULs).
fn field(bytes: &[u8], at: usize, len: usize, what: &str, radix: u32) -> Result<u64, ParseError> {
    let err = |m: String| ParseError::offset(at as u64, m);
    let raw =
        bytes.get(at..at + len).ok_or_else(|| err(format!("the archive ends inside the {what} field")))?;
    let text = raw.iter().take_while(|&&b| b != b' ' && b != 0).copied().collect::<Vec<u8>>();
    if raw[text.len()..].iter().any(|&b| b != b' ' && b != 0) {
        return Err(err(format!(
            "the {what} field '{}' is not a number",
            String::from_utf8_lossy(raw).trim_end()
        )));
    }
    if text.is_empty() {
        return Ok(0);
    }
    let s = std::str::from_utf8(&text).map_err(|_| err(format!("the {what} field is not a number")))?;
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(format!("the {what} field '{s}' is not a number")));
    }
    u64::from_str_radix(s, radix).map_err(|_| err(format!("the {what} field '{s}' is out of range")))
}

/// The date field, which may be negative.
fn date_field(bytes: &[u8], at: usize) -> Result<i64, ParseError> {
    if bytes.get(at) == Some(&b'-') {
        let mut tmp = bytes[at + 1..at + 12].to_vec();
        tmp.push(b' ');
        let v = field(&tmp, 0, 12, "date", 10).map_err(|e| ParseError::offset(at as u64, e.message))?;
        return Ok(-(v as i64));
    }
    let v = field(bytes, at, 12, "date", 10)?;
    i64::try_from(v).map_err(|_| ParseError::offset(at as u64, "the date field is out of range"))
}

/// The offsets of the file header.
struct FileHeader {
    memoff: u64,
    fstmoff: u64,
}

fn file_header(bytes: &[u8]) -> Result<FileHeader, ParseError> {
    let head = bytes.get(..8).ok_or_else(|| {
        ParseError::offset(0, format!("only {} bytes: too short for an AIX big archive", bytes.len()))
    })?;
    if head == SMALL_MAGIC {
        return Err(ParseError::offset(
            0,
            "a small-format AIX archive (<aiaff>): only the big format (<bigaf>) is supported; rebuild it with ar -X32_64",
        ));
    }
    if head == b"!<arch>\n" {
        return Err(ParseError::offset(
            0,
            "a System V/GNU ar archive (!<arch>), not an AIX big archive (<bigaf>)",
        ));
    }
    if head != MAGIC {
        return Err(ParseError::offset(0, "not an AIX big archive: it does not start with <bigaf>"));
    }
    if bytes.len() < FL_HDR {
        return Err(ParseError::offset(
            bytes.len() as u64,
            "the archive ends inside its 128-byte file header",
        ));
    }
    Ok(FileHeader {
        memoff: field(bytes, 8, 20, "fl_memoff", 10)?,
        fstmoff: field(bytes, 68, 20, "fl_fstmoff", 10)?,
    })
}

/// One member header, decoded and checked against the input.
struct Hdr {
    size: usize,
    next: u64,
    name: Vec<u8>,
    data_at: usize,
    mtime: i64,
    uid: u32,
    gid: u32,
    mode: u32,
}

fn member_header(bytes: &[u8], off: u64) -> Result<Hdr, ParseError> {
    let bad = |at: usize, m: &str| ParseError::offset(at as u64, m.to_string());
    let at = usize::try_from(off)
        .ok()
        .filter(|&a| a >= FL_HDR && a.checked_add(AR_HDR + 2).is_some_and(|e| e <= bytes.len()))
        .ok_or_else(|| ParseError::offset(off, "member header offset outside the archive"))?;
    let size = field(bytes, at, 20, "ar_size", 10)?;
    let next = field(bytes, at + 20, 20, "ar_nxtmem", 10)?;
    let mtime = date_field(bytes, at + 60)?;
    let uid = field(bytes, at + 72, 12, "ar_uid", 10)?;
    let gid = field(bytes, at + 84, 12, "ar_gid", 10)?;
    let mode = field(bytes, at + 96, 12, "ar_mode", 8)?;
    let namlen = field(bytes, at + 108, 4, "ar_namlen", 10)? as usize;
    let name_at = at + AR_HDR;
    let fmag_at = name_at + namlen + namlen % 2;
    let name = bytes
        .get(name_at..name_at + namlen)
        .ok_or_else(|| bad(name_at, "the archive ends inside a member name"))?;
    if bytes.get(fmag_at..fmag_at + 2) != Some(FMAG) {
        return Err(bad(fmag_at, "member header not terminated by `\\n"));
    }
    let data_at = fmag_at + 2;
    let size = usize::try_from(size).ok().filter(|&s| s <= bytes.len() - data_at).ok_or_else(|| {
        bad(data_at, &format!("member data of {size} bytes runs past the end of the archive"))
    })?;
    let id =
        |v: u64, what: &str| u32::try_from(v).map_err(|_| bad(at, &format!("{what} {v} is out of range")));
    Ok(Hdr {
        size,
        next,
        name: name.to_vec(),
        data_at,
        mtime,
        uid: id(uid, "uid")?,
        gid: id(gid, "gid")?,
        mode: (mode & 0o7777) as u32,
    })
}

/// Reads the member at `off`. `budget` is what may still be copied: members that overlap could otherwise
/// make a small input allocate many times its size.
fn member_at(bytes: &[u8], off: u64, budget: &mut usize) -> Result<(Member, u64), ParseError> {
    let h = member_header(bytes, off)?;
    *budget = budget.checked_sub(h.size).ok_or_else(|| {
        ParseError::offset(off, "members overlap: their data adds up to more than the archive")
    })?;
    let name = String::from_utf8(h.name)
        .map_err(|_| ParseError::offset(off + AR_HDR as u64, "member name is not UTF-8"))?;
    let m = Member {
        name,
        data: bytes[h.data_at..h.data_at + h.size].to_vec(),
        mtime: h.mtime,
        uid: h.uid,
        gid: h.gid,
        mode: h.mode,
    };
    Ok((m, h.next))
}

/// Members by the chain `fl_fstmoff` → `ar_nxtmem`, stopping at 0 or at the member table.
fn read_chain(bytes: &[u8], fh: &FileHeader) -> Result<(Vec<Member>, Vec<u64>), ParseError> {
    let mut seen = HashSet::new();
    let mut members = Vec::new();
    let mut offsets = Vec::new();
    let mut off = fh.fstmoff;
    let mut budget = bytes.len();
    while off != 0 && off != fh.memoff {
        if !seen.insert(off) {
            return Err(ParseError::offset(off, "the member chain loops back to a member already read"));
        }
        let (m, next) = member_at(bytes, off, &mut budget)?;
        members.push(m);
        offsets.push(off);
        off = next;
    }
    Ok((members, offsets))
}

/// The member offsets listed in the member table.
fn read_table(bytes: &[u8], fh: &FileHeader) -> Result<Vec<u64>, ParseError> {
    let h = member_header(bytes, fh.memoff)?;
    let data = &bytes[h.data_at..h.data_at + h.size];
    let n = field(data, 0, 20, "member count", 10)
        .map_err(|e| ParseError::offset(h.data_at as u64, e.message))?;
    // Each member takes at least a header, so a count beyond that is a lie (and must not size an allocation).
    if n > (bytes.len() / (AR_HDR + 2)) as u64 || 20 + 20 * n as usize > data.len() {
        return Err(ParseError::offset(h.data_at as u64, format!("member table claims {n} members")));
    }
    (0..n as usize)
        .map(|i| {
            field(data, 20 + 20 * i, 20, "member offset", 10)
                .map_err(|e| ParseError::offset((h.data_at + 20 + 20 * i) as u64, e.message))
        })
        .collect()
}

/// Reads a big-format archive. The members come from the chain of `ar_nxtmem` offsets; the member table is
/// checked against it, and used instead when the chain is damaged. Errors name the byte offset.
pub fn read(bytes: &[u8]) -> Result<Vec<Member>, ParseError> {
    let fh = file_header(bytes)?;
    let table = if fh.memoff != 0 { Some(read_table(bytes, &fh)) } else { None };
    match (read_chain(bytes, &fh), table) {
        (Ok((_, offsets)), Some(Ok(t))) if t != offsets => Err(ParseError::offset(
            fh.memoff,
            format!(
                "the member table lists {} members, the chain of member headers {}: the archive is inconsistent",
                t.len(),
                offsets.len()
            ),
        )),
        (Ok((members, _)), _) => Ok(members),
        (Err(chain), Some(Ok(t))) => {
            let mut out = Vec::with_capacity(t.len());
            let mut budget = bytes.len();
            for off in t {
                match member_at(bytes, off, &mut budget) {
                    Ok((m, _)) => out.push(m),
                    Err(_) => return Err(chain),
                }
            }
            Ok(out)
        }
        (Err(chain), _) => Err(chain),
    }
}

/// A number left-justified in a field of `width` bytes, space padded.
fn put(out: &mut Vec<u8>, v: impl std::fmt::Display, width: usize) {
    let s = v.to_string();
    let b = &s.as_bytes()[..s.len().min(width)];
    out.extend_from_slice(b);
    out.resize(out.len() + width - b.len(), b' ');
}

/// Writes a member header.
fn put_header(out: &mut Vec<u8>, size: u64, next: u64, prev: u64, m: Option<&Member>) {
    put(out, size, 20);
    put(out, next, 20);
    put(out, prev, 20);
    match m {
        Some(m) => {
            put(out, m.mtime.clamp(-99_999_999_999, 999_999_999_999), 12);
            put(out, m.uid, 12);
            put(out, m.gid, 12);
            put(out, format!("{:o}", m.mode & 0o7777), 12);
            let name = &m.name.as_bytes()[..m.name.len().min(9999)];
            put(out, name.len(), 4);
            out.extend_from_slice(name);
            if name.len() % 2 == 1 {
                out.push(0);
            }
        }
        None => {
            for _ in 0..4 {
                put(out, 0, 12);
            }
            put(out, 0, 4);
        }
    }
    out.extend_from_slice(FMAG);
}

/// Writes a big-format archive in LLVM's layout (spec §3.5): members from offset 128, each at an even
/// offset, the last one's `ar_nxtmem` pointing at the member table that follows; no symbol tables.
pub fn write(members: &[Member]) -> Vec<u8> {
    // Offsets first: header + name + pad + fmag + data + pad.
    let mut offs = Vec::with_capacity(members.len());
    let mut off = FL_HDR as u64;
    for m in members {
        offs.push(off);
        let n = m.name.len().min(9999) as u64;
        let d = m.data.len() as u64;
        off += AR_HDR as u64 + n + n % 2 + 2 + d + d % 2;
    }
    let memoff = if members.is_empty() { 0 } else { off };
    let mut out = Vec::with_capacity(off as usize + 128 + members.len() * 40);
    out.extend_from_slice(MAGIC);
    put(&mut out, memoff, 20);
    put(&mut out, 0, 20);
    put(&mut out, 0, 20);
    put(&mut out, offs.first().copied().unwrap_or(0), 20);
    put(&mut out, offs.last().copied().unwrap_or(0), 20);
    put(&mut out, 0, 20);
    for (i, m) in members.iter().enumerate() {
        let prev = if i == 0 { 0 } else { offs[i - 1] };
        let next = offs.get(i + 1).copied().unwrap_or(memoff);
        put_header(&mut out, m.data.len() as u64, next, prev, Some(m));
        out.extend_from_slice(&m.data);
        if m.data.len() % 2 == 1 {
            out.push(0);
        }
    }
    if members.is_empty() {
        return out;
    }
    let mut table = Vec::new();
    put(&mut table, members.len(), 20);
    for o in &offs {
        put(&mut table, o, 20);
    }
    for m in members {
        table.extend_from_slice(&m.name.as_bytes()[..m.name.len().min(9999)]);
        table.push(0);
    }
    if table.len() % 2 == 1 {
        table.push(0);
    }
    put_header(&mut out, table.len() as u64, 0, offs.last().copied().unwrap_or(0), None);
    out.extend_from_slice(&table);
    out
}

/// Reads `data` as a big archive and, when it reads, writes the members and reads them back, comparing.
/// Shared by the `bigar_read` fuzz target and the engine tests.
pub fn fuzz_read(data: &[u8]) -> Result<(), String> {
    if let Ok(members) = read(data) {
        let back = write(&members);
        match read(&back) {
            Ok(again) if again == members => {}
            Ok(again) => return Err(format!("round trip differs: {members:?} vs {again:?}")),
            Err(e) => return Err(format!("written archive does not read: {e}")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pad(s: &str, w: usize) -> Vec<u8> {
        let mut v = s.as_bytes().to_vec();
        v.resize(w, b' ');
        v
    }

    /// The §3.5 example, built field by field from the spec's table.
    fn expected_example() -> Vec<u8> {
        let mut v = b"<bigaf>\n".to_vec();
        for f in ["518", "0", "0", "128", "384", "0"] {
            v.extend(pad(f, 20));
        }
        assert_eq!(v.len(), 128);
        let hdr = |v: &mut Vec<u8>, size: &str, next: &str, prev: &str, mode: &str, name: &str| {
            v.extend(pad(size, 20));
            v.extend(pad(next, 20));
            v.extend(pad(prev, 20));
            for f in ["0", "0", "0", mode] {
                v.extend(pad(f, 12));
            }
            v.extend(pad(&name.len().to_string(), 4));
            v.extend(name.as_bytes());
            if name.len() % 2 == 1 {
                v.push(0);
            }
            v.extend(b"`\n");
        };
        hdr(&mut v, "14", "260", "0", "644", "x.al");
        assert_eq!(v.len(), 246);
        v.extend(b"/usr/bin/hog\n\n");
        assert_eq!(v.len(), 260);
        hdr(&mut v, "3", "384", "128", "644", "x.size");
        assert_eq!(v.len(), 380);
        v.extend(b"8\n\n\0");
        hdr(&mut v, "12", "518", "260", "644", "lpp.acf");
        assert_eq!(v.len(), 506);
        v.extend(b"lib.a shr.o\n");
        assert_eq!(v.len(), 518);
        hdr(&mut v, "100", "0", "384", "0", "");
        assert_eq!(v.len(), 632);
        for f in ["3", "128", "260", "384"] {
            v.extend(pad(f, 20));
        }
        v.extend(b"x.al\0x.size\0lpp.acf\0");
        assert_eq!(v.len(), 732);
        v
    }

    fn example_members() -> Vec<Member> {
        vec![
            Member::new("x.al", &b"/usr/bin/hog\n\n"[..]),
            Member::new("x.size", &b"8\n\n"[..]),
            Member::new("lpp.acf", &b"lib.a shr.o\n"[..]),
        ]
    }

    #[test]
    fn writes_the_worked_example_byte_for_byte() {
        let out = write(&example_members());
        assert_eq!(out.len(), 732);
        assert_eq!(out, expected_example());
        assert_eq!(read(&out).unwrap(), example_members());
        assert_eq!(find(&example_members(), "x.size").unwrap().data, b"8\n\n");
        assert!(find(&example_members(), "x").is_none());
    }

    #[test]
    fn aix_style_last_member_and_full_st_mode() {
        // AIX ar writes 0 as the last member's next offset and binutils the full st_mode; both read.
        let mut a = expected_example();
        a[384 + 20..384 + 40].copy_from_slice(&pad("0", 20));
        a[128 + 96..128 + 108].copy_from_slice(&pad("100644", 12));
        let m = read(&a).unwrap();
        assert_eq!(m, example_members());
    }

    #[test]
    fn falls_back_to_the_member_table_and_detects_disagreement() {
        let mut a = expected_example();
        // Break the chain: x.al's next points into the middle of nowhere.
        a[128 + 20..128 + 40].copy_from_slice(&pad("9999", 20));
        assert_eq!(read(&a).unwrap(), example_members());
        // Table lists two members, chain three: inconsistent.
        let mut b = expected_example();
        b[632..652].copy_from_slice(&pad("2", 20));
        let e = read(&b).unwrap_err();
        assert_eq!(e.loc, super::super::Loc::Offset(518));
    }

    #[test]
    fn refuses_other_formats_and_damage_with_offsets() {
        let e = read(b"<aiaff>\n0000").unwrap_err();
        assert_eq!(e.loc, super::super::Loc::Offset(0));
        assert!(e.message.contains("small-format"), "{e}");
        assert!(read(b"!<arch>\nxxxx").unwrap_err().message.contains("System V"));
        assert!(read(b"hello").unwrap_err().message.contains("too short"));
        assert!(read(b"PK\x03\x04 plus more bytes").unwrap_err().message.contains("not an AIX big archive"));
        let a = expected_example();
        // Truncated inside the last member's data: the chain fails, the table is gone too.
        let e = read(&a[..510]).unwrap_err();
        assert_eq!(e.loc, super::super::Loc::Offset(506), "{e}");
        assert!(e.message.contains("runs past the end"), "{e}");
        let e = read(&a[..100]).unwrap_err();
        assert_eq!(e.loc, super::super::Loc::Offset(100));
        // A loop: lpp.acf points back at x.al and there is no table.
        let mut l = a.clone();
        l[8..28].copy_from_slice(&pad("0", 20));
        l[384 + 20..384 + 40].copy_from_slice(&pad("128", 20));
        let e = read(&l).unwrap_err();
        assert!(e.message.contains("loops"), "{e}");
        assert_eq!(e.loc, super::super::Loc::Offset(128));
        // A bad number.
        let mut n = a.clone();
        n[128..132].copy_from_slice(b"1x4 ");
        let e = read(&n[..518]).unwrap_err();
        assert_eq!(e.loc, super::super::Loc::Offset(128));
    }

    #[test]
    fn empty_and_odd_members_round_trip() {
        assert_eq!(read(&write(&[])).unwrap(), vec![]);
        assert_eq!(write(&[]).len(), 128);
        let ms = vec![
            Member { name: "a".into(), data: vec![], mtime: 1_700_000_000, uid: 7, gid: 9, mode: 0o4755 },
            Member { name: "bb".into(), data: vec![1, 2, 3], mtime: -5, uid: 0, gid: 0, mode: 0o600 },
        ];
        assert_eq!(read(&write(&ms)).unwrap(), ms);
        fuzz_read(&write(&ms)).unwrap();
    }
}
