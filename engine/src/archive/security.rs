//! The security block after a file header: AIX `struct acl` (AIXC ACL) and `struct pcl` (spec §5.3-§5.5).
//!
//! Scalar fields are little-endian like the rest of the format; the ids inside ACE/PCE id lists are
//! big-endian because AIX never swapped them.
//!
//! Mapping between Linux POSIX ACLs and AIXC ACLs (chosen here, AIX has no mask):
//! * writing: `u_access` = owner, `g_access` = owning group **masked** by the POSIX mask, `o_access` = other;
//!   every named user/group becomes one `permit` ACE with its **effective** rights (`perm & mask`), so AIX
//!   grants exactly what Linux granted. `acl_mode` gets `S_IXACL` plus setuid/setgid/sticky.
//! * reading: each `permit` ACE with a single user or group id becomes a named POSIX entry; the mask is the
//!   union of the group class (owning group and all named entries), so nothing is masked away. `deny`,
//!   `specify` and multi-id ACEs have no POSIX equivalent: they are dropped and counted
//!   ([`AixAcl::to_posix`] reports how many).

use crate::acl::{AclEntry, AclTag, PosixAcl};

/// `acl_mode` bit: the file has an extended ACL.
pub(crate) const S_IXACL: u32 = 0x0200_0000;
/// ACE id type of a user.
pub(crate) const ACEID_USER: u16 = 1;
/// ACE id type of a group.
pub(crate) const ACEID_GROUP: u16 = 2;

/// Why a security block could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SecurityError {
    /// A length field points outside the block or is too small.
    #[error("{what} length {len} is invalid at byte {at} of the {block}")]
    Length {
        /// "ACL" or "PCL".
        block: &'static str,
        /// Which length.
        what: &'static str,
        /// The value found.
        len: u32,
        /// Offset within the block.
        at: usize,
    },
}

/// What an ACE does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AceType {
    /// Grants the rights.
    Permit,
    /// Denies the rights.
    Deny,
    /// Sets exactly these rights.
    Specify,
    /// Any other value of the 2-bit field (0).
    Other(u8),
}

impl AceType {
    fn code(self) -> u16 {
        match self {
            AceType::Permit => 1,
            AceType::Deny => 2,
            AceType::Specify => 3,
            AceType::Other(v) => u16::from(v & 3),
        }
    }
    fn from_code(c: u16) -> Self {
        match c {
            1 => AceType::Permit,
            2 => AceType::Deny,
            3 => AceType::Specify,
            v => AceType::Other(v as u8),
        }
    }
}

/// One identity in an ACE or PCE id list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AceId {
    /// A user id (4 big-endian bytes).
    User(u32),
    /// A group id (4 big-endian bytes).
    Group(u32),
    /// Any other id type or length, kept raw.
    Raw {
        /// `id_type`.
        id_type: u16,
        /// `id_data`.
        data: Vec<u8>,
    },
}

impl AceId {
    fn encode(&self, out: &mut Vec<u8>) {
        let (ty, data): (u16, Vec<u8>) = match self {
            AceId::User(u) => (ACEID_USER, u.to_be_bytes().to_vec()),
            AceId::Group(g) => (ACEID_GROUP, g.to_be_bytes().to_vec()),
            AceId::Raw { id_type, data } => (*id_type, data.clone()),
        };
        out.extend_from_slice(&((4 + data.len()) as u16).to_le_bytes());
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(&data);
    }

    fn len(&self) -> usize {
        match self {
            AceId::User(_) | AceId::Group(_) => 8,
            AceId::Raw { data, .. } => 4 + data.len(),
        }
    }
}

/// An access control entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ace {
    /// Permit, deny or specify.
    pub ace_type: AceType,
    /// Rights, r=4 w=2 x=1 (the low 14 bits as stored).
    pub access: u16,
    /// Whom it applies to (all must match).
    pub ids: Vec<AceId>,
}

/// An AIXC ACL (`struct acl`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AixAcl {
    /// `acl_mode`: S_IXACL and setuid/setgid/sticky bits.
    pub mode: u32,
    /// Owner rights.
    pub u_access: u16,
    /// Owning group rights.
    pub g_access: u16,
    /// Other rights.
    pub o_access: u16,
    /// Extended entries.
    pub ext: Vec<Ace>,
}

/// A privilege control entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pce {
    /// Privilege bit vector.
    pub privs: [u32; 2],
    /// Whom it applies to.
    pub ids: Vec<AceId>,
}

/// A PCL (`struct pcl`): obsolete, but every AIX archive carries at least the base one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pcl {
    /// `pcl_mode`: the full st_mode.
    pub mode: u32,
    /// Default privileges.
    pub default: [u32; 2],
    /// Extended entries.
    pub ext: Vec<Pce>,
}

/// The decoded security block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Security {
    /// The ACL.
    pub acl: AixAcl,
    /// The PCL.
    pub pcl: Pcl,
}

fn le16(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn le32(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

fn decode_ids(b: &[u8], mut at: usize, end: usize, block: &'static str) -> Result<Vec<AceId>, SecurityError> {
    let mut ids = Vec::new();
    while at < end {
        if at + 4 > end {
            return Err(SecurityError::Length { block, what: "id", len: (end - at) as u32, at });
        }
        let id_len = usize::from(le16(b, at));
        let id_type = le16(b, at + 2);
        if id_len < 4 || at + id_len > end {
            return Err(SecurityError::Length { block, what: "id_len", len: id_len as u32, at });
        }
        let data = &b[at + 4..at + id_len];
        ids.push(match (id_type, data.len()) {
            (ACEID_USER, 4) => AceId::User(u32::from_be_bytes([data[0], data[1], data[2], data[3]])),
            (ACEID_GROUP, 4) => AceId::Group(u32::from_be_bytes([data[0], data[1], data[2], data[3]])),
            _ => AceId::Raw { id_type, data: data.to_vec() },
        });
        at += id_len;
    }
    Ok(ids)
}

fn pad_to_dword(out: &mut Vec<u8>, start: usize) {
    let n = out.len() - start;
    out.resize(start + n.div_ceil(8) * 8, 0);
}

impl AixAcl {
    /// The base ACL for a full st_mode (spec §11).
    pub fn base(st_mode: u32) -> Self {
        AixAcl {
            mode: st_mode & 0x0200_0E00,
            u_access: ((st_mode >> 6) & 7) as u16,
            g_access: ((st_mode >> 3) & 7) as u16,
            o_access: (st_mode & 7) as u16,
            ext: Vec::new(),
        }
    }

    /// An ACL equivalent to a POSIX ACL with named entries (mapping in the module docs).
    pub(crate) fn from_posix(st_mode: u32, posix: &PosixAcl) -> Self {
        let get = |t: AclTag| posix.entries.iter().find(|e| e.tag == t).map(|e| u16::from(e.perm));
        let mask = get(AclTag::Mask).unwrap_or(7);
        let mut ext = Vec::new();
        for e in &posix.entries {
            let id = match e.tag {
                AclTag::User(u) => AceId::User(u),
                AclTag::Group(g) => AceId::Group(g),
                _ => continue,
            };
            ext.push(Ace { ace_type: AceType::Permit, access: u16::from(e.perm) & mask, ids: vec![id] });
        }
        AixAcl {
            mode: (st_mode & 0o7000) | if ext.is_empty() { 0 } else { S_IXACL },
            u_access: get(AclTag::UserObj).unwrap_or(((st_mode >> 6) & 7) as u16),
            g_access: get(AclTag::GroupObj).unwrap_or(((st_mode >> 3) & 7) as u16) & mask,
            o_access: get(AclTag::Other).unwrap_or((st_mode & 7) as u16),
            ext,
        }
    }

    /// The POSIX ACL this ACL maps to (`None` when there are no extended entries), and how many ACEs had no
    /// POSIX equivalent.
    pub fn to_posix(&self) -> (Option<PosixAcl>, usize) {
        let mut named = Vec::new();
        let mut dropped = 0;
        for ace in &self.ext {
            match (ace.ace_type, ace.ids.as_slice()) {
                (AceType::Permit, [AceId::User(u)]) => named.push((AclTag::User(*u), ace.access)),
                (AceType::Permit, [AceId::Group(g)]) => named.push((AclTag::Group(*g), ace.access)),
                _ => dropped += 1,
            }
        }
        if named.is_empty() {
            return (None, dropped);
        }
        let mut mask = self.g_access & 7;
        let mut entries = vec![
            AclEntry { tag: AclTag::UserObj, perm: (self.u_access & 7) as u8 },
            AclEntry { tag: AclTag::GroupObj, perm: (self.g_access & 7) as u8 },
            AclEntry { tag: AclTag::Other, perm: (self.o_access & 7) as u8 },
        ];
        for (tag, access) in named {
            mask |= access & 7;
            // Two ACEs for one id: POSIX allows one entry, so merge their rights.
            if let Some(e) = entries.iter_mut().find(|e| e.tag == tag) {
                e.perm |= (access & 7) as u8;
            } else {
                entries.push(AclEntry { tag, perm: (access & 7) as u8 });
            }
        }
        entries.push(AclEntry { tag: AclTag::Mask, perm: mask as u8 });
        entries.sort_by_key(|e| e.tag);
        (Some(PosixAcl { entries }), dropped)
    }

    /// Encodes (`acl_len` bytes, zero-filled to a dword); `acl_rsvd` is written as 0.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&[0u8; 4]);
        out.extend_from_slice(&self.mode.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&self.u_access.to_le_bytes());
        out.extend_from_slice(&self.g_access.to_le_bytes());
        out.extend_from_slice(&self.o_access.to_le_bytes());
        for ace in &self.ext {
            let len = 4 + ace.ids.iter().map(AceId::len).sum::<usize>();
            out.extend_from_slice(&(len as u16).to_le_bytes());
            out.extend_from_slice(&((ace.ace_type.code() << 14) | (ace.access & 0x3fff)).to_le_bytes());
            for id in &ace.ids {
                id.encode(out);
            }
        }
        let len = (out.len() - start) as u32;
        out[start..start + 4].copy_from_slice(&len.to_le_bytes());
        pad_to_dword(out, start);
    }

    /// Decodes `aclsize*8` bytes.
    pub fn decode(b: &[u8]) -> Result<Self, SecurityError> {
        const B: &str = "ACL";
        if b.len() < 16 {
            return Err(SecurityError::Length { block: B, what: "block", len: b.len() as u32, at: 0 });
        }
        let acl_len = le32(b, 0);
        if acl_len < 16 || acl_len as usize > b.len() {
            return Err(SecurityError::Length { block: B, what: "acl_len", len: acl_len, at: 0 });
        }
        let end = acl_len as usize;
        let mut ext = Vec::new();
        let mut at = 16;
        while at < end {
            if at + 4 > end {
                return Err(SecurityError::Length { block: B, what: "ACE", len: (end - at) as u32, at });
            }
            let ace_len = usize::from(le16(b, at));
            if ace_len < 4 || at + ace_len > end {
                return Err(SecurityError::Length { block: B, what: "ace_len", len: ace_len as u32, at });
            }
            let bits = le16(b, at + 2);
            ext.push(Ace {
                ace_type: AceType::from_code(bits >> 14),
                access: bits & 0x3fff,
                ids: decode_ids(b, at + 4, at + ace_len, B)?,
            });
            at += ace_len;
        }
        Ok(AixAcl {
            mode: le32(b, 4),
            u_access: le16(b, 10),
            g_access: le16(b, 12),
            o_access: le16(b, 14),
            ext,
        })
    }
}

impl Pcl {
    /// The base PCL for a full st_mode.
    pub fn base(st_mode: u32) -> Self {
        Pcl { mode: st_mode, default: [0, 0], ext: Vec::new() }
    }

    /// Encodes (`pcl_len` bytes, zero-filled to a dword).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&[0u8; 4]);
        out.extend_from_slice(&self.mode.to_le_bytes());
        out.extend_from_slice(&self.default[0].to_le_bytes());
        out.extend_from_slice(&self.default[1].to_le_bytes());
        for pce in &self.ext {
            let len = 12 + pce.ids.iter().map(AceId::len).sum::<usize>();
            out.extend_from_slice(&(len as u32).to_le_bytes());
            out.extend_from_slice(&pce.privs[0].to_le_bytes());
            out.extend_from_slice(&pce.privs[1].to_le_bytes());
            for id in &pce.ids {
                id.encode(out);
            }
        }
        let len = (out.len() - start) as u32;
        out[start..start + 4].copy_from_slice(&len.to_le_bytes());
        pad_to_dword(out, start);
    }

    /// Decodes `pclsize*8` bytes.
    pub fn decode(b: &[u8]) -> Result<Self, SecurityError> {
        const B: &str = "PCL";
        if b.len() < 16 {
            return Err(SecurityError::Length { block: B, what: "block", len: b.len() as u32, at: 0 });
        }
        let pcl_len = le32(b, 0);
        if pcl_len < 16 || pcl_len as usize > b.len() {
            return Err(SecurityError::Length { block: B, what: "pcl_len", len: pcl_len, at: 0 });
        }
        let end = pcl_len as usize;
        let mut ext = Vec::new();
        let mut at = 16;
        while at < end {
            if at + 12 > end {
                return Err(SecurityError::Length { block: B, what: "PCE", len: (end - at) as u32, at });
            }
            let pce_len = le32(b, at) as usize;
            if pce_len < 12 || at + pce_len > end {
                return Err(SecurityError::Length { block: B, what: "pce_len", len: pce_len as u32, at });
            }
            ext.push(Pce {
                privs: [le32(b, at + 4), le32(b, at + 8)],
                ids: decode_ids(b, at + 12, at + pce_len, B)?,
            });
            at += pce_len;
        }
        Ok(Pcl { mode: le32(b, 4), default: [le32(b, 8), le32(b, 12)], ext })
    }
}

impl Security {
    /// The block for a full st_mode and an optional POSIX access ACL (extended entries only when it has named
    /// users or groups).
    pub fn for_mode(st_mode: u32, posix: Option<&PosixAcl>) -> Self {
        let acl = match posix {
            Some(p) if p.entries.iter().any(|e| matches!(e.tag, AclTag::User(_) | AclTag::Group(_))) => {
                AixAcl::from_posix(st_mode, p)
            }
            _ => AixAcl::base(st_mode),
        };
        let pcl_mode = if acl.ext.is_empty() { st_mode } else { st_mode | S_IXACL };
        Security { acl, pcl: Pcl::base(pcl_mode) }
    }

    /// Appends sac_rec, ACL and PCL.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&[0u8; 8]);
        self.acl.encode(out);
        let aclsize = (out.len() - start - 8) / 8;
        self.pcl.encode(out);
        let pclsize = (out.len() - start - 8) / 8 - aclsize;
        let sac = super::record::SacRec { aclsize: aclsize as u32, pclsize: pclsize as u32 };
        out[start..start + 8].copy_from_slice(&sac.encode());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_block_is_40_bytes_like_aix() {
        let mut v = Vec::new();
        Security::for_mode(0o100644, None).encode(&mut v);
        let want: [u8; 40] = [
            2, 0, 0, 0, 2, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 4, 0, 4, 0, 16, 0, 0, 0, 0xa4, 0x81,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        assert_eq!(v, want);
    }

    #[test]
    fn observed_extended_acl_decodes() {
        let b: Vec<u8> = [
            "28000000", "00080002", "0000", "0700", "0500", "0000", "0c00", "0640", "0800", "0200",
            "000000d6", "0c00", "0640", "0800", "0200", "00005528",
        ]
        .concat()
        .as_bytes()
        .chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
        .collect();
        let acl = AixAcl::decode(&b).unwrap();
        assert_eq!(acl.mode, 0x0200_0800);
        assert_eq!((acl.u_access, acl.g_access, acl.o_access), (7, 5, 0));
        assert_eq!(acl.ext.len(), 2);
        assert_eq!(acl.ext[0], Ace { ace_type: AceType::Permit, access: 6, ids: vec![AceId::Group(214)] });
        assert_eq!(acl.ext[1].ids, vec![AceId::Group(0x5528)]);
        let mut again = Vec::new();
        acl.encode(&mut again);
        assert_eq!(again, b);
    }

    #[test]
    fn posix_mapping_roundtrip_and_mask() {
        let p = PosixAcl {
            entries: vec![
                AclEntry { tag: AclTag::UserObj, perm: 7 },
                AclEntry { tag: AclTag::User(1000), perm: 7 },
                AclEntry { tag: AclTag::GroupObj, perm: 5 },
                AclEntry { tag: AclTag::Group(50), perm: 6 },
                AclEntry { tag: AclTag::Mask, perm: 5 },
                AclEntry { tag: AclTag::Other, perm: 0 },
            ],
        };
        let s = Security::for_mode(0o100750, Some(&p));
        assert_eq!(s.acl.mode, S_IXACL);
        // Effective rights: user 1000 rwx & r-x = r-x, group 50 rw- & r-x = r--.
        assert_eq!(s.acl.ext[0].access, 5);
        assert_eq!(s.acl.ext[1].access, 4);
        let mut v = Vec::new();
        s.encode(&mut v);
        let sac = crate::archive::record::SacRec::decode(v[..8].try_into().unwrap());
        let acl = AixAcl::decode(&v[8..8 + sac.aclsize as usize * 8]).unwrap();
        let (back, dropped) = acl.to_posix();
        assert_eq!(dropped, 0);
        let back = back.unwrap();
        assert!(back.entries.contains(&AclEntry { tag: AclTag::User(1000), perm: 5 }));
        assert!(back.entries.contains(&AclEntry { tag: AclTag::Group(50), perm: 4 }));
        assert!(back.entries.contains(&AclEntry { tag: AclTag::Mask, perm: 5 }));
    }

    #[test]
    fn bad_lengths_are_errors() {
        let mut b = vec![0u8; 16];
        b[0] = 40;
        assert!(AixAcl::decode(&b).is_err());
        b[0] = 20;
        let mut c = b.clone();
        c.extend_from_slice(&[0; 4]);
        c[16] = 2; // ace_len 2 < 4
        assert!(AixAcl::decode(&c).is_err());
    }
}
