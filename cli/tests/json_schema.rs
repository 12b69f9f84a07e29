//! `--json` on every command: each command of the tree (but the few in `NO_JSON`) runs with `--json` on a
//! sample host, and every line it writes is checked against docs/json-schema.json (the one source of truth,
//! read here by a small JSON Schema validator); the stream starts with `start`, ends with `done` whose `exit`
//! is the process's exit code, a failure carries a fatal `error`, and `progress` never goes backwards. Also:
//! clone's `planned` totals are what it copied after exclusion, and the alternate-disk results.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

mod common;
use common::{err, out, BIN};

/// Commands without `--json` (cli/src/cmd/mod.rs `NO_JSON`).
const NO_JSON: &[&str] = &["completions", "man", "demo"];

/// The schema, from the docs.
fn schema() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/json-schema.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// Follows a local `$ref` (`#/$defs/NAME`).
fn resolve<'a>(root: &'a Value, s: &'a Value) -> &'a Value {
    match s.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let mut v = root;
            for part in r.trim_start_matches("#/").split('/') {
                v = &v[part];
            }
            assert!(!v.is_null(), "unresolved $ref {r}");
            resolve(root, v)
        }
        None => s,
    }
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        other => panic!("schema type {other} unknown to this validator"),
    }
}

/// The JSON Schema subset the schema uses: type, const, enum, required, properties, additionalProperties
/// (false), oneOf, minimum, maximum, $ref. `Err` says where `v` fails.
fn validate(root: &Value, s: &Value, v: &Value) -> Result<(), String> {
    let s = resolve(root, s);
    let known = [
        "$schema",
        "$id",
        "$defs",
        "title",
        "description",
        "type",
        "const",
        "enum",
        "required",
        "properties",
        "additionalProperties",
        "oneOf",
        "minimum",
        "maximum",
        "$ref",
    ];
    if let Some(o) = s.as_object() {
        for k in o.keys() {
            assert!(known.contains(&k.as_str()), "schema keyword {k} unknown to this validator");
        }
    }
    match s.get("type") {
        Some(Value::String(t)) if !type_ok(t, v) => return Err(format!("{v} is not {t}")),
        Some(Value::Array(ts)) if !ts.iter().any(|t| type_ok(t.as_str().unwrap(), v)) => {
            return Err(format!("{v} is none of {ts:?}"))
        }
        _ => {}
    }
    if let Some(c) = s.get("const") {
        if c != v {
            return Err(format!("{v} is not {c}"));
        }
    }
    if let Some(Value::Array(e)) = s.get("enum") {
        if !e.contains(v) {
            return Err(format!("{v} is not one of {e:?}"));
        }
    }
    if let Some(n) = v.as_f64() {
        if s.get("minimum").and_then(Value::as_f64).is_some_and(|m| n < m) {
            return Err(format!("{v} is below the minimum"));
        }
        if s.get("maximum").and_then(Value::as_f64).is_some_and(|m| n > m) {
            return Err(format!("{v} is above the maximum"));
        }
    }
    if let Some(obj) = v.as_object() {
        for r in s.get("required").and_then(Value::as_array).into_iter().flatten() {
            let r = r.as_str().unwrap();
            if !obj.contains_key(r) {
                return Err(format!("{r} is missing"));
            }
        }
        let props = s.get("properties").and_then(Value::as_object);
        for (k, val) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(ps) => validate(root, ps, val).map_err(|e| format!("{k}: {e}"))?,
                None if s.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    return Err(format!("{k} is not in the schema"))
                }
                None => {}
            }
        }
    }
    if let Some(Value::Array(alts)) = s.get("oneOf") {
        let errs: Vec<String> = alts.iter().filter_map(|a| validate(root, a, v).err()).collect();
        if alts.len() - errs.len() != 1 {
            return Err(format!("matches {} of oneOf: {errs:?}", alts.len() - errs.len()));
        }
    }
    Ok(())
}

/// Checks a `--json` run: every line valid, `start` first, `done` last with the process's exit code, a fatal
/// `error` when it failed, monotonic progress. Returns the lines.
fn check(what: &str, o: &Output) -> Vec<Value> {
    let root = schema();
    let text = out(o);
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {l}\n{text}")))
        .collect();
    for l in &lines {
        if let Err(e) = validate(&root, &root, l) {
            panic!("{what}: {l} does not fit the schema: {e}");
        }
    }
    assert!(lines.len() >= 2, "{what}: {text}\nstderr: {}", err(o));
    assert_eq!(lines[0]["event"], "start", "{what}");
    let done = lines.last().unwrap();
    assert_eq!(done["event"], "done", "{what}: {text}");
    assert_eq!(lines.iter().filter(|l| l["event"] == "start" || l["event"] == "done").count(), 2, "{what}");
    let code = o.status.code().unwrap();
    assert_eq!(done["exit"], code, "{what}: {text}\nstderr: {}", err(o));
    assert_eq!(done["ok"], code == 0, "{what}");
    if code != 0 {
        assert!(
            lines.iter().any(|l| l["event"] == "error" && l["fatal"] == true),
            "{what}: exit {code} without a fatal error: {text}"
        );
    }
    let (mut e, mut b) = (0u64, 0u64);
    for l in lines.iter().filter(|l| l["event"] == "progress") {
        let (e2, b2) = (l["entries"].as_u64().unwrap(), l["bytes"].as_u64().unwrap());
        assert!(e2 >= e && b2 >= b, "{what}: progress went backwards: {text}");
        (e, b) = (e2, b2);
    }
    lines
}

/// Runs `altdisk args... --json` on `host`, in `cwd`.
fn json(host: &Path, cwd: &Path, args: &[&str]) -> (Output, Vec<Value>) {
    let o = Command::new(BIN)
        .args(args)
        .arg("--json")
        .current_dir(cwd)
        .env("ALTDISK_HOST", host)
        .env_remove("ALT_BAK_ERR_FAIL")
        .env_remove("ALT_BAK_ERR_REPORT")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let lines = check(&args.join(" "), &o);
    (o, lines)
}

fn result(lines: &[Value]) -> &Value {
    &lines.last().unwrap()["result"]
}

/// The one line of this event.
fn event<'a>(lines: &'a [Value], kind: &str) -> &'a Value {
    let found: Vec<&Value> = lines.iter().filter(|l| l["event"] == kind).collect();
    assert_eq!(found.len(), 1, "{kind}: {lines:?}");
    found[0]
}

/// The command names of `altdisk --help`.
fn commands() -> Vec<String> {
    let o = Command::new(BIN).arg("--help").output().unwrap();
    common::listed_commands(&out(&o))
}

#[test]
fn every_command_speaks_the_schema() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let host = d.join("host");
    let h = host.to_str().unwrap();
    let mut ran: Vec<String> = Vec::new();
    let mut run = |args: &[&str], code: i32| -> Vec<Value> {
        let (o, lines) = json(&host, d, args);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {}\n{}", out(&o), err(&o));
        ran.push(args[0].to_string());
        lines
    };
    // The host and its views.
    let l = run(&["host", "init", h, "--sample", "--files", "150"], 0);
    assert_eq!(result(&l)["disks"][0]["name"], "hdisk0");
    let l = run(&["lspv"], 0);
    let disks = result(&l)["disks"].as_array().unwrap().clone();
    assert_eq!(disks.len(), 3);
    assert_eq!(disks[0]["vg"], "rootvg");
    assert_eq!(disks[0]["active"], true);
    assert_eq!(disks[1]["vg"], Value::Null);
    assert_eq!(result(&run(&["lsvg"], 0))["vgs"], serde_json::json!(["rootvg"]));
    run(&["lsvg", "-o"], 0);
    assert_eq!(result(&run(&["lsvg", "rootvg"], 0))["vg"]["name"], "rootvg");
    run(&["lsvg", "-l", "rootvg"], 0);
    run(&["lsvg", "nosuchvg"], 1);
    assert_eq!(result(&run(&["bootinfo", "-b"], 0))["boot_disk"], "hdisk0");
    assert_eq!(result(&run(&["bootinfo", "-s", "hdisk1"], 0))["size_mb"], 20480);
    run(&["bootinfo", "-B", "hdisk0"], 0);
    assert_eq!(result(&run(&["bootlist", "-m", "normal", "-o"], 0))["bootlist"][0]["disk"], "hdisk0");
    run(&["oslevel", "-s"], 0);
    run(&["lslpp", "-l", "bos.rte"], 0);
    run(&["instfix", "-i"], 0);
    run(&["installp", "-s"], 0);
    run(&["mkszfile"], 0);
    // The alternate disk: a failure still says what it was for, then a copy, a query and a removal.
    let l = run(&["alt_disk_copy", "-d", "hdisk9"], 5);
    assert_eq!(result(&l)["targets"], serde_json::json!(["hdisk9"]));
    assert!(l.iter().any(|x| x["event"] == "error" && x["text"].as_str().unwrap().contains("hdisk9")));
    let l = run(&["alt_disk_copy", "-d", "hdisk1"], 0);
    let r = result(&l);
    assert_eq!(r["targets"], serde_json::json!(["hdisk1"]));
    assert_eq!(r["vg"], "altinst_rootvg");
    assert_eq!(r["log"], host.join("alt_disk_inst.log").to_str().unwrap());
    assert!(r["entries"].as_u64().unwrap() > 150, "{r}");
    let phases: Vec<&Value> = l.iter().filter(|x| x["event"] == "phase").map(|x| &x["phase"]).collect();
    assert_eq!(phases, [1, 2, 3]);
    // The plan is the copy (after exclusion, a sparse file counted by its data), and so is the last progress.
    let planned = event(&l, "planned");
    assert_eq!((&planned["entries"], &planned["bytes"]), (&r["entries"], &r["bytes"]), "{r}");
    let last = l.iter().rev().find(|x| x["event"] == "progress").unwrap();
    assert_eq!((&last["entries"], &last["bytes"]), (&r["entries"], &r["bytes"]));
    let l = run(&["alt_rootvg_op", "-q", "-d", "hdisk1"], 0);
    assert_eq!(result(&l)["vg"], "altinst_rootvg");
    assert_eq!(result(&l)["disks"], serde_json::json!(["hdisk1"]));
    run(&["alt_rootvg_op", "-X", "altinst_rootvg"], 0);
    // mksysb and its installation, through the legacy alt_disk_install too.
    let image = d.join("sys.mksysb");
    let img = image.to_str().unwrap();
    let l = run(&["mksysb", "-i", img], 0);
    assert_eq!(result(&l)["archive"], img);
    // mksysb's list of files is its plan.
    let planned = event(&l, "planned").clone();
    let last = l.iter().rev().find(|x| x["event"] == "progress").unwrap();
    assert_eq!((&planned["entries"], &planned["bytes"]), (&last["entries"], &last["bytes"]));
    let l = run(&["alt_disk_mksysb", "-m", img, "-d", "hdisk2"], 0);
    assert_eq!(result(&l)["targets"], serde_json::json!(["hdisk2"]));
    // Restoring an image: the total is the image's size, progress its bytes read; entries not known ahead.
    let size = std::fs::metadata(&image).unwrap().len();
    assert_eq!(event(&l, "planned")["bytes"], size);
    assert_eq!(event(&l, "planned")["entries"], Value::Null);
    let last = l.iter().rev().find(|x| x["event"] == "progress").unwrap();
    assert!(last["bytes"].as_u64().unwrap() <= size && last["bytes"].as_u64().unwrap() > size / 2, "{last}");
    run(&["alt_disk_install", "-X", "altinst_rootvg"], 0);
    run(&["bootlist", "-m", "normal", "hdisk0"], 0);
    assert_eq!(result(&run(&["host", "reboot", h], 0))["booted_from"], "hdisk0");
    // The archive and tree commands.
    let src = d.join("src");
    std::fs::create_dir_all(src.join("skip")).unwrap();
    std::fs::write(src.join("a"), "hello").unwrap();
    std::fs::write(src.join("skip/b"), "world!").unwrap();
    let s = src.to_str().unwrap();
    let arch = d.join("a.bak");
    let a = arch.to_str().unwrap();
    let l = run(&["backup", "--walk", s, "-f", a], 0);
    assert_eq!(result(&l)["entries"], 4);
    let planned = event(&l, "planned");
    assert_eq!((&planned["entries"], &planned["bytes"]), (&result(&l)["entries"], &result(&l)["bytes"]));
    run(&["backup", "--walk", s, "-f", "-"], 2);
    // convert: the archive to tar, what the target cannot hold listed by class.
    let tar = d.join("a.tar");
    let l = run(&["convert", a, tar.to_str().unwrap()], 0);
    assert_eq!(
        (&result(&l)["from"], &result(&l)["to"], &result(&l)["entries"]),
        (&"by-name".into(), &"tar".into(), &4.into())
    );
    assert!(result(&l)["lost"].is_object(), "{l:?}");
    // Its progress counts bytes of the input read, up to the input file's size.
    let size = std::fs::metadata(&arch).unwrap().len();
    assert_eq!(event(&l, "planned")["bytes"], size);
    let last = l.iter().rev().find(|x| x["event"] == "progress").unwrap();
    assert!(last["bytes"].as_u64().unwrap() <= size && last["entries"] == 4, "{last}");
    let back = d.join("back.bff");
    let l = run(&["convert", tar.to_str().unwrap(), back.to_str().unwrap()], 0);
    let size = std::fs::metadata(&tar).unwrap().len();
    assert_eq!(event(&l, "planned")["bytes"], size);
    let last = l.iter().rev().find(|x| x["event"] == "progress").unwrap();
    assert!(last["bytes"].as_u64().unwrap() <= size && last["entries"] == 4, "{last}");
    run(&["convert", tar.to_str().unwrap(), "-", "--to", "byname"], 2);
    run(&["restore", "-T", "-f", a], 0);
    std::fs::create_dir(d.join("x")).unwrap();
    let l = run(&["restore", "-x", "-f", a, "--target", d.join("x").to_str().unwrap()], 0);
    assert_eq!(result(&l)["bytes"], 11);
    run(&["clone", s, d.join("c1").to_str().unwrap()], 0);
    run(&["clone", "--dry-run", s, d.join("c2").to_str().unwrap()], 0);
    run(&["verify", s, d.join("c1").to_str().unwrap()], 0);
    let l = run(&["verify", s, d.join("x").to_str().unwrap()], 1);
    assert!(l.iter().any(|x| x["event"] == "difference"));
    run(&["space", s, "--fs", "/=64"], 0);
    // Software: the sample update's images, their .toc and a listing; mkinstallp without a template.
    let upd = d.join("upd");
    run(&["host", "sample-update", upd.to_str().unwrap()], 0);
    run(&["inutoc", upd.join("images").to_str().unwrap()], 0);
    run(&["installp", "-l", "-d", upd.join("images").to_str().unwrap()], 0);
    // A preview says how much is left to install (Ansible's alt_disk decides `changed` by it).
    let bnd = upd.join("TL5.bnd");
    let l = run(
        &["installp", "-acgXp", "-d", upd.join("images").to_str().unwrap(), "-f", bnd.to_str().unwrap()],
        0,
    );
    assert_eq!(result(&l)["to_install"], 7);
    assert_eq!(result(&l)["already_installed"], 0);
    assert_eq!(result(&l)["changed"], false);
    run(&["mkinstallp"], 2);
    run(&["install-links", d.join("links").to_str().unwrap()], 0);
    let bench = d.join("bench");
    let b = bench.to_str().unwrap();
    let bout = bench.join("out");
    let l = run(
        &[
            "bench",
            "--files",
            "40",
            "--runs",
            "1",
            "--scenario",
            "clone",
            "--only",
            "altdisk",
            "--dir",
            b,
            "--out",
            bout.to_str().unwrap(),
        ],
        0,
    );
    assert!(!result(&l)["reports"].as_array().unwrap().is_empty());
    // A bad command line and a missing host: start, error, done, exit 2.
    run(&["lspv", "--bogus"], 2);
    let o = Command::new(BIN).args(["lsvg", "--json"]).env_remove("ALTDISK_HOST").output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    check("lsvg without a host", &o);

    // Every command of the tree was run, but those without --json, which refuse it.
    for c in commands() {
        if NO_JSON.contains(&c.as_str()) {
            let o = Command::new(BIN).args([c.as_str(), "--json"]).output().unwrap();
            assert_eq!(o.status.code(), Some(2), "{c} --json");
            assert!(err(&o).contains("unknown option --json"), "{c}: {}", err(&o));
        } else {
            assert!(ran.contains(&c), "{c} is not run with --json by this test");
        }
    }
}

#[test]
fn clone_plans_what_it_copies() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let src = d.join("src");
    for i in 0..300 {
        let dir = src.join(format!("d{}", i % 7));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("f{i}")), vec![b'x'; i * 37]).unwrap();
    }
    std::fs::create_dir_all(src.join("cache/deep")).unwrap();
    std::fs::write(src.join("cache/deep/big"), vec![0u8; 1 << 20]).unwrap();
    std::os::unix::fs::symlink("d1/f1", src.join("link")).unwrap();
    // A sparse file: 4 MiB with data only at its end (the copy writes only that).
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::File::create(src.join("sparse")).unwrap();
        f.seek(SeekFrom::Start(4 << 20)).unwrap();
        f.write_all(&[7u8; 5000]).unwrap();
    }
    std::fs::hard_link(src.join("d2/f2"), src.join("hard")).unwrap();
    std::fs::write(d.join("ex"), "^./cache\n/f1[0-9]$\n").unwrap();
    let (o, lines) = json(
        d,
        d,
        &[
            "clone",
            "-e",
            d.join("ex").to_str().unwrap(),
            src.to_str().unwrap(),
            d.join("dst").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let planned: Vec<&Value> = lines.iter().filter(|l| l["event"] == "planned").collect();
    assert_eq!(planned.len(), 1, "{lines:?}");
    let r = result(&lines);
    assert!(r["excluded"].as_u64().unwrap() > 0, "{r}");
    assert_eq!(planned[0]["entries"], r["entries"], "{r}");
    assert_eq!(planned[0]["bytes"], r["bytes"], "{r}");
    // The last progress is the whole copy, never beyond the plan.
    let last = lines.iter().rev().find(|l| l["event"] == "progress").unwrap();
    assert_eq!(last["entries"], r["entries"]);
    assert_eq!(last["bytes"], r["bytes"]);
    assert!(!d.join("dst/cache").exists());
}

#[test]
fn the_validator_rejects_what_the_schema_forbids() {
    let root = schema();
    let ok = |s: &str| validate(&root, &root, &serde_json::from_str(s).unwrap());
    assert_eq!(ok(r#"{"v":1,"event":"progress","entries":3,"bytes":9}"#), Ok(()));
    for bad in [
        r#"{"v":2,"event":"progress","entries":3,"bytes":9}"#,
        r#"{"v":1,"event":"progress","entries":-1,"bytes":9}"#,
        r#"{"v":1,"event":"progress","entries":3}"#,
        r#"{"v":1,"event":"progress","entries":3,"bytes":9,"extra":1}"#,
        r#"{"v":1,"event":"summary"}"#,
        r#"{"v":1,"event":"done","command":"x","exit":0,"ok":true}"#,
        r#"{"v":1,"event":"entry","name":"./a","kind":"socket","size":0,"link":null}"#,
        r#"{"event":"message","text":"no version"}"#,
    ] {
        assert!(ok(bad).is_err(), "{bad} passed");
    }
}
