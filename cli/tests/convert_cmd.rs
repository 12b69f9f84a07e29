//! `altdisk convert` as a real process: tree → by-name (`backup --walk`) → tar → tree (`tar -x`), and tree
//! → GNU tar (the `tar` command, `--posix --xattrs --acls`) → by-name → tree (`restore -x`), both checked
//! with the rsync oracle (`rsync -naHAXci --delete`), whose only lines must be the classes the by-name
//! format cannot hold, which the reports must count. Also: GNU pax sparse, standard input/output, zstd,
//! damaged input (exit 3 with the offset), bad command lines (exit 2).

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

mod common;
use common::{altdisk, err, is_root, text, BIN};

fn sh(cmd: &str, cwd: &Path) -> Output {
    let o = Command::new("sh").arg("-c").arg(cmd).current_dir(cwd).output().unwrap();
    assert!(o.status.success(), "{cmd}: {}", err(&o));
    o
}

/// True when the tools the round trips need are here and the filesystem takes user xattrs and ACLs.
fn tools(dir: &Path) -> bool {
    let ok = |c: &str| {
        Command::new("sh").arg("-c").arg(c).current_dir(dir).output().is_ok_and(|o| o.status.success())
    };
    if !ok("command -v rsync && command -v setfacl && command -v setfattr && command -v tar") {
        eprintln!("skipped: rsync, setfacl, setfattr or tar missing");
        return false;
    }
    if !ok("touch probe && setfattr -n user.p -v 1 probe && setfacl -m u:12345:r probe && rm probe") {
        eprintln!("skipped: the temporary filesystem takes no user xattrs or ACLs");
        return false;
    }
    true
}

/// The source tree: every class the issue names. All times are whole seconds except `f`'s mtime.
fn make_tree(src: &Path) {
    let long = "n".repeat(120);
    let target = format!("{}/{}", "t".repeat(60), "u".repeat(60));
    let mut script = format!(
        "set -e
         mkdir -p d dacl deep/{long}
         printf 'hello\\n' > f
         setfattr -n user.comment -v 'a note' f
         printf 'acl\\n' > g
         setfacl -m u:12345:r,g:54321:rw g
         setfacl -d -m u:12345:rx dacl
         printf 'linked\\n' > d/a
         ln d/a d/b
         ln -s d/a s
         ln -s {target} longlink
         printf 'deep\\n' > deep/{long}/file
         : > empty
         head -c 600000 /dev/urandom > big
         yes 'a line the packer squeezes' | head -c 200000 > text
         truncate -s 3M sparse
         printf 'data' | dd of=sparse bs=1 seek=1048576 conv=notrunc 2>/dev/null
         mkfifo fifo
        "
    );
    if is_root() {
        script.push_str("mknod cdev c 1 3\nchown 1234:5678 g\n");
    }
    script.push_str(
        "find . -exec touch -h -d @1600000000 {} +
         touch -m -d @1600000000.5 f
         touch -a -d @1600000000 f\n",
    );
    sh(&script, src);
}

fn rsync_diff(src: &Path, dst: &Path) -> Vec<String> {
    let mut v: Vec<String> = common::rsync_diff(src, dst, true).lines().map(str::to_string).collect();
    v.sort();
    v
}

/// What the by-name format cannot hold of the tree: `f`'s user xattr and `dacl`'s default ACL.
fn byname_losses() -> Vec<String> {
    vec![".d.......a. dacl/".to_string(), ".f........x f".to_string()]
}

fn convert_io(args: &[&str], stdin: &Path, stdout: &Path, cwd: &Path) -> Output {
    Command::new(BIN)
        .arg("convert")
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::from(fs::File::open(stdin).unwrap()))
        .stdout(Stdio::from(fs::File::create(stdout).unwrap()))
        .output()
        .unwrap()
}

#[test]
fn tree_to_byname_to_tar_to_tree_equals_the_source_but_what_byname_cannot_hold() {
    let t = tempfile::tempdir().unwrap();
    if !tools(t.path()) {
        return;
    }
    let (src, dst) = (t.path().join("src"), t.path().join("dst"));
    fs::create_dir_all(&src).unwrap();
    fs::create_dir_all(&dst).unwrap();
    make_tree(&src);
    let o = altdisk(&["backup", "--walk", src.to_str().unwrap(), "-f", "a.bff"], t.path());
    assert!(o.status.success(), "{}", err(&o));
    assert!(err(&o).contains("cannot hold 1 extended attributes and 1 default ACLs"), "{}", err(&o));

    let o = altdisk(&["convert", "a.bff", "b.tar"], t.path());
    assert_eq!((o.status.code(), err(&o)), (Some(0), String::new()), "by-name to tar loses nothing here");
    // GNU long names for the 130-byte name and the 121-byte link target.
    let raw = fs::read(t.path().join("b.tar")).unwrap();
    assert!(raw.windows(14).any(|w| w == b"././@LongLink\0"));

    sh("tar --xattrs --xattrs-include='*' --acls --numeric-owner -xpf ../b.tar", &dst);
    assert_eq!(rsync_diff(&src, &dst), byname_losses());

    // Our tar back to by-name (GNU long names read back) and restored: the same tree again.
    let dst2 = t.path().join("dst2");
    let o = altdisk(&["convert", "b.tar", "c.bff"], t.path());
    assert_eq!((o.status.code(), err(&o)), (Some(0), String::new()));
    let o = altdisk(&["restore", "-xqf", "c.bff", "--target", dst2.to_str().unwrap()], t.path());
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(rsync_diff(&src, &dst2), byname_losses());

    // A packed archive of the same tree gives a tar of the same tree.
    let o = altdisk(&["backup", "--walk", src.to_str().unwrap(), "-p", "-f", "p.bff"], t.path());
    assert!(o.status.success(), "{}", err(&o));
    let packed = fs::metadata(t.path().join("p.bff")).unwrap().len();
    assert!(packed < fs::metadata(t.path().join("a.bff")).unwrap().len(), "nothing was packed");
    let o = altdisk(&["convert", "p.bff", "p.tar"], t.path());
    assert_eq!((o.status.code(), err(&o)), (Some(0), String::new()));
    let dstp = t.path().join("dstp");
    fs::create_dir_all(&dstp).unwrap();
    sh("tar --xattrs --xattrs-include='*' --acls --numeric-owner -xpf ../p.tar", &dstp);
    assert_eq!(rsync_diff(&src, &dstp), byname_losses());

    // Standard input to standard output gives the same bytes as file to file.
    let o =
        convert_io(&["-", "-", "--to", "tar"], &t.path().join("a.bff"), &t.path().join("s.tar"), t.path());
    assert_eq!((o.status.code(), err(&o)), (Some(0), String::new()));
    assert!(fs::read(t.path().join("s.tar")).unwrap() == raw, "standard output differs from the file");
}

#[test]
fn gnu_tar_to_byname_to_tree_equals_the_source_and_counts_what_byname_cannot_hold() {
    let t = tempfile::tempdir().unwrap();
    if !tools(t.path()) {
        return;
    }
    let (src, dst) = (t.path().join("src"), t.path().join("dst"));
    fs::create_dir_all(&src).unwrap();
    make_tree(&src);
    sh("tar --atime-preserve --xattrs --acls --posix -C src -cf g.tar .", t.path());
    let o = altdisk(&["convert", "g.tar", "x.bff"], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(
        err(&o),
        "convert: not in the by-name output (the format cannot hold them): xattrs: 1, default ACLs: 1, \
         nanosecond times (truncated to seconds): 1\n"
    );
    let o = altdisk(&["restore", "-xqf", "x.bff", "--target", dst.to_str().unwrap()], t.path());
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(rsync_diff(&src, &dst), byname_losses());
    // f's mtime lost its half second, nothing more.
    assert_eq!(fs::metadata(dst.join("f")).unwrap().mtime(), 1600000000);
    assert_eq!(fs::metadata(dst.join("f")).unwrap().mtime_nsec(), 0);

    // From standard input, to a zstd by-name file that restore reads.
    let o = convert_io(
        &["-", "-", "--to", "byname", "-Z"],
        &t.path().join("g.tar"),
        &t.path().join("z.bff"),
        t.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(fs::read(t.path().join("z.bff")).unwrap()[..4], [0x28, 0xB5, 0x2F, 0xFD]);
    let dst3 = t.path().join("dst3");
    let o = altdisk(&["restore", "-xqf", "z.bff", "--target", dst3.to_str().unwrap()], t.path());
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(rsync_diff(&src, &dst3), byname_losses());
}

#[test]
fn gnu_pax_sparse_members_are_expanded_and_counted() {
    let t = tempfile::tempdir().unwrap();
    if !tools(t.path()) {
        return;
    }
    let src = t.path().join("src");
    fs::create_dir_all(&src).unwrap();
    sh(
        "truncate -s 3M sparse && printf 'data' | dd of=sparse bs=1 seek=1048576 conv=notrunc 2>/dev/null",
        &src,
    );
    sh("tar --posix -S -C src -cf s.tar ./sparse", t.path());
    // GNU tar wrote pax sparse 1.0: the member is named GNUSparseFile.0/... in the raw archive.
    assert!(fs::read(t.path().join("s.tar")).unwrap().windows(13).any(|w| w == b"GNUSparseFile"));
    let o = altdisk(&["convert", "s.tar", "s.bff"], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(err(&o).ends_with("sparse layouts (written dense): 1\n"), "{}", err(&o));
    let o = altdisk(&["restore", "-Tvf", "s.bff"], t.path());
    assert!(text(&o.stdout).contains("     3145728 ./sparse\n"), "{}", text(&o.stdout));
    let dst = t.path().join("dst");
    let o = altdisk(&["restore", "-xqf", "s.bff", "--target", dst.to_str().unwrap()], t.path());
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(fs::read(dst.join("sparse")).unwrap(), fs::read(src.join("sparse")).unwrap());
    // restore makes the all-zero blocks holes again.
    let m = fs::metadata(dst.join("sparse")).unwrap();
    assert!(m.blocks() * 512 < m.len() / 2, "{} blocks", m.blocks());
}

#[test]
fn damaged_input_exits_3_naming_the_offset_and_leaves_no_output() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let src = d.join("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("a"), vec![7u8; 100_000]).unwrap();
    fs::write(src.join("b"), b"bee").unwrap();
    sh("tar --format=gnu -C src -cf ok.tar ./a ./b", d);
    let tar = fs::read(d.join("ok.tar")).unwrap();

    // Cut inside a's data: the header of ./a is at 0, its data starts at 512.
    fs::write(d.join("cut.tar"), &tar[..50_000]).unwrap();
    let o = altdisk(&["convert", "cut.tar", "out.bff"], d);
    assert_eq!(o.status.code(), Some(3), "{}", err(&o));
    assert!(
        err(&o).contains("convert: cut.tar: tar archive damaged at byte offset 512: ./a: the data ends after 49488 of 100000 bytes\n"),
        "{}",
        err(&o)
    );
    assert!(err(&o).contains("out.bff was not finished and has been removed"), "{}", err(&o));
    assert!(!d.join("out.bff").exists());

    // A header whose checksum does not match.
    let mut bad = tar.clone();
    let second = 512 + 100_000usize.div_ceil(512) * 512;
    bad[second + 1] ^= 0x20;
    fs::write(d.join("bad.tar"), &bad).unwrap();
    let o = altdisk(&["convert", "bad.tar", "out.bff"], d);
    assert_eq!(o.status.code(), Some(3), "{}", err(&o));
    assert!(
        err(&o).contains(&format!("convert: bad.tar: tar archive damaged at byte offset {}", second + 512)),
        "{}",
        err(&o)
    );
    assert!(err(&o).contains("checksum"), "{}", err(&o));

    // A by-name archive cut short.
    let o = altdisk(&["convert", "ok.tar", "ok.bff"], d);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let bff = fs::read(d.join("ok.bff")).unwrap();
    fs::write(d.join("cut.bff"), &bff[..60_000]).unwrap();
    let o = altdisk(&["convert", "cut.bff", "out.tar"], d);
    assert_eq!(o.status.code(), Some(3), "{}", err(&o));
    assert!(err(&o).contains("convert: cut.bff: archive truncated at byte offset 60000"), "{}", err(&o));
    assert!(!d.join("out.tar").exists());

    // Not an archive at all.
    fs::write(d.join("junk"), b"just some text\n").unwrap();
    let o = altdisk(&["convert", "junk", "out.tar"], d);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(
        err(&o),
        "convert: out.tar was not finished and has been removed\nconvert: junk: not a by-name or tar archive \
         (byte offset 0): no by-name volume label and no ustar magic in the first 15 bytes\n"
    );
}

#[test]
fn bad_command_lines_exit_2() {
    let t = tempfile::tempdir().unwrap();
    fs::write(t.path().join("in.tar"), b"").unwrap();
    for (args, msg) in [
        (&["convert", "in.tar", "out.xyz"][..], "convert: cannot tell the output format from \"out.xyz\""),
        (&["convert", "in.tar", "-"][..], "convert: cannot tell the output format from \"-\""),
        (&["convert", "in.tar", "out.tar", "--pack"][..], "convert: --pack goes with by-name output only"),
        (&["convert", "in.tar", "in.tar", "--to", "tar"][..], "convert: IN and OUT are the same file"),
        (&["convert", "in.tar", "o.bff", "--zstd=40"][..], "convert: --zstd=40: the level must be"),
    ] {
        let o = altdisk(args, t.path());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", err(&o));
        assert!(err(&o).starts_with(msg), "{args:?}: {}", err(&o));
        assert_eq!(err(&o).lines().count(), 1, "{}", err(&o));
    }
}
