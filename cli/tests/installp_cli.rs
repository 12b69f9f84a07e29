//! installp end to end through the real binary (issue 10): images built with `mkinstallp` from templates
//! written here, `inutoc`, `installp` on the running rootvg of a sample host (apply, commit, reject, preview),
//! the views (`lslpp`, `oslevel`, `instfix`), `alt_disk_copy -l` / `alt_rootvg_op -C` installing into the
//! clone, booting into it and back, and the issue's bad-input list with exact messages and exit codes.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{altdisk, err, new_host, new_host_with, out, run, BIN};

// ---------------------------------------------------------------------------------------------------------
// Fixtures: every image is built by `altdisk mkinstallp`; only the bad-input cases are broken by hand.
// ---------------------------------------------------------------------------------------------------------

/// A base package with two filesets: ranch.apps.hog (usr and root parts) and ranch.apps.pig (usr only,
/// prereq hog, so `-g` pulls hog in).
const BASE: &str = "Package Name: ranch.apps
Package VRMF: 3.1.0.0
Update: N
Fileset
  Fileset Name: ranch.apps.hog
  Fileset VRMF: 3.1.0.0
  Fileset Description: Hog Utilities
  Bosboot required: N
  License agreement acceptance required: N
  Requisites: *prereq bos.rte 7.2.0.0
  USRFiles
    /usr/bin/hog
    /usr/share/hog
    /usr/share/hog/herd.dat
  EOUSRFiles
  ROOT Part: Y
  ROOTFiles
    /etc/hog
    /etc/hog/hog.conf
  EOROOTFiles
  Relocatable: N
EOFileset
Fileset
  Fileset Name: ranch.apps.pig
  Fileset VRMF: 3.1.0.0
  Fileset Description: Pig Utilities
  Bosboot required: N
  Requisites: *prereq ranch.apps.hog 3.1.0.0
  USRFiles
    /usr/bin/pig
  EOUSRFiles
  ROOT Part: N
EOFileset
";

const HOG_V1: &str = "#!/bin/ksh\necho hog 3.1.0.0\n";
const HOG_V2: &str = "#!/bin/ksh\necho hog 3.1.0.1 (IV12345)\n";
const HOG_CONF: &str = "pen=north\n";
const KSH_NEW: &str = "ksh from bos.rte 7.2.5.1 (AIX 7200-05-01-2038)\n";

/// An update of ranch.apps.hog that fixes IV12345.
const UPDATE: &str = "Package Name: ranch.apps
Package VRMF: 3.1.0.1
Update: Y
Fileset
  Fileset Name: ranch.apps.hog
  Fileset VRMF: 3.1.0.1
  Fileset Description: Hog Utilities
  Fix Information: IV12345 hog crashes on an empty pen
  USRFiles
    /usr/bin/hog
  EOUSRFiles
  ROOT Part: N
EOFileset
";

/// A bos.rte service pack for the sample host: technology level 7200-05, service pack 1, APAR IV77777.
const BOS: &str = "Package Name: bos
Package VRMF: 7.2.5.1
Update: Y
Fileset
  Fileset Name: bos.rte
  Fileset VRMF: 7.2.5.1
  Fileset Description: Base Operating System Runtime
  Fix Information: 7200-05_AIX_ML AIX 7200-05 Technology Level
  Fix Information: 7200-05-01-2038_SP AIX 7200-05 Service Pack 1
  Fix Information: IV77777 ksh loses its history
  USRFiles
    /usr/bin/ksh
  EOUSRFiles
  ROOT Part: N
EOFileset
";

/// Two filesets that are prerequisites of each other.
const CYCLE: &str = "Package Name: cyc
Package VRMF: 1.0.0.0
Update: N
Fileset
  Fileset Name: cyc.a
  Fileset VRMF: 1.0.0.0
  Fileset Description: Cycle A
  Requisites: *prereq cyc.b 1.0.0.0
  USRFiles
    /usr/bin/cyca
  EOUSRFiles
  ROOT Part: N
EOFileset
Fileset
  Fileset Name: cyc.b
  Fileset VRMF: 1.0.0.0
  Fileset Description: Cycle B
  Requisites: *prereq cyc.a 1.0.0.0
  USRFiles
    /usr/bin/cycb
  EOUSRFiles
  ROOT Part: N
EOFileset
";

/// A base bos.rte older than the sample host's.
const OLD_BOS: &str = "Package Name: bos
Package VRMF: 7.2.0.0
Update: N
Fileset
  Fileset Name: bos.rte
  Fileset VRMF: 7.2.0.0
  Fileset Description: Base Operating System Runtime
  USRFiles
    /usr/bin/ksh
  EOUSRFiles
  ROOT Part: N
EOFileset
";

/// A fileset whose size section asks for `blocks` more 512-byte blocks in /usr.
fn big_template(blocks: u64) -> String {
    format!(
        "Package Name: big
Package VRMF: 1.0.0.0
Update: N
Fileset
  Fileset Name: big.rte
  Fileset VRMF: 1.0.0.0
  Fileset Description: Big Runtime
  Requisites: *prereq bos.rte 7.2.0.0
        Upsize: /usr/bin {blocks};
  USRFiles
    /usr/bin/big
  EOUSRFiles
  ROOT Part: N
EOFileset
"
    )
}

/// Writes the build root `work/build/NAME` (files: path, bytes, mode) and the template `work/NAME.template`,
/// runs `altdisk mkinstallp -d ROOT -T TEMPLATE` and returns the image it created.
fn mkinstallp(work: &Path, name: &str, template: &str, files: &[(&str, &str, u32)]) -> PathBuf {
    let root = work.join("build").join(name);
    std::fs::create_dir_all(&root).unwrap();
    for (p, data, mode) in files {
        let f = root.join(p.trim_start_matches('/'));
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(&f, data).unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(*mode)).unwrap();
    }
    let t = work.join(format!("{name}.template"));
    std::fs::write(&t, template).unwrap();
    let o = altdisk(
        &["mkinstallp".as_ref(), "-d".as_ref(), root.as_os_str(), "-T".as_ref(), t.as_os_str()],
        work,
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let last = out(&o).lines().last().unwrap().to_string();
    let rel = last.strip_prefix("creating ./").unwrap_or_else(|| panic!("{}", out(&o)));
    let image = root.join(rel);
    assert!(image.is_file(), "{}", image.display());
    image
}

/// A location directory `work/NAME` holding copies of `images`.
fn location(work: &Path, name: &str, images: &[&Path]) -> PathBuf {
    let d = work.join(name);
    std::fs::create_dir_all(&d).unwrap();
    for i in images {
        std::fs::copy(i, d.join(i.file_name().unwrap())).unwrap();
    }
    d
}

/// The images of the tests.
struct Images {
    base: PathBuf,
    update: PathBuf,
    bos: PathBuf,
}

fn images(work: &Path) -> Images {
    let base = mkinstallp(
        work,
        "ranch",
        BASE,
        &[
            ("/usr/bin/hog", HOG_V1, 0o751),
            ("/usr/bin/pig", "#!/bin/ksh\necho pig\n", 0o755),
            ("/usr/share/hog/herd.dat", "sows=12\n", 0o644),
            ("/etc/hog/hog.conf", HOG_CONF, 0o640),
        ],
    );
    let update = mkinstallp(work, "ranch-upd", UPDATE, &[("/usr/bin/hog", HOG_V2, 0o755)]);
    let bos = mkinstallp(work, "bos-upd", BOS, &[("/usr/bin/ksh", KSH_NEW, 0o555)]);
    Images { base, update, bos }
}

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

/// A checksum of every entry under `dir` (mode, size, mtime, link count, bytes or link target), by path;
/// `alt_inst` (the clone's mount point) and the host lock file are left out.
fn checksum(dir: &Path) -> BTreeMap<String, u64> {
    fn walk(base: &Path, d: &Path, m: &mut BTreeMap<String, u64>) {
        let mut entries: Vec<_> = std::fs::read_dir(d).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
            if rel == "alt_inst" || rel == "lock" || rel == "root/alt_inst" {
                continue;
            }
            let md = std::fs::symlink_metadata(&p).unwrap();
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (md.mode(), md.len(), md.mtime(), md.nlink()).hash(&mut h);
            if md.is_file() {
                std::fs::read(&p).unwrap().hash(&mut h);
            } else if md.file_type().is_symlink() {
                std::fs::read_link(&p).unwrap().hash(&mut h);
            }
            m.insert(rel, h.finish());
            if md.is_dir() {
                walk(base, &p, m);
            }
        }
    }
    let mut m = BTreeMap::new();
    walk(dir, dir, &mut m);
    m
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().mode() & 0o7777
}

/// `lslpp -l` of one fileset with a usr part and (when `root` is given) a root part.
fn lslpp_l(fileset: &str, usr: (&str, &str, &str), root: Option<(&str, &str, &str)>) -> String {
    let row = |(l, st, d): (&str, &str, &str)| format!("  {fileset:<26}{l:>8}  {st:<9}  {d}\n");
    let mut t = format!(
        "  Fileset                      Level  State      Description         \n  {}\nPath: /usr/lib/objrepos\n{}",
        "-".repeat(76),
        row(usr)
    );
    if let Some(r) = root {
        t.push_str(&format!("\nPath: /etc/objrepos\n{}", row(r)));
    }
    t
}

const NOT_FOUND_ON_MEDIA: &str = "  Not Found on Installation Media
  -------------------------------
  The following filesets could not be found on the installation media.
  If you feel these filesets really are on the media, check for typographical
  errors in the name specified or, if installing from directory, try removing
  the .toc file and then retry the installation.
";

// ---------------------------------------------------------------------------------------------------------
// 1. mkinstallp, inutoc, installp -ld, installp -acgX on the running rootvg, the views, Already Installed
// ---------------------------------------------------------------------------------------------------------

#[test]
fn mkinstallp_inutoc_list_install_and_views() {
    let (t, h) = new_host("50");
    let w = t.path();
    // mkinstallp's own transcript.
    let root = w.join("build/ranch");
    let tmpl = w.join("ranch.template");
    let img = mkinstallp(
        w,
        "ranch",
        BASE,
        &[
            ("/usr/bin/hog", HOG_V1, 0o751),
            ("/usr/bin/pig", "#!/bin/ksh\necho pig\n", 0o755),
            ("/usr/share/hog/herd.dat", "sows=12\n", 0o644),
            ("/etc/hog/hog.conf", HOG_CONF, 0o640),
        ],
    );
    assert_eq!(img, root.join("tmp/ranch.apps.3.1.0.0.bff"));
    let o = altdisk(&["mkinstallp", "-d", s(&root), "-T", s(&tmpl)], w);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert_eq!(
        out(&o),
        format!(
            "Using ranch.template as the template file.\nranch.apps 3.1.0.0 I\nprocessing ranch.apps.hog\n\
             processing ranch.apps.pig\ncreating ./.info/liblpp.a\ncreating ./tmp/ranch.apps.3.1.0.0.bff\n"
        )
    );
    // An independent look at the bytes: a by-name archive whose first member is ./lpp_name, and the control
    // files in an AIX big-format ar archive.
    let o = altdisk(&["restore", "-Tqf", s(&img)], w);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert_eq!(out(&o).lines().next(), Some("./lpp_name"));
    assert!(out(&o).lines().any(|l| l == "./usr/lpp/ranch.apps/liblpp.a"), "{}", out(&o));
    assert!(out(&o).lines().any(|l| l == "./usr/lpp/ranch.apps/inst_root/etc/hog/hog.conf"), "{}", out(&o));
    let x = w.join("x");
    std::fs::create_dir_all(&x).unwrap();
    let o = altdisk(&["restore", "-xqf", s(&img)], &x);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert!(std::fs::read(x.join("usr/lpp/ranch.apps/liblpp.a")).unwrap().starts_with(b"<bigaf>\n"));
    let lpp = std::fs::read_to_string(x.join("lpp_name")).unwrap();
    assert!(
        lpp.starts_with("4 R I ranch.apps {\nranch.apps.hog 03.01.0000.0000 1 N B en_US Hog Utilities\n"),
        "{lpp}"
    );

    // inutoc writes the .toc from the images.
    let loc = location(w, "loc", &[&img]);
    let o = altdisk(&["inutoc", s(&loc)], w);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert_eq!(out(&o), "");
    let toc = std::fs::read_to_string(loc.join(".toc")).unwrap();
    let mut lines = toc.lines();
    let head = lines.next().unwrap();
    assert!(head.starts_with("0 ") && head.ends_with(" 2") && head.len() == 18, "{toc}");
    assert_eq!(lines.next(), Some("ranch.apps.3.1.0.0.bff 4 R I ranch.apps {"));
    assert_eq!(lines.next(), Some("ranch.apps.hog 03.01.0000.0000 1 N B en_US Hog Utilities"));

    // installp -ld lists the filesets of the location.
    let o = run(&h, &["installp", "-ld", s(&loc)]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert_eq!(
        out(&o),
        "  Fileset Name                Level                     I/U Q Content\n  \
         ====================================================================\n  \
         ranch.apps.hog              3.1.0.0                   I   N usr,root\n  #   Hog Utilities\n\n  \
         ranch.apps.pig              3.1.0.0                   I   N usr\n  #   Pig Utilities\n\n"
    );

    // installp -acgX installs ranch.apps.hog on the running rootvg.
    let r = h.join("root");
    assert!(!r.join("usr/bin/hog").exists());
    let o = run(&h, &["installp", "-acgX", "-d", s(&loc), "ranch.apps.hog"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert_eq!(err(&o), "");
    let text = out(&o);
    assert!(
        text.contains(
            "  Selected Filesets\n  -----------------\n  ranch.apps.hog 3.1.0.0                       # Hog Utilities\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "installp:  APPLYING software for:\n        ranch.apps.hog 3.1.0.0\nRestoring files, please wait.\n\
             5 files restored.\n"
        ),
        "{text}"
    );
    assert!(text.ends_with(
        "Name                        Level           Part        Event       Result\n\
         -------------------------------------------------------------------------------\n\
         ranch.apps.hog              3.1.0.0         USR         APPLY       SUCCESS    \n\
         ranch.apps.hog              3.1.0.0         ROOT        APPLY       SUCCESS    \n"
    ));
    // The files, with the template's build root modes: usr part under /usr, root part under /.
    assert_eq!(std::fs::read_to_string(r.join("usr/bin/hog")).unwrap(), HOG_V1);
    assert_eq!(mode(&r.join("usr/bin/hog")), 0o751);
    assert_eq!(std::fs::read_to_string(r.join("etc/hog/hog.conf")).unwrap(), HOG_CONF);
    assert_eq!(mode(&r.join("etc/hog/hog.conf")), 0o640);
    assert_eq!(std::fs::read_to_string(r.join("usr/share/hog/herd.dat")).unwrap(), "sows=12\n");
    assert!(r.join("usr/share/hog").is_dir() && r.join("etc/hog").is_dir());
    assert!(!r.join("usr/bin/pig").exists(), "pig was not selected");
    assert!(!r.join("usr/lpp/ranch.apps/inst_root").exists(), "the root part goes to /, not inst_root");

    // The views.
    let o = run(&h, &["lslpp", "-l", "ranch.apps.hog"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    let committed = ("3.1.0.0", "COMMITTED", "Hog Utilities");
    assert_eq!(out(&o), lslpp_l("ranch.apps.hog", committed, Some(committed)));
    let o = run(&h, &["lslpp", "-f", "ranch.apps.hog"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert_eq!(
        out(&o),
        format!(
            "  Fileset               File\n  {}\nPath: /usr/lib/objrepos\n  ranch.apps.hog 3.1.0.0 /usr/bin/hog\n{p}\
             /usr/share/hog\n{p}/usr/share/hog/herd.dat\n\nPath: /etc/objrepos\n  ranch.apps.hog 3.1.0.0 /etc/hog\n{p}\
             /etc/hog/hog.conf\n",
            "-".repeat(76),
            p = " ".repeat(24)
        )
    );
    let o = run(&h, &["lslpp", "-h", "ranch.apps.hog"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    let hist = out(&o);
    assert!(
        hist.starts_with("  Fileset         Level     Action       Status       Date         Time        \n")
    );
    for part in ["Path: /usr/lib/objrepos\n", "Path: /etc/objrepos\n"] {
        let at = hist.find(part).unwrap_or_else(|| panic!("{hist}"));
        assert!(
            hist[at + part.len()..]
                .starts_with("  ranch.apps.hog\n                 3.1.0.0  COMMIT       COMPLETE     "),
            "{hist}"
        );
    }
    let o = run(&h, &["lslpp", "-l", "ranch.apps.pig"]);
    assert_eq!(code(&o), Some(1));
    assert_eq!(err(&o), "lslpp: 0504-132  Fileset ranch.apps.pig not installed.\n");

    // A second run: Already Installed, nothing changes, exit 0.
    let before = checksum(&h);
    let o = run(&h, &["installp", "-acgX", "-d", s(&loc), "ranch.apps.hog"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    let text = out(&o);
    assert!(
        text.contains(
            "  Already Installed\n  -----------------\n  The following filesets, or newer versions, are already \
             installed and committed\n  (or applied) on the system; they will not be installed again.\n\n  \
             ranch.apps.hog 3.1.0.0                       # Already installed at 3.1.0.0\n"
        ),
        "{text}"
    );
    assert!(text.ends_with(
        "    1  Selected to be installed, of which:\n        0  Passed pre-installation verification\n        \
         1  Already installed (directly or via superseding filesets)\n  ----\n    0  Total to be installed\n"
    ));
    assert!(!text.contains("APPLYING"));
    assert_eq!(checksum(&h), before);
}

// ---------------------------------------------------------------------------------------------------------
// 2. An update applied without commit: APPLIED, the save directory, -s, reject, commit
// ---------------------------------------------------------------------------------------------------------

#[test]
fn update_apply_reject_and_commit() {
    let (t, h) = new_host("50");
    let w = t.path();
    let im = images(w);
    let base = location(w, "base", &[&im.base]);
    let upd = location(w, "upd", &[&im.update]);
    let r = h.join("root");
    let o = run(&h, &["installp", "-acgX", "-d", s(&base), "ranch.apps.hog"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    let o = run(&h, &["installp", "-s"]);
    assert_eq!(
        out(&o),
        "installp:  No filesets were found in the Software Vital Product Database in the APPLIED state.\n"
    );
    let o = run(&h, &["installp", "-Ad", s(&upd)]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert_eq!(out(&o), "  ranch.apps.hog 3.1.0.1\n    IV12345             hog crashes on an empty pen\n");

    // Apply without commit: the replaced file is saved.
    let o = run(&h, &["installp", "-a", "-d", s(&upd), "ranch.apps.hog"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert!(out(&o).ends_with(
        "-------------------------------------------------------------------------------\n\
         ranch.apps.hog              3.1.0.1         USR         APPLY       SUCCESS    \n"
    ));
    assert_eq!(std::fs::read_to_string(r.join("usr/bin/hog")).unwrap(), HOG_V2);
    assert_eq!(mode(&r.join("usr/bin/hog")), 0o755);
    let save = r.join("usr/lpp/ranch.apps/ranch.apps.hog/3.1.0.1.save");
    assert!(save.is_dir());
    assert_eq!(std::fs::read_to_string(save.join("usr/bin/hog")).unwrap(), HOG_V1);
    assert_eq!(
        out(&run(&h, &["lslpp", "-l", "ranch.apps.hog"])),
        lslpp_l(
            "ranch.apps.hog",
            ("3.1.0.1", "APPLIED", "Hog Utilities"),
            Some(("3.1.0.0", "COMMITTED", "Hog Utilities"))
        )
    );
    let o = run(&h, &["installp", "-s"]);
    assert_eq!(code(&o), Some(0));
    assert_eq!(
        out(&o),
        "  Fileset                      Level\n  ------------------------------------------\n  \
         ranch.apps.hog               3.1.0.1\n"
    );
    let o = run(&h, &["instfix", "-ik", "IV12345"]);
    assert_eq!((code(&o), out(&o)), (Some(0), "    All filesets for IV12345 were found.\n".into()));

    // Reject restores the original bytes and mode, and removes the save directory.
    let o = run(&h, &["installp", "-r", "ranch.apps.hog"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert!(out(&o).starts_with("installp:  REJECTING software for:\n        ranch.apps.hog 3.1.0.1\n"));
    assert!(out(&o)
        .ends_with("ranch.apps.hog              3.1.0.1         USR         REJECT      SUCCESS    \n"));
    assert_eq!(std::fs::read_to_string(r.join("usr/bin/hog")).unwrap(), HOG_V1);
    assert_eq!(mode(&r.join("usr/bin/hog")), 0o751);
    assert!(!save.exists());
    let committed = ("3.1.0.0", "COMMITTED", "Hog Utilities");
    assert_eq!(
        out(&run(&h, &["lslpp", "-l", "ranch.apps.hog"])),
        lslpp_l("ranch.apps.hog", committed, Some(committed))
    );
    let hist = out(&run(&h, &["lslpp", "-h", "ranch.apps.hog"]));
    let usr: Vec<String> = hist
        .split("\n\n")
        .next()
        .unwrap()
        .lines()
        .skip(4)
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        usr,
        ["3.1.0.0 COMMIT COMPLETE", "3.1.0.1 APPLY COMPLETE", "3.1.0.1 REJECT COMPLETE"],
        "{hist}"
    );
    assert_eq!(
        out(&run(&h, &["installp", "-s"])),
        "installp:  No filesets were found in the Software Vital Product Database in the APPLIED state.\n"
    );

    // Apply again, then commit: the save directory goes, the new bytes stay.
    let o = run(&h, &["installp", "-a", "-d", s(&upd), "ranch.apps.hog"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert!(save.join("usr/bin/hog").is_file());
    let o = run(&h, &["installp", "-c", "ranch.apps.hog"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert!(out(&o).starts_with("installp:  COMMITTING software for:\n        ranch.apps.hog 3.1.0.1\n"));
    assert!(out(&o)
        .ends_with("ranch.apps.hog              3.1.0.1         USR         COMMIT      SUCCESS    \n"));
    assert!(!save.exists());
    assert_eq!(std::fs::read_to_string(r.join("usr/bin/hog")).unwrap(), HOG_V2);
    assert_eq!(
        out(&run(&h, &["lslpp", "-l", "ranch.apps.hog"])),
        lslpp_l("ranch.apps.hog", ("3.1.0.1", "COMMITTED", "Hog Utilities"), Some(committed))
    );
    // Nothing is left to reject or commit.
    let before = checksum(&h);
    for flag in ["-r", "-c"] {
        let o = run(&h, &["installp", flag, "ranch.apps.hog"]);
        assert_eq!(code(&o), Some(5), "{flag}");
        assert_eq!(
            err(&o),
            "installp: ranch.apps.hog has no update in the APPLIED state (Must be in APPLIED state to commit or reject)\n"
        );
    }
    assert_eq!(checksum(&h), before);
}

// ---------------------------------------------------------------------------------------------------------
// 3. Preview (-p) changes nothing, not even with -X and a file system to grow
// ---------------------------------------------------------------------------------------------------------

#[test]
fn preview_changes_nothing() {
    let (t, h) = new_host("50");
    let w = t.path();
    let im = images(w);
    let big = mkinstallp(w, "big", &big_template(8_000_000), &[("/usr/bin/big", "big\n", 0o755)]);
    let loc = location(w, "loc", &[&im.base, &im.update, &big]);
    let before = checksum(&h);
    let lsvg = out(&run(&h, &["lsvg", "-l", "rootvg"]));
    let o = run(&h, &["installp", "-p", "-acgX", "-d", s(&loc), "ranch.apps.pig", "big.rte"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    let text = out(&o);
    assert!(
        text.contains(
            "  Selected Filesets\n  -----------------\n  big.rte 1.0.0.0                              # Big Runtime\n  \
             ranch.apps.pig 3.1.0.0                       # Pig Utilities\n\n  Requisites\n  ----------\n  \
             (being installed automatically; required by filesets listed above)\n  \
             ranch.apps.hog 3.1.0.0                       # Hog Utilities\n"
        ),
        "{text}"
    );
    assert!(!text.contains("Installing Software"), "{text}");
    assert!(!text.contains("Filesystem size changed"), "{text}");
    assert_eq!(checksum(&h), before, "preview changed the host");
    assert_eq!(out(&run(&h, &["lsvg", "-l", "rootvg"])), lsvg);
    assert_eq!(code(&run(&h, &["lslpp", "-l", "ranch.apps.hog"])), Some(1));
}

// ---------------------------------------------------------------------------------------------------------
// 4. alt_disk_copy -l ... -b / -w / -F, boot into the clone and back; alt_rootvg_op -C
// ---------------------------------------------------------------------------------------------------------

#[test]
fn alt_disk_copy_bundle_then_boot_into_the_update_and_back() {
    let (t, h) = new_host("50");
    let w = t.path();
    let im = images(w);
    let loc = location(w, "loc", &[&im.base, &im.update, &im.bos]);
    assert_eq!(code(&altdisk(&["inutoc", s(&loc)], w)), Some(0));
    let bundle = w.join("TL5.bnd");
    std::fs::write(
        &bundle,
        "# the service pack and the hog tools\n\nI:bos.rte\n  # indented comment\nI:ranch.apps.hog\n",
    )
    .unwrap();
    let old_ksh = std::fs::read(h.join("root/usr/bin/ksh")).unwrap();
    let old_level = out(&run(&h, &["oslevel", "-s"]));
    assert_eq!(old_level, "7200-04-02-2016\n");
    let old_bos = out(&run(&h, &["lslpp", "-l", "bos.rte"]));
    let running = checksum(&h.join("root"));

    let o = run(&h, &["alt_disk_copy", "-d", "hdisk1", "-l", s(&loc), "-b", s(&bundle)]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    let text = out(&o);
    assert!(text.starts_with("Calling mkszfile to create new /image.data file.\n"));
    assert!(
        text.contains(
            "Installation Summary\n--------------------\n\
             Name                        Level           Part        Event       Result\n\
             -------------------------------------------------------------------------------\n\
             bos.rte                     7.2.5.1         USR         APPLY       SUCCESS    \n\
             ranch.apps.hog              3.1.0.0         USR         APPLY       SUCCESS    \n\
             ranch.apps.hog              3.1.0.0         ROOT        APPLY       SUCCESS    \n\
             ranch.apps.hog              3.1.0.1         USR         APPLY       SUCCESS    \n\
             bos.rte                     7.2.5.1         USR         COMMIT      SUCCESS    \n\
             ranch.apps.hog              3.1.0.1         USR         COMMIT      SUCCESS    \n"
        ),
        "{text}"
    );
    assert!(text.ends_with("Bootlist is set to the boot disk: hdisk1 blv=hd5\n"), "{text}");
    let log = std::fs::read_to_string(h.join("alt_disk_inst.log")).unwrap();
    assert!(log.contains("Installation Summary\n") && log.contains(" software installation done\n"), "{log}");
    // The running rootvg is untouched; its level is still the old one.
    assert_eq!(checksum(&h.join("root")), running);
    assert_eq!(out(&run(&h, &["oslevel", "-s"])), old_level);
    // The clone's own inventory, read with -R.
    let clone = h.join("disks/hdisk1");
    assert_eq!(out(&run(&h, &["oslevel", "-s", "-R", s(&clone)])), "7200-05-01-2038\n");

    // Boot into the clone: the new level.
    let o = run(&h, &["host", "reboot", s(&h)]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert_eq!(out(&o), "Rebooting from hdisk1 (altinst_rootvg).\n");
    assert_eq!(out(&run(&h, &["oslevel", "-s"])), "7200-05-01-2038\n");
    assert_eq!(out(&run(&h, &["oslevel", "-r"])), "7200-05\n");
    let bos = out(&run(&h, &["lslpp", "-l", "bos.rte"]));
    assert!(
        bos.contains("Path: /usr/lib/objrepos\n  bos.rte                    7.2.5.1  COMMITTED  Base Operating System Runtime\n"),
        "{bos}"
    );
    let o = run(&h, &["lslpp", "-l", "ranch.apps.hog"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert_eq!(
        out(&o),
        lslpp_l(
            "ranch.apps.hog",
            ("3.1.0.1", "COMMITTED", "Hog Utilities"),
            Some(("3.1.0.0", "COMMITTED", "Hog Utilities"))
        )
    );
    assert_eq!(std::fs::read_to_string(h.join("root/usr/bin/ksh")).unwrap(), KSH_NEW);
    assert_eq!(std::fs::read_to_string(h.join("root/usr/bin/hog")).unwrap(), HOG_V2);
    assert_eq!(std::fs::read_to_string(h.join("root/etc/hog/hog.conf")).unwrap(), HOG_CONF);
    assert_eq!(out(&run(&h, &["instfix", "-ik", "IV77777"])), "    All filesets for IV77777 were found.\n");
    assert_eq!(out(&run(&h, &["instfix", "-ik", "IV12345"])), "    All filesets for IV12345 were found.\n");
    let pv = out(&run(&h, &["lspv"]));
    assert!(pv.lines().next().unwrap().ends_with("old_rootvg"), "{pv}");

    // Boot back: the old level, the old bytes.
    let o = run(&h, &["bootlist", "-m", "normal", "hdisk0"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    let o = run(&h, &["host", "reboot", s(&h)]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert_eq!(out(&run(&h, &["oslevel", "-s"])), old_level);
    assert_eq!(out(&run(&h, &["lslpp", "-l", "bos.rte"])), old_bos);
    let o = run(&h, &["lslpp", "-l", "ranch.apps.hog"]);
    assert_eq!(code(&o), Some(1));
    assert_eq!(err(&o), "lslpp: 0504-132  Fileset ranch.apps.hog not installed.\n");
    assert_eq!(std::fs::read(h.join("root/usr/bin/ksh")).unwrap(), old_ksh);
    assert_eq!(checksum(&h.join("root")), running);
    let pv = out(&run(&h, &["lspv"]));
    assert!(pv.lines().nth(1).unwrap().ends_with("old_rootvg"), "{pv}");
}

#[test]
fn alt_disk_copy_w_f_and_capital_f_forms() {
    let (t, h) = new_host("50");
    let w = t.path();
    let im = images(w);
    let loc = location(w, "loc", &[&im.base, &im.update, &im.bos]);
    let clone = h.join("disks/hdisk1");
    let remove = |h: &Path| {
        let o = run(h, &["alt_rootvg_op", "-X", "altinst_rootvg"]);
        assert_eq!(code(&o), Some(0), "{}", err(&o));
    };

    // -w "a b": both filesets (and the update of hog, the newest level on the media).
    let o = run(&h, &["alt_disk_copy", "-d", "hdisk1", "-l", s(&loc), "-w", "ranch.apps.hog ranch.apps.pig"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    let o = run(&h, &["lslpp", "-R", s(&clone), "-L", "ranch.apps.hog", "ranch.apps.pig"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert!(
        out(&o).starts_with(
            "  Fileset                      Level  State  Type  Description (Uninstaller)\n  \
             ----------------------------------------------------------------------------\n  \
             ranch.apps.hog             3.1.0.1    C     F    Hog Utilities\n  \
             ranch.apps.pig             3.1.0.0    C     F    Pig Utilities\n"
        ),
        "{}",
        out(&o)
    );
    assert_eq!(std::fs::read_to_string(clone.join("usr/bin/pig")).unwrap(), "#!/bin/ksh\necho pig\n");
    assert_eq!(out(&run(&h, &["oslevel", "-s", "-R", s(&clone)])), "7200-04-02-2016\n");
    assert!(!h.join("root/usr/bin/pig").exists());
    remove(&h);

    // -F APAR: only the fileset whose fix section names it.
    let o = run(&h, &["alt_disk_copy", "-d", "hdisk1", "-l", s(&loc), "-F", "IV77777"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert!(
        out(&o).contains("bos.rte                     7.2.5.1         USR         COMMIT      SUCCESS    \n")
    );
    assert!(!out(&o).contains("ranch.apps"), "{}", out(&o));
    assert_eq!(out(&run(&h, &["oslevel", "-s", "-R", s(&clone)])), "7200-05-01-2038\n");
    assert_eq!(
        out(&run(&h, &["instfix", "-ik", "IV77777", "-R", s(&clone)])),
        "    All filesets for IV77777 were found.\n"
    );
    assert_eq!(code(&run(&h, &["lslpp", "-R", s(&clone), "-l", "ranch.apps.hog"])), Some(1));
    remove(&h);

    // -f FIXBUNDLE: a file of APARs (comments allowed); the update pulls its base with g.
    let fb = w.join("fixes");
    std::fs::write(&fb, "# hog fixes\nIV12345\n").unwrap();
    let o = run(&h, &["alt_disk_copy", "-d", "hdisk1", "-l", s(&loc), "-f", s(&fb)]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert_eq!(
        out(&run(&h, &["instfix", "-ik", "IV12345", "-R", s(&clone)])),
        "    All filesets for IV12345 were found.\n"
    );
    assert_eq!(std::fs::read_to_string(clone.join("usr/bin/hog")).unwrap(), HOG_V2);
    remove(&h);

    // -b with a bare name: looked up in the running rootvg's /usr/sys/inst.data/user_bundles.
    let ub = h.join("root/usr/sys/inst.data/user_bundles");
    std::fs::create_dir_all(&ub).unwrap();
    std::fs::write(ub.join("Pigs.bnd"), "# pigs\nI:ranch.apps.pig\n").unwrap();
    let o = run(&h, &["alt_disk_copy", "-d", "hdisk1", "-l", s(&loc), "-b", "Pigs"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    // -g pulled hog, pig's prerequisite, at its base level only (the update is not a requisite).
    assert!(
        out(&o).contains(
            "ranch.apps.hog              3.1.0.0         USR         APPLY       SUCCESS    \n\
             ranch.apps.hog              3.1.0.0         ROOT        APPLY       SUCCESS    \n\
             ranch.apps.pig              3.1.0.0         USR         APPLY       SUCCESS    \n"
        ),
        "{}",
        out(&o)
    );
    assert_eq!(std::fs::read_to_string(clone.join("usr/bin/hog")).unwrap(), HOG_V1);
}
#[test]
fn phase1_then_alt_rootvg_op_customize_then_phase3() {
    let (t, h) = new_host("50");
    let w = t.path();
    let im = images(w);
    let loc = location(w, "loc", &[&im.base, &im.update]);
    // -C needs an altinst_rootvg.
    let o = run(&h, &["alt_rootvg_op", "-C", "-l", s(&loc), "-w", "ranch.apps.hog"]);
    assert_eq!(code(&o), Some(5), "{}", out(&o));
    assert_eq!(err(&o), "alt_rootvg_op: -C needs a woken or phase-1 altinst_rootvg mounted at /alt_inst\n");

    let o = run(&h, &["alt_disk_copy", "-P1", "-d", "hdisk1"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    let alt = h.join("root/alt_inst");
    let o = run(&h, &["alt_rootvg_op", "-C", "-l", s(&loc), "-w", "ranch.apps.hog"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert!(out(&o)
        .ends_with("ranch.apps.hog              3.1.0.1         USR         COMMIT      SUCCESS    \n"));
    // The clone stays mounted at /alt_inst for phase 3; the running rootvg has nothing new.
    assert_eq!(std::fs::read_to_string(alt.join("usr/bin/hog")).unwrap(), HOG_V2);
    assert_eq!(
        out(&run(&h, &["lslpp", "-R", s(&alt), "-l", "ranch.apps.hog"])),
        lslpp_l(
            "ranch.apps.hog",
            ("3.1.0.1", "COMMITTED", "Hog Utilities"),
            Some(("3.1.0.0", "COMMITTED", "Hog Utilities"))
        )
    );
    assert_eq!(code(&run(&h, &["lslpp", "-l", "ranch.apps.hog"])), Some(1));
    let o = run(&h, &["alt_disk_copy", "-P3", "-d", "hdisk1"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert!(out(&o).ends_with("Bootlist is set to the boot disk: hdisk1 blv=hd5\n"));
    let o = run(&h, &["host", "reboot", s(&h)]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert_eq!(std::fs::read_to_string(h.join("root/usr/bin/hog")).unwrap(), HOG_V2);
    assert_eq!(code(&run(&h, &["lslpp", "-l", "ranch.apps.hog"])), Some(0));
}

#[test]
fn alt_rootvg_op_customize_wakes_a_sleeping_clone_and_puts_it_back() {
    let (t, h) = new_host("50");
    let w = t.path();
    let im = images(w);
    let loc = location(w, "loc", &[&im.base, &im.bos]);
    let o = run(&h, &["alt_disk_copy", "-d", "hdisk1", "-B"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    let pv = out(&run(&h, &["lspv"]));
    let o = run(&h, &["alt_rootvg_op", "-C", "-l", s(&loc), "-w", "bos.rte ranch.apps.pig"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    let text = out(&o);
    assert!(text.starts_with("Waking up altinst_rootvg volume group ...\n"), "{text}");
    assert!(text.ends_with("Fixing file system superblocks...\n"), "{text}");
    // Back to sleep: same lspv, not mounted; the clone carries the new level and both filesets.
    assert_eq!(out(&run(&h, &["lspv"])), pv);
    assert!(!h.join("root/alt_inst/usr").exists());
    let clone = h.join("disks/hdisk1");
    assert_eq!(out(&run(&h, &["oslevel", "-s", "-R", s(&clone)])), "7200-05-01-2038\n");
    assert_eq!(
        code(&run(&h, &["lslpp", "-R", s(&clone), "-l", "ranch.apps.pig", "ranch.apps.hog"])),
        Some(0)
    );
    assert_eq!(out(&run(&h, &["oslevel", "-s"])), "7200-04-02-2016\n");
}

// ---------------------------------------------------------------------------------------------------------
// 5. Bad input
// ---------------------------------------------------------------------------------------------------------

/// Parses `...: N 512-byte blocks are needed, M are free (K short). ...` of installp's 0503-430 message.
fn shortfall(msg: &str) -> (u64, u64, u64) {
    let tail = msg.split(" file system: ").nth(1).unwrap_or_else(|| panic!("{msg}"));
    let w: Vec<&str> = tail.split_whitespace().collect();
    let n = |s: &str| s.trim_start_matches('(').parse::<u64>().unwrap_or_else(|_| panic!("{msg}"));
    (n(w[0]), n(w[5]), n(w[8]))
}

#[test]
fn bad_locations_and_images_on_the_running_rootvg() {
    let (t, h) = new_host("50");
    let w = t.path();
    let im = images(w);
    let before = checksum(&h);

    // Missing location.
    for args in [
        &["installp", "-acgX", "-d", "/nonexistent", "ranch.apps.hog"][..],
        &["installp", "-ld", "/nonexistent"],
    ] {
        let o = run(&h, args);
        assert_eq!(code(&o), Some(5), "{args:?}");
        assert_eq!(err(&o), "installp: 0503-005 The device or directory /nonexistent does not exist.\n");
        assert_eq!(out(&o), "");
    }
    let o = altdisk(&["inutoc", "/nonexistent"], w);
    assert_eq!(code(&o), Some(5));
    assert_eq!(err(&o), "inutoc: 0503-005 The device or directory /nonexistent does not exist.\n");

    // Empty location: nothing on the media.
    let empty = w.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = run(&h, &["installp", "-acgX", "-d", s(&empty), "ranch.apps.hog"]);
    assert_eq!(code(&o), Some(1));
    assert!(out(&o).contains(&format!("{NOT_FOUND_ON_MEDIA}\n    ranch.apps.hog\n")), "{}", out(&o));
    assert_eq!(
        err(&o),
        "installp: 1 selected fileset failed pre-installation verification; nothing was installed\n"
    );
    assert_eq!(checksum(&h), before);

    // A file that is not a by-name archive: skipped with a warning naming it; the good image installs.
    let junk = location(w, "junk", &[&im.base]);
    std::fs::write(junk.join("README.txt"), "not an image\n").unwrap();
    let warn = format!(
        "{}/README.txt: README.txt: byte offset 0: not an installp image: not a by-name (backup) archive",
        junk.display()
    );
    let o = altdisk(&["inutoc", s(&junk)], w);
    assert_eq!(code(&o), Some(1));
    assert!(
        err(&o).starts_with(&format!("inutoc: {warn}")) && err(&o).ends_with("; left out of the .toc\n"),
        "{}",
        err(&o)
    );
    assert!(std::fs::read_to_string(junk.join(".toc"))
        .unwrap()
        .contains("ranch.apps.3.1.0.0.bff 4 R I ranch.apps {\n"));
    assert!(!std::fs::read_to_string(junk.join(".toc")).unwrap().contains("README"));
    let o = run(&h, &["installp", "-ld", s(&junk)]);
    assert_eq!(code(&o), Some(1));
    assert!(out(&o).contains("  ranch.apps.hog              3.1.0.0"), "{}", out(&o));
    assert!(
        err(&o).starts_with(&format!("installp: {warn}")) && err(&o).ends_with("; the image is skipped\n")
    );
    let o = run(&h, &["installp", "-acgX", "-d", s(&junk), "ranch.apps.hog"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert!(err(&o).starts_with(&format!("WARNING: installp: {warn}")), "{}", err(&o));
    assert_eq!(std::fs::read_to_string(h.join("root/usr/bin/hog")).unwrap(), HOG_V1);

    // An image whose liblpp.a is truncated, hand-built with backup -iqf (lpp_name first).
    let t2 = tempfile::tempdir().unwrap();
    let (_t3, h2) = new_host("50");
    let x = t2.path().join("x");
    std::fs::create_dir_all(&x).unwrap();
    assert_eq!(code(&altdisk(&["restore", "-xqf", s(&im.base)], &x)), Some(0));
    let names = out(&altdisk(&["restore", "-Tqf", s(&im.base)], &x));
    assert!(names.starts_with("./lpp_name\n"));
    let lib = x.join("usr/lpp/ranch.apps/liblpp.a");
    let len = std::fs::metadata(&lib).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&lib).unwrap().set_len(300.min(len / 2)).unwrap();
    let trunc = w.join("trunc");
    std::fs::create_dir_all(&trunc).unwrap();
    let bff = trunc.join("ranch.apps.3.1.0.0.bff");
    let mut c = Command::new(BIN);
    c.args(["backup", "-iqf"]).arg(&bff).current_dir(&x).stdin(std::process::Stdio::piped());
    c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), names.as_bytes()).unwrap();
    drop(child.stdin.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    let before2 = checksum(&h2);
    let o = run(&h2, &["installp", "-acgX", "-d", s(&trunc), "ranch.apps.hog"]);
    assert_eq!(code(&o), Some(1), "{}", out(&o));
    let e = err(&o);
    assert!(
        e.starts_with(&format!(
            "WARNING: installp: {}: ./usr/lpp/ranch.apps/liblpp.a: byte offset ",
            bff.display()
        )) && e.contains("runs past the end of the archive; the image is skipped\n"),
        "{e}"
    );
    assert!(out(&o).contains(&format!("{NOT_FOUND_ON_MEDIA}\n    ranch.apps.hog\n")), "{}", out(&o));
    assert_eq!(checksum(&h2), before2);
    let o = run(&h2, &["installp", "-ld", s(&trunc)]);
    assert_eq!(code(&o), Some(1));
    assert!(err(&o).contains("./usr/lpp/ranch.apps/liblpp.a: byte offset "), "{}", err(&o));
}

#[test]
fn bad_selections_on_the_running_rootvg() {
    let (t, h) = new_host("50");
    let w = t.path();
    let im = images(w);
    let before = checksum(&h);

    // A requisite cycle: refused before a byte is written.
    let cyc =
        mkinstallp(w, "cyc", CYCLE, &[("/usr/bin/cyca", "a\n", 0o755), ("/usr/bin/cycb", "b\n", 0o755)]);
    let loc = location(w, "cyc", &[&cyc]);
    let o = run(&h, &["installp", "-acgX", "-d", s(&loc), "cyc.a"]);
    assert_eq!(code(&o), Some(1));
    assert!(
        out(&o).contains(
            "  Requisite Cycle\n  ---------------\n  These filesets are prerequisites of each other, so no install \
             order exists:\n    cyc.a cyc.b\n"
        ),
        "{}",
        out(&o)
    );
    assert!(
        err(&o).ends_with("failed pre-installation verification; nothing was installed\n"),
        "{}",
        err(&o)
    );
    assert_eq!(checksum(&h), before);

    // An update without its base (neither installed nor on the media).
    let upd = location(w, "upd", &[&im.update]);
    let o = run(&h, &["installp", "-acgX", "-d", s(&upd), "ranch.apps.hog"]);
    assert_eq!(code(&o), Some(1));
    assert!(
        out(&o).contains(
            "  Missing Base Levels\n  -------------------\n  The following updates cannot be installed because their \
             base levels are\n  neither installed nor on the installation media.\n\n    \
             ranch.apps.hog 3.1.0.1                       # Hog Utilities\n"
        ),
        "{}",
        out(&o)
    );
    assert_eq!(
        err(&o),
        "installp: 1 selected fileset failed pre-installation verification; nothing was installed\n"
    );
    assert_eq!(checksum(&h), before);

    // A fileset installed at a higher level: a warning, nothing installed, exit 0.
    let old = mkinstallp(w, "oldbos", OLD_BOS, &[("/usr/bin/ksh", "old ksh\n", 0o555)]);
    let loc = location(w, "old", &[&old]);
    let level = out(&run(&h, &["lslpp", "-lc", "bos.rte"]));
    let have = level.lines().nth(1).and_then(|l| l.split(':').nth(2)).unwrap_or_default().to_string();
    let o = run(&h, &["installp", "-acgX", "-d", s(&loc), "bos.rte"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert!(
        out(&o).contains(&format!(
            "  bos.rte 7.2.0.0                              # Already installed at {have}\n"
        )),
        "{level}\n{}",
        out(&o)
    );
    assert_eq!(checksum(&h), before);

    // A bundle (installp -f) naming a fileset that is on no media.
    let base = location(w, "base", &[&im.base]);
    let b = w.join("bad.bnd");
    std::fs::write(&b, "# bad\nI:no.such.fileset\nI:ranch.apps.hog\n").unwrap();
    let o = run(&h, &["installp", "-acgX", "-d", s(&base), "-f", s(&b)]);
    assert_eq!(code(&o), Some(1));
    assert!(out(&o).contains(&format!("{NOT_FOUND_ON_MEDIA}\n    no.such.fileset\n")), "{}", out(&o));
    assert!(!out(&o).contains("APPLYING"));
    assert_eq!(checksum(&h), before);

    // Usage errors: exit 2, the command named once.
    for (args, msg) in [
        (&["installp", "-a", "ranch.apps.hog"][..], "installp: -a needs the image location: -d DEVICE\n"),
        (&["installp", "-a", "-r", "x"], "installp: give one action: -a, -ac, -c, -r, -l, -L, -A or -s\n"),
        (&["installp", "-l"], "installp: -l, -L and -A list the media given with -d\n"),
        (
            &["installp", "-a", "-d", s(&base), "3.1.0.0"],
            "installp: 3.1.0.0: a level must follow a fileset name\n",
        ),
        (&["lslpp", "-R", "/nonexistent", "-l"], "lslpp: -R /nonexistent: not a directory\n"),
    ] {
        let o = run(&h, args);
        assert_eq!(code(&o), Some(2), "{args:?}");
        assert!(err(&o).starts_with(msg), "{args:?}: {}", err(&o));
    }
    let o = altdisk(&["mkinstallp"], w);
    assert_eq!(code(&o), Some(2));
    assert_eq!(
        err(&o),
        "mkinstallp: give the template with -T (altdisk does not prompt for one)\nusage: mkinstallp [-d BaseDirectory] -T TemplateFile\n"
    );
    assert_eq!(checksum(&h), before);
}

#[test]
fn space_on_the_running_rootvg() {
    let (t, h) = new_host("50");
    let w = t.path();
    let fits = mkinstallp(w, "big", &big_template(8_000_000), &[("/usr/bin/big", "big\n", 0o755)]);
    let huge = mkinstallp(w, "huge", &big_template(100_000_000), &[("/usr/bin/big", "big\n", 0o755)]);
    let fits = location(w, "fits", &[&fits]);
    let huge = location(w, "huge", &[&huge]);
    let hd2 = |h: &Path| {
        out(&run(h, &["lsvg", "-l", "rootvg"])).lines().find(|l| l.starts_with("hd2 ")).unwrap().to_string()
    };
    assert!(hd2(&h).contains(" 80      80 "), "{}", hd2(&h));
    let before = checksum(&h);

    // Without X: refused, naming the file system and the shortfall.
    let o = run(&h, &["installp", "-acg", "-d", s(&fits), "big.rte"]);
    assert_eq!(code(&o), Some(4), "{}", out(&o));
    let e = err(&o);
    assert!(e.starts_with("installp: 0503-430 There is not enough space in the /usr file system: "), "{e}");
    assert!(e.ends_with(" short). Use -X to expand file systems, or free space.\n"), "{e}");
    let (needed, free, short) = shortfall(&e);
    assert!(needed > 8_000_000 && free < needed && short == needed - free, "{e}");
    assert_eq!(checksum(&h), before);

    // More than the volume group has free, even with X.
    let o = run(&h, &["installp", "-acgX", "-d", s(&huge), "big.rte"]);
    assert_eq!(code(&o), Some(4), "{}", out(&o));
    let e = err(&o);
    assert!(e.starts_with("installp: 0503-430 cannot expand the /usr file system by "), "{e}");
    assert!(e.ends_with(" more physical partitions and rootvg has 447 free\n"), "{e}");
    assert_eq!(checksum(&h), before);
    assert!(hd2(&h).contains(" 80      80 "));

    // With X the file system grows by whole partitions taken from rootvg's free ones.
    let o = run(&h, &["installp", "-acgX", "-d", s(&fits), "big.rte"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    let pps = short.div_ceil(32 * 2048);
    assert!(
        out(&o).contains(&format!("Filesystem size changed to {}\n", (80 + pps) * 32 * 2048)),
        "{}",
        out(&o)
    );
    assert!(hd2(&h).contains(&format!(" {}     {} ", 80 + pps, 80 + pps)), "{}", hd2(&h));
    assert_eq!(code(&run(&h, &["lslpp", "-l", "big.rte"])), Some(0));
}

#[test]
fn alt_disk_copy_refusals_leave_no_clone() {
    let (t, h) = new_host("50");
    let w = t.path();
    let im = images(w);
    let loc = location(w, "loc", &[&im.base, &im.update]);
    let empty = w.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let bundle = w.join("hog.bnd");
    std::fs::write(&bundle, "I:ranch.apps.hog\n").unwrap();
    let before = checksum(&h);
    let pv = out(&run(&h, &["lspv"]));
    let cases: &[(&[&str], i32, String)] = &[
        (
            &["alt_disk_copy", "-d", "hdisk1", "-l", s(&loc), "-w", "ranch.apps.hog", "-I", "acgXz"],
            5,
            "alt_disk_copy: -I acgXz: installp: the flag -z in 'acgXz' is not supported here (supported: a c g X N p Y F B I)\n"
                .into(),
        ),
        // [I] AIX's scripts refuse -b without -l; altdisk exits 5 (refused) rather than 2 (usage).
        (&["alt_disk_copy", "-d", "hdisk1", "-b", s(&bundle)], 5, "alt_disk_copy: -b requires -l images_location\n".into()),
        (&["alt_disk_copy", "-d", "hdisk1", "-w", "ranch.apps.hog"], 5, "alt_disk_copy: -w requires -l images_location\n".into()),
        (
            &["alt_disk_copy", "-d", "hdisk1", "-l", "/nonexistent", "-w", "ranch.apps.hog"],
            5,
            "alt_disk_copy: -l: /nonexistent does not exist\n".into(),
        ),
        (
            &["alt_disk_copy", "-d", "hdisk1", "-l", s(&empty), "-w", "ranch.apps.hog"],
            5,
            format!("alt_disk_copy: -l {}: no installp images there\n", empty.display()),
        ),
        (
            &["alt_disk_copy", "-d", "hdisk1", "-l", s(&loc)],
            5,
            "alt_disk_copy: -l images_location needs something to install from it: give -b, -w, -f or -F\n".into(),
        ),
        (
            &["alt_rootvg_op", "-C", "-b", s(&bundle)],
            5,
            "alt_rootvg_op: -b requires -l images_location\n".into(),
        ),
    ];
    for (args, rc, msg) in cases {
        let o = run(&h, args);
        assert_eq!(code(&o), Some(*rc), "{args:?}: {}", err(&o));
        assert_eq!(&err(&o), msg, "{args:?}");
        assert_eq!(out(&o), "", "{args:?}");
        assert_eq!(out(&run(&h, &["lspv"])), pv, "{args:?}");
        assert!(!h.join("disks/hdisk1").exists(), "{args:?}");
        assert_eq!(checksum(&h), before, "{args:?}");
    }
}

#[test]
fn alt_disk_copy_install_failures_keep_the_clone_without_the_software() {
    let (t, h) = new_host("50");
    let w = t.path();
    let im = images(w);
    let loc = location(w, "loc", &[&im.base, &im.update]);
    let running = checksum(&h.join("root"));

    // A bundle naming an unknown fileset: pre-installation verification fails; the clone is made and
    // finished without any of the bundle's software; exit 1.
    let bundle = w.join("bad.bnd");
    std::fs::write(&bundle, "# bad\nI:no.such.fileset\nI:ranch.apps.hog\n").unwrap();
    let o = run(&h, &["alt_disk_copy", "-d", "hdisk1", "-l", s(&loc), "-b", s(&bundle)]);
    assert_eq!(code(&o), Some(1), "{}", err(&o));
    let text = out(&o);
    assert!(text.contains(&format!("{NOT_FOUND_ON_MEDIA}\n    no.such.fileset\n")), "{text}");
    assert!(
        text.contains(
            "installp: 1 selected fileset failed pre-installation verification; nothing was installed\n"
        ),
        "{text}"
    );
    assert!(!text.contains("APPLYING"), "{text}");
    let clone = h.join("disks/hdisk1");
    assert!(clone.join("usr").is_dir());
    assert!(!clone.join("usr/bin/hog").exists());
    assert_eq!(code(&run(&h, &["lslpp", "-R", s(&clone), "-l", "ranch.apps.hog"])), Some(1));
    assert_eq!(checksum(&h.join("root")), running);
    assert!(out(&run(&h, &["lspv"])).lines().nth(1).unwrap().ends_with("altinst_rootvg"));
    let o = run(&h, &["alt_rootvg_op", "-X", "altinst_rootvg"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));

    // Without X, a fileset whose size section does not fit /usr: 0503-430 naming /usr, nothing installed
    // into the clone, which is finished without it (phase 3 runs); exit 1 as for any installp failure.
    let big = mkinstallp(w, "big", &big_template(8_000_000), &[("/usr/bin/big", "big\n", 0o755)]);
    let bigloc = location(w, "bigloc", &[&big]);
    let o = run(&h, &["alt_disk_copy", "-d", "hdisk1", "-l", s(&bigloc), "-w", "big.rte", "-I", "acg"]);
    assert_eq!(code(&o), Some(1), "{}", out(&o));
    let text = out(&o);
    assert!(
        text.contains("installp: 0503-430 There is not enough space in the /usr file system: ")
            && text.contains(" short). Use -X to expand file systems, or free space.\n"),
        "{text}"
    );
    assert!(text.contains("Fixing file system superblocks..."), "{text}");
    let clone = h.join("disks/hdisk1");
    assert!(clone.join("usr").is_dir());
    assert!(!clone.join("usr/bin/big").exists());
    assert_eq!(code(&run(&h, &["lslpp", "-R", s(&clone), "-l", "big.rte"])), Some(1));
    assert_eq!(checksum(&h.join("root")), running);
    let o = run(&h, &["alt_rootvg_op", "-X", "altinst_rootvg"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
}

#[test]
fn alt_disk_copy_refuses_unknown_bundle_and_fix_before_phase1() {
    let (t, h) = new_host("50");
    let w = t.path();
    let im = images(w);
    let loc = location(w, "loc", &[&im.base, &im.update]);
    let before = checksum(&h);
    let pv = out(&run(&h, &["lspv"]));
    for args in [
        &["alt_disk_copy", "-d", "hdisk1", "-l", s(&loc), "-b", "nosuch"][..],
        &["alt_disk_copy", "-d", "hdisk1", "-l", s(&loc), "-F", "IV00000"],
    ] {
        let o = run(&h, args);
        assert_eq!(code(&o), Some(5), "{args:?}: {}", err(&o));
        assert_eq!(out(&o), "", "{args:?}");
        assert_eq!(out(&run(&h, &["lspv"])), pv, "{args:?}");
        assert!(!h.join("disks/hdisk1").exists(), "{args:?}");
        assert_eq!(checksum(&h), before, "{args:?}");
    }
}

#[test]
fn alt_disk_copy_disk_too_small_for_x() {
    // hdisk1 of 6656 MB: 208 partitions, the clone's logical volumes take most of them.
    let (t, h) = new_host_with(&["--files", "50", "--disk", "hdisk1:6656", "--disk", "hdisk2:20480"]);
    let w = t.path();
    let big = mkinstallp(w, "big", &big_template(8_000_000), &[("/usr/bin/big", "big\n", 0o755)]);
    let loc = location(w, "loc", &[&big]);
    let running = checksum(&h.join("root"));
    let o = run(&h, &["alt_disk_copy", "-d", "hdisk1", "-l", s(&loc), "-w", "big.rte"]);
    assert_eq!(code(&o), Some(1), "{}", out(&o));
    let text = out(&o);
    assert!(text.contains("installp: 0503-430 cannot expand the /usr file system by "), "{text}");
    assert!(text.contains(" more physical partitions and altinst_rootvg has 15 free\n"), "{text}");
    assert!(!h.join("disks/hdisk1/usr/bin/big").exists());
    assert_eq!(checksum(&h.join("root")), running);
    // The same fileset fits hdisk2, which is large enough to grow /usr.
    let o = run(&h, &["alt_rootvg_op", "-X", "altinst_rootvg"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    let o = run(&h, &["alt_disk_copy", "-d", "hdisk2", "-l", s(&loc), "-w", "big.rte"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert!(out(&o).contains("Filesystem size changed to "), "{}", out(&o));
    assert_eq!(code(&run(&h, &["lslpp", "-R", s(&h.join("disks/hdisk2")), "-l", "big.rte"])), Some(0));
}

// ---------------------------------------------------------------------------------------------------------
// 6. The installp-family command names through install-links symlinks
// ---------------------------------------------------------------------------------------------------------

#[test]
fn installp_family_through_install_links() {
    let (t, h) = new_host("50");
    let w = t.path();
    let links = w.join("bin");
    let o = altdisk(&["install-links", s(&links)], w);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    let cmd = |name: &str, args: &[&str]| -> Output {
        let p = links.join(name);
        assert!(std::fs::symlink_metadata(&p).unwrap().file_type().is_symlink(), "{name}");
        Command::new(&p).args(args).current_dir(w).env("ALTDISK_HOST", &h).output().unwrap()
    };
    // mkinstallp by its own name.
    let root = w.join("build");
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    std::fs::write(root.join("usr/bin/pig"), "pig\n").unwrap();
    let tmpl = w.join("pig.template");
    std::fs::write(
        &tmpl,
        "Package Name: pig\nPackage VRMF: 1.0.0.0\nUpdate: N\nFileset\n  Fileset Name: pig.rte\n  Fileset VRMF: 1.0.0.0\n  \
         Fileset Description: Pig\n  Fix Information: IV55555 pigs fly\n  USRFiles\n    /usr/bin/pig\n  EOUSRFiles\n  ROOT Part: N\nEOFileset\n",
    )
    .unwrap();
    let o = cmd("mkinstallp", &["-d", s(&root), "-T", s(&tmpl)]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert!(out(&o).ends_with("creating ./tmp/pig.1.0.0.0.bff\n"), "{}", out(&o));
    let loc = location(w, "loc", &[&root.join("tmp/pig.1.0.0.0.bff")]);
    let o = cmd("inutoc", &[s(&loc)]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert!(loc.join(".toc").is_file());
    let o = cmd("installp", &["-ld", s(&loc)]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert!(
        out(&o).contains("  pig.rte                     1.0.0.0                   I   N usr\n"),
        "{}",
        out(&o)
    );
    let o = cmd("installp", &["-acgX", "-d", s(&loc), "pig.rte"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    let o = cmd("lslpp", &["-l", "pig.rte"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert_eq!(out(&o), lslpp_l("pig.rte", ("1.0.0.0", "COMMITTED", "Pig"), None));
    let o = cmd("instfix", &["-ik", "IV55555"]);
    assert_eq!((code(&o), out(&o)), (Some(0), "    All filesets for IV55555 were found.\n".into()));
    let o = cmd("oslevel", &["-s"]);
    assert_eq!((code(&o), out(&o)), (Some(0), "7200-04-02-2016\n".into()));
    // Errors name the command as it was called.
    let o = cmd("lslpp", &["-l", "no.such"]);
    assert_eq!(code(&o), Some(1));
    assert_eq!(err(&o), "lslpp: 0504-132  Fileset no.such not installed.\n");
    let o = cmd("installp", &["-a", "pig.rte"]);
    assert_eq!(code(&o), Some(2));
    assert!(err(&o).starts_with("installp: -a needs the image location: -d DEVICE\n"), "{}", err(&o));
}

#[test]
fn lslpp_colon_forms_as_puppet_and_ansible_parse_them() {
    let (_t, h) = new_host("50");
    // Puppet: `lslpp -qLc NAME`, fields package:fileset:level...; ansible lpp_facts: `lslpp -lcq`, 8+ fields.
    let o = run(&h, &["lslpp", "-qLc", "bos.rte"]);
    assert_eq!(code(&o), Some(0), "{}", err(&o));
    assert_eq!(out(&o), "bos:bos.rte:7.2.4.2:C:: :F:Base Operating System Runtime: : : : : : :0:0:/:\n");
    let o = run(&h, &["lslpp", "-Lc", "bos.rte"]);
    assert!(out(&o).starts_with("#Package Name:Fileset:Level:State:PTF Id:Fix State:Type:Description:"));
    let o = run(&h, &["lslpp", "-lcq", "bos.rte"]);
    let text = out(&o);
    assert_eq!(text.lines().count(), 2, "{text}");
    for l in text.lines() {
        assert!(l.split(':').count() >= 8, "{l}");
        assert_eq!(l.split(':').nth(1), Some("bos.rte"));
    }
    let o = run(&h, &["lslpp", "-qLc", "no.such"]);
    assert_eq!(code(&o), Some(1));
    assert_eq!(out(&o), "");
    assert!(err(&o).contains("0504-132  Fileset no.such not installed."), "{}", err(&o));
}
