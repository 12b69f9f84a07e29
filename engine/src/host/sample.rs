//! Creating a host: a realistic sample AIX 7.2 rootvg with a generated tree, or adopting an existing tree.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;

use super::model::*;
use super::{Host, HostLock};
use crate::error::{Error, Result};

/// One filesystem of an adopted tree (`Host::init_root`).
#[derive(Debug, Clone, PartialEq)]
pub struct FsSpec {
    /// Mount point (`/`, `/usr`, ...).
    pub mount_point: String,
    /// Logical volume name (`hd4`, ...; at most 11 characters to be clonable).
    pub lv: String,
    /// Size in MB.
    pub size_mb: u64,
}

/// The AIX 7.2 rootvg layout: (LV, type, LPs, mount point, label). lv_data order as `lsvg -l` prints it.
const SAMPLE_LVS: &[(&str, LvType, u64, Option<&str>, &str)] = &[
    ("hd5", LvType::Boot, 1, None, "primary_bootlv"),
    ("hd6", LvType::Paging, 16, None, "None"),
    ("hd8", LvType::Jfs2log, 1, None, "None"),
    ("hd4", LvType::Jfs2, 8, Some("/"), "/"),
    ("hd2", LvType::Jfs2, 80, Some("/usr"), "/usr"),
    ("hd9var", LvType::Jfs2, 16, Some("/var"), "/var"),
    ("hd3", LvType::Jfs2, 8, Some("/tmp"), "/tmp"),
    ("hd1", LvType::Jfs2, 2, Some("/home"), "/home"),
    ("hd10opt", LvType::Jfs2, 16, Some("/opt"), "/opt"),
    ("hd11admin", LvType::Jfs2, 4, Some("/admin"), "/admin"),
    ("lg_dumplv", LvType::Sysdump, 32, None, "None"),
    ("livedump", LvType::Jfs2, 8, Some("/var/adm/ras/livedump"), "/var/adm/ras/livedump"),
];

/// The sample's PP size in MB.
const PP_MB: u64 = 32;

/// A deterministic generator (splitmix64) so sample trees are identical run to run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

fn pvid(rng: &mut Rng) -> String {
    format!("00f6db0a{:08x}", rng.next() as u32)
}

fn jfs2(mp: &str, lps: u64) -> FileSystem {
    FileSystem {
        mount_point: mp.to_string(),
        fs_type: FsType::Jfs2,
        size_blocks: lps * PP_MB * 2048,
        params: FsParams::Jfs2 { bs: 4096, inlinelog: false, eaformat: "v2".to_string() },
        mounted: true,
    }
}

fn new_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    if fs::read_dir(dir).map_err(|e| Error::io("read", dir, e))?.next().is_some() {
        return Err(Error::refused(format!("{}: host directory is not empty", dir.display())));
    }
    Ok(())
}

/// hdisk0 (20480 MB, rootvg, bootable) followed by the free disks.
fn host_disks(rng: &mut Rng, extra: &[(String, u64)]) -> Vec<Disk> {
    let mut disks = vec![Disk {
        name: "hdisk0".into(),
        pvid: pvid(rng),
        size_mb: 20480,
        vg: Some("rootvg".into()),
        bootable: true,
    }];
    disks.extend(free_disks(rng, extra));
    disks
}

fn free_disks(rng: &mut Rng, extra: &[(String, u64)]) -> Vec<Disk> {
    let default = [("hdisk1".to_string(), 20480), ("hdisk2".to_string(), 20480)];
    let list: &[(String, u64)] = if extra.is_empty() { &default } else { extra };
    list.iter()
        .map(|(n, s)| Disk { name: n.clone(), pvid: pvid(rng), size_mb: *s, vg: None, bootable: true })
        .collect()
}

fn finish(dir: &Path, disks: Vec<Disk>, lvs: Vec<LogicalVolume>) -> Result<Host> {
    let vg = VolumeGroup {
        name: "rootvg".to_string(),
        pp_size_mb: PP_MB,
        disks: vec!["hdisk0".to_string()],
        varied_on: true,
        auto_varyon: true,
        lvs,
        oslevel: "7.2.5.0".to_string(),
        mount: Mount::Root,
        bootable: true,
        alt: None,
        firstboot_pending: false,
    };
    let state = HostState {
        disks,
        vgs: vec![vg],
        bootlist: vec![BootEntry { disk: "hdisk0".to_string(), blv: "hd5".to_string() }],
        booted_from: "hdisk0".to_string(),
    };
    fs::create_dir_all(dir.join("disks")).map_err(|e| Error::io("create", dir.join("disks"), e))?;
    let host = Host::with_state(dir, state);
    host.save()?;
    host.log("host created")?;
    Ok(host)
}

impl Host {
    /// Builds a sample AIX 7.2 host in the empty (or new) directory `dir`: rootvg on hdisk0 (20480 MB, 32 MB
    /// PPs) with the standard LVs, a deterministic tree of about `files` files under `root/`, and free disks
    /// (`extra_disks`, or hdisk1 and hdisk2 of 20480 MB when empty).
    pub fn init_sample(dir: &Path, files: usize, extra_disks: &[(String, u64)]) -> Result<Host> {
        new_dir(dir)?;
        let _lock = HostLock::acquire(dir)?;
        let mut rng = Rng(0x616c_7464_6973_6b31);
        let disks = host_disks(&mut rng, extra_disks);
        let lvs = SAMPLE_LVS
            .iter()
            .map(|(name, t, lps, mp, label)| LogicalVolume {
                name: name.to_string(),
                lv_type: *t,
                lps: *lps,
                copies: 1,
                disks: vec!["hdisk0".into()],
                label: label.to_string(),
                fs: mp.map(|m| jfs2(m, *lps)),
            })
            .collect();
        generate_tree(&dir.join("root"), files, &mut rng)?;
        finish(dir, disks, lvs)
    }

    /// Adopts `existing_root` as the running rootvg's tree (`root` becomes a symlink to it). `fs` is the
    /// filesystem table; when empty it is guessed: `/` plus each of usr, var, tmp, home, opt, admin present.
    pub fn init_root(dir: &Path, existing_root: &Path, fs: &[FsSpec]) -> Result<Host> {
        new_dir(dir)?;
        let _lock = HostLock::acquire(dir)?;
        let abs = fs::canonicalize(existing_root).map_err(|e| Error::io("resolve", existing_root, e))?;
        let mut table = fs.to_vec();
        if table.is_empty() {
            table.push(FsSpec { mount_point: "/".into(), lv: "hd4".into(), size_mb: 256 });
            for (d, lv, mb) in [
                ("usr", "hd2", 2560),
                ("var", "hd9var", 512),
                ("tmp", "hd3", 256),
                ("home", "hd1", 64),
                ("opt", "hd10opt", 512),
                ("admin", "hd11admin", 128),
            ] {
                if abs.join(d).is_dir() {
                    table.push(FsSpec { mount_point: format!("/{d}"), lv: lv.into(), size_mb: mb });
                }
            }
        }
        let mut rng = Rng(0x726f_6f74_6164_6f70);
        let disks = host_disks(&mut rng, &[]);
        let mut lvs = vec![
            LogicalVolume {
                name: "hd5".into(),
                lv_type: LvType::Boot,
                lps: 1,
                copies: 1,
                disks: vec!["hdisk0".into()],
                label: "primary_bootlv".into(),
                fs: None,
            },
            LogicalVolume {
                name: "hd8".into(),
                lv_type: LvType::Jfs2log,
                lps: 1,
                copies: 1,
                disks: vec!["hdisk0".into()],
                label: "None".into(),
                fs: None,
            },
        ];
        for f in &table {
            let lps = f.size_mb.div_ceil(PP_MB).max(1);
            lvs.push(LogicalVolume {
                name: f.lv.clone(),
                lv_type: LvType::Jfs2,
                lps,
                copies: 1,
                disks: vec!["hdisk0".into()],
                label: f.mount_point.clone(),
                fs: Some(jfs2(&f.mount_point, lps)),
            });
        }
        symlink(&abs, dir.join("root")).map_err(|e| Error::io("symlink", dir.join("root"), e))?;
        finish(dir, disks, lvs)
    }
}

fn write(path: &Path, data: &[u8], mode: u32) -> Result<()> {
    if let Some(p) = path.parent() {
        fs::create_dir_all(p).map_err(|e| Error::io("create", p, e))?;
    }
    fs::write(path, data).map_err(|e| Error::io("write", path, e))?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|e| Error::io("chmod", path, e))
}

fn content(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(len);
    while v.len() < len {
        v.extend_from_slice(&rng.next().to_le_bytes());
    }
    v.truncate(len);
    v
}

/// Generates the sample tree: directories of every filesystem, configs, binaries and libraries of varied
/// sizes, logs, home directories, symlinks, hard links, a sparse file, setuid programs, a fifo, devices when
/// root, and `etc/exclude.rootvg` (holding `^./tmp/`, the IBM example).
fn generate_tree(root: &Path, files: usize, rng: &mut Rng) -> Result<()> {
    for d in [
        "etc",
        "usr/bin",
        "usr/lib",
        "usr/sbin",
        "var/adm/ras/livedump",
        "var/tmp",
        "tmp",
        "home",
        "opt/freeware",
        "admin/tmp",
        "dev",
        "sbin",
    ] {
        fs::create_dir_all(root.join(d)).map_err(|e| Error::io("create", root.join(d), e))?;
    }
    fs::set_permissions(root.join("tmp"), fs::Permissions::from_mode(0o1777))
        .map_err(|e| Error::io("chmod", root.join("tmp"), e))?;
    write(&root.join("etc/filesystems"), FILESYSTEMS.as_bytes(), 0o664)?;
    write(
        &root.join("etc/passwd"),
        b"root:!:0:0::/:/usr/bin/ksh\nuser1:*:201:1::/home/user1:/usr/bin/ksh\n",
        0o644,
    )?;
    write(&root.join("etc/exclude.rootvg"), b"^./tmp/\n", 0o644)?;
    write(&root.join("usr/bin/passwd"), &content(rng, 4000), 0o4555)?;
    write(&root.join("usr/bin/su"), &content(rng, 3000), 0o4555)?;
    write(&root.join("usr/sbin/lsof"), &content(rng, 2000), 0o2555)?;
    // The sparse file: 1 MiB with data only at both ends.
    let sparse = root.join("var/adm/ras/sparse.dat");
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = fs::File::create(&sparse).map_err(|e| Error::io("create", &sparse, e))?;
        f.write_all(b"head").map_err(|e| Error::io("write", &sparse, e))?;
        f.seek(SeekFrom::Start(1 << 20)).map_err(|e| Error::io("seek", &sparse, e))?;
        f.write_all(b"tail").map_err(|e| Error::io("write", &sparse, e))?;
    }
    let fifo = root.join("var/adm/ras/errfifo");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .map_err(|e| Error::io("mkfifo", &fifo, e.into()))?;
    if rustix::process::geteuid().is_root() {
        for (name, maj, min) in [("null", 1, 3), ("zero", 1, 5)] {
            let p = root.join("dev").join(name);
            rustix::fs::mknodat(
                rustix::fs::CWD,
                &p,
                rustix::fs::FileType::CharacterDevice,
                rustix::fs::Mode::from_raw_mode(0o666),
                rustix::fs::makedev(maj, min),
            )
            .map_err(|e| Error::io("mknod", &p, e.into()))?;
        }
    }
    // The bulk: spread like AIX (most in /usr, then /etc, /var, /home, /opt).
    for i in 0..files {
        let r = rng.below(100);
        let (path, len, mode) = if r < 35 {
            (format!("usr/bin/cmd{i:05}"), 512 + rng.below(60_000) as usize, 0o755)
        } else if r < 55 {
            (format!("usr/lib/lib{i:05}.a"), 1024 + rng.below(200_000) as usize, 0o644)
        } else if r < 70 {
            (format!("etc/conf{}/file{i:05}.conf", i % 7), 32 + rng.below(4000) as usize, 0o644)
        } else if r < 82 {
            (format!("var/adm/log{i:05}.log"), rng.below(20_000) as usize, 0o640)
        } else if r < 92 {
            (format!("home/user{}/doc{i:05}.txt", i % 5), rng.below(10_000) as usize, 0o600)
        } else if r < 97 {
            (format!("opt/freeware/pkg{}/data{i:05}", i % 3), rng.below(50_000) as usize, 0o644)
        } else {
            (format!("admin/tmp/adm{i:05}"), rng.below(1000) as usize, 0o600)
        };
        let data = content(rng, len);
        write(&root.join(&path), &data, mode)?;
        if i % 23 == 5 {
            let link = root.join(format!("usr/sbin/link{i:05}"));
            symlink(format!("../../{path}"), &link).map_err(|e| Error::io("symlink", &link, e))?;
        }
        if i % 41 == 7 {
            let hl = root.join(&path).with_file_name(format!("hard{i:05}"));
            fs::hard_link(root.join(&path), &hl).map_err(|e| Error::io("link", &hl, e))?;
        }
    }
    symlink("usr/bin", root.join("bin")).map_err(|e| Error::io("symlink", root.join("bin"), e))?;
    Ok(())
}

const FILESYSTEMS: &str =
    "/:\n\tdev\t\t= /dev/hd4\n\tvfs\t\t= jfs2\n\tlog\t\t= /dev/hd8\n\tmount\t\t= automatic\n\n\
/usr:\n\tdev\t\t= /dev/hd2\n\tvfs\t\t= jfs2\n\tlog\t\t= /dev/hd8\n\tmount\t\t= automatic\n";
