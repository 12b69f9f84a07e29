//! JFS (JFS1) allocation rules (spec alt-disk.md §4.1 facts, §4.3 formulas).
//!
//! Every function returns bytes. Markers follow the spec: \[V\] verified constant, \[R\] recalled, \[I\] inference.

use super::{rup, touched, SpaceError};

/// The JFS logical block: 4096 bytes [V §4.1].
pub(crate) const BLOCK: u64 = 4096;
/// Files below this size keep their tail in fragments; at or above it only whole blocks are used, because
/// the 8 direct addresses cover 32 KiB [R §4.1].
pub(crate) const FRAG_LIMIT: u64 = 32 * 1024;
/// Data past this offset goes in large blocks on a bf file system [V §4.1].
pub(crate) const BF_START: u64 = 4 * 1024 * 1024;
/// A large block: 32 contiguous 4 KiB blocks [V §4.1].
pub(crate) const LARGE_BLOCK: u64 = 128 * 1024;
/// Disk inode size [V §4.1].
pub const INODE: u64 = 128;
/// A directory block [R §4.1].
pub(crate) const DIR_BLOCK: u64 = 512;
/// Inodes reserved by the file system itself, not usable by files [I §4.3 "nobj ≤ fs/N − 16"].
pub(crate) const RESERVED_INODES: u64 = 16;
/// Hard cap on inodes per file system: 2^24 [V §4.1].
pub(crate) const MAX_INODES: u64 = 1 << 24;
/// Boot block + superblock [V §4.1 layout].
pub(crate) const FIXED: u64 = 8192;
/// Symlink targets up to this length live in the inode's disk-address area (8 × 4 bytes) \[I\].
pub(crate) const INLINE_SYMLINK: u64 = 32;

/// The parameters of a JFS file system (`lsfs -q`: frag, nbpi, compress, bf, ag).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct JfsParams {
    /// Fragment size: 512, 1024, 2048 or 4096.
    pub frag: u32,
    /// Bytes per inode: 512 … 131072.
    pub nbpi: u32,
    /// Allocation-group size in MB: 8, 16, 32 or 64.
    pub agsize_mb: u32,
    /// Large-file enabled.
    pub bf: bool,
    /// LZ compression.
    pub compress: bool,
}

impl Default for JfsParams {
    fn default() -> Self {
        JfsParams { frag: 4096, nbpi: 4096, agsize_mb: 8, bf: false, compress: false }
    }
}

/// One row of IBM's NBPI table [V §4.1]: minimum AG size (MB), smallest fragment, maximum size (bytes).
pub fn nbpi_row(nbpi: u32) -> Option<(u32, u32, u64)> {
    let (ag, frag) = match nbpi {
        512 | 1024 | 2048 | 4096 | 8192 => (8, 512),
        16384 => (8, 1024),
        32768 => (16, 2048),
        65536 => (32, 4096),
        131072 => (64, 4096),
        _ => return None,
    };
    Some((ag, frag, max_size(nbpi, 4096)))
}

/// Maximum file-system size = min(NBPI × 2^24, frag × 2^28) [V §4.1].
pub(crate) fn max_size(nbpi: u32, frag: u32) -> u64 {
    (u64::from(nbpi) << 24).min(u64::from(frag) << 28)
}

impl JfsParams {
    /// Checks the combination against IBM's rules [V §4.1]: the NBPI table, compress needs frag ≤ 2048, bf
    /// needs frag 4096 and no compression.
    pub fn validate(&self) -> Result<(), SpaceError> {
        let bad = |m: String| Err(SpaceError::BadParams { message: m });
        if ![512, 1024, 2048, 4096].contains(&self.frag) {
            return bad(format!("JFS fragment size {} is not 512, 1024, 2048 or 4096", self.frag));
        }
        if ![8, 16, 32, 64].contains(&self.agsize_mb) {
            return bad(format!("JFS allocation-group size {} MB is not 8, 16, 32 or 64", self.agsize_mb));
        }
        let Some((min_ag, min_frag, _)) = nbpi_row(self.nbpi) else {
            return bad(format!("JFS nbpi {} is not one of 512, 1024, ... 131072", self.nbpi));
        };
        if self.agsize_mb < min_ag {
            return bad(format!("JFS nbpi {} needs an allocation group of at least {min_ag} MB", self.nbpi));
        }
        if self.frag < min_frag {
            return bad(format!("JFS nbpi {} needs a fragment size of at least {min_frag}", self.nbpi));
        }
        if self.compress && self.frag > 2048 {
            return bad("JFS compression needs a fragment size of 2048 or less".into());
        }
        if self.bf && (self.frag != 4096 || self.compress) {
            return bad("a large-file enabled JFS needs fragment size 4096 and no compression".into());
        }
        Ok(())
    }

    /// Data and indirect-block bytes of a regular file of logical size `size` [§4.3, formulas I, constants V].
    ///
    /// * `size ≤ 32 KiB`: whole 4 KiB blocks plus the tail in fragments = `rup(size, frag)`.
    /// * larger: whole 4 KiB blocks, plus one single-indirect block up to 4 MiB; past 4 MiB a
    ///   double-indirect block plus one indirect block per 1024 blocks; with bf, data past 4 MiB goes in
    ///   128 KiB large blocks and the indirect blocks count large blocks.
    /// * `sparse` segments: only blocks that hold data are counted (holes unallocated); indirect blocks are
    ///   counted from the logical size [I: conservative].
    /// * compression: the ratio cannot be known before writing, so data is counted uncompressed \[I\].
    pub fn file(&self, size: u64, sparse: Option<&[(u64, u64)]>) -> (u64, u64) {
        let frag = u64::from(self.frag);
        let data = match sparse {
            None if size <= FRAG_LIMIT => rup(size, frag),
            None if self.bf && size > BF_START => BF_START.saturating_add(rup(size - BF_START, LARGE_BLOCK)),
            None => rup(size, BLOCK),
            Some(segs) => {
                if size <= FRAG_LIMIT {
                    // Whole blocks except the file's last block, which is in fragments.
                    let last = (size.max(1) - 1) / BLOCK * BLOCK;
                    let full = touched(segs, 0, last, BLOCK) * BLOCK;
                    let tail = if touched(segs, last, size, BLOCK) > 0 { rup(size - last, frag) } else { 0 };
                    full.saturating_add(tail)
                } else if self.bf && size > BF_START {
                    (touched(segs, 0, BF_START, BLOCK) * BLOCK).saturating_add(
                        touched(segs, BF_START, u64::MAX, LARGE_BLOCK).saturating_mul(LARGE_BLOCK),
                    )
                } else {
                    touched(segs, 0, u64::MAX, BLOCK).saturating_mul(BLOCK)
                }
            }
        };
        (data, self.indirect(size))
    }

    /// Indirect-block bytes for a file of logical size `size` [§4.1 IBM example, §4.3].
    pub fn indirect(&self, size: u64) -> u64 {
        if size <= FRAG_LIMIT {
            0
        } else if size <= BF_START {
            BLOCK
        } else if self.bf {
            let large = (size - BF_START).div_ceil(LARGE_BLOCK);
            BLOCK * (1 + 1 + large.div_ceil(1024))
        } else {
            BLOCK * (1 + size.div_ceil(BLOCK).div_ceil(1024))
        }
    }

    /// Bytes of a directory made of `dir_blocks` 512-byte directory blocks: rounded to fragments, and like a
    /// file once it passes 32 KiB [R §4.1, I].
    pub fn dir(&self, dir_blocks: u64) -> u64 {
        let size = dir_blocks.saturating_mul(DIR_BLOCK);
        let (d, i) = self.file(size, None);
        d.saturating_add(i)
    }

    /// Bytes of a symlink with a target of `len` bytes: 0 when kept in the inode, else fragments [I §4.3].
    pub fn symlink(&self, len: u64) -> u64 {
        if len <= INLINE_SYMLINK {
            0
        } else {
            rup(len, u64::from(self.frag))
        }
    }

    /// Inodes of a file system of `fs` bytes: one per NBPI bytes of every allocation group, the last
    /// (partial) group included, capped at 2^24 [V §4.1].
    pub fn inodes(&self, fs: u64) -> u64 {
        let ag = u64::from(self.agsize_mb) << 20;
        (fs.div_ceil(ag) * (ag / u64::from(self.nbpi))).min(MAX_INODES)
    }

    /// Size-dependent metadata: the pre-allocated inode area (`inodes × 128`), the fragment map (`fs/F/8`),
    /// the inode map (`inodes/8`), each rounded to 4 KiB pages, plus boot block and superblock [§4.3, I].
    pub fn fixed(&self, fs: u64) -> u64 {
        let inodes = self.inodes(fs);
        inodes * INODE
            + rup(fs.div_ceil(u64::from(self.frag)).div_ceil(8), BLOCK)
            + rup(inodes.div_ceil(8), BLOCK)
            + FIXED
    }

    /// Objects the file system can hold: inodes less the reserved ones [I §4.3].
    pub fn max_objects(&self, fs: u64) -> u64 {
        self.inodes(fs).saturating_sub(RESERVED_INODES)
    }
}

/// Bytes a directory entry takes in a JFS directory block: `8 + rup(namelen + 1, 4)` [R §4.1].
pub fn dirent_bytes(name_len: usize) -> u64 {
    8 + rup(name_len.min(255) as u64 + 1, 4)
}
