//! installp end to end on fixtures built by mkinstallp: the sample host's 7200-05 SP1 update applied,
//! committed, applied-then-rejected, previewed and refused (issue 10 §2, §3, §6).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use altdisk_engine::events::{Event, Events};
use altdisk_engine::host::Host;
use altdisk_engine::installp::apply::{self, Flags, Request, StatvfsSpace};
use altdisk_engine::installp::resolve::Wanted;
use altdisk_engine::installp::sample::build_tl5;
use altdisk_engine::installp::swvpd::{State, Swvpd};
use altdisk_engine::installp::{bigar, image::Image, views, InstallpError};
use altdisk_engine::Error;

#[derive(Default)]
struct Log(Mutex<String>);

impl Events for Log {
    fn event(&self, ev: &Event<'_>) {
        if let Event::Message(m) = ev {
            let mut l = self.0.lock().unwrap();
            l.push_str(m);
            l.push('\n');
        }
    }
}

impl Log {
    fn text(&self) -> String {
        self.0.lock().unwrap().clone()
    }
}

fn host(dir: &Path) -> PathBuf {
    let h = Host::init_sample(&dir.join("host"), 50, &[("hdisk1".into(), 20480)]).unwrap();
    h.root()
}

fn tl5_wanted() -> Vec<Wanted> {
    ["bos.rte", "bos.rte.libc", "bos.mp64", "bos.net.tcp.client", "bos.net.tcp.server", "bos.perf.tools"]
        .iter()
        .map(|n| Wanted::name(*n))
        .chain(std::iter::once(Wanted::name("devices.common.IBM.ethernet.rte")))
        .collect()
}

fn req(loc: &Path, wanted: Vec<Wanted>, flags: &str) -> Request {
    Request { location: loc.to_path_buf(), wanted, flags: Flags::parse(flags).unwrap(), time: 1_700_000_000 }
}

#[test]
fn mkinstallp_images_are_by_name_archives_with_lpp_name_first_and_a_big_ar() {
    let t = tempfile::tempdir().unwrap();
    let up = build_tl5(t.path()).unwrap();
    assert_eq!(up.images.len(), 4);
    for img in &up.images {
        let bytes = std::fs::read(img).unwrap();
        // Independent look at the bytes: the by-name volume header's magic (0x6b 0x09 0x00 0x00 0xea 0x6b at
        // offset 0 ... see backup-format.md) is followed by the first file header, whose name is ./lpp_name.
        let first = bytes.windows(10).position(|w| w == b"./lpp_name").unwrap();
        let ar = bytes.windows(8).position(|w| w == b"<bigaf>\n").unwrap();
        assert!(first < ar, "lpp_name comes before liblpp.a in {}", img.display());
        let i = Image::open(img).unwrap();
        assert!(i.lpp.is_update());
        let f = &i.lpp.filesets[0];
        assert!(i.apply_list(&f.name, false).unwrap().iter().all(|p| p.starts_with("./usr/")));
        // The liblpp.a member bytes read back by our own reader and written again are identical.
        assert_eq!(bigar::read(&bigar::write(&i.usr)).unwrap(), i.usr);
    }
    let toc = std::fs::read_to_string(up.location.join(".toc")).unwrap();
    assert!(toc.contains("bos.7.2.5.0.U 4 R S bos {"), "{toc}");
}

#[test]
fn tl5_applied_and_committed_changes_files_inventory_and_oslevel() {
    let t = tempfile::tempdir().unwrap();
    let root = host(t.path());
    let before = Swvpd::load(&root).unwrap();
    assert_eq!(views::oslevel_s(&before), "7200-04-02-2016");
    let up = build_tl5(&t.path().join("tl5")).unwrap();
    let log = Log::default();
    let mut space = StatvfsSpace { root: root.clone() };
    let out = apply::install(&root, &req(&up.location, tl5_wanted(), "acgX"), &mut space, &log).unwrap();
    assert_eq!(out.plan.steps.len(), 7);
    let text = log.text();
    assert!(text.contains("installp:  APPLYING software for:\n        bos.rte 7.2.5.1\n"), "{text}");
    assert!(text.contains("Installation Summary"), "{text}");
    assert!(
        text.contains("bos.rte                     7.2.5.1         USR         APPLY       SUCCESS"),
        "{text}"
    );
    assert!(
        text.contains("bos.rte                     7.2.5.1         ROOT        COMMIT      SUCCESS"),
        "{text}"
    );
    let ksh = std::fs::read_to_string(root.join("usr/bin/ksh")).unwrap();
    assert!(ksh.starts_with("/usr/bin/ksh from bos.rte 7.2.5.1"), "{ksh}");
    let profile = std::fs::read_to_string(root.join("etc/profile")).unwrap();
    assert!(profile.contains("bos.rte 7.2.5.1"));
    // The root part's files were not left under usr/lpp/bos/inst_root only.
    let vpd = Swvpd::load(&root).unwrap();
    assert_eq!(views::oslevel_s(&vpd), "7200-05-01-2038");
    assert_eq!(views::oslevel_r(&vpd), "7200-05");
    let i = vpd.installed("bos.rte").unwrap();
    assert_eq!((i.level.to_string(), i.state), ("7.2.5.1".to_string(), State::Committed));
    // No save directory with commit.
    assert!(!root.join("usr/lpp/bos/bos.rte/7.2.5.1.save").exists());
    // Installing again: everything already installed, nothing changed.
    let log2 = Log::default();
    let out = apply::install(&root, &req(&up.location, tl5_wanted(), "acgX"), &mut space, &log2).unwrap();
    assert!(out.unchanged && out.plan.steps.is_empty());
    assert!(log2.text().contains("Already Installed"), "{}", log2.text());
}

#[test]
fn apply_without_commit_saves_and_reject_restores() {
    let t = tempfile::tempdir().unwrap();
    let root = host(t.path());
    let up = build_tl5(&t.path().join("tl5")).unwrap();
    let ksh_before = std::fs::read(root.join("usr/bin/ksh")).unwrap();
    let ls_before = std::fs::read(root.join("usr/bin/ls")).unwrap();
    let mut space = StatvfsSpace { root: root.clone() };
    let log = Log::default();
    apply::install(&root, &req(&up.location, vec![Wanted::name("bos.rte")], "ag"), &mut space, &log).unwrap();
    let vpd = Swvpd::load(&root).unwrap();
    let i = vpd.installed("bos.rte").unwrap();
    assert_eq!((i.level.to_string(), i.state), ("7.2.5.1".to_string(), State::Applied));
    let save = root.join("usr/lpp/bos/bos.rte/7.2.5.1.save");
    assert_eq!(std::fs::read(save.join("usr/bin/ksh")).unwrap(), ksh_before);
    assert_ne!(std::fs::read(root.join("usr/bin/ksh")).unwrap(), ksh_before);
    let rows = apply::reject(&root, &["bos.rte".to_string()], 1_700_000_100, &log).unwrap();
    assert_eq!(rows[0].event, "REJECT");
    assert_eq!(std::fs::read(root.join("usr/bin/ksh")).unwrap(), ksh_before);
    assert_eq!(std::fs::read(root.join("usr/bin/ls")).unwrap(), ls_before);
    assert!(!save.exists());
    let vpd = Swvpd::load(&root).unwrap();
    assert_eq!(vpd.installed("bos.rte").unwrap().level.to_string(), "7.2.4.2");
    assert_eq!(views::oslevel_s(&vpd), "7200-04-02-2016");
    // A second reject has nothing applied to reject.
    let e = apply::reject(&root, &["bos.rte".to_string()], 1_700_000_200, &log).unwrap_err();
    assert!(e.to_string().contains("APPLIED state"), "{e}");
}

#[test]
fn preview_changes_nothing_and_failures_refuse_before_writing() {
    let t = tempfile::tempdir().unwrap();
    let root = host(t.path());
    let up = build_tl5(&t.path().join("tl5")).unwrap();
    let ksh_before = std::fs::read(root.join("usr/bin/ksh")).unwrap();
    let mut space = StatvfsSpace { root: root.clone() };
    let log = Log::default();
    let out = apply::install(&root, &req(&up.location, tl5_wanted(), "acgXp"), &mut space, &log).unwrap();
    assert!(out.unchanged);
    let text = log.text();
    assert!(text.contains("installp PREVIEW:  installation will not actually occur."), "{text}");
    assert!(text.contains("    7  Total to be installed"), "{text}");
    assert_eq!(std::fs::read(root.join("usr/bin/ksh")).unwrap(), ksh_before);
    // Without -g, bos.net.tcp.server's prereq on bos.rte 7.2.5.0 is missing.
    let log = Log::default();
    let e = apply::install(
        &root,
        &req(&up.location, vec![Wanted::name("bos.net.tcp.server")], "ac"),
        &mut space,
        &log,
    )
    .unwrap_err();
    match e {
        Error::Installp(InstallpError::Verification { report, .. }) => {
            assert!(report.contains("MISSING REQUISITES"), "{report}");
            assert!(report.contains("    bos.rte 7.2.5.0"), "{report}");
        }
        e => panic!("{e}"),
    }
    // A fileset that is not on the media.
    let e = apply::install(
        &root,
        &req(&up.location, vec![Wanted::name("no.such.fileset")], "acg"),
        &mut space,
        &log,
    )
    .unwrap_err();
    assert!(
        matches!(e, Error::Installp(InstallpError::Verification { ref report, .. }) if report.contains("Not Found on Installation Media"))
    );
    assert_eq!(std::fs::read(root.join("usr/bin/ksh")).unwrap(), ksh_before);
    assert_eq!(views::oslevel_s(&Swvpd::load(&root).unwrap()), "7200-04-02-2016");
    // Missing and empty locations.
    let e = apply::install(&root, &req(&t.path().join("nowhere"), tl5_wanted(), "acg"), &mut space, &log)
        .unwrap_err();
    assert!(e.to_string().contains("nowhere"), "{e}");
    // Bad flags.
    assert!(Flags::parse("aN").unwrap_err().to_string().contains("NO SAVE"));
    assert!(Flags::parse("acgXd").unwrap_err().to_string().contains("-d"));
    assert!(Flags::parse("acz").unwrap_err().to_string().contains("-z"));
}

#[test]
fn an_image_damaged_after_its_control_files_leaves_the_fileset_broken_and_a_rerun_repairs_it() {
    let t = tempfile::tempdir().unwrap();
    let root = host(t.path());
    let up = build_tl5(&t.path().join("tl5")).unwrap();
    let good = up.location.join("bos.perf.7.2.5.0.U");
    let bytes = std::fs::read(&good).unwrap();
    // Cut inside the files, after lpp_name and liblpp.a (they come first): in /usr/bin/svmon's data.
    let at = bytes.windows(21).position(|w| w == b"/usr/bin/svmon from b").unwrap() + 100;
    let bad_dir = t.path().join("bad");
    std::fs::create_dir(&bad_dir).unwrap();
    std::fs::write(bad_dir.join("bos.perf.7.2.5.0.U"), &bytes[..at]).unwrap();
    // Its prerequisite (bos.rte 7.2.5.0) comes from a good image beside it.
    std::fs::copy(up.location.join("bos.7.2.5.0.U"), bad_dir.join("bos.7.2.5.0.U")).unwrap();
    let mut space = StatvfsSpace { root: root.clone() };
    let log = Log::default();
    let inst = vec![Wanted::name("bos.perf.tools")];
    let e = apply::install(&root, &req(&bad_dir, inst.clone(), "acgX"), &mut space, &log).unwrap_err();
    assert!(matches!(e, Error::Archive(_)), "{e}");
    let text = log.text();
    assert!(text.contains("installp: bos.perf.tools 7.2.5.0 was not completely applied ("), "{text}");
    assert!(
        text.contains("bos.perf.tools              7.2.5.0         USR         APPLY       FAILED"),
        "{text}"
    );
    let vpd = Swvpd::load(&root).unwrap();
    assert!(vpd
        .levels("bos.perf.tools")
        .iter()
        .any(|(l, st, _)| l.to_string() == "7.2.5.0" && *st == State::Broken));
    // The good image installs it again.
    apply::install(&root, &req(&up.location, inst, "acgX"), &mut space, &Log::default()).unwrap();
    let i = Swvpd::load(&root).unwrap().installed("bos.perf.tools").unwrap();
    assert_eq!((i.level.to_string(), i.state), ("7.2.5.0".to_string(), State::Committed));
}
