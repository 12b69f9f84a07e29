//! `altdisk backup -i` and `altdisk restore -T` driven as real processes in fresh temporary trees.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn altdisk(args: &[&str], cwd: &Path, stdin: &[u8]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_altdisk"))
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut i = c.stdin.take().unwrap();
    // The command may exit (usage error) before reading its input.
    let _ = i.write_all(stdin);
    drop(i);
    c.wait_with_output().unwrap()
}

fn tree() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    std::fs::create_dir(t.path().join("d")).unwrap();
    std::fs::write(t.path().join("d/f"), b"hello\n").unwrap();
    std::fs::write(t.path().join("d/big"), vec![b'q'; 70_000]).unwrap();
    std::os::unix::fs::symlink("f", t.path().join("d/l")).unwrap();
    t
}

const NAMES: &[u8] = b".\n./d\n./d/f\n./d/big\n./d/l\n";

#[test]
fn backup_then_list_verbose() {
    let t = tree();
    let out = t.path().join("out.bff");
    let o = altdisk(&["backup", "-iqvf", out.to_str().unwrap()], t.path(), NAMES);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "a .\na ./d\na ./d/f\na ./d/big\na ./d/l\n");
    assert_eq!(std::fs::metadata(&out).unwrap().len() % 51200, 0);

    let o = altdisk(&["restore", "-Tvf", out.to_str().unwrap()], t.path(), b"");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!(
            "{:12} .\n{:12} ./d\n{:12} ./d/f\n{:12} ./d/big\n{:12} ./d/l\nThe total size is 70007 bytes.\n\
             The number of archived files is 5.\n",
            0, 0, 6, 70000, 1
        )
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("Cluster size is 51200 bytes (100 blocks)."), "{err}");
    assert!(err.contains("The volume number is 1."), "{err}");
    assert!(err.contains("Files are backed up by name."), "{err}");
}

#[test]
fn packed_backup_to_stdout_pipes_into_restore() {
    let t = tree();
    let o = altdisk(&["backup", "-ipvf-", "-b", "2"], t.path(), NAMES);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(o.stdout.len() % 1024, 0);
    assert!(String::from_utf8_lossy(&o.stderr).contains("a ./d/big"));
    // ./d/big (70,000 identical bytes) is packed: the archive is much smaller than the data.
    assert!(o.stdout.len() < 20_000, "{}", o.stdout.len());
    let l = altdisk(&["restore", "-Tf", "-"], t.path(), &o.stdout);
    assert_eq!(l.status.code(), Some(0));
    assert_eq!(l.stdout, b".\n./d\n./d/f\n./d/big\n./d/l\n");
    // Volume information only when the archive is a file.
    assert!(!String::from_utf8_lossy(&l.stderr).contains("Cluster size"));
}

#[test]
fn lists_the_real_aix_archive() {
    let f = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/aix/test.bff");
    let o = altdisk(&["restore", "-Tqvf", f], Path::new("/"), b"");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "           0 backup\n           3 backup/file.txt\n           0 backup/folder\n           3 \
         backup/folder/file_in_folder.txt\nThe total size is 6 bytes.\nThe number of archived files is 4.\n"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("The backup date is: Mon May 27 10:04:34 UTC 2024"), "{err}");
    assert!(err.contains("The user is root."), "{err}");
}

#[test]
fn unreadable_name_is_a_soft_error_and_exit_1() {
    let t = tree();
    let out = t.path().join("o.bff");
    let o = altdisk(&["backup", "-if", out.to_str().unwrap()], t.path(), b"./d/f\n./missing\n./d/l\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("backup: ./missing: cannot back up"));
    let l = altdisk(&["restore", "-Tf", out.to_str().unwrap()], t.path(), b"");
    assert_eq!(l.stdout, b"./d/f\n./d/l\n");
}

#[test]
fn usage_errors_exit_2() {
    let t = tree();
    let o = altdisk(&["backup", "-i"], t.path(), NAMES);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("requires -f"));
    assert_eq!(altdisk(&["backup", "-iz", "-f", "x"], t.path(), b"").status.code(), Some(2));
    assert_eq!(altdisk(&["restore", "-f", "x"], t.path(), b"").status.code(), Some(2));
}

#[test]
fn damaged_archive_exits_3_and_resync_lists_the_rest() {
    let t = tree();
    let o = altdisk(&["backup", "-if-"], t.path(), NAMES);
    let mut a = o.stdout;
    let at = a.windows(5).position(|w| w == b"./d/f").unwrap();
    a[at + 2] = b'X';
    let l = altdisk(&["restore", "-Tf", "-"], t.path(), &a);
    assert_eq!(l.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&l.stderr).contains("checksum error in the header at byte offset"));
    let l = altdisk(&["restore", "-Tf", "-", "--resync"], t.path(), &a);
    assert_eq!(l.status.code(), Some(3));
    assert_eq!(l.stdout, b".\n./d\n./d/big\n./d/l\n");
    assert!(String::from_utf8_lossy(&l.stderr).contains("resynchronised: skipped"));
}

#[test]
fn times_after_2038_are_reported_as_a_format_limit() {
    let t = tree();
    // 2040-01-01 00:00:00 UTC, beyond the format's signed 32-bit times.
    let late = std::time::UNIX_EPOCH + std::time::Duration::from_secs(2_208_988_800);
    let f = std::fs::File::options().write(true).open(t.path().join("d/f")).unwrap();
    f.set_times(std::fs::FileTimes::new().set_modified(late).set_accessed(late)).unwrap();
    drop(f);
    let out = t.path().join("late.bk");
    let o = altdisk(&["backup", "-if", out.to_str().unwrap()], t.path(), NAMES);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "backup: 1 files have times after 2038-01-19 03:14:07 UTC, the format's limit; they were stored as that \
         time\n"
    );
    let dst = tempfile::tempdir().unwrap();
    let o = altdisk(&["restore", "-xqf", out.to_str().unwrap()], dst.path(), b"");
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let m = std::fs::metadata(dst.path().join("d/f")).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!(m.mtime(), i64::from(i32::MAX));
    // Under the limit: nothing to report.
    let o = altdisk(&["backup", "-if", t.path().join("ok.bk").to_str().unwrap()], t.path(), b"./d/big\n");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&o.stderr), "");
}

/// Offset of the (packed) data of each member of `archive`, by name.
fn data_offsets(archive: &[u8]) -> Vec<(String, u64, bool)> {
    use altdisk_engine::archive::{ArchiveReader, ReaderOptions, Record};
    let mut r = ArchiveReader::new(archive, ReaderOptions::default());
    let mut v = Vec::new();
    while let Some(rec) = r.next_record().unwrap() {
        if let Record::Entry(e) = rec {
            v.push((String::from_utf8_lossy(&e.name).into_owned(), r.offset(), e.packed));
        }
    }
    v
}

#[test]
fn damaged_packed_members_are_reported_and_the_rest_is_restored_exit_3() {
    let t = tempfile::tempdir().unwrap();
    let text: Vec<u8> = (0..40_000u32).flat_map(|i| format!("line {}\n", i % 97).into_bytes()).collect();
    for n in ["a", "b", "c", "d"] {
        std::fs::write(t.path().join(n), &text[..30_000]).unwrap();
    }
    // Larger than the reader's in-memory limit: streamed.
    std::fs::write(t.path().join("big"), &text).unwrap();
    let out = t.path().join("p.bk");
    let o = altdisk(&["backup", "-ipf", out.to_str().unwrap()], t.path(), b"./a\n./b\n./big\n./c\n./d\n");
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let mut bytes = std::fs::read(&out).unwrap();
    let offs = data_offsets(&bytes);
    assert!(offs.iter().all(|(_, _, packed)| *packed), "{offs:?}");
    let at = |n: &str| offs.iter().find(|(name, _, _)| name == n).unwrap().1;
    let (ob, obig) = (at("./b"), at("./big"));
    // A code-length count of 0 in the packed header: no decoder accepts it.
    bytes[ob as usize] = 0;
    bytes[obig as usize] = 0;
    std::fs::write(&out, &bytes).unwrap();

    let dst = tempfile::tempdir().unwrap();
    let o = altdisk(&["restore", "-xqf", out.to_str().unwrap()], dst.path(), b"");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    for n in ["a", "c", "d"] {
        assert_eq!(std::fs::read(dst.path().join(n)).unwrap(), &text[..30_000], "{n}");
    }
    assert!(!dst.path().join("b").exists());
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    let b = format!("restore: ./b: packed data at byte offset {ob} cannot be unpacked: ");
    assert!(lines[0].starts_with(&b) && lines[0].ends_with("; not restored (unpack)"), "{err}");
    let big = format!("restore: ./big: packed data at byte offset {obig} cannot be unpacked: ");
    assert!(lines[1].starts_with(&big) && lines[1].ends_with("; the file is incomplete (read)"), "{err}");
    assert_eq!(
        lines[2],
        "restore: 2 packed files could not be unpacked (see above); everything else readable was restored"
    );
}
