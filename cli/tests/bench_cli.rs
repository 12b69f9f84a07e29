//! `altdisk bench` end to end on a small tree: reports are written and the peers and the floor appear.

use std::process::Command;

fn altdisk() -> Command {
    Command::new(env!("CARGO_BIN_EXE_altdisk"))
}

#[test]
fn bench_clone_writes_csv_json_and_svg() {
    let t = tempfile::tempdir().unwrap();
    let (work, out) = (t.path().join("work"), t.path().join("out"));
    let o = altdisk()
        .args(["bench", "--files", "300", "--runs", "1", "--scenario", "clone", "--threads", "2"])
        .arg("--dir")
        .arg(&work)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("clone:") && stdout.contains("floor"), "{stdout}");

    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let row = |name: &str| rows.iter().find(|r| r[0] == "clone" && r[1] == name).cloned();
    let cp = row("cp -a").expect("cp -a row");
    assert_eq!(cp[2], "ok");
    assert!(cp[4].parse::<f64>().unwrap() > 0.0, "median seconds: {cp:?}");
    if rustix::process::geteuid().is_root() {
        assert_eq!(cp[9], "ok", "cp -a as root keeps everything: {cp:?}");
    }
    let floor = row("floor").expect("floor row");
    assert_eq!(floor[2], "ok");
    assert_eq!(floor[7], "1.0000", "the floor is 1.0x itself");
    assert_ne!(floor[9], "ok", "the floor keeps no metadata and the fidelity column must say so");
    assert!(rows.iter().any(|r| r[1] == "altdisk"), "altdisk row present (its result is not asserted)");

    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert!(runs.lines().any(|l| l.starts_with("clone,floor,1,")), "{runs}");

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(json["tree"]["fifos"], 1);
    let names: Vec<&str> = json["scenarios"][0]["contestants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"cp -a") && names.contains(&"floor"), "{names:?}");
    assert_eq!(json["scenarios"][0]["scenario"], "clone");

    let svg = std::fs::read_to_string(out.join("results.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains(">floor<") && svg.contains(">cp -a<"));

    // The work directory under --dir is removed without --keep.
    assert_eq!(std::fs::read_dir(&work).unwrap().count(), 0);
}

#[test]
fn bench_rejects_an_unknown_scenario() {
    let o = altdisk().args(["bench", "--scenario", "dance"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown scenario 'dance'"));
}

#[test]
fn bench_rejects_zero_runs() {
    let o = altdisk().args(["bench", "--runs", "0"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--runs must be at least 1"));
}

#[test]
fn bench_rejects_an_unknown_contestant() {
    let o = altdisk().args(["bench", "--only", "floor,dd"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown contestant 'dd'"));
}

#[test]
fn bench_only_runs_the_chosen_contestants() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    let o = altdisk()
        .args(["bench", "--files", "50", "--runs", "1", "--scenario", "clone", "--only", "floor"])
        .arg("--dir")
        .arg(t.path())
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    let names: Vec<&str> = csv.lines().skip(1).map(|l| l.split(',').nth(1).unwrap()).collect();
    assert_eq!(names, vec!["floor"]);
}

#[test]
fn bench_zstd_scenarios_record_the_archive_size_and_check_fidelity() {
    let t = tempfile::tempdir().unwrap();
    let (work, out) = (t.path().join("work"), t.path().join("out"));
    for scenario in ["backup-zstd", "restore-zstd"] {
        let o = altdisk()
            .args(["bench", "--files", "60", "--runs", "1", "--scenario", scenario, "--only", "altdisk"])
            .arg("--dir")
            .arg(&work)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&o.stderr));
        assert!(stdout.contains(&format!("{scenario}:")), "{stdout}");
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
        let sc = &json["scenarios"][0];
        assert_eq!(sc["scenario"], scenario);
        let alt = &sc["contestants"][0];
        assert_eq!(alt["name"], "altdisk");
        assert!(alt["error"].is_null(), "{alt}");
        assert!(alt["median"].as_f64().unwrap() > 0.0, "{alt}");
        if scenario == "backup-zstd" {
            assert!(alt["archive_bytes"].as_u64().unwrap() > 0, "{alt}");
            assert!(alt["command"].as_str().unwrap().contains(" -Z "), "{alt}");
            // The fidelity check unpacked the compressed archive with restore.
            assert!(!alt["fidelity"].as_str().unwrap().starts_with("not checked"), "{alt}");
        }
    }
}

#[test]
fn cold_needs_root_and_says_so() {
    let mut c = altdisk();
    c.args(["bench", "--cold", "--files", "10", "--scenario", "clone"]);
    if rustix::process::geteuid().is_root() {
        // Run it as nobody: the refusal comes before anything is made.
        use std::os::unix::process::CommandExt;
        c.uid(65534).gid(65534);
    }
    let o = c.output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "bench: --cold drops the page cache before every run, which needs root: run it as root, or without --cold\n"
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn cold_run_on_a_fresh_xfs_with_the_floor_at_two_thread_counts() {
    if !rustix::process::geteuid().is_root() {
        println!("skipped: --cold and --fs need root");
        return;
    }
    if Command::new("mkfs.xfs").arg("-V").output().is_err() {
        println!("skipped: mkfs.xfs (xfsprogs) is not installed");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let (work, out) = (t.path().join("work"), t.path().join("out"));
    let o = altdisk()
        .args(["bench", "--cold", "--fs", "xfs", "--files", "150", "--runs", "1", "--scenario", "clone"])
        .args(["--only", "altdisk,floor", "--floor-threads", "1,2"])
        .arg("--dir")
        .arg(&work)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout.contains(" on xfs ") && stdout.contains("cold: page cache dropped before every run"),
        "{stdout}"
    );
    assert!(stdout.contains("  best floor: floor "), "{stdout}");
    assert!(stdout.contains("target: cold: altdisk clone <= 1.05x the best floor"), "{stdout}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(json["options"]["cold"], true);
    assert_eq!(json["filesystem"], "xfs");
    let names: Vec<&str> = json["scenarios"][0]["contestants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["altdisk", "floor 1t", "floor 2t"]);
    let alt = &json["scenarios"][0]["contestants"][0];
    assert_eq!(alt["fidelity"], "ok", "{alt}");
    assert_eq!(alt["command"].as_str().unwrap().split(' ').nth(1), Some("clone"), "{alt}");
    // The loop filesystem is unmounted and its image removed.
    assert_eq!(std::fs::read_dir(&work).unwrap().count(), 0);
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
    assert!(!mounts.contains(work.to_str().unwrap()), "{mounts}");
}

#[test]
fn bad_fs_and_floor_threads_are_usage_errors() {
    let o = altdisk().args(["bench", "--fs", "ntfs", "--files", "10"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    if rustix::process::geteuid().is_root() {
        assert_eq!(String::from_utf8_lossy(&o.stderr), "bench: unknown --fs 'ntfs' (ext4 or xfs)\n");
    }
    let o = altdisk().args(["bench", "--floor-threads", "2,0", "--files", "10"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "bench: --floor-threads: 0 is not a thread count (1 to 1024)\n"
    );
}
