//! Creating a host: a realistic sample AIX 7.2 rootvg with a generated tree, or adopting an existing tree.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;

use super::model::*;
use super::{Host, HostLock};
use crate::error::{Error, Result};
use crate::installp::swvpd::{FixRec, InstallRecord, InvItem, InvKind, Part, State, Swvpd};
use crate::installp::{sum_r, Level};

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

/// At most this many generated files in a sample tree (about 38 GB of data).
pub const MAX_SAMPLE_FILES: usize = 1_000_000;
/// At most this size for a disk of the model, in MB (16 TiB).
pub const MAX_DISK_MB: u64 = 16 * 1024 * 1024;
/// What one generated file takes on average, with its block rounding (the size mix of `generate_tree`).
const SAMPLE_BYTES_PER_FILE: u64 = 40 * 1024;

/// Refuses, before anything is written, a sample that is too large to make sense or does not fit the file
/// system that would hold it, and disks the model cannot hold.
fn check_sample(dir: &Path, files: usize, extra_disks: &[(String, u64)]) -> Result<()> {
    if files > MAX_SAMPLE_FILES {
        return Err(Error::refused(format!(
            "host init: --files {files} is more than the sample generator makes ({MAX_SAMPLE_FILES} at most)"
        )));
    }
    for (name, mb) in extra_disks {
        if *mb == 0 || *mb > MAX_DISK_MB {
            return Err(Error::refused(format!(
                "host init: --disk {name}:{mb}: a disk is 1 to {MAX_DISK_MB} MB (16 TiB)"
            )));
        }
    }
    let mut names: Vec<&str> = extra_disks.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::refused(format!("host init: disk {} is given twice", w[0])));
    }
    if names.contains(&"hdisk0") {
        return Err(Error::refused(
            "host init: hdisk0 is the sample's rootvg disk; name the free disks hdisk1 and up",
        ));
    }
    let need = (files as u64) * SAMPLE_BYTES_PER_FILE + (64 << 20);
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if let Ok(st) = rustix::fs::statvfs(parent) {
        let free = st.f_bavail.saturating_mul(st.f_frsize);
        if need > free {
            return Err(crate::space::SpaceError::DoesNotFit {
                mount_point: parent.display().to_string(),
                need,
                have: free,
                reason: format!("host init: a sample of {files} files (about 40 KiB each) does not fit"),
            }
            .into());
        }
    }
    Ok(())
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
        oslevel: "7.2.4.0".to_string(),
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
    /// (`extra_disks`, or hdisk1 and hdisk2 of 20480 MB when empty). The tree also holds an installed AIX 7.2
    /// base at technology level 7200-04 service pack 2 (`oslevel -s` 7200-04-02-2016): the files of a dozen
    /// filesets and their software inventory (see `SAMPLE_FILESETS`).
    pub fn init_sample(dir: &Path, files: usize, extra_disks: &[(String, u64)]) -> Result<Host> {
        check_sample(dir, files, extra_disks)?;
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
        install_base(&dir.join("root"))?;
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

/// One fileset of the sample's installed base.
struct SampleFileset {
    name: &'static str,
    package: &'static str,
    description: &'static str,
    base: &'static str,
    /// The update installed on top of the base (COMMITTED), if any.
    update: Option<&'static str>,
    /// The paths of the base level: `/a/b` a file, `/a/b/` a directory, `/a -> /b` a symlink, `/a + /b` a
    /// file with a hard link. `/etc` and `/var` paths are the root part, the rest the usr part.
    files: &'static [&'static str],
    /// The paths (files of `files`) the update delivers again, with new content.
    updated: &'static [&'static str],
    /// The APAR the update fixes (keyword, abstract).
    apar: Option<(&'static str, &'static str)>,
}

/// The sample's installed base: AIX 7.2 at 7200-04 SP 2, a few files per fileset (real ones are bigger and
/// more numerous; sizes here stay small so sample creation stays cheap). APAR numbers `IJ9000x` are made up.
const SAMPLE_FILESETS: &[SampleFileset] = &[
    SampleFileset {
        name: "bos.rte",
        package: "bos",
        description: "Base Operating System Runtime",
        base: "7.2.0.0",
        update: Some("7.2.4.2"),
        files: &[
            "/usr/bin/ksh + /usr/bin/sh",
            "/usr/bin/ls",
            "/usr/sbin/cron",
            "/etc/inittab",
            "/etc/environment",
            "/etc/profile",
            "/var/adm/cron/",
        ],
        updated: &["/usr/bin/ksh", "/etc/profile"],
        apar: Some(("IJ90001", "KSH MAY CORE DUMP ON A LONG HISTORY LINE")),
    },
    SampleFileset {
        name: "bos.rte.libc",
        package: "bos",
        description: "libc Library",
        base: "7.2.0.0",
        update: Some("7.2.4.1"),
        files: &["/usr/lib/libc.a", "/usr/ccs/lib/libc.a -> /usr/lib/libc.a"],
        updated: &["/usr/lib/libc.a"],
        apar: None,
    },
    SampleFileset {
        name: "bos.mp64",
        package: "bos",
        description: "Base Operating System 64-bit Multiprocessor Runtime",
        base: "7.2.0.0",
        update: Some("7.2.4.3"),
        files: &["/usr/lib/boot/", "/usr/lib/boot/unix_64", "/usr/lib/boot/unix -> /usr/lib/boot/unix_64"],
        updated: &["/usr/lib/boot/unix_64"],
        apar: Some(("IJ90003", "SYSTEM CRASH IN VMM UNDER MEMORY PRESSURE")),
    },
    SampleFileset {
        name: "bos.net.tcp.client",
        package: "bos.net",
        description: "TCP/IP Client Support",
        base: "7.2.0.0",
        update: Some("7.2.4.2"),
        files: &[
            "/usr/bin/netstat",
            "/usr/sbin/ifconfig",
            "/usr/bin/ftp",
            "/etc/hosts",
            "/etc/services",
            "/etc/rc.tcpip",
        ],
        updated: &["/usr/sbin/ifconfig", "/etc/rc.tcpip"],
        apar: Some(("IJ90002", "IFCONFIG MAY HANG ON A DOWNED INTERFACE")),
    },
    SampleFileset {
        name: "bos.net.tcp.server",
        package: "bos.net",
        description: "TCP/IP Server",
        base: "7.2.0.0",
        update: Some("7.2.4.1"),
        files: &["/usr/sbin/inetd", "/usr/sbin/ftpd", "/usr/sbin/telnetd"],
        updated: &["/usr/sbin/inetd"],
        apar: None,
    },
    SampleFileset {
        name: "bos.perf.tools",
        package: "bos.perf",
        description: "Base Performance Tools",
        base: "7.2.0.0",
        update: Some("7.2.4.1"),
        files: &["/usr/bin/topas", "/usr/bin/svmon"],
        updated: &["/usr/bin/svmon"],
        apar: Some(("IJ90004", "SVMON REPORTS WRONG PAGE COUNTS")),
    },
    SampleFileset {
        name: "devices.common.IBM.ethernet.rte",
        package: "devices.common.IBM.ethernet",
        description: "Common Ethernet Software",
        base: "7.2.0.0",
        update: Some("7.2.4.0"),
        files: &["/usr/lib/methods/cfgent", "/usr/lib/methods/ucfgent"],
        updated: &["/usr/lib/methods/cfgent"],
        apar: None,
    },
    SampleFileset {
        name: "xlC.rte",
        package: "xlC.rte",
        description: "IBM XL C++ Runtime for AIX",
        base: "16.1.0.0",
        update: Some("16.1.0.3"),
        files: &["/usr/lpp/xlC/lib/libC.a", "/usr/lib/libC.a -> /usr/lpp/xlC/lib/libC.a"],
        updated: &["/usr/lpp/xlC/lib/libC.a"],
        apar: None,
    },
    SampleFileset {
        name: "xlC.aix61.rte",
        package: "xlC.aix61",
        description: "IBM XL C++ Runtime for AIX 6.1 and later",
        base: "16.1.0.0",
        update: Some("16.1.0.3"),
        files: &["/usr/lpp/xlC/lib/aix61/libC.a", "/usr/lpp/xlC/lib/aix61/libC128.a"],
        updated: &["/usr/lpp/xlC/lib/aix61/libC.a"],
        apar: None,
    },
    SampleFileset {
        name: "openssh.base.client",
        package: "openssh.base",
        description: "Open Secure Shell Commands",
        base: "7.5.102.1800",
        update: None,
        files: &["/usr/bin/ssh", "/usr/bin/scp", "/usr/bin/ssh-keygen", "/etc/ssh/", "/etc/ssh/ssh_config"],
        updated: &[],
        apar: None,
    },
    SampleFileset {
        name: "perl.rte",
        package: "perl.rte",
        description: "Perl Version 5 Runtime Environment",
        base: "5.28.1.0",
        update: None,
        files: &["/usr/opt/perl5/bin/perl5.28.1", "/usr/bin/perl -> /usr/opt/perl5/bin/perl5.28.1"],
        updated: &[],
        apar: None,
    },
];

/// The technology-level and service-pack keywords of the sample's fix database: (keyword, abstract, level
/// of the AIX filesets in it; `None` = the level installed). The AIX filesets are the `bos.*` and
/// `devices.*` ones.
const SAMPLE_KEYWORDS: &[(&str, &str, Option<&str>)] = &[
    ("7.2.0.0_AIX_ML", "AIX 7.2 Base Level", Some("7.2.0.0")),
    ("7200-01_AIX_ML", "AIX 7200-01 Technology Level", Some("7.2.1.0")),
    ("7200-02_AIX_ML", "AIX 7200-02 Technology Level", Some("7.2.2.0")),
    ("7200-03_AIX_ML", "AIX 7200-03 Technology Level", Some("7.2.3.0")),
    ("7200-04_AIX_ML", "AIX 7200-04 Technology Level", Some("7.2.4.0")),
    ("7200-04-01-1939_SP", "AIX 7200-04 Service Pack 1", Some("7.2.4.0")),
    ("7200-04-02-2016_SP", "AIX 7200-04 Service Pack 2", None),
];

/// Fixed install times: the base on 2019-11-15 10:00:00 UTC, the updates on 2020-05-13 10:00:00 UTC.
const SAMPLE_BASE_TIME: i64 = 1_573_812_000;
const SAMPLE_UPDATE_TIME: i64 = 1_589_364_000;

/// Deterministic small content for a sample file: its path, fileset and level repeated, 256 to 4095 bytes.
fn sample_content(path: &str, fileset: &str, level: &str) -> Vec<u8> {
    let line = format!("{path} {fileset} {level}\n");
    let h =
        line.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    let len = 256 + (h % 3840) as usize;
    let mut v = line.repeat(len / line.len() + 1).into_bytes();
    v.truncate(len);
    v
}

/// The filesets of the operating system itself (product id 5765-CD300, listed in its level keywords).
fn is_aix(fileset: &str) -> bool {
    fileset.starts_with("bos.") || fileset.starts_with("devices.")
}

fn sample_part(path: &str) -> Part {
    if path.starts_with("/etc/") || path.starts_with("/var/") {
        Part::Root
    } else {
        Part::Usr
    }
}

fn sample_level(s: &str) -> Result<Level> {
    s.parse().map_err(|e| Error::refused(format!("sample table: {e}")))
}

/// Writes the sample's installed filesets into `root` and records them in its software inventory.
fn install_base(root: &Path) -> Result<()> {
    let mut vpd = Swvpd::empty(root);
    for (n, f) in SAMPLE_FILESETS.iter().enumerate() {
        let base = sample_level(f.base)?;
        let update = f.update.map(sample_level).transpose()?;
        let mut levels = vec![(base, false, SAMPLE_BASE_TIME + n as i64 * 7)];
        if let Some(u) = update {
            levels.push((u, true, SAMPLE_UPDATE_TIME + n as i64 * 11));
        }
        let parts: Vec<Part> = [Part::Usr, Part::Root]
            .into_iter()
            .filter(|p| f.files.iter().any(|e| sample_part(e) == *p))
            .collect();
        for (level, is_update, time) in levels {
            let lvl = level.to_string();
            for &part in &parts {
                let mut items = Vec::new();
                for entry in f.files.iter().filter(|e| sample_part(e) == part) {
                    let (path, item) = if let Some((path, target)) = entry.split_once(" -> ") {
                        let item = InvItem {
                            path: path.to_string(),
                            kind: InvKind::Symlink,
                            size: 0,
                            checksum: 0,
                            target: Some(target.to_string()),
                            links: Vec::new(),
                        };
                        (path, item)
                    } else if let Some(dir) = entry.strip_suffix('/') {
                        let item = InvItem {
                            path: dir.to_string(),
                            kind: InvKind::Directory,
                            size: 0,
                            checksum: 0,
                            target: None,
                            links: Vec::new(),
                        };
                        (dir, item)
                    } else {
                        let (path, link) = match entry.split_once(" + ") {
                            Some((p, l)) => (p, Some(l)),
                            None => (*entry, None),
                        };
                        let data = sample_content(path, f.name, &lvl);
                        let item = InvItem {
                            path: path.to_string(),
                            kind: InvKind::File,
                            size: data.len() as u64,
                            checksum: sum_r(&data).0,
                            target: None,
                            links: link.map(|l| vec![l.to_string()]).unwrap_or_default(),
                        };
                        (path, item)
                    };
                    if is_update && !f.updated.contains(&path) {
                        continue;
                    }
                    items.push(item);
                }
                vpd.record(InstallRecord {
                    fileset: f.name.to_string(),
                    package: f.package.to_string(),
                    level: level.clone(),
                    update: is_update,
                    image_type: if is_update { 'S' } else { 'I' },
                    description: f.description.to_string(),
                    state: State::Committed,
                    prereq: if is_aix(f.name) && f.name != "bos.rte" {
                        format!("*prereq bos.rte {}\n", f.base)
                    } else {
                        String::new()
                    },
                    supersedes: String::new(),
                    fixes: match (is_update, part, f.apar) {
                        (true, Part::Usr, Some((k, a))) => vec![(k.to_string(), a.to_string())],
                        _ => Vec::new(),
                    },
                    comp_id: if is_aix(f.name) { "5765-CD300".to_string() } else { String::new() },
                    part,
                    items,
                    time,
                    login: "root".to_string(),
                });
            }
        }
        // The files in the tree hold the content of the highest level that delivered them.
        let top = f.update.unwrap_or(f.base);
        for entry in f.files {
            if let Some((path, target)) = entry.split_once(" -> ") {
                let p = root.join(path.trim_start_matches('/'));
                if let Some(d) = p.parent() {
                    fs::create_dir_all(d).map_err(|e| Error::io("create", d, e))?;
                }
                symlink(target, &p).map_err(|e| Error::io("symlink", &p, e))?;
            } else if let Some(dir) = entry.strip_suffix('/') {
                let p = root.join(dir.trim_start_matches('/'));
                fs::create_dir_all(&p).map_err(|e| Error::io("create", &p, e))?;
            } else {
                let (path, link) = match entry.split_once(" + ") {
                    Some((p, l)) => (p, Some(l)),
                    None => (*entry, None),
                };
                let level = if f.updated.contains(&path) { top } else { f.base };
                let mode = if path.contains("/bin/") || path.contains("/sbin/") { 0o555 } else { 0o644 };
                let p = root.join(path.trim_start_matches('/'));
                write(&p, &sample_content(path, f.name, level), mode)?;
                if let Some(l) = link {
                    let lp = root.join(l.trim_start_matches('/'));
                    fs::hard_link(&p, &lp).map_err(|e| Error::io("link", &lp, e))?;
                }
            }
        }
    }
    // The fix database: technology levels and service packs of the AIX filesets, one APAR of a fileset that
    // is not installed.
    for (keyword, abstract_text, level) in SAMPLE_KEYWORDS {
        let mut filesets = Vec::new();
        for f in SAMPLE_FILESETS.iter().filter(|f| is_aix(f.name)) {
            let l = match level {
                Some(l) => l,
                None => f.update.unwrap_or(f.base),
            };
            filesets.push((f.name.to_string(), sample_level(l)?));
        }
        vpd.add_fix(FixRec {
            name: keyword.to_string(),
            abstract_text: abstract_text.to_string(),
            kind: FixRec::kind_of(keyword),
            filesets,
        });
    }
    vpd.add_fix(FixRec {
        name: "IJ90005".into(),
        abstract_text: "NFS CLIENT MAY HANG DURING FAILOVER".into(),
        kind: 'f',
        filesets: vec![("bos.net.nfs.client".into(), sample_level("7.2.4.1")?)],
    });
    vpd.save()
}
