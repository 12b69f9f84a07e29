//! The sample host's installed base: its software inventory inside the tree, its views, and the files it
//! describes.

use std::path::Path;

use altdisk_engine::host::Host;
use altdisk_engine::installp::swvpd::{InvKind, Part, State, Swvpd};
use altdisk_engine::installp::{sum_r, views, Level};

fn sample() -> (tempfile::TempDir, std::path::PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("host");
    Host::init_sample(&dir, 5, &[]).unwrap();
    let root = dir.join("root");
    (t, root)
}

#[test]
fn sample_host_is_aix_7200_04_sp2() {
    let (_t, root) = sample();
    let sw = Swvpd::load(&root).unwrap();
    assert_eq!(views::oslevel(&sw), "7.2.0.0");
    assert_eq!(views::oslevel_r(&sw), "7200-04");
    assert_eq!(views::oslevel_s(&sw), "7200-04-02-2016");
    assert_eq!(views::oslevel_rl(&sw, "7200-04").unwrap(), "");
    let ml = views::instfix_i(&sw);
    for k in ["7.2.0.0_AIX_ML", "7200-03_AIX_ML", "7200-04_AIX_ML", "7200-04-02-2016_SP", "IJ90001"] {
        assert!(ml.contains(&format!("    All filesets for {k} were found.\n")), "{ml}");
    }
    assert!(ml.contains("    No filesets which have fixes for IJ90005 are currently installed.\n"), "{ml}");

    let bos = sw.installed("bos.rte").unwrap();
    assert_eq!(bos.level, "7.2.4.2".parse::<Level>().unwrap());
    assert_eq!(bos.base, "7.2.0.0".parse::<Level>().unwrap());
    assert_eq!(bos.state, State::Committed);
    assert_eq!(bos.parts, vec![Part::Usr, Part::Root]);
    let l = views::lslpp_l(&sw, &["bos.rte".to_string()], false).unwrap();
    assert_eq!(
        l,
        "  Fileset                      Level  State      Description         \n\
         \x20 ----------------------------------------------------------------------------\n\
         Path: /usr/lib/objrepos\n\
         \x20 bos.rte                    7.2.4.2  COMMITTED  Base Operating System Runtime\n\
         \n\
         Path: /etc/objrepos\n\
         \x20 bos.rte                    7.2.4.2  COMMITTED  Base Operating System Runtime\n"
    );
    let all = views::lslpp_l(&sw, &[], false).unwrap();
    for f in ["bos.mp64", "bos.net.tcp.client", "devices.common.IBM.ethernet.rte", "xlC.rte", "perl.rte"] {
        assert!(all.contains(&format!("  {f} ")), "{all}");
    }
    let h = views::lslpp_h(&sw, &["bos.rte".to_string()]).unwrap();
    assert!(
        h.contains(
            "  bos.rte\n                 7.2.0.0  COMMIT       COMPLETE     11/15/19     10:00:00    \n"
        ),
        "{h}"
    );
    assert!(
        h.contains("                 7.2.4.2  COMMIT       COMPLETE     05/13/20     10:00:00    \n"),
        "{h}"
    );
    let w = views::lslpp_w(&sw, &["/usr/bin/sh".to_string(), "/etc/inittab".to_string()]).unwrap();
    assert!(w.contains("  /usr/bin/sh                                 bos.rte               File\n"), "{w}");
    assert!(w.contains("  /etc/inittab                                bos.rte               File\n"), "{w}");
    assert_eq!(sw.owner_of("/usr/ccs/lib/libc.a"), Some(("bos.rte.libc".to_string(), InvKind::Symlink)));
}

/// Every path of every fileset's effective inventory is in the tree, with the recorded size and checksum.
#[test]
fn inventory_matches_the_tree() {
    let (_t, root) = sample();
    let sw = Swvpd::load(&root).unwrap();
    let mut files = 0;
    for i in sw.all_installed() {
        for part in &i.parts {
            for it in sw.effective_files(*part, &i.fileset) {
                let p = root.join(it.path.trim_start_matches('/'));
                let m = std::fs::symlink_metadata(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                match it.kind {
                    InvKind::File => {
                        let data = std::fs::read(&p).unwrap();
                        assert_eq!(data.len() as u64, it.size, "{}", it.path);
                        assert_eq!(sum_r(&data).0, it.checksum, "{}", it.path);
                        for l in &it.links {
                            assert_eq!(std::fs::read(root.join(l.trim_start_matches('/'))).unwrap(), data);
                        }
                        files += 1;
                    }
                    InvKind::Directory => assert!(m.is_dir(), "{}", it.path),
                    InvKind::Symlink => {
                        let t = std::fs::read_link(&p).unwrap();
                        assert_eq!(Some(t.to_string_lossy().as_ref()), it.target.as_deref());
                    }
                }
            }
        }
    }
    assert!(files >= 25, "{files}");
    // The inventory is plain odmget text inside the tree; loading and saving again changes nothing.
    let product = std::fs::read_to_string(root.join("usr/lib/objrepos/product.stanza")).unwrap();
    assert!(product.starts_with("product:\n\tlpp_name = \"bos\"\n"), "{product}");
    let before = snapshot(&root);
    let mut again = Swvpd::load(&root).unwrap();
    again.save().unwrap();
    assert_eq!(snapshot(&root), before);
}

fn snapshot(root: &Path) -> Vec<(String, String)> {
    let mut v = Vec::new();
    for part in ["usr/lib/objrepos", "etc/objrepos", "usr/share/lib/objrepos"] {
        if let Ok(rd) = std::fs::read_dir(root.join(part)) {
            for e in rd {
                let e = e.unwrap();
                v.push((e.path().display().to_string(), std::fs::read_to_string(e.path()).unwrap()));
            }
        }
    }
    v.sort();
    v
}
