//! The runner: runs, failures, fidelity and ratios (never timings) on a tiny tree.

use altdisk_engine::bench::gen::generate_tree;
use altdisk_engine::bench::report::{runs_csv, summary_csv, svg, text_table};
use altdisk_engine::bench::run::{
    default_contestants, run_scenario, Action, BenchOptions, BenchResults, Contestant, Scenario,
};
use altdisk_engine::events::RecordEvents;

fn contestant(name: &str, action: Action) -> Contestant {
    Contestant {
        name: name.into(),
        action,
        prepare: None,
        unpack: None,
        dst_exists: false,
        is_altdisk: false,
        is_floor: false,
    }
}

#[test]
fn clone_round_robin_records_failures_fidelity_and_ratios() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    generate_tree(&src, 60, 5).unwrap();
    let opts = BenchOptions { dir: t.path().to_path_buf(), runs: 2, threads: 2, ..BenchOptions::default() };
    let mut broken =
        contestant("broken", Action::cmd("sh", &["-c", "echo first >&2; echo last >&2; exit 3"]));
    broken.is_altdisk = true;
    let cp = contestant("cp -a", Action::cmd("cp", &["-a", "{src}", "{dst}"]));
    let mut floor = contestant("floor", Action::Floor { threads: 2 });
    floor.is_floor = true;
    let ev = RecordEvents::default();
    let r = run_scenario(Scenario::Clone, &src, t.path(), &[broken, cp, floor], &opts, &ev).unwrap();

    let b = &r.contestants[0];
    assert_eq!(b.error.as_deref(), Some("exit status: 3: first ... last"));
    assert!(b.times.is_empty() && b.median.is_none());

    let cp = &r.contestants[1];
    assert!(cp.error.is_none());
    assert_eq!(cp.times.len(), 2);
    assert!(cp.min <= cp.median && cp.median <= cp.max);
    if rustix::process::geteuid().is_root() {
        assert_eq!(cp.fidelity, "ok");
    }
    assert!(cp.altdisk_speedup.is_none(), "altdisk failed: no speedup to report");

    let f = &r.contestants[2];
    assert_eq!(f.vs_floor, Some(1.0));
    assert!(f.fidelity.contains("missing (1)") && f.fidelity.contains("hard links"), "{}", f.fidelity);
    assert!(r.targets.iter().all(|t| t.met.is_none()));

    // Outputs are gone; only the source is left in the work dir.
    let left: Vec<_> = std::fs::read_dir(t.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, vec![std::ffi::OsString::from("src")]);
}

#[test]
fn backup_is_checked_through_its_unpacker_and_restore_through_its_archive() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    generate_tree(&src, 40, 6).unwrap();
    let opts = BenchOptions { dir: t.path().to_path_buf(), runs: 1, ..BenchOptions::default() };
    let ev = RecordEvents::default();

    // Without an altdisk binary only the tar peers are there.
    let backup = default_contestants(Scenario::Backup, None, Some(2), &[2]);
    assert_eq!(backup.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), vec!["tar -cf"]);
    let r = run_scenario(Scenario::Backup, &src, t.path(), &backup, &opts, &ev).unwrap();
    let tar = &r.contestants[0];
    assert!(tar.error.is_none(), "{:?}", tar.error);
    // GNU tar's default format keeps whole seconds and no xattrs.
    assert!(tar.fidelity.contains("mtime"), "{}", tar.fidelity);

    let restore = default_contestants(Scenario::Restore, None, Some(2), &[2]);
    let r = run_scenario(Scenario::Restore, &src, t.path(), &restore, &opts, &ev).unwrap();
    assert!(r.contestants[0].error.is_none());
    assert_eq!(r.contestants[0].times.len(), 1);

    // A failing prepare step stops only that contestant.
    let mut bad = contestant("bad", Action::cmd("tar", &["-xf", "{archive}", "-C", "{dst}"]));
    bad.prepare = Some(Action::cmd("false", &[]));
    let r = run_scenario(Scenario::Restore, &src, t.path(), &[bad], &opts, &ev).unwrap();
    assert!(r.contestants[0].error.as_deref().unwrap_or("").starts_with("prepare failed"));
}

#[test]
fn reports_render_every_contestant() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    let tree = generate_tree(&src, 30, 2).unwrap();
    let opts = BenchOptions { dir: t.path().to_path_buf(), runs: 1, ..BenchOptions::default() };
    let mut floor = contestant("floor", Action::Floor { threads: 1 });
    floor.is_floor = true;
    let odd = contestant("a, \"quoted\" <one>", Action::cmd("cp", &["-a", "{src}", "{dst}"]));
    let sc = run_scenario(Scenario::Clone, &src, t.path(), &[floor, odd], &opts, &RecordEvents::default())
        .unwrap();
    let r = BenchResults {
        options: opts,
        filesystem: "test".into(),
        tree,
        generate_seconds: 0.5,
        scenarios: vec![sc],
    };
    let csv = summary_csv(&r);
    assert!(csv.contains("clone,\"a, \"\"quoted\"\" <one>\",ok,1,"), "{csv}");
    assert_eq!(runs_csv(&r).lines().count(), 3);
    // A CSV reader gets back the very fields, the odd name included.
    let mut rd = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(rd.headers().unwrap().len(), 11);
    assert_eq!(&rows[1][1], "a, \"quoted\" <one>");
    assert_eq!(&rows[1][0], "clone");
    let s = svg(&r);
    assert!(s.contains("a, &quot;quoted&quot; &lt;one&gt;"));
    assert!(s.contains("1.00x floor") && s.contains("(lossy)"), "the floor keeps no metadata");
    let table = text_table(&r);
    assert!(table.contains("target: altdisk clone <= 1.15x the floor: not measured"), "{table}");
}

#[test]
fn several_floor_thread_counts_are_contestants_and_altdisk_may_choose_its_own() {
    let cs = default_contestants(
        Scenario::Clone,
        Some(std::path::Path::new("/opt/altdisk")),
        None,
        &[2, 8, 16, 32],
    );
    let alt = cs.iter().find(|c| c.is_altdisk).unwrap();
    assert_eq!(alt.action.display(), "/opt/altdisk clone {src} {dst}");
    let floors: Vec<(&str, &Action)> =
        cs.iter().filter(|c| c.is_floor).map(|c| (c.name.as_str(), &c.action)).collect();
    assert_eq!(
        floors,
        vec![
            ("floor 2t", &Action::Floor { threads: 2 }),
            ("floor 8t", &Action::Floor { threads: 8 }),
            ("floor 16t", &Action::Floor { threads: 16 }),
            ("floor 32t", &Action::Floor { threads: 32 }),
        ]
    );
}

#[test]
fn the_best_floor_is_the_reference() {
    let t = tempfile::tempdir().unwrap();
    let opts = BenchOptions {
        dir: t.path().join("work"),
        files: 60,
        runs: 1,
        threads: 2,
        floor_threads: vec![1, 4],
        only: vec!["floor".into()],
        scenarios: vec![Scenario::Clone],
        ..BenchOptions::default()
    };
    let r = altdisk_engine::bench::run::run_bench(&opts, &RecordEvents::default()).unwrap();
    let sc = &r.scenarios[0];
    let names: Vec<&str> = sc.contestants.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["floor 1t", "floor 4t"]);
    let best = sc.best_floor.as_deref().expect("a best floor");
    let b = sc.contestants.iter().find(|c| c.name == best).unwrap();
    assert_eq!(b.vs_floor, Some(1.0), "the best floor is 1.0x itself");
    let other = sc.contestants.iter().find(|c| c.name != best).unwrap();
    assert!(other.vs_floor.unwrap() >= 1.0, "{:?}", other.vs_floor);
    assert!(text_table(&r).contains(&format!("best floor: {best}")), "{}", text_table(&r));
}

#[test]
fn altdisk_clone_gets_the_floors_thread_count() {
    let cs = default_contestants(Scenario::Clone, Some(std::path::Path::new("/opt/altdisk")), Some(3), &[3]);
    let alt = cs.iter().find(|c| c.is_altdisk).unwrap();
    assert_eq!(alt.action.display(), "/opt/altdisk clone --threads 3 {src} {dst}");
    assert!(alt.dst_exists);
    let floor = cs.iter().find(|c| c.is_floor).unwrap();
    assert_eq!(floor.action, Action::Floor { threads: 3 });
    let restore =
        default_contestants(Scenario::Restore, Some(std::path::Path::new("/opt/altdisk")), Some(3), &[3]);
    let alt = restore.iter().find(|c| c.is_altdisk).unwrap();
    assert_eq!(alt.action.display(), "/opt/altdisk restore -x -f {archive} --target {dst}");
    assert_eq!(alt.prepare.as_ref().unwrap().display(), "/opt/altdisk backup --walk {src} -f {archive}");
}

/// A stand-in for the altdisk binary (cp and tar underneath) to drive the ratio and target paths.
fn fake_altdisk(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join("fake-altdisk");
    let script = r#"#!/bin/sh
case "$1" in
  clone) cp -a "$4/." "$5" ;;
  backup) tar -cf "$5" -C "$3" . ;;
  restore) tar -xf "$4" -C "$6" ;;
  *) exit 2 ;;
esac
"#;
    std::fs::write(&p, script).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

#[test]
fn targets_are_evaluated_when_altdisk_runs() {
    let t = tempfile::tempdir().unwrap();
    let fake = fake_altdisk(t.path());
    let work = t.path().join("work");
    let opts = BenchOptions {
        dir: work,
        files: 40,
        runs: 1,
        threads: 2,
        altdisk: Some(fake),
        only: vec!["altdisk".into(), "cp -a".into(), "floor".into(), "tar -cf".into(), "tar -xf".into()],
        // The stand-in only knows the uncompressed scenarios.
        scenarios: vec![
            altdisk_engine::bench::Scenario::Clone,
            altdisk_engine::bench::Scenario::Backup,
            altdisk_engine::bench::Scenario::Restore,
        ],
        ..BenchOptions::default()
    };
    let r = altdisk_engine::bench::run::run_bench(&opts, &RecordEvents::default()).unwrap();
    assert_eq!(r.scenarios.len(), 3);
    let clone = &r.scenarios[0];
    let alt = clone.contestants.iter().find(|c| c.name == "altdisk").unwrap();
    assert!(alt.error.is_none(), "{:?}", alt.error);
    assert_eq!(alt.altdisk_speedup, Some(1.0));
    if rustix::process::geteuid().is_root() {
        assert_eq!(alt.fidelity, "ok", "the stand-in is cp -a");
    }
    let cp = clone.contestants.iter().find(|c| c.name == "cp -a").unwrap();
    assert!(cp.altdisk_speedup.unwrap() > 0.0);
    // Floor and cp -a targets measured; the tar-pipe one was not selected.
    let measured: Vec<bool> = clone.targets.iter().map(|t| t.met.is_some()).collect();
    assert_eq!(measured, vec![true, true, false]);
    for s in &r.scenarios[1..] {
        assert!(s.targets[0].measured.is_some(), "{:?}", s.targets);
        assert!(s.contestants.iter().all(|c| c.error.is_none()), "{:?}", s.contestants);
    }
}
