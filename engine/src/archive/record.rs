//! Record layouts of the by-name format: constants, the header checksum, and encode/decode of the headers
//! (spec §2-§6, §8). Everything here works on byte slices; streaming lives in the reader and writer.

/// Bytes per addressing unit ("dword"): every record and variable part is aligned to it.
pub const DWORD: usize = 8;

/// Volume label, first record of every volume.
pub(crate) const FS_VOLUME: u8 = 0;
/// Diskette index (never written by backup by name).
pub(crate) const FS_FINDEX: u8 = 1;
/// By-inode bitmap of cleared inodes.
pub(crate) const FS_CLRI: u8 = 2;
/// By-inode bitmap of dumped inodes.
pub(crate) const FS_BITS: u8 = 3;
/// Obsolete inode record.
pub(crate) const FS_OINODE: u8 = 4;
/// Legacy name record (16-bit ids).
pub const FS_ONAME: u8 = 5;
/// End of a volume that has more volumes after it.
pub(crate) const FS_VOLEND: u8 = 6;
/// End of the archive.
pub const FS_END: u8 = 7;
/// By-inode v2 inode record.
pub(crate) const FS_DINODE: u8 = 8;
/// Version 2 name record (`backup -o`), no security block.
pub const FS_NAME: u8 = 9;
/// Obsolete Distributed Services record.
pub const FS_DS: u8 = 10;
/// The normal file record.
pub const FS_NAME_X: u8 = 11;
/// FS_NAME_X with 64-bit size and dsize.
pub const FS_NAME_LF: u8 = 12;
/// Defined by AIX 5.3, layout unknown.
pub const FS_NAME_EA: u8 = 13;
/// Defined by AIX 5.3, layout unknown.
pub(crate) const FS_NAME_ACL: u8 = 14;
/// Defined by AIX 5.3, layout unknown.
pub(crate) const FS_NAME_E: u8 = 15;

/// Normal header magic: data stored as is.
pub const MAGIC: u16 = 60011;
/// Header magic of a file whose data is Huffman-packed.
pub const PACKED_MAGIC: u16 = 60012;
/// First Trusted-AIX (labelled) magic; 60013..=60016 have an unknown layout.
pub(crate) const B1_MAGIC_FIRST: u16 = 60013;
/// Last Trusted-AIX magic.
pub(crate) const B1_MAGIC_LAST: u16 = 60016;
/// `incno` of a by-name archive.
pub const BYNAME: u16 = 100;
/// Default blocks of 512 bytes per write (`backup -b`).
pub(crate) const DEF_CLUSTER: u32 = 100;
/// `numwds` for files and tapes: "unknown".
pub const NUMWDS_UNKNOWN: i32 = i32::MAX;
/// Longest name backup accepts (PATH_MAX - 1), excluding the NUL.
pub const MAX_NAME: usize = 1023;
/// Cap on len, aclsize and pclsize in dwords: never allocate more from an untrusted size.
pub(crate) const MAX_DWORDS: u32 = 512;

/// Bytes to dwords, rounding up.
pub const fn btow(bytes: u64) -> u64 {
    bytes.div_ceil(8)
}

/// `bytes` rounded up to the next dword boundary.
pub const fn pad8(bytes: u64) -> u64 {
    btow(bytes) * 8
}

/// `b << (b & 7)` for every byte value: the checksum's per-byte term, precomputed.
const TERM: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u16) << (b & 7);
        b += 1;
    }
    t
};

/// The header checksum: sum of `b << (b & 7)` over every byte, the checksum field (bytes 4-5) counting as 0.
pub fn checksum(hdr: &[u8]) -> u16 {
    let mut s: u16 = 0;
    for (i, &b) in hdr.iter().enumerate() {
        if i != 4 && i != 5 {
            s = s.wrapping_add(TERM[usize::from(b)]);
        }
    }
    s
}

/// Stores the checksum of `hdr` at offset 4 (LE).
pub fn seal(hdr: &mut [u8]) {
    let c = checksum(hdr);
    hdr[4..6].copy_from_slice(&c.to_le_bytes());
}

/// The checksum stored in a header.
pub fn stored_checksum(hdr: &[u8]) -> u16 {
    u16::from_le_bytes([hdr[4], hdr[5]])
}

/// Fixed length of a record type in dwords, and whether `len` may be larger (name records).
pub(crate) fn fixed_len(ty: u8) -> Option<(u8, bool)> {
    Some(match ty {
        FS_VOLUME => (9, false),
        FS_FINDEX => (62, false),
        FS_CLRI | FS_BITS => (1, false),
        FS_OINODE => (5, false),
        FS_ONAME => (5, true),
        FS_VOLEND | FS_END => (1, false),
        FS_DINODE => (6, false),
        FS_NAME => (6, true),
        FS_DS => (2, true),
        FS_NAME_X => (8, true),
        FS_NAME_LF => (9, true),
        FS_NAME_EA | FS_NAME_ACL | FS_NAME_E => (1, true),
        _ => return None,
    })
}

/// What is wrong with the first 8 bytes of a would-be header (restore's `goodhdr`, without the checksum).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadHeader {
    /// The magic is neither 60011 nor 60012.
    Magic(u16),
    /// A Trusted-AIX magic (layout unknown).
    TrustedAix(u16),
    /// The type is out of range.
    Type(u8),
    /// `len` does not fit the type.
    Len {
        /// Record type.
        ty: u8,
        /// Length found, dwords.
        len: u8,
    },
}

impl std::fmt::Display for BadHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            BadHeader::Magic(m) => write!(f, "bad magic {m} (want 60011 or 60012)"),
            BadHeader::TrustedAix(m) => write!(
                f,
                "Trusted-AIX (labelled) header magic {m}: this format is not documented and not supported"
            ),
            BadHeader::Type(t) => write!(f, "unknown header type {t}"),
            BadHeader::Len { ty, len } => write!(f, "header type {ty} has a bad length of {len} dwords"),
        }
    }
}

/// Checks magic, type and len of a header start; returns `len` in dwords.
pub(crate) fn goodhdr(h: &[u8; 8]) -> Result<u8, BadHeader> {
    let len = h[0];
    let ty = h[1];
    let magic = u16::from_le_bytes([h[2], h[3]]);
    if (B1_MAGIC_FIRST..=B1_MAGIC_LAST).contains(&magic) {
        return Err(BadHeader::TrustedAix(magic));
    }
    if magic != MAGIC && magic != PACKED_MAGIC {
        return Err(BadHeader::Magic(magic));
    }
    let (fixed, at_least) = fixed_len(ty).ok_or(BadHeader::Type(ty))?;
    let ok = if at_least { len >= fixed } else { len == fixed };
    if !ok || u32::from(len) > MAX_DWORDS {
        return Err(BadHeader::Len { ty, len });
    }
    Ok(len)
}

fn le16(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn le32(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}
fn le64(b: &[u8], o: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[o..o + 8]);
    u64::from_le_bytes(a)
}
fn put16(b: &mut [u8], o: usize, v: u16) {
    b[o..o + 2].copy_from_slice(&v.to_le_bytes());
}
fn put32(b: &mut [u8], o: usize, v: u32) {
    b[o..o + 4].copy_from_slice(&v.to_le_bytes());
}
fn put64(b: &mut [u8], o: usize, v: u64) {
    b[o..o + 8].copy_from_slice(&v.to_le_bytes());
}

/// Bytes up to the first NUL (the whole slice when there is none).
pub(crate) fn cstr(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(n) => &b[..n],
        None => b,
    }
}

fn fixed16(s: &[u8]) -> [u8; 16] {
    let mut a = [0u8; 16];
    let n = s.len().min(15);
    a[..n].copy_from_slice(&s[..n]);
    a
}

/// The FS_VOLUME label (72 bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolumeHeader {
    /// Volume number, 1 for the first.
    pub volnum: u16,
    /// Backup time, Unix seconds.
    pub date: i32,
    /// Same as `date` for by-name archives.
    pub dumpdate: i32,
    /// Dwords on this volume, or [`NUMWDS_UNKNOWN`].
    pub numwds: i32,
    /// `"by name"`.
    pub disk: [u8; 16],
    /// `"by name"`.
    pub fsname: [u8; 16],
    /// Login name of whoever ran backup.
    pub user: [u8; 16],
    /// [`BYNAME`] for by-name archives.
    pub incno: u16,
}

impl VolumeHeader {
    /// The label AIX backup writes for volume 1.
    pub fn by_name(date: i32, user: &[u8]) -> Self {
        VolumeHeader {
            volnum: 1,
            date,
            dumpdate: date,
            numwds: NUMWDS_UNKNOWN,
            disk: fixed16(b"by name"),
            fsname: fixed16(b"by name"),
            user: fixed16(user),
            incno: BYNAME,
        }
    }

    /// The user name without NUL filler.
    pub fn user_name(&self) -> &[u8] {
        cstr(&self.user)
    }

    /// Encodes with checksum.
    pub fn encode(&self) -> [u8; 72] {
        let mut b = [0u8; 72];
        b[0] = 9;
        b[1] = FS_VOLUME;
        put16(&mut b, 2, MAGIC);
        put16(&mut b, 6, self.volnum);
        put32(&mut b, 8, self.date as u32);
        put32(&mut b, 12, self.dumpdate as u32);
        put32(&mut b, 16, self.numwds as u32);
        b[20..36].copy_from_slice(&self.disk);
        b[36..52].copy_from_slice(&self.fsname);
        b[52..68].copy_from_slice(&self.user);
        put16(&mut b, 68, self.incno);
        seal(&mut b);
        b
    }

    /// Decodes a checked 72-byte header.
    pub fn decode(b: &[u8]) -> Self {
        let f = |o: usize| {
            let mut a = [0u8; 16];
            a.copy_from_slice(&b[o..o + 16]);
            a
        };
        VolumeHeader {
            volnum: le16(b, 6),
            date: le32(b, 8) as i32,
            dumpdate: le32(b, 12) as i32,
            numwds: le32(b, 16) as i32,
            disk: f(20),
            fsname: f(36),
            user: f(52),
            incno: le16(b, 68),
        }
    }
}

/// A file header of any name-record type, widened to common fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameHeader {
    /// Record type: [`FS_NAME_X`], [`FS_NAME_LF`], [`FS_NAME`] or [`FS_ONAME`].
    pub rtype: u8,
    /// [`MAGIC`] or [`PACKED_MAGIC`].
    pub magic: u16,
    /// Link count.
    pub nlink: u16,
    /// Inode number (only meaningful for hard-link matching).
    pub ino: u32,
    /// Full AIX `st_mode`.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Original content length (0 for directories; target length for symlinks).
    pub size: u64,
    /// Access time, seconds.
    pub atime: i32,
    /// Modification time, seconds.
    pub mtime: i32,
    /// Change time, seconds.
    pub ctime: i32,
    /// Major of the holding filesystem.
    pub devmaj: u32,
    /// Minor of the holding filesystem.
    pub devmin: u32,
    /// Major of a device node.
    pub rdevmaj: u32,
    /// Minor of a device node.
    pub rdevmin: u32,
    /// Packed length on the medium, or st_size when not packed.
    pub dsize: u64,
}

/// Why a header could not be encoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The name is longer than [`MAX_NAME`] bytes.
    #[error("name is {0} bytes long; the by-name format allows at most 1023")]
    NameTooLong(usize),
    /// The name contains a NUL byte.
    #[error("name contains a NUL byte")]
    NameNul,
    /// Size or dsize does not fit the record type.
    #[error("size {0} does not fit this record type")]
    Size(u64),
    /// Only FS_NAME_X and FS_NAME_LF are written.
    #[error("record type {0} is not written by this encoder")]
    Type(u8),
}

impl NameHeader {
    /// Whether the data is packed.
    pub fn packed(&self) -> bool {
        self.magic == PACKED_MAGIC
    }

    /// Bytes of data on the medium, before dword filler (restore's `getfile` rule).
    pub(crate) fn stored_len(&self) -> u64 {
        if self.packed() {
            self.dsize
        } else {
            self.size
        }
    }

    /// Encodes an FS_NAME_X or FS_NAME_LF header with `name` into `out` (appended), checksum included.
    pub fn encode_into(&self, name: &[u8], out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if name.len() > MAX_NAME {
            return Err(EncodeError::NameTooLong(name.len()));
        }
        if name.contains(&0) {
            return Err(EncodeError::NameNul);
        }
        let fixed = match self.rtype {
            FS_NAME_X => {
                if self.size > i32::MAX as u64 || self.dsize > i32::MAX as u64 {
                    return Err(EncodeError::Size(self.size.max(self.dsize)));
                }
                64
            }
            FS_NAME_LF => {
                if self.size > i64::MAX as u64 || self.dsize > i64::MAX as u64 {
                    return Err(EncodeError::Size(self.size.max(self.dsize)));
                }
                72
            }
            t => return Err(EncodeError::Type(t)),
        };
        let total = fixed + pad8(name.len() as u64 + 1) as usize;
        let start = out.len();
        out.resize(start + total, 0);
        let b = &mut out[start..];
        b[0] = (total / 8) as u8;
        b[1] = self.rtype;
        put16(b, 2, self.magic);
        put16(b, 6, self.nlink);
        put32(b, 8, self.ino);
        put32(b, 12, self.mode);
        put32(b, 16, self.uid);
        put32(b, 20, self.gid);
        let (k, dsize_at, wide) = wide_layout(self.rtype);
        let put_size = |b: &mut [u8], o, v: u64| if wide { put64(b, o, v) } else { put32(b, o, v as u32) };
        put_size(b, 24, self.size);
        put32(b, 28 + k, self.atime as u32);
        put32(b, 32 + k, self.mtime as u32);
        put32(b, 36 + k, self.ctime as u32);
        put32(b, 40 + k, self.devmaj);
        put32(b, 44 + k, self.devmin);
        put32(b, 48 + k, self.rdevmaj);
        put32(b, 52 + k, self.rdevmin);
        put_size(b, dsize_at, self.dsize);
        b[fixed..fixed + name.len()].copy_from_slice(name);
        seal(b);
        Ok(())
    }

    /// Decodes a checked name-record header (`len*8` bytes, type FS_NAME_X, FS_NAME_LF, FS_NAME or
    /// FS_ONAME); returns the header and the name bytes (up to the first NUL). `None` for other types.
    pub fn decode(b: &[u8]) -> Option<(NameHeader, &[u8])> {
        let rtype = *b.get(1)?;
        let magic = le16(b, 2);
        let s32 = |o: usize| le32(b, o) as i32 as i64 as u64;
        let (h, name_at) = match rtype {
            FS_NAME_X | FS_NAME_LF => {
                let (k, dsize_at, wide) = wide_layout(rtype);
                let fixed = dsize_at + 8;
                if b.len() < fixed {
                    return None;
                }
                let size = |o| if wide { le64(b, o) } else { s32(o) };
                let h = NameHeader {
                    rtype,
                    magic,
                    nlink: le16(b, 6),
                    ino: le32(b, 8),
                    mode: le32(b, 12),
                    uid: le32(b, 16),
                    gid: le32(b, 20),
                    size: size(24),
                    atime: le32(b, 28 + k) as i32,
                    mtime: le32(b, 32 + k) as i32,
                    ctime: le32(b, 36 + k) as i32,
                    devmaj: le32(b, 40 + k),
                    devmin: le32(b, 44 + k),
                    rdevmaj: le32(b, 48 + k),
                    rdevmin: le32(b, 52 + k),
                    dsize: size(dsize_at),
                };
                (h, fixed)
            }
            // The legacy records share their 16-bit ids and times; they differ in the device fields.
            FS_NAME if b.len() >= 48 => {
                let dev = |o| u32::from(le16(b, o));
                (legacy(b, (dev(32), dev(34)), (dev(36), dev(38)), s32(40)), 48)
            }
            FS_ONAME if b.len() >= 40 => {
                // One 16-bit dev_t each: major in the high byte.
                let split = |o| {
                    let d = le16(b, o);
                    (u32::from(d >> 8), u32::from(d & 0xff))
                };
                (legacy(b, split(32), split(34), s32(36)), 40)
            }
            _ => return None,
        };
        Some((h, cstr(&b[name_at..])))
    }
}

/// How FS_NAME_LF differs from FS_NAME_X (spec §8): a 64-bit `size` moves the fields after it by 4 bytes
/// (`k`), and a 64-bit `dsize` sits at 64 instead of 56; the name follows `dsize`. Returns `(k, dsize offset,
/// 64-bit sizes)`; the fixed part ends 8 bytes after the `dsize` offset.
fn wide_layout(rtype: u8) -> (usize, usize, bool) {
    if rtype == FS_NAME_LF {
        (4, 64, true)
    } else {
        (0, 56, false)
    }
}

/// FS_NAME / FS_ONAME: ino, mode, nlink, uid and gid as u16 at 6..16, size at 16, times at 20/24/28 (spec §8);
/// the device fields and `dsize` are where the two differ.
fn legacy(b: &[u8], dev: (u32, u32), rdev: (u32, u32), dsize: u64) -> NameHeader {
    NameHeader {
        rtype: b[1],
        magic: le16(b, 2),
        ino: u32::from(le16(b, 6)),
        mode: u32::from(le16(b, 8)),
        nlink: le16(b, 10),
        uid: u32::from(le16(b, 12)),
        gid: u32::from(le16(b, 14)),
        size: le32(b, 16) as i32 as i64 as u64,
        atime: le32(b, 20) as i32,
        mtime: le32(b, 24) as i32,
        ctime: le32(b, 28) as i32,
        devmaj: dev.0,
        devmin: dev.1,
        rdevmaj: rdev.0,
        rdevmin: rdev.1,
        dsize,
    }
}

/// The FS_END record AIX readers accept, with a zero trailer.
pub fn end_record() -> [u8; 8] {
    let mut b = [1, FS_END, 0x6b, 0xea, 0, 0, 0, 0];
    seal(&mut b);
    b
}

/// The `sac_rec` that precedes the ACL and PCL: both sizes in dwords.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SacRec {
    /// ACL length in dwords.
    pub aclsize: u32,
    /// PCL length in dwords.
    pub pclsize: u32,
}

impl SacRec {
    /// Decodes 8 bytes.
    pub fn decode(b: &[u8; 8]) -> Self {
        SacRec { aclsize: le32(b, 0), pclsize: le32(b, 4) }
    }
    /// Encodes 8 bytes.
    pub fn encode(&self) -> [u8; 8] {
        let mut b = [0u8; 8];
        put32(&mut b, 0, self.aclsize);
        put32(&mut b, 4, self.pclsize);
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_record_checksum_matches_spec() {
        assert_eq!(end_record(), [0x01, 0x07, 0x6b, 0xea, 0x82, 0x0a, 0, 0]);
        assert_eq!(checksum(&[0x01, 0x07, 0x6b, 0xea, 0, 0, 0x01, 0]), 0x0a84);
    }

    #[test]
    fn goodhdr_rules() {
        assert_eq!(goodhdr(&[9, 0, 0x6b, 0xea, 0, 0, 0, 0]), Ok(9));
        assert_eq!(goodhdr(&[8, 0, 0x6b, 0xea, 0, 0, 0, 0]), Err(BadHeader::Len { ty: 0, len: 8 }));
        assert_eq!(goodhdr(&[7, 11, 0x6b, 0xea, 0, 0, 0, 0]), Err(BadHeader::Len { ty: 11, len: 7 }));
        assert_eq!(goodhdr(&[9, 11, 0x6c, 0xea, 0, 0, 0, 0]), Ok(9));
        assert_eq!(goodhdr(&[9, 16, 0x6b, 0xea, 0, 0, 0, 0]), Err(BadHeader::Type(16)));
        assert_eq!(goodhdr(&[9, 0, 0x6d, 0xea, 0, 0, 0, 0]), Err(BadHeader::TrustedAix(60013)));
        assert_eq!(goodhdr(&[9, 0, 0x00, 0xea, 0, 0, 0, 0]), Err(BadHeader::Magic(0xea00)));
    }

    #[test]
    fn name_lf_roundtrip_above_4gib() {
        let h = NameHeader {
            rtype: FS_NAME_LF,
            magic: MAGIC,
            nlink: 1,
            mode: 0o100644,
            size: 5 << 30,
            dsize: 5 << 30,
            mtime: 1_700_000_000,
            ..Default::default()
        };
        let mut v = Vec::new();
        h.encode_into(b"./big", &mut v).unwrap();
        assert_eq!(v.len(), 80);
        assert_eq!(v[0], 10);
        assert_eq!(goodhdr(v[..8].try_into().unwrap()), Ok(10));
        assert_eq!(checksum(&v), stored_checksum(&v));
        let (d, name) = NameHeader::decode(&v).unwrap();
        assert_eq!(d, h);
        assert_eq!(name, b"./big");
        let x = NameHeader { rtype: FS_NAME_X, ..h };
        assert_eq!(x.encode_into(b"./big", &mut v), Err(EncodeError::Size(5 << 30)));
    }
}
