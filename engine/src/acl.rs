//! POSIX ACLs as Linux stores them in the `system.posix_acl_access` / `system.posix_acl_default` xattrs.
//!
//! The xattr value is a 4-byte little-endian version (2) followed by 8-byte entries
//! `{ tag: u16, perm: u16, id: u32 }`, all little-endian, sorted by tag then id.

/// Name of the access-ACL xattr.
pub const XATTR_ACCESS: &[u8] = b"system.posix_acl_access";
/// Name of the default-ACL xattr.
pub const XATTR_DEFAULT: &[u8] = b"system.posix_acl_default";

const VERSION: u32 = 2;

/// Who an ACL entry applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AclTag {
    /// The owner (`user::`).
    UserObj,
    /// A named user (`user:UID:`).
    User(u32),
    /// The owning group (`group::`).
    GroupObj,
    /// A named group (`group:GID:`).
    Group(u32),
    /// The mask (`mask::`).
    Mask,
    /// Everyone else (`other::`).
    Other,
}

impl AclTag {
    fn code(self) -> (u16, u32) {
        const UNDEFINED_ID: u32 = u32::MAX;
        match self {
            AclTag::UserObj => (0x01, UNDEFINED_ID),
            AclTag::User(u) => (0x02, u),
            AclTag::GroupObj => (0x04, UNDEFINED_ID),
            AclTag::Group(g) => (0x08, g),
            AclTag::Mask => (0x10, UNDEFINED_ID),
            AclTag::Other => (0x20, UNDEFINED_ID),
        }
    }
}

/// One ACL entry: a tag and `rwx` bits (r=4, w=2, x=1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AclEntry {
    /// Who.
    pub tag: AclTag,
    /// `rwx` bits.
    pub perm: u8,
}

/// A POSIX ACL.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PosixAcl {
    /// The entries, in canonical order (tag, then id).
    pub entries: Vec<AclEntry>,
}

/// Why an ACL xattr value could not be decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AclError {
    /// Length not 4 + 8·n.
    #[error("POSIX ACL xattr has a bad length {0} (want 4 + 8*n)")]
    Length(usize),
    /// Version not 2.
    #[error("POSIX ACL xattr has version {0}, only 2 is known")]
    Version(u32),
    /// Unknown tag.
    #[error("POSIX ACL xattr has an unknown tag 0x{0:x}")]
    Tag(u16),
}

/// An ACL text entry that could not be parsed (or names a user or group this host does not know).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("bad ACL text entry {0:?}")]
pub struct AclTextError(pub String);

impl PosixAcl {
    /// Decodes an xattr value.
    pub fn from_xattr(v: &[u8]) -> Result<Self, AclError> {
        if v.len() < 4 || !(v.len() - 4).is_multiple_of(8) {
            return Err(AclError::Length(v.len()));
        }
        let ver = u32::from_le_bytes([v[0], v[1], v[2], v[3]]);
        if ver != VERSION {
            return Err(AclError::Version(ver));
        }
        let mut entries = Vec::with_capacity((v.len() - 4) / 8);
        for e in v[4..].chunks_exact(8) {
            let tag = u16::from_le_bytes([e[0], e[1]]);
            let perm = u16::from_le_bytes([e[2], e[3]]);
            let id = u32::from_le_bytes([e[4], e[5], e[6], e[7]]);
            let tag = match tag {
                0x01 => AclTag::UserObj,
                0x02 => AclTag::User(id),
                0x04 => AclTag::GroupObj,
                0x08 => AclTag::Group(id),
                0x10 => AclTag::Mask,
                0x20 => AclTag::Other,
                t => return Err(AclError::Tag(t)),
            };
            entries.push(AclEntry { tag, perm: (perm & 7) as u8 });
        }
        Ok(PosixAcl { entries })
    }

    /// Encodes as an xattr value (entries sorted into canonical order).
    pub fn to_xattr(&self) -> Vec<u8> {
        let mut entries = self.entries.clone();
        entries.sort_by_key(|e| e.tag);
        let mut v = Vec::with_capacity(4 + 8 * entries.len());
        v.extend_from_slice(&VERSION.to_le_bytes());
        for e in &entries {
            let (tag, id) = e.tag.code();
            v.extend_from_slice(&tag.to_le_bytes());
            v.extend_from_slice(&u16::from(e.perm).to_le_bytes());
            v.extend_from_slice(&id.to_le_bytes());
        }
        v
    }

    /// The minimal ACL equivalent to permission bits `mode`.
    pub fn from_mode(mode: u32) -> Self {
        PosixAcl {
            entries: vec![
                AclEntry { tag: AclTag::UserObj, perm: ((mode >> 6) & 7) as u8 },
                AclEntry { tag: AclTag::GroupObj, perm: ((mode >> 3) & 7) as u8 },
                AclEntry { tag: AclTag::Other, perm: (mode & 7) as u8 },
            ],
        }
    }

    /// The long text form `getfacl` prints and GNU tar stores in `SCHILY.acl.access` / `SCHILY.acl.default`
    /// (one `tag:qualifier:rwx` entry per line), with numeric ids: names would mean a lookup on this host,
    /// and the ids are what the archive holds.
    pub fn to_text(&self) -> String {
        let mut entries = self.entries.clone();
        entries.sort_by_key(|e| e.tag);
        let mut t = String::new();
        for e in &entries {
            let (tag, q) = match e.tag {
                AclTag::UserObj => ("user", String::new()),
                AclTag::User(u) => ("user", u.to_string()),
                AclTag::GroupObj => ("group", String::new()),
                AclTag::Group(g) => ("group", g.to_string()),
                AclTag::Mask => ("mask", String::new()),
                AclTag::Other => ("other", String::new()),
            };
            let bit = |b: u8, c: char| if e.perm & b != 0 { c } else { '-' };
            t.push_str(&format!("{tag}:{q}:{}{}{}\n", bit(4, 'r'), bit(2, 'w'), bit(1, 'x')));
        }
        t
    }

    /// Parses the text form (entries separated by newlines or commas, `#` comments, short tags `u g m o`, and
    /// star's trailing `:ID` field). A qualifier that is a name rather than a number is looked up with
    /// `lookup` (user names with `false`, group names with `true`); a name it does not know is an error.
    pub fn from_text(text: &str, lookup: &dyn Fn(&str, bool) -> Option<u32>) -> Result<Self, AclTextError> {
        let mut entries = Vec::new();
        for raw in text.split(['\n', ',']) {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let bad = || AclTextError(line.to_string());
            let f: Vec<&str> = line.split(':').collect();
            if f.len() < 3 {
                return Err(bad());
            }
            let id = |group: bool| -> Result<Option<u32>, AclTextError> {
                if f[1].is_empty() {
                    return Ok(None);
                }
                if let Ok(n) = f[1].parse::<u32>() {
                    return Ok(Some(n));
                }
                // star writes `user:name:rwx:ID`: the id travels with the name.
                if let Some(n) = f.get(3).and_then(|s| s.parse::<u32>().ok()) {
                    return Ok(Some(n));
                }
                lookup(f[1], group).map(Some).ok_or_else(bad)
            };
            let tag = match f[0] {
                "user" | "u" => id(false)?.map_or(AclTag::UserObj, AclTag::User),
                "group" | "g" => id(true)?.map_or(AclTag::GroupObj, AclTag::Group),
                "mask" | "m" => AclTag::Mask,
                "other" | "o" => AclTag::Other,
                _ => return Err(bad()),
            };
            let mut perm = 0u8;
            for c in f[2].chars() {
                perm |= match c {
                    'r' => 4,
                    'w' => 2,
                    'x' => 1,
                    '-' => 0,
                    _ => return Err(bad()),
                };
            }
            entries.push(AclEntry { tag, perm });
        }
        entries.sort_by_key(|e| e.tag);
        Ok(PosixAcl { entries })
    }

    /// True when the ACL has named users or groups (more than the mode can say).
    pub fn is_extended(&self) -> bool {
        self.entries.iter().any(|e| matches!(e.tag, AclTag::User(_) | AclTag::Group(_) | AclTag::Mask))
    }

    /// The permission bits the ACL implies for `ls -l` (group bits are the mask when there is one).
    pub fn mode_bits(&self) -> u32 {
        let get = |t: AclTag| self.entries.iter().find(|e| e.tag == t).map(|e| u32::from(e.perm));
        let u = get(AclTag::UserObj).unwrap_or(0);
        let g = get(AclTag::Mask).or_else(|| get(AclTag::GroupObj)).unwrap_or(0);
        let o = get(AclTag::Other).unwrap_or(0);
        (u << 6) | (g << 3) | o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xattr_round_trip_sorts_and_keeps_ids() {
        let acl = PosixAcl {
            entries: vec![
                AclEntry { tag: AclTag::Other, perm: 4 },
                AclEntry { tag: AclTag::User(1234), perm: 6 },
                AclEntry { tag: AclTag::UserObj, perm: 7 },
                AclEntry { tag: AclTag::GroupObj, perm: 5 },
                AclEntry { tag: AclTag::Mask, perm: 6 },
            ],
        };
        let x = acl.to_xattr();
        assert_eq!(x.len(), 4 + 5 * 8);
        assert_eq!(&x[..4], &[2, 0, 0, 0]);
        // user_obj first, then the named user with its id.
        assert_eq!(&x[4..12], &[1, 0, 7, 0, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(&x[12..20], &[2, 0, 6, 0, 0xd2, 0x04, 0, 0]);
        let back = PosixAcl::from_xattr(&x).unwrap();
        assert!(back.is_extended());
        assert_eq!(back.mode_bits(), 0o764);
        assert_eq!(PosixAcl::from_xattr(&x[..7]), Err(AclError::Length(7)));
    }

    #[test]
    fn text_form_round_trips_as_gnu_tar_writes_it() {
        let none = |_: &str, _: bool| None;
        let gnu = "user::rw-\nuser:12345:r--\ngroup::r--\ngroup:54321:rw-\nmask::rw-\nother::r--\n";
        let acl = PosixAcl::from_text(gnu, &none).unwrap();
        assert_eq!(acl.entries.len(), 6);
        assert!(acl.entries.contains(&AclEntry { tag: AclTag::Group(54321), perm: 6 }));
        assert_eq!(acl.to_text(), gnu);
        // star's form with the id after a name, short tags, commas and a comment.
        let star = "u::rwx,user:lisa:r-x:1001,g::r--,m::r-x,o::---#x";
        let acl = PosixAcl::from_text(star, &none).unwrap();
        assert!(acl.entries.contains(&AclEntry { tag: AclTag::User(1001), perm: 5 }));
        assert_eq!(acl.mode_bits(), 0o750);
        let bin = |n: &str, g: bool| (n == "bin" && !g).then_some(2);
        assert!(PosixAcl::from_text("user:bin:r--", &bin).unwrap().is_extended());
        assert_eq!(
            PosixAcl::from_text("user:nobody-here:r--", &none),
            Err(AclTextError("user:nobody-here:r--".into()))
        );
        assert!(PosixAcl::from_text("user::rwz", &none).is_err());
    }
}
