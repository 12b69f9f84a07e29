//! The serde model stored in `host.json`.

use serde::{Deserialize, Serialize};

/// Everything `host.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HostState {
    /// Physical volumes, in `lspv` order.
    pub disks: Vec<Disk>,
    /// Volume groups (rootvg first).
    pub vgs: Vec<VolumeGroup>,
    /// The normal-mode bootlist.
    pub bootlist: Vec<BootEntry>,
    /// The disk the running system last booted from.
    pub booted_from: String,
}

/// One physical volume.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Disk {
    /// `hdiskN`.
    pub name: String,
    /// 16 hex digits.
    pub pvid: String,
    /// Size in MB (`bootinfo -s`).
    pub size_mb: u64,
    /// The volume group it belongs to, `None` when free.
    pub vg: Option<String>,
    /// `bootinfo -B`: false models a disk the firmware cannot boot (exercises `-g`).
    pub bootable: bool,
}

/// Where a volume group's tree is mounted.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum Mount {
    /// At `/` (the running rootvg): `HOST/root`.
    Root,
    /// At `/alt_inst`: `HOST/root/alt_inst`.
    AltInst,
    /// Not mounted: `HOST/disks/<boot disk>`.
    None,
}

/// One volume group.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VolumeGroup {
    /// The ODM name (`rootvg`, `altinst_rootvg`, `old_rootvg`, ...).
    pub name: String,
    /// Physical partition size in MB.
    pub pp_size_mb: u64,
    /// Member disks.
    pub disks: Vec<String>,
    /// Varied on (`lspv` STATE `active`).
    pub varied_on: bool,
    /// Varied on at boot.
    pub auto_varyon: bool,
    /// Logical volumes in `lsvg -l` (lv_data) order.
    pub lvs: Vec<LogicalVolume>,
    /// The AIX level installed in this volume group (`oslevel -s` style, compared numerically by field).
    pub oslevel: String,
    /// Where its tree is.
    pub mount: Mount,
    /// A boot image was built and the names were fixed (phase 3 done, or a booted rootvg): it can be booted.
    pub bootable: bool,
    /// Alternate-disk phase state, for `altinst_rootvg` while it is being built or woken.
    #[serde(default)]
    pub alt: Option<AltState>,
    /// A first-boot script (`-x`) waits on this volume group's tree and runs at its next boot.
    #[serde(default)]
    pub firstboot_pending: bool,
}

/// Phase state of an alternate volume group, carried between `alt_disk_copy -P` invocations.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct AltState {
    /// The last phase completed (0 while phase 1 is still running).
    pub phase_done: u8,
    /// The step being done when the model was last saved.
    pub step: String,
    /// Copy soft errors seen (decides `ALT_BAK_ERR_REPORT`'s exit status and bootlist).
    pub copy_errors: usize,
    /// Set by `alt_rootvg_op -W`: the name to give back at `-S`.
    pub woken_from: Option<String>,
    /// Phase 2 installed software that needs a new boot image since the last build: the next phase 3 (or
    /// sleep) rebuilds it, even in a later separate run (spec alt-disk.md §1.6).
    #[serde(default)]
    pub boot_image_stale: bool,
}

/// One logical volume.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LogicalVolume {
    /// Name, at most 15 characters.
    pub name: String,
    /// Type (`lsvg -l` TYPE column).
    pub lv_type: LvType,
    /// Logical partitions.
    pub lps: u64,
    /// Mirror copies (1..=3).
    pub copies: u64,
    /// Disks holding it.
    pub disks: Vec<String>,
    /// The label (`primary_bootlv`, the mount point, or `None`).
    pub label: String,
    /// The filesystem on it, if any.
    pub fs: Option<FileSystem>,
}

impl LogicalVolume {
    /// The mount point, if this LV holds a filesystem.
    pub fn mount_point(&self) -> Option<&str> {
        self.fs.as_ref().map(|f| f.mount_point.as_str())
    }
}

/// Logical volume types.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LvType {
    /// Boot logical volume (hd5).
    Boot,
    /// Paging space.
    Paging,
    /// JFS log.
    Jfslog,
    /// JFS2 log.
    Jfs2log,
    /// JFS filesystem.
    Jfs,
    /// JFS2 filesystem.
    Jfs2,
    /// System dump device.
    Sysdump,
    /// Raw LV.
    Raw,
}

impl LvType {
    /// The name `lsvg -l` prints.
    pub fn as_str(self) -> &'static str {
        match self {
            LvType::Boot => "boot",
            LvType::Paging => "paging",
            LvType::Jfslog => "jfslog",
            LvType::Jfs2log => "jfs2log",
            LvType::Jfs => "jfs",
            LvType::Jfs2 => "jfs2",
            LvType::Sysdump => "sysdump",
            LvType::Raw => "raw",
        }
    }
}

/// A filesystem on a logical volume.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileSystem {
    /// Mount point (`/`, `/usr`, ...).
    pub mount_point: String,
    /// jfs or jfs2.
    pub fs_type: FsType,
    /// Size in 512-byte blocks.
    pub size_blocks: u64,
    /// Type parameters.
    pub params: FsParams,
    /// Mounted (only mounted filesystems are copied).
    pub mounted: bool,
}

/// Filesystem types.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FsType {
    /// JFS (JFS1).
    Jfs,
    /// JFS2.
    Jfs2,
}

/// Type parameters of a filesystem (what `lsfs -q` shows).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum FsParams {
    /// JFS parameters.
    Jfs {
        /// Fragment size in bytes.
        frag: u32,
        /// Bytes per inode.
        nbpi: u32,
        /// Compression (`no` or `LZ`).
        compress: bool,
        /// Large-file enabled.
        bf: bool,
        /// Allocation group size in MB.
        agsize: u32,
    },
    /// JFS2 parameters.
    Jfs2 {
        /// Block size in bytes.
        bs: u32,
        /// Inline log.
        inlinelog: bool,
        /// Extended-attribute format (`v1`, `v2`).
        eaformat: String,
    },
}

impl FsParams {
    /// The space-accounting type and parameters of this filesystem (`engine::space`).
    pub(crate) fn space_type(&self) -> crate::space::FsType {
        use crate::space::{FsType, Jfs2Params, JfsParams};
        match self {
            FsParams::Jfs { frag, nbpi, compress, bf, agsize } => FsType::Jfs(JfsParams {
                frag: *frag,
                nbpi: *nbpi,
                agsize_mb: *agsize,
                bf: *bf,
                compress: *compress,
            }),
            FsParams::Jfs2 { bs, inlinelog, eaformat } => {
                FsType::Jfs2(Jfs2Params { block_size: *bs, inline_log: *inlinelog, ea_v2: eaformat != "v1" })
            }
        }
    }
}

/// One normal-mode bootlist entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BootEntry {
    /// The disk.
    pub disk: String,
    /// The boot logical volume (`hd5`).
    pub blv: String,
}

impl HostState {
    /// The volume group named `name`.
    pub fn vg(&self, name: &str) -> Option<&VolumeGroup> {
        self.vgs.iter().find(|v| v.name == name)
    }

    /// The volume group named `name`, mutable.
    pub fn vg_mut(&mut self, name: &str) -> Option<&mut VolumeGroup> {
        self.vgs.iter_mut().find(|v| v.name == name)
    }

    /// The disk named `name`.
    pub fn disk(&self, name: &str) -> Option<&Disk> {
        self.disks.iter().find(|d| d.name == name)
    }

    /// The disk named `name`, mutable.
    pub fn disk_mut(&mut self, name: &str) -> Option<&mut Disk> {
        self.disks.iter_mut().find(|d| d.name == name)
    }

    /// The volume group mounted at `/alt_inst`, if any.
    pub fn alt_mounted(&self) -> Option<&VolumeGroup> {
        self.vgs.iter().find(|v| v.mount == Mount::AltInst)
    }
}

impl VolumeGroup {
    /// The disk holding the boot logical volume (or the first member disk).
    pub fn boot_disk(&self) -> String {
        self.lvs
            .iter()
            .find(|l| l.lv_type == LvType::Boot)
            .and_then(|l| l.disks.first())
            .or_else(|| self.disks.first())
            .cloned()
            .unwrap_or_default()
    }

    /// The boot logical volume's real name (`hd5`, with any `alt_` prefix removed).
    pub fn blv(&self) -> String {
        self.lvs
            .iter()
            .find(|l| l.lv_type == LvType::Boot)
            .map(|l| l.name.strip_prefix("alt_").unwrap_or(&l.name).to_string())
            .unwrap_or_else(|| "hd5".to_string())
    }

    /// Total PPs of the member disks (usable PPs: `floor(size_mb / pp_size) - 1` per disk).
    pub(crate) fn total_pps(&self, disks: &[Disk]) -> u64 {
        self.disks
            .iter()
            .filter_map(|n| disks.iter().find(|d| &d.name == n))
            .map(|d| usable_pps(d.size_mb, self.pp_size_mb))
            .sum()
    }

    /// PPs used by the logical volumes (LPs × copies).
    pub fn used_pps(&self) -> u64 {
        self.lvs.iter().map(|l| l.lps * l.copies).sum()
    }

    /// Mounted filesystems sorted by mount point (the order AIX creates them in).
    pub fn mounted_fs_sorted(&self) -> Vec<&FileSystem> {
        let mut v: Vec<&FileSystem> =
            self.lvs.iter().filter_map(|l| l.fs.as_ref()).filter(|f| f.mounted).collect();
        v.sort_by(|a, b| a.mount_point.cmp(&b.mount_point));
        v
    }
}

/// Usable PPs of a disk: `floor(size_mb / pp_size) - 1` (one PP goes to the VGDA; observed 20480 MB / 32 → 639).
pub fn usable_pps(size_mb: u64, pp_size_mb: u64) -> u64 {
    if pp_size_mb == 0 {
        return 0;
    }
    (size_mb / pp_size_mb).saturating_sub(1)
}

/// Compares two dotted levels field by field numerically (`7.2.5.0` < `7.3.0.0`).
pub fn level_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let parse =
        |s: &str| -> Vec<u64> { s.split(['.', '-']).map(|p| p.parse::<u64>().unwrap_or(0)).collect() };
    parse(a).cmp(&parse(b))
}
