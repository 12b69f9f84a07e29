//! JFS2 allocation rules (spec alt-disk.md §4.2 facts, §4.3 formulas).
//!
//! Constants are the Linux JFS ones, which share JFS2's on-disk design [V for Linux; AIX the same is I].

use super::{rup, touched};

/// Disk inode size [V §4.2].
pub const INODE: u64 = 512;
/// Inodes per inode extent [V §4.2 INOSPEREXT].
pub(crate) const INODES_PER_EXTENT: u64 = 32;
/// Inode extent size [V §4.2 IXSIZE].
pub(crate) const INODE_EXTENT: u64 = 16 * 1024;
/// Inodes mapped by one inode allocation group page [V §4.2].
pub(crate) const INODES_PER_IAG: u64 = 4096;
/// Reserved inodes [I §4.3 "nobj + 4 reserved"].
pub(crate) const RESERVED_INODES: u64 = 4;
/// Extent descriptors held in the inode's xtree root [V §4.2].
pub(crate) const XTREE_ROOT: u64 = 16;
/// Extent descriptors per 4 KiB xtree page [V §4.2].
pub(crate) const XTREE_PAGE_XADS: u64 = 254;
/// Directory slots held in the inode's dtree root [V §4.2].
pub(crate) const DTREE_ROOT_SLOTS: u64 = 8;
/// Symlink targets up to this length are stored inline [V §4.2 IDATASIZE=256, less the NUL].
pub(crate) const INLINE_SYMLINK: u64 = 255;
/// Inline extended-attribute area of a v2 inode [V §4.2].
pub(crate) const INLINE_EA: u64 = 128;
/// Blocks mapped by one dmap page [V §4.2 BPERDMAP].
pub(crate) const BLOCKS_PER_DMAP: u64 = 8192;
/// Aggregate fixed area: 32 KiB reserved + superblock + aggregate inode map + first inode extent +
/// secondary superblock [V §4.2 Linux layout], plus 64 KiB for secondary copies and the fileset inode map
/// [I: the low end of the spec's 64–128 KiB].
pub(crate) const FIXED: u64 = 32 * 1024 + 4096 + 8192 + 16 * 1024 + 4096 + 64 * 1024;
/// Minimum file-system size [V §4.2].
pub(crate) const MIN_FS: u64 = 16 << 20;
/// Largest inline log [R §4.2: 2047 MB].
pub(crate) const MAX_INLINE_LOG: u64 = 2047 << 20;
/// Fill factor of dtree leaf pages, in quarters: pages are taken as 3/4 full [I §4.3 "f ≈ 0.7–1.0"].
pub(crate) const DTREE_FILL_QUARTERS: u64 = 3;

/// The parameters of a JFS2 file system that change space use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Jfs2Params {
    /// Block size: 512, 1024, 2048 or 4096.
    pub block_size: u32,
    /// The log is inside the file system (0.4 % of it).
    pub inline_log: bool,
    /// EA format v2 (small EAs fit in the inode); v1 otherwise.
    pub ea_v2: bool,
}

impl Default for Jfs2Params {
    fn default() -> Self {
        Jfs2Params { block_size: 4096, inline_log: false, ea_v2: true }
    }
}

/// Usable directory slots in a leaf page of one block [V §4.2: 14/30/61/123].
pub(crate) fn slots_per_page(block_size: u32) -> u64 {
    match block_size {
        512 => 14,
        1024 => 30,
        2048 => 61,
        _ => 123,
    }
}

/// Directory slots a name of `len` bytes takes: head slot 11 characters, continuation slots 15, so
/// `ceil((len + 4) / 15)` [V §4.2].
pub fn name_slots(len: usize) -> u64 {
    (len.min(255) as u64 + 4).div_ceil(15)
}

impl Jfs2Params {
    fn bs(&self) -> u64 {
        u64::from(self.block_size)
    }

    /// Data and xtree bytes of a regular file [§4.3]: whole blocks, holes not counted; the xtree needs
    /// 4 KiB pages of 254 extents once the file has more than 16 extents (a dense file is one extent, a
    /// sparse file one per data segment).
    pub fn file(&self, size: u64, sparse: Option<&[(u64, u64)]>) -> (u64, u64) {
        let bs = self.bs();
        let (data, extents) = match sparse {
            None => (rup(size, bs), u64::from(size > 0)),
            Some(segs) => (touched(segs, 0, u64::MAX, bs).saturating_mul(bs), extent_count(segs, bs)),
        };
        (data, xtree(extents))
    }

    /// Bytes of a directory holding `slots` name slots [§4.3, fill factor and router fan-out I]: 0 while
    /// the slots fit in the inode, then leaf pages of one block filled to 3/4, then router pages holding
    /// half as many keys, until the inode root can hold the top level (4 router keys of 2 slots).
    pub fn dir(&self, slots: u64) -> u64 {
        if slots <= DTREE_ROOT_SLOTS {
            return 0;
        }
        let per_leaf = (slots_per_page(self.block_size) * DTREE_FILL_QUARTERS / 4).max(2);
        let per_router = (per_leaf / 2).max(2);
        let mut pages = slots.div_ceil(per_leaf);
        let mut level = pages;
        while level > DTREE_ROOT_SLOTS / 2 {
            level = level.div_ceil(per_router);
            pages += level;
        }
        pages * self.bs()
    }

    /// Bytes of a symlink: inline up to 255 bytes, else whole blocks [§4.3].
    pub fn symlink(&self, len: u64) -> u64 {
        if len <= INLINE_SYMLINK {
            0
        } else {
            rup(len, self.bs())
        }
    }

    /// Bytes of extended attributes totalling `ea_bytes`: none when they fit the 128-byte inline area of a
    /// v2 inode, else whole blocks [I §4.2: "one extra block per file", more when they are larger].
    pub fn ea(&self, ea_bytes: u64) -> u64 {
        if ea_bytes == 0 || (self.ea_v2 && ea_bytes <= INLINE_EA) {
            0
        } else {
            rup(ea_bytes, self.bs())
        }
    }

    /// Inode extents and IAG pages for `objects` inodes [§4.3]:
    /// `ceil((objects + 4) / 32) × 16 KiB + 4 KiB × ceil(objects / 4096) + 4 KiB`.
    /// The spec's "margin per allocation group" is not added: a restore fills AGs in order, so partly used
    /// extents are at most one per AG actually written \[I\].
    pub fn inodes(&self, objects: u64) -> u64 {
        (objects + RESERVED_INODES).div_ceil(INODES_PER_EXTENT) * INODE_EXTENT
            + 4096 * objects.div_ceil(INODES_PER_IAG)
            + 4096
    }

    /// Size-dependent metadata of a file system of `fs` bytes [§4.3]: the block map
    /// (`4 KiB × (1 + ceil(nb/8192) + ceil(nb/8192/1024) + 1)`), the fixed area, fsck work space
    /// (`nb/8` bytes, whole pages) \[I\] and the inline log when there is one.
    pub fn fixed(&self, fs: u64) -> u64 {
        let nb = fs / self.bs();
        let dmaps = nb.div_ceil(BLOCKS_PER_DMAP);
        4096 * (1 + dmaps + dmaps.div_ceil(1024) + 1) + FIXED + rup(nb.div_ceil(8), 4096) + self.log(fs)
    }

    /// The inline log: `rup(0.4 % of fs, 1 MiB)`, at most 2047 MiB; 0 with an outline log [V §4.2, R cap].
    pub fn log(&self, fs: u64) -> u64 {
        if self.inline_log {
            rup((fs as u128 * 4 / 1000) as u64, 1 << 20).min(MAX_INLINE_LOG)
        } else {
            0
        }
    }
}

/// Bytes of xtree pages for a file of `extents` extents [§4.3].
pub fn xtree(extents: u64) -> u64 {
    if extents <= XTREE_ROOT {
        0
    } else {
        4096 * (extents - XTREE_ROOT).div_ceil(XTREE_PAGE_XADS)
    }
}

/// Extents of a sparse file: data segments, merged when they touch the same or adjacent blocks.
fn extent_count(segs: &[(u64, u64)], bs: u64) -> u64 {
    let mut n = 0;
    let mut end_block: Option<u64> = None;
    for &(off, len) in segs {
        if len == 0 {
            continue;
        }
        let first = off / bs;
        let last = (off.saturating_add(len) - 1) / bs;
        match end_block {
            Some(e) if first <= e + 1 => end_block = Some(e.max(last)),
            _ => {
                n += 1;
                end_block = Some(last);
            }
        }
    }
    n
}
