//! One clap command tree for every command: help on standard output with exit 0 and no host needed, under
//! `altdisk NAME` and through a symlink named NAME; a wrong flag is `NAME: ...` once on standard error with exit
//! 2; "did you mean"; the AIX command-line forms (clustered flags, attached values, trailing disks, `--`); man
//! pages that render; a bash completion script that sources.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

mod common;
use common::{err, new_host, out, run, text, BIN};

/// Every command of the tree, with whether AIX gives it a `-h` flag of its own (then `-h` is not help).
/// A command added to the tree must be added here (`every_command_is_in_the_table` checks).
const COMMANDS: &[(&str, bool)] = &[
    ("alt_disk_copy", false),
    ("alt_disk_install", false),
    ("alt_disk_mksysb", false),
    ("alt_rootvg_op", false),
    ("backup", false),
    ("bench", false),
    ("bootinfo", false),
    ("bootlist", false),
    ("clone", false),
    ("completions", false),
    ("convert", false),
    ("demo", false),
    ("host", false),
    ("install-links", false),
    ("installp", false),
    ("instfix", false),
    ("inutoc", false),
    ("lslpp", true),
    ("lspv", false),
    ("lsvg", false),
    ("man", false),
    ("mkinstallp", false),
    ("mksysb", false),
    ("mkszfile", false),
    ("oslevel", false),
    ("restore", true),
    ("space", false),
    ("verify", false),
];

/// Runs `prog args` without a host in the environment.
fn bare(prog: &Path, args: &[&str]) -> Output {
    Command::new(prog).args(args).env_remove("ALTDISK_HOST").stdin(Stdio::null()).output().unwrap()
}

/// Runs `prog args` with `input` on standard input, in `cwd`.
fn with_stdin(prog: &str, args: &[&str], cwd: &Path, input: &[u8]) -> Output {
    let mut c = Command::new(prog)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The command may exit before reading its input.
    let _ = c.stdin.take().unwrap().write_all(input);
    c.wait_with_output().unwrap()
}

fn check_help(what: &str, o: &Output) {
    assert_eq!(o.status.code(), Some(0), "{what}: {}", err(o));
    assert!(out(o).contains("Usage: "), "{what}: {}", out(o));
    assert_eq!(err(o), "", "{what}");
}

fn check_wrong_flag(name: &str, what: &str, o: &Output) {
    assert_eq!(o.status.code(), Some(2), "{what}: {}", err(o));
    let e = err(o);
    assert!(e.starts_with(&format!("{name}: ")), "{what}: {e}");
    assert!(!e.contains(&format!("{name}: {name}:")), "{what}: prefix doubled: {e}");
    assert!(!e.contains("Long(") && !e.contains("Short("), "{what}: debug text: {e}");
    assert_eq!(out(o), "", "{what}");
}

#[test]
fn every_command_is_in_the_table() {
    let o = bare(Path::new(BIN), &["--help"]);
    check_help("altdisk --help", &o);
    let help = out(&o);
    let listed = common::listed_commands(&help);
    let table: Vec<&str> = COMMANDS.iter().map(|c| c.0).collect();
    assert_eq!(listed, table);
    // Version and the help subcommand.
    let o = bare(Path::new(BIN), &["--version"]);
    assert!(o.status.success() && out(&o).starts_with("altdisk "), "{}", out(&o));
    check_help("altdisk help clone", &bare(Path::new(BIN), &["help", "clone"]));
    // No command at all: the help on standard error, exit 2.
    let o = bare(Path::new(BIN), &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("Usage: altdisk"), "{}", err(&o));
}

#[test]
fn help_everywhere_on_stdout_without_a_host() {
    let t = tempfile::tempdir().unwrap();
    let bin = t.path().join("bin");
    let o = Command::new(BIN).arg("install-links").arg(&bin).output().unwrap();
    assert!(o.status.success(), "{}", err(&o));
    for (name, own_h) in COMMANDS {
        // Symlinks for the AIX names come from install-links; any command name works the same way.
        let link = bin.join(name);
        if !link.exists() {
            std::os::unix::fs::symlink(BIN, &link).unwrap();
        }
        let mut flags = vec!["--help", "-?"];
        if !own_h {
            flags.push("-h");
        }
        for f in flags {
            let o = bare(Path::new(BIN), &[name, f]);
            check_help(&format!("altdisk {name} {f}"), &o);
            let usage = out(&o);
            let o = bare(&link, &[f]);
            check_help(&format!("{name} {f} (link)"), &o);
            assert_eq!(out(&o), usage, "{name} {f}: the link prints the same help");
        }
        for args in [&["-j"][..], &["--no-such-flag"][..]] {
            let o = bare(Path::new(BIN), &[&[*name][..], args].concat());
            check_wrong_flag(name, &format!("altdisk {name} {args:?}"), &o);
            let o = bare(&link, args);
            check_wrong_flag(name, &format!("{name} {args:?} (link)"), &o);
        }
    }
    // restore has a -h of its own in AIX: there it is not help.
    assert_eq!(bare(Path::new(BIN), &["restore", "-h"]).status.code(), Some(2));
}

#[test]
fn wrong_flags_name_the_flag_then_aix_usage() {
    // As AIX's getopt-driven commands do: the flag, then the command's synopsis.
    let o = bare(Path::new(BIN), &["alt_disk_copy", "-d", "hdisk1", "-z"]);
    assert!(
        err(&o).starts_with(
            "alt_disk_copy: unknown option -z\nUsage: alt_disk_copy -d targetdisks... [-i image.data]"
        ),
        "{}",
        err(&o)
    );
    let o = bare(Path::new(BIN), &["backup", "-iz", "-f", "x"]);
    assert!(err(&o).starts_with("backup: unknown option -z\nUsage: backup -i [-f FILE|-]"), "{}", err(&o));
    let o = bare(Path::new(BIN), &["lspv", "-z"]);
    assert_eq!(err(&o), "lspv: unknown option -z\nUsage: lspv\n");
    // altdisk's own commands keep one line (their usage is one --help away).
    let o = bare(Path::new(BIN), &["verify", "-z", "a", "b"]);
    assert_eq!(err(&o), "verify: unknown option -z\n");
    // A missing option argument names the flag and shows the command's usage.
    let o = bare(Path::new(BIN), &["restore", "-Tf"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).starts_with("restore: "), "{}", err(&o));
    assert!(err(&o).contains("Usage: restore -T"), "{}", err(&o));
    // An operand where none is taken.
    let o = bare(Path::new(BIN), &["lspv", "hdisk0"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(err(&o), "lspv: unexpected operand 'hdisk0'\nUsage: lspv\n");
}

#[test]
fn did_you_mean() {
    let o = bare(Path::new(BIN), &["clon"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).starts_with("altdisk: unknown command 'clon'\n"), "{}", err(&o));
    assert!(err(&o).contains("did you mean 'clone'?"), "{}", err(&o));
    let o = bare(Path::new(BIN), &["clone", "--jsn", "a", "b"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).starts_with("clone: unknown option --jsn\n"), "{}", err(&o));
    assert!(err(&o).contains("did you mean '--json'?"), "{}", err(&o));
    let o = bare(Path::new(BIN), &["restore", "-T", "--resnyc"]);
    assert!(err(&o).contains("did you mean '--resync'?"), "{}", err(&o));
}

#[test]
fn clustered_and_attached_forms() {
    let t = tempfile::tempdir().unwrap();
    std::fs::create_dir(t.path().join("d")).unwrap();
    std::fs::write(t.path().join("d/f"), b"data").unwrap();
    let names = b".\n./d\n./d/f\n";
    // -iqf OUT, -iqvfOUT (attached), -ivf- (to standard output).
    let o = with_stdin(BIN, &["backup", "-iqf", "a1"], t.path(), names);
    assert!(o.status.success(), "{}", err(&o));
    let o = with_stdin(BIN, &["backup", "-iqvfa2"], t.path(), names);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(out(&o), "a .\na ./d\na ./d/f\n");
    let o = with_stdin(BIN, &["backup", "-ivf-"], t.path(), names);
    assert!(o.status.success(), "{}", err(&o));
    // The same archive as -iqf a1 wrote, but for the dates in its headers (the second may have ticked):
    // same length, and it lists the same names.
    let a1 = std::fs::read(t.path().join("a1")).unwrap();
    assert_eq!(a1.len(), o.stdout.len(), "-ivf- writes the whole archive to standard output");
    std::fs::write(t.path().join("a3"), &o.stdout).unwrap();
    let l = with_stdin(BIN, &["restore", "-Tqf", "a3"], t.path(), b"");
    assert!(l.status.success() && out(&l).contains("./d/f"), "{}", out(&l));
    assert_eq!(err(&o), "a .\na ./d\na ./d/f\n", "-v lines go to stderr when the archive is stdout");
    // restore -Tqvf F, -xqvf F into --target, -x ... -- NAME.
    let o = with_stdin(BIN, &["restore", "-Tqvf", "a2"], t.path(), b"");
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).contains("           4 ./d/f\n"), "{}", out(&o));
    let o = with_stdin(BIN, &["restore", "-xqvf", "a1", "--target", "x1"], t.path(), b"");
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(std::fs::read(t.path().join("x1/d/f")).unwrap(), b"data");
    let o = with_stdin(BIN, &["restore", "-xf", "a1", "--target=x2", "--", "./d/f"], t.path(), b"");
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(out(&o), "x ./d/f\n");
    assert!(t.path().join("x2/d/f").is_file());
}

#[test]
fn disks_quoted_and_trailing() {
    // -d "hdisk1 hdisk2" (one word) and -d hdisk1 hdisk2 -B (a trailing operand between flags) choose the
    // same disks.
    for args in [&["-d", "hdisk1 hdisk2", "-B", "-P1"][..], &["-d", "hdisk1", "hdisk2", "-B", "-P1"][..]] {
        let (_t, h) = new_host("5");
        let o = run(&h, &[&["alt_disk_copy"][..], args].concat());
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", err(&o));
        let pv = out(&run(&h, &["lspv"]));
        let alt: Vec<&str> = pv.lines().filter(|l| l.contains("altinst_rootvg")).map(|l| &l[..6]).collect();
        assert_eq!(alt, ["hdisk1", "hdisk2"], "{args:?}: {pv}");
        let o = run(&h, &["alt_rootvg_op", "-X"]);
        assert!(o.status.success(), "{}", err(&o));
    }
}

#[test]
fn man_pages_render() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("man1");
    let o = Command::new(BIN).arg("man").arg(&dir).output().unwrap();
    assert!(o.status.success(), "{}", err(&o));
    let aix = [
        "alt_disk_copy",
        "alt_disk_mksysb",
        "alt_rootvg_op",
        "alt_disk_install",
        "mksysb",
        "mkszfile",
        "backup",
        "restore",
        "lspv",
        "lsvg",
        "bootlist",
        "bootinfo",
        "lslpp",
        "oslevel",
        "instfix",
        "installp",
        "inutoc",
        "mkinstallp",
    ];
    let mut pages = vec!["altdisk.1".to_string()];
    for (name, _) in COMMANDS {
        pages.push(if aix.contains(name) { format!("{name}.1") } else { format!("altdisk-{name}.1") });
    }
    for p in &pages {
        let roff = std::fs::read_to_string(dir.join(p)).unwrap();
        assert!(roff.contains(".SH \"EXIT STATUS\""), "{p}");
    }
    let mut found: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    pages.sort();
    assert_eq!(found, pages);
    let copy = std::fs::read_to_string(dir.join("alt_disk_copy.1")).unwrap();
    assert!(copy.contains("Skip the space check on the target disks"), "AIX flag descriptions");
    if Command::new("man").arg("--version").output().is_err() {
        eprintln!("man_pages_render: skipped rendering: no `man` command (apt-get install man-db)");
        return;
    }
    for p in &pages {
        let o = Command::new("man")
            .arg("-l")
            .arg(dir.join(p))
            .env("MANWIDTH", "80")
            .env("MAN_KEEP_FORMATTING", "0")
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .output()
            .unwrap();
        assert!(o.status.success(), "{p}: {}", err(&o));
        assert_eq!(err(&o), "", "{p}: warnings from man");
        // Without a terminal man may still overstrike (X backspace X): keep the last of each.
        let mut page = String::new();
        for c in text(&o.stdout).chars() {
            if c == '\u{8}' {
                page.pop();
            } else {
                page.push(c);
            }
        }
        assert!(page.contains("EXIT STATUS"), "{p}: {page}");
        assert!(page.contains("SYNOPSIS"), "{p}: {page}");
    }
}

#[test]
fn bash_completion_sources() {
    let t = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let o = Command::new(BIN).args(["completions", shell]).output().unwrap();
        assert!(o.status.success(), "{shell}: {}", err(&o));
        assert!(text(&o.stdout).contains("alt_disk_copy"), "{shell}");
        std::fs::write(t.path().join(shell), &o.stdout).unwrap();
    }
    let o = Command::new("bash")
        .arg("-c")
        .arg("source \"$1\" && complete -p altdisk && complete -p alt_disk_copy")
        .arg("bash")
        .arg(t.path().join("bash"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(err(&o), "");
    let o = Command::new(BIN).args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).starts_with("completions: "), "{}", err(&o));
}
