//! mksysb → restore listing, mksysb → alt_disk_mksysb round trip (rsync oracle), image.data-driven phase 1
//! of alt_disk_copy (-i sizes, -T, 11-character names), -S with a too-small filesystem, the real AIX archive.

#[path = "altdisk_common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use altdisk_engine::altdisk::copy::{alt_disk_copy, CopyOptions, Phases};
use altdisk_engine::altdisk::mksysb::{mksysb, MksysbOptions, NO_IMAGE_DATA};
use altdisk_engine::altdisk::mksysb_install::{alt_disk_mksysb, MksysbInstallOptions};
use altdisk_engine::altdisk::plan::host_image_data;
use altdisk_engine::altdisk::{AlwaysFits, BakErrPolicy, BuildOptions, PhaseOptions};
use altdisk_engine::archive::{ArchiveReader, ReaderOptions, Record};
use altdisk_engine::events::{NoEvents, RecordEvents};
use altdisk_engine::host::{self, FsParams, FsType, Host, LvType};
use altdisk_engine::imagedata::ImageData;
use altdisk_engine::Error;
use common::{messages, CP};

fn names(archive: &Path) -> Vec<String> {
    let f = std::fs::File::open(archive).unwrap();
    let mut r = ArchiveReader::new(f, ReaderOptions::default());
    let mut out = Vec::new();
    while let Some(rec) = r.next_record().unwrap() {
        match rec {
            Record::Entry(e) => out.push(String::from_utf8_lossy(&e.name).into_owned()),
            Record::End => break,
            _ => {}
        }
    }
    out
}

fn make_mksysb(dir: &Path, out: &Path, regenerate: bool) -> altdisk_engine::Result<()> {
    let o = MksysbOptions { output: out.to_path_buf(), regenerate, threads: 2, ..MksysbOptions::default() };
    mksysb(dir, &o, &NoEvents).map(|_| ())
}

fn install_opts(m: &Path, disks: &[&str]) -> MksysbInstallOptions {
    MksysbInstallOptions {
        mksysb: m.to_path_buf(),
        common: PhaseOptions {
            disks: disks.iter().map(|d| d.to_string()).collect(),
            ..PhaseOptions::default()
        },
        threads: 2,
        ..MksysbInstallOptions::default()
    }
}

/// rsync -naHc --delete -i SRC/ DST/ lines, minus the paths that legitimately differ.
fn rsync_diff(src: &Path, dst: &Path, ignore: &[&str]) -> Vec<String> {
    let out = Command::new("rsync")
        .args(["-naHc", "--delete", "-i", "--exclude=/alt_inst"])
        .arg(format!("{}/", src.display()))
        .arg(format!("{}/", dst.display()))
        .output()
        .expect("rsync");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !ignore.iter().any(|i| l.ends_with(i)))
        .map(str::to_string)
        .collect()
}

#[test]
fn missing_image_data_is_refused_like_aix() {
    let (t, dir) = common::sample(5);
    let err = make_mksysb(&dir, &t.path().join("x.mksysb"), false).unwrap_err();
    assert_eq!(err.to_string(), NO_IMAGE_DATA);
    assert!(!t.path().join("x.mksysb").exists());
}

#[test]
fn mksysb_lists_bosinst_and_image_data_first_then_the_tree() {
    let (t, dir) = common::sample(60);
    let out = t.path().join("sys.mksysb");
    let ev = RecordEvents::default();
    let o = MksysbOptions { output: out.clone(), regenerate: true, threads: 2, ..MksysbOptions::default() };
    let s = mksysb(&dir, &o, &ev).unwrap();
    let n = names(&out);
    assert_eq!(&n[..3], ["./bosinst.data", "./image.data", "."]);
    assert_eq!(n.len() as u64, s.entries);
    assert!(n.iter().any(|x| x.starts_with("./usr/")), "{n:?}");
    assert!(n.iter().filter(|x| *x == "./image.data").count() == 1);
    let m = messages(&ev);
    assert_eq!(m[0], "Creating information file (/image.data) for rootvg.");
    assert_eq!(m[1], "Creating list of files to back up.");
    assert_eq!(m[2], format!("Backing up {} files...", s.entries));
    assert_eq!(m[3], format!("{0} of {0} files backed up (100%)", s.entries));
    assert_eq!(m[4], "0512-038 mksysb: Backup Completed Successfully.");
    // The image.data in the archive is HOST/image.data, which parses and re-emits byte for byte.
    let text = std::fs::read(host_image_data(&dir)).unwrap();
    let img = ImageData::parse("image.data", &text).unwrap();
    assert_eq!(img.to_text().as_bytes(), &text[..]);
    assert_eq!(img.lvs().unwrap()[0].name, "hd5");
    // The output file itself is never backed up when it lies under the host's /.
    let inside = dir.join("root/tmp/self.mksysb");
    make_mksysb(&dir, &inside, false).unwrap();
    assert!(!names(&inside).iter().any(|x| x == "./tmp/self.mksysb"));
}

#[test]
fn mksysb_then_alt_disk_mksysb_round_trip_matches_the_source() {
    let (t, dir) = common::sample(300);
    let out = t.path().join("sys.mksysb");
    make_mksysb(&dir, &out, true).unwrap();
    let ev = RecordEvents::default();
    let mut o = install_opts(&out, &["hdisk1"]);
    o.common.phases = Phases::parse("1").unwrap();
    o.kernel64 = true;
    alt_disk_mksysb(&dir, &o, &ev).unwrap();
    let m = messages(&ev);
    assert_eq!(m[0], "Restoring /image.data from mksysb image.");
    assert_eq!(m[1], "Checking disk sizes.");
    assert_eq!(m[m.len() - 2], "Restoring mksysb image to alternate disk(s).");
    assert_eq!(m[m.len() - 1], "Linking to 64bit kernel.");
    // Independent oracle: rsync sees no difference but the files mksysb adds and / itself (its mtime moved
    // when /alt_inst was created in it after the backup).
    let diff = rsync_diff(&dir.join("root"), &dir.join("root/alt_inst"), &[" ./"]);
    assert_eq!(diff, ["*deleting   image.data", "*deleting   bosinst.data"]);
    let h = Host::open(&dir).unwrap();
    let l = host::lsvg_l(&h.state, "altinst_rootvg").unwrap();
    assert!(l.contains("alt_hd2 "), "{l}");
}

#[test]
fn custom_image_data_sizes_show_in_lsvg_after_boot() {
    let (t, dir) = common::sample(20);
    make_mksysb(&dir, &t.path().join("m"), true).unwrap();
    let text = std::fs::read_to_string(host_image_data(&dir)).unwrap();
    let mut img = ImageData::parse("image.data", text.as_bytes()).unwrap();
    for st in img.file_mut().stanzas_mut() {
        if st.name == "lv_data" && st.get("LOGICAL_VOLUME") == Some("hd2") {
            st.set("LPs", "100");
            st.set("PP", "100");
        }
        if st.name == "fs_data" && st.get("FS_NAME") == Some("/usr") {
            st.set("FS_SIZE", (100 * 32 * 2048).to_string());
        }
    }
    let custom = t.path().join("custom.image.data");
    std::fs::write(&custom, img.to_text()).unwrap();
    let ev = RecordEvents::default();
    let o = CopyOptions {
        common: PhaseOptions { disks: vec!["hdisk1".into()], reboot: true, ..PhaseOptions::default() },
        build: BuildOptions { image_data: Some(custom), ..BuildOptions::default() },
        ..CopyOptions::default()
    };
    alt_disk_copy(&dir, &o, &CP, &AlwaysFits, &ev).unwrap();
    assert!(!messages(&ev).iter().any(|m| m.contains("mkszfile")), "no mkszfile with -i");
    let h = Host::open(&dir).unwrap();
    let l = host::lsvg_l(&h.state, "rootvg").unwrap();
    assert!(l.lines().any(|x| x.starts_with("hd2 ") && x.contains(" 100 ")), "{l}");
    assert!(h.state.disk("hdisk1").unwrap().vg.as_deref() == Some("rootvg"));
}

#[test]
fn jfs_to_jfs2_conversion_shows_in_lsvg() {
    let (_t, dir) = common::sample(20);
    let mut h = Host::open(&dir).unwrap();
    let vg = h.state.vg_mut("rootvg").unwrap();
    for lv in &mut vg.lvs {
        if lv.name == "hd1" {
            lv.lv_type = LvType::Jfs;
            if let Some(f) = lv.fs.as_mut() {
                f.fs_type = FsType::Jfs;
                f.params = FsParams::Jfs { frag: 4096, nbpi: 4096, compress: false, bf: true, agsize: 8 };
            }
        }
    }
    h.save().unwrap();
    let mut o = CopyOptions {
        common: PhaseOptions { disks: vec!["hdisk1".into()], ..PhaseOptions::default() },
        build: BuildOptions { to_jfs2: true, ..BuildOptions::default() },
        ..CopyOptions::default()
    };
    o.common.phases = Phases::parse("1").unwrap();
    alt_disk_copy(&dir, &o, &CP, &AlwaysFits, &NoEvents).unwrap();
    let h = Host::open(&dir).unwrap();
    let l = host::lsvg_l(&h.state, "altinst_rootvg").unwrap();
    assert!(l.lines().any(|x| x.starts_with("alt_hd1 ") && x.contains(" jfs2 ")), "{l}");
    assert!(!l.contains(" jfs "), "{l}");
    // The source image.data (mkszfile) still says jfs; the clone's says jfs2.
    let src = std::fs::read_to_string(host_image_data(&dir)).unwrap();
    assert!(src.contains("TYPE= jfs\n"), "{src}");
    let clone = std::fs::read_to_string(dir.join("root/alt_inst/image.data")).unwrap();
    assert!(!clone.contains("TYPE= jfs\n") && clone.contains("FS_JFS2_BS= 4096"), "{clone}");
}

fn edited_image(dir: &Path, t: &Path, edit: impl Fn(&mut altdisk_engine::imagedata::Stanza)) -> PathBuf {
    let text = std::fs::read_to_string(host_image_data(dir)).unwrap();
    let mut img = ImageData::parse("image.data", text.as_bytes()).unwrap();
    for st in img.file_mut().stanzas_mut() {
        edit(st);
    }
    let p = t.join("edited.image.data");
    std::fs::write(&p, img.to_text()).unwrap();
    p
}

#[test]
fn long_lv_name_in_an_image_data_file_is_refused() {
    let (t, dir) = common::sample(10);
    make_mksysb(&dir, &t.path().join("m"), true).unwrap();
    let p = edited_image(&dir, t.path(), |st| {
        if st.get("LOGICAL_VOLUME") == Some("hd10opt") {
            st.set("LOGICAL_VOLUME", "optional_lv1");
        }
    });
    let before = std::fs::read(dir.join("host.json")).unwrap();
    let o = CopyOptions {
        common: PhaseOptions { disks: vec!["hdisk1".into()], ..PhaseOptions::default() },
        build: BuildOptions { image_data: Some(p), ..BuildOptions::default() },
        ..CopyOptions::default()
    };
    let err = alt_disk_copy(&dir, &o, &CP, &AlwaysFits, &NoEvents).unwrap_err();
    assert!(matches!(err, Error::Space(_)), "{err}");
    assert!(err.to_string().contains("optional_lv1 is 12 characters"), "{err}");
    assert_eq!(std::fs::read(dir.join("host.json")).unwrap(), before);
}

#[test]
fn too_small_filesystem_refused_then_fills_up_with_s_under_alt_bak_err_fail() {
    let (t, dir) = common::sample(200);
    let m = t.path().join("sys.mksysb");
    make_mksysb(&dir, &m, true).unwrap();
    let tiny = edited_image(&dir, t.path(), |st| {
        if st.get("FS_NAME") == Some("/usr") {
            st.set("FS_SIZE", "16");
        }
    });
    let before = std::fs::read(dir.join("host.json")).unwrap();
    let mut o = install_opts(&m, &["hdisk1"]);
    o.build.image_data = Some(tiny);
    let err = alt_disk_mksysb(&dir, &o, &NoEvents).unwrap_err();
    assert!(matches!(err, Error::Space(_)), "{err}");
    assert!(err.to_string().starts_with("/usr: need"), "{err}");
    assert_eq!(std::fs::read(dir.join("host.json")).unwrap(), before);
    // -S: created at the small size, the restore fills /usr, ALT_BAK_ERR_FAIL removes the clone.
    o.build.skip_space_check = true;
    o.common.bak_err = BakErrPolicy::Fail;
    let ev = RecordEvents::default();
    let err = alt_disk_mksysb(&dir, &o, &ev).unwrap_err();
    assert!(err.to_string().contains("ALT_BAK_ERR_FAIL=1: altinst_rootvg was removed"), "{err}");
    let h = Host::open(&dir).unwrap();
    assert!(h.state.vg("altinst_rootvg").is_none());
    assert_eq!(h.state.disk("hdisk1").unwrap().vg, None);
    let log = ev.0.lock().unwrap().join("\n");
    assert!(log.contains("There is not enough space in the file system /alt_inst/usr."), "{log}");
}

#[test]
fn real_aix_archive_needs_an_image_data() {
    let (t, dir) = common::sample(5);
    let bff = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/aix/test.bff");
    let err = alt_disk_mksysb(&dir, &install_opts(&bff, &["hdisk1"]), &NoEvents).unwrap_err();
    assert!(err.to_string().contains("has no ./image.data"), "{err}");
    make_mksysb(&dir, &t.path().join("m"), true).unwrap();
    let mut o = install_opts(&bff, &["hdisk1"]);
    o.build.image_data = Some(host_image_data(&dir));
    o.common.phases = Phases::parse("1").unwrap();
    alt_disk_mksysb(&dir, &o, &NoEvents).unwrap();
    let alt = dir.join("root/alt_inst");
    assert!(alt.join("backup/file.txt").is_file());
    assert!(alt.join("backup/folder/file_in_folder.txt").is_file());
}

#[test]
fn alt_disk_copy_with_s_and_a_too_small_filesystem_fails_cleanly() {
    let (t, dir) = common::sample(200);
    make_mksysb(&dir, &t.path().join("m"), true).unwrap();
    let tiny = edited_image(&dir, t.path(), |st| {
        if st.get("FS_NAME") == Some("/usr") {
            st.set("FS_SIZE", "16");
        }
    });
    let mover = altdisk_engine::altdisk::PipelineMover::default();
    let mut o = CopyOptions {
        common: PhaseOptions { disks: vec!["hdisk1".into()], ..PhaseOptions::default() },
        build: BuildOptions { image_data: Some(tiny), ..BuildOptions::default() },
        ..CopyOptions::default()
    };
    let err = alt_disk_copy(&dir, &o, &mover, &AlwaysFits, &NoEvents).unwrap_err();
    assert!(err.to_string().starts_with("/usr: need"), "{err}");
    o.build.skip_space_check = true;
    o.common.bak_err = BakErrPolicy::Fail;
    let err = alt_disk_copy(&dir, &o, &mover, &AlwaysFits, &NoEvents).unwrap_err();
    assert!(err.to_string().contains("ALT_BAK_ERR_FAIL=1: altinst_rootvg was removed"), "{err}");
    // A full filesystem: the command exits as out of space.
    assert!(
        matches!(
            err,
            altdisk_engine::Error::Host(altdisk_engine::host::HostError::CopyFailed { no_space: true, .. })
        ),
        "{err:?}"
    );
    let h = Host::open(&dir).unwrap();
    assert!(h.state.vg("altinst_rootvg").is_none());
    assert_eq!(h.state.disk("hdisk1").unwrap().vg, None);
}
