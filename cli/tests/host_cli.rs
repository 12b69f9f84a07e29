//! The real binary on a modelled host: views, alt_disk_copy, alt_rootvg_op, reboot, kill -9 recovery.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

mod common;
use common::{err, is_root, new_host, new_host_with, out, run, run_env, Mount, BIN};

/// Every entry under `root` except alt_inst: mode, size, content.
fn tree(root: &Path) -> BTreeMap<String, (u32, u64, Vec<u8>)> {
    fn walk(base: &Path, d: &Path, m: &mut BTreeMap<String, (u32, u64, Vec<u8>)>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
            if rel == "alt_inst" {
                continue;
            }
            let md = std::fs::symlink_metadata(&p).unwrap();
            let data = if md.is_file() { std::fs::read(&p).unwrap() } else { Vec::new() };
            m.insert(rel, (md.mode(), if md.is_file() { md.len() } else { 0 }, data));
            if md.is_dir() {
                walk(base, &p, m);
            }
        }
    }
    let mut m = BTreeMap::new();
    walk(root, root, &mut m);
    m
}

#[test]
fn views_match_aix_formats() {
    let (_t, h) = new_host("50");
    let o = run(&h, &["lspv"]);
    assert!(o.status.success());
    let lines: Vec<String> = out(&o).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("hdisk0          00f6db0a"));
    assert!(lines[0].ends_with("                    rootvg          active"));
    assert!(lines[1].ends_with("                    None"));
    assert_eq!(out(&run(&h, &["lsvg"])), "rootvg\n");
    let l = out(&run(&h, &["lsvg", "-l", "rootvg"]));
    assert!(l.starts_with(
        "rootvg:\nLV NAME             TYPE       LPs     PPs     PVs  LV STATE      MOUNT POINT\n"
    ));
    assert!(out(&run(&h, &["lsvg", "rootvg"])).contains("TOTAL PPs:      639 (20448 megabytes)"));
    assert_eq!(out(&run(&h, &["bootlist", "-m", "normal", "-o"])), "hdisk0 blv=hd5 pathid=0\n");
    assert_eq!(out(&run(&h, &["bootinfo", "-b"])), "hdisk0\n");
    assert_eq!(out(&run(&h, &["bootinfo", "-s", "hdisk2"])), "20480\n");
    // --host works too, and wins over the environment.
    let o = Command::new(BIN).args(["bootinfo", "-B", "hdisk1", "--host"]).arg(&h).output().unwrap();
    assert_eq!(out(&o), "1\n");
    let o = run(&h, &["bootlist", "-m", "normal", "hdisk1", "hdisk0"]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(
        out(&run(&h, &["bootlist", "-m", "normal", "-o"])),
        "hdisk1 blv=hd5 pathid=0\nhdisk0 blv=hd5 pathid=0\n"
    );
    let o = run(&h, &["bootlist", "-m", "normal", "hdisk8"]);
    assert_eq!(o.status.code(), Some(5));
    assert!(err(&o).contains("hdisk8"), "{}", err(&o));
    let o = Command::new(BIN).arg("lspv").env_remove("ALTDISK_HOST").output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn clone_boot_and_boot_back() {
    let (_t, h) = new_host("200");
    let before = tree(&h.join("root"));
    let o = run(&h, &["alt_disk_copy", "-d", "hdisk1"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let text = out(&o);
    assert!(text.starts_with("Calling mkszfile to create new /image.data file.\nChecking disk sizes.\n"));
    assert!(text.ends_with(
        "forced unmount of /alt_inst\nforced unmount of /alt_inst\n\
         Changing logical volume names in volume group descriptor area.\nFixing LV control blocks...\n\
         Fixing file system superblocks...\nBootlist is set to the boot disk: hdisk1 blv=hd5\n"
    ));
    // The copy is real: every source entry is on the clone with mode, size and bytes.
    let clone = tree(&h.join("disks/hdisk1"));
    for (k, v) in &before {
        assert_eq!(clone.get(k), Some(v), "{k}");
    }
    let hl = std::fs::read_dir(h.join("disks/hdisk1/usr/lib"))
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("hard"));
    if let Some(hl) = hl {
        assert!(hl.metadata().unwrap().nlink() >= 2);
    }
    assert_eq!(tree(&h.join("root")), before);
    let o = run(&h, &["lsvg", "-l", "altinst_rootvg"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(err(&o), "0516-010 lsvg: Volume group must be varied on; use varyonvg command.\n");

    let o = run(&h, &["host", "reboot", h.to_str().unwrap()]);
    assert!(o.status.success(), "{}", err(&o));
    let pv = out(&run(&h, &["lspv"]));
    assert!(pv.lines().next().unwrap().ends_with("old_rootvg"), "{pv}");
    assert!(pv.lines().nth(1).unwrap().ends_with("rootvg          active"), "{pv}");
    assert_eq!(out(&run(&h, &["bootinfo", "-b"])), "hdisk1\n");
    assert!(run(&h, &["bootlist", "-m", "normal", "hdisk0"]).status.success());
    assert!(run(&h, &["host", "reboot", h.to_str().unwrap()]).status.success());
    assert_eq!(out(&run(&h, &["bootinfo", "-b"])), "hdisk0\n");
    assert_eq!(tree(&h.join("root")), before);
    let o = run(&h, &["alt_rootvg_op", "-X", "old_rootvg"]);
    assert_eq!(out(&o), "Bootlist is set to the boot disk: hdisk0 blv=hd5\n");
    assert!(out(&run(&h, &["lspv"])).lines().nth(1).unwrap().ends_with("None"));
}

#[test]
fn phases_split_on_the_command_line() {
    let (t, h) = new_host("30");
    let s = t.path().join("s.sh");
    std::fs::write(&s, "#!/bin/sh\necho run >> \"$ALT_INST/etc/runs\"\n").unwrap();
    std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o755)).unwrap();
    // AIX's own ps transcript form: -d DISK then trailing disks and a flag cluster.
    let o = run(&h, &["alt_disk_copy", "-P1", "-d", "hdisk1", "hdisk2", "-DB"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(err(&o).contains("+ phase 1"), "{}", err(&o));
    assert!(out(&run(&h, &["lspv"])).lines().nth(2).unwrap().ends_with("altinst_rootvg  active"));
    let o = run(&h, &["alt_disk_copy", "-P", "3", "-d", "hdisk1"]);
    assert_eq!(o.status.code(), Some(5));
    assert!(err(&o).contains("is on hdisk1 hdisk2, not on hdisk1"), "{}", err(&o));
    for _ in 0..2 {
        let o = run(&h, &["alt_disk_copy", "-P2", "-s", s.to_str().unwrap(), "-d", "hdisk1 hdisk2"]);
        assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    }
    assert_eq!(std::fs::read_to_string(h.join("root/alt_inst/etc/runs")).unwrap(), "run\nrun\n");
    let o = run(&h, &["alt_disk_copy", "-P3", "-B", "-d", "hdisk1 hdisk2"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(!out(&o).contains("Bootlist"));
    assert_eq!(out(&run(&h, &["bootlist", "-m", "normal", "-o"])), "hdisk0 blv=hd5 pathid=0\n");
    assert_eq!(std::fs::read_to_string(h.join("disks/hdisk1/etc/runs")).unwrap(), "run\nrun\n");
    let o = run(&h, &["alt_disk_copy", "-P2", "-d", "hdisk1 hdisk2"]);
    assert_eq!(o.status.code(), Some(5));
}

#[test]
fn refusals_and_exit_codes() {
    let (_t, h) = new_host("5");
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["alt_disk_copy", "-d", "hdisk0"],
            5,
            "0505-126 alt_disk_copy- target disk hdisk0 has a volume group assigned to it.\n",
        ),
        (
            &["alt_disk_copy", "-d", "hdisk1", "-B", "-r"],
            5,
            "alt_disk_copy: the -B and -r flags cannot be used together\n",
        ),
        (
            &["alt_disk_copy", "-d", "hdisk1", "-c", "/dev/vty0"],
            5,
            "alt_disk_copy: the -c flag is only valid with the -O flag\n",
        ),
        (
            &["alt_disk_copy", "-d", "hdisk1", "-e", "excl"],
            5,
            "alt_disk_copy: the -e argument excl must be a full path name\n",
        ),
        (
            &["alt_disk_copy", "-d", "hdisk1", "-P", "13"],
            5,
            "alt_disk_copy: invalid phase option '13': use 1, 2, 3, 12, 23 or all\n",
        ),
        (
            &["alt_disk_copy", "-d", "hdisk1", "-l", "/mnt"],
            5,
            "alt_disk_copy: -l images_location needs something to install from it: give -b, -w, -f or -F\n",
        ),
        (&["alt_disk_copy", "-d", "hdisk7"], 5, "alt_disk_copy: target disk hdisk7 does not exist\n"),
        (&["alt_disk_copy", "-d", "hdisk1", "-z"], 2, ""),
        (&["alt_disk_copy"], 2, ""),
        (&["alt_rootvg_op", "-X"], 5, "alt_rootvg_op: volume group altinst_rootvg does not exist\n"),
    ];
    let before = std::fs::read(h.join("host.json")).unwrap();
    for (args, code, msg) in cases {
        let o = run(&h, args);
        assert_eq!(o.status.code(), Some(*code), "{args:?}: {}", err(&o));
        if !msg.is_empty() {
            assert_eq!(err(&o), *msg, "{args:?}");
        }
        assert_eq!(std::fs::read(h.join("host.json")).unwrap(), before, "{args:?} changed the host");
    }
}

#[test]
fn kill_during_phase_one_then_remove_restores_the_disks() {
    if !cfg!(feature = "test-hooks") {
        eprintln!(
            "skipped: the kill -9 hook needs `--features altdisk/test-hooks` (scripts/test.sh turns it on)"
        );
        return;
    }
    let (_t, h) = new_host("200");
    let before = tree(&h.join("root"));
    for step in [
        "Creating logical volume alt_hd2.",
        "Creating /alt_inst/usr file system.",
        "Backing-up",
        "Fixing LV control blocks...",
    ] {
        let o = run_env(&h, &["alt_disk_copy", "-d", "hdisk1"], &[("ALTDISK_TEST_ABORT_AFTER", step)]);
        assert_eq!(o.status.code(), None, "{step}: not killed: {}", err(&o));
        // The model is readable and shows the half-built clone.
        let pv = out(&run(&h, &["lspv"]));
        assert!(pv.lines().nth(1).unwrap().ends_with("altinst_rootvg  active"), "{step}: {pv}");
        let o = run(&h, &["alt_rootvg_op", "-X"]);
        assert_eq!(o.status.code(), Some(0), "{step}: {}", err(&o));
        assert!(out(&o).ends_with("Bootlist is set to the boot disk: hdisk0 blv=hd5\n"));
        // Each mounted filesystem is unmounted once (phase 3's doubled lines are AIX's, not the clean-up's).
        let text = out(&o);
        let unmounts: Vec<&str> = text.lines().filter(|l| l.starts_with("forced unmount of ")).collect();
        let mut unique = unmounts.clone();
        unique.dedup();
        assert_eq!(unmounts, unique, "{step}");
        if step == "Backing-up" {
            assert_eq!(unmounts.last(), Some(&"forced unmount of /alt_inst"), "{step}");
        }
        let pv = out(&run(&h, &["lspv"]));
        assert!(pv.lines().nth(1).unwrap().ends_with("None"), "{step}: {pv}");
        assert!(!h.join("root/alt_inst").exists());
        assert_eq!(tree(&h.join("root")), before, "{step}");
    }
}

/// More data in /home than its 64 MB filesystem (2 LPs of 32 MB) holds: with -S (no space check) the copy
/// runs into the modelled "file system full", a real backup/restore error.
fn make_uncopyable(h: &Path) {
    std::fs::write(h.join("root/home/big"), vec![0x5au8; 70 << 20]).unwrap();
}

#[test]
fn backup_errors_follow_alt_bak_err_variables() {
    // Default: the error is printed, the run goes on and exits 0 with the bootlist set.
    let (_t, h) = new_host("20");
    make_uncopyable(&h);
    let o = run(&h, &["alt_disk_copy", "-d", "hdisk1"]);
    assert_eq!(o.status.code(), Some(4), "without -S the space check refuses: {}", err(&o));
    assert!(err(&o).contains("/home"), "{}", err(&o));
    let o = run(&h, &["alt_disk_copy", "-S", "-d", "hdisk1"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(err(&o).contains("There is not enough space in the file system /alt_inst/home"), "{}", err(&o));
    assert_eq!(err(&o).matches("0511-138").count(), 1, "printed once: {}", err(&o));
    assert!(out(&o).ends_with("Bootlist is set to the boot disk: hdisk1 blv=hd5\n"));
    // ALT_BAK_ERR_REPORT=1: goes on, exit 1, bootlist untouched.
    let (_t, h) = new_host("20");
    make_uncopyable(&h);
    let o = run_env(&h, &["alt_disk_copy", "-S", "-d", "hdisk1"], &[("ALT_BAK_ERR_REPORT", "1")]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(out(&o).ends_with("Fixing file system superblocks...\n"), "{}", out(&o));
    assert_eq!(out(&run(&h, &["bootlist", "-m", "normal", "-o"])), "hdisk0 blv=hd5 pathid=0\n");
    assert!(out(&run(&h, &["lspv"])).lines().nth(1).unwrap().ends_with("altinst_rootvg"));
    // ALT_BAK_ERR_FAIL=1: cleaned up, exit 4 (the error was a full filesystem).
    let (_t, h) = new_host("20");
    make_uncopyable(&h);
    let o = run_env(&h, &["alt_disk_copy", "-S", "-d", "hdisk1"], &[("ALT_BAK_ERR_FAIL", "1")]);
    assert_eq!(o.status.code(), Some(4), "{}", err(&o));
    assert!(err(&o).contains("ALT_BAK_ERR_FAIL=1: altinst_rootvg was removed"), "{}", err(&o));
    assert!(out(&run(&h, &["lspv"])).lines().nth(1).unwrap().ends_with("None"));
    assert!(!h.join("root/alt_inst").exists());
}

#[test]
fn a_host_filesystem_filling_up_in_phase_one_removes_the_clone_and_exits_4() {
    if !is_root() {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    }
    for policy in [None, Some("ALT_BAK_ERR_FAIL"), Some("ALT_BAK_ERR_REPORT")] {
        let t = tempfile::tempdir().unwrap();
        let Some(_m) = Mount::tmpfs(&t.path().join("m"), "100m") else {
            eprintln!("skipped: cannot mount a tmpfs here");
            return;
        };
        let h = t.path().join("m/host");
        let o = Command::new(BIN).args(["host", "init"]).arg(&h).args(["--sample", "--files", "20"]).output();
        assert!(o.unwrap().status.success());
        // The model's /usr takes it (-S: no space check); the host's 100 MB does not hold it twice.
        std::fs::write(h.join("root/usr/big"), vec![0x5au8; 55 << 20]).unwrap();
        let env: Vec<(&str, &str)> = policy.iter().map(|p| (*p, "1")).collect();
        let o = run_env(&h, &["alt_disk_copy", "-S", "-d", "hdisk1"], &env);
        assert_eq!(o.status.code(), Some(4), "{policy:?}: {}", err(&o));
        assert!(
            out(&o).ends_with(
                "forced unmount of /alt_inst\nBootlist is set to the boot disk: hdisk0 blv=hd5\n\
                 alt_disk_copy: out of space in phase 1: altinst_rootvg was removed (as by alt_rootvg_op -X)\n"
            ),
            "{policy:?}: {}",
            out(&o)
        );
        assert!(err(&o).starts_with("alt_disk_copy: no space left on the filesystem of "), "{}", err(&o));
        assert!(out(&run(&h, &["lspv"])).lines().nth(1).unwrap().ends_with("None"), "{policy:?}");
        assert!(!h.join("root/alt_inst").exists(), "{policy:?}");
        assert!(!h.join("disks/hdisk1").exists(), "{policy:?}");
        assert_eq!(out(&run(&h, &["bootlist", "-m", "normal", "-o"])), "hdisk0 blv=hd5 pathid=0\n");
    }
}

#[test]
fn exclude_verbose_device_reset_and_nim_files() {
    let (t, h) = new_host("40");
    std::fs::write(h.join("root/.rhosts"), b"nimmaster root\n").unwrap();
    std::fs::write(h.join("root/tmp/scratch"), b"x").unwrap();
    let ex = t.path().join("exclude");
    std::fs::write(&ex, "^./tmp/\n/home/user1/\n").unwrap();
    let o = run(&h, &["alt_disk_copy", "-d", "hdisk1", "-e", ex.to_str().unwrap(), "-V", "-O", "-n", "-P12"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let text = out(&o);
    assert!(text.contains("\n./usr/bin/passwd\n"), "{text}");
    assert!(!text.contains("./tmp/scratch"), "{text}");
    assert!(text.contains(
        "Modifying ODM on cloned disk.\nResetting all device attributes.\n\
         NOTE: The first boot from altinst_rootvg will prompt to define the new system console.\n\
         Building boot image on cloned disk.\n"
    ));
    let alt = h.join("root/alt_inst");
    assert!(alt.join("tmp").is_dir());
    assert!(!alt.join("tmp/scratch").exists());
    assert!(alt.join("home/user0").is_dir());
    // grep -v semantics: "/home/user1/" drops the contents, the directory itself stays.
    assert_eq!(std::fs::read_dir(alt.join("home/user1")).unwrap().count(), 0);
    assert!(std::fs::read_dir(h.join("root/home/user1")).unwrap().count() > 0);
    assert_eq!(std::fs::read(alt.join(".rhosts")).unwrap(), b"nimmaster root\n");
    // The mount point of a filesystem keeps its mode (/tmp is 1777).
    assert_eq!(std::fs::metadata(alt.join("tmp")).unwrap().mode() & 0o7777, 0o1777);
    // The source is untouched.
    assert!(h.join("root/tmp/scratch").is_file());
    // -C through alt_rootvg_op on the phase-1 clone, then clean up.
    let rc = t.path().join("resolv.conf");
    std::fs::write(&rc, b"domain example.com\n").unwrap();
    let o = run(&h, &["alt_rootvg_op", "-C", "-R", rc.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(std::fs::read(alt.join("etc/resolv.conf")).unwrap(), b"domain example.com\n");
    assert_eq!(run(&h, &["alt_rootvg_op", "-X"]).status.code(), Some(0));
}

#[test]
fn a_second_command_fails_fast_while_the_host_is_locked() {
    let (_t, h) = new_host("5");
    let f = std::fs::OpenOptions::new().write(true).open(h.join("lock")).unwrap();
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a valid open descriptor.
    assert_eq!(unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) }, 0);
    let o = run(&h, &["alt_disk_copy", "-d", "hdisk1"]);
    // Refused before anything was changed: exit 5.
    assert_eq!(o.status.code(), Some(5));
    assert!(err(&o).contains("is busy: another altdisk command holds"), "{}", err(&o));
    drop(f);
    assert_eq!(run(&h, &["alt_disk_copy", "-d", "hdisk1", "-P1"]).status.code(), Some(0));
}

#[test]
fn a_disk_too_small_is_refused_after_checking_disk_sizes() {
    let (_t, h) = new_host_with(&["--files", "5", "--disk", "hdisk1:4096"]);
    let o = run(&h, &["alt_disk_copy", "-d", "hdisk1"]);
    assert_eq!(o.status.code(), Some(4), "{}", err(&o));
    assert_eq!(out(&o), "Calling mkszfile to create new /image.data file.\nChecking disk sizes.\n");
    assert!(
        err(&o).contains("rootvg needs 192 PPs of 32 MB, the target disks have 127 usable PPs"),
        "{}",
        err(&o)
    );
    assert!(out(&run(&h, &["lspv"])).lines().nth(1).unwrap().ends_with("None"));
}

#[test]
fn duplicate_target_disks_and_oversized_samples_are_refused_before_anything_is_written() {
    let (_t, h) = new_host("5");
    let before = std::fs::read(h.join("host.json")).unwrap();
    let o = run(&h, &["alt_disk_copy", "-d", "hdisk1 hdisk1"]);
    assert_eq!(o.status.code(), Some(5), "{}", err(&o));
    assert_eq!(
        err(&o),
        "alt_disk_copy: target disk hdisk1 is given more than once; name each target disk once\n"
    );
    assert_eq!(std::fs::read(h.join("host.json")).unwrap(), before);
    assert!(!h.join("disks/hdisk1").exists());

    let t = tempfile::tempdir().unwrap();
    let init = |args: &[&str]| {
        std::process::Command::new(common::BIN).args(["host", "init"]).args(args).output().unwrap()
    };
    let d = t.path().join("h1");
    let o = init(&[d.to_str().unwrap(), "--sample", "--files", "99999999999999"]);
    assert_eq!(o.status.code(), Some(5), "{}", err(&o));
    assert!(err(&o).contains("more than the sample generator makes (1000000 at most)"), "{}", err(&o));
    assert!(!d.exists());
    let o = init(&[d.to_str().unwrap(), "--sample", "--disk", "hdisk1:100000000000000000"]);
    assert_eq!(o.status.code(), Some(5), "{}", err(&o));
    assert!(err(&o).contains("a disk is 1 to 16777216 MB"), "{}", err(&o));
    assert!(!d.exists());
    // NAME=SIZE as well as NAME:SIZE, and a line saying what was made and what to run next.
    let o = init(&[d.to_str().unwrap(), "--sample", "--files", "5", "--disk", "hdisk1=8192"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let text = out(&o);
    assert!(text.contains("free disks hdisk1 (8192 MB)"), "{text}");
    assert!(text.contains(&format!("export ALTDISK_HOST={}", d.display())), "{text}");
}

/// `--verify` on the two commands that build a clone: the copy (or the restored image) is compared with its
/// source after phase 1; equal on the sample, told in the JSON result; refused without phase 1.
#[test]
fn verify_after_phase_one() {
    let (t, h) = new_host("60");
    let result = |o: &std::process::Output| -> serde_json::Value {
        let last = out(o).lines().last().unwrap_or_default().to_string();
        serde_json::from_str::<serde_json::Value>(&last).unwrap()["result"].clone()
    };
    let o = run(&h, &["alt_disk_copy", "-d", "hdisk1", "--verify", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let r = result(&o);
    assert_eq!((&r["equal"], &r["differences"]), (&true.into(), &0.into()), "{r}");
    // Text mode: nothing more than the AIX transcript when the copy is equal.
    run(&h, &["alt_rootvg_op", "-X"]);
    let o = run(&h, &["alt_disk_copy", "-d", "hdisk1", "--verify"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).ends_with("Bootlist is set to the boot disk: hdisk1 blv=hd5\n"), "{}", out(&o));
    let image = t.path().join("img.mksysb");
    assert!(run(&h, &["mksysb", "-i", image.to_str().unwrap()]).status.success());
    run(&h, &["alt_rootvg_op", "-X"]);
    let o =
        run(&h, &["alt_disk_mksysb", "-m", image.to_str().unwrap(), "-d", "hdisk2", "--verify", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let r = result(&o);
    assert_eq!((&r["equal"], &r["differences"]), (&true.into(), &0.into()), "{r}");
    let o = run(&h, &["alt_disk_copy", "-d", "hdisk1", "--verify", "-P", "2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).starts_with("alt_disk_copy: --verify checks phase 1's copy"), "{}", err(&o));
}
