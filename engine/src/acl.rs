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

    /// True when the ACL has named users or groups (more than the mode can say).
    pub(crate) fn is_extended(&self) -> bool {
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
}
