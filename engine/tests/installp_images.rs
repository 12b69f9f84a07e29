//! installp images end to end: real images built with the project's by-name archive writer and `bigar`,
//! read back by `Image` (also through short reads), the malformed cases, image locations with their
//! `.toc`, and no-panic runs of every installp parser over mutated inputs and the fuzz corpus.

mod common;

use std::path::{Path, PathBuf};

use altdisk_engine::archive::{ArchiveWriter, WriterOptions};
use altdisk_engine::installp::bigar::{self, Member};
use altdisk_engine::installp::control::InvType;
use altdisk_engine::installp::image::Image;
use altdisk_engine::installp::location::{self, TocState};
use altdisk_engine::installp::lpp_name::Content;
use altdisk_engine::installp::{bundle, toc, InstallpError, Loc};
use altdisk_engine::{Entry, EntryData, Kind, Meta, Timestamp};
use common::ShortReader;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const LPP: &str = "4 R I ranch.apps {
ranch.apps.hog 03.01.0000.0000 1 N B en_US Hog Utilities
[
*prereq bos.rte 7.2.0.0
*coreq ranch.apps.pig 3.1.0.0
%
/usr/bin 120
/etc/hog 8
INSTWORK 24 40
%
%
]
ranch.apps.pig 03.01.0000.0000 1 N U en_US Pig Utilities
[
%
/usr/bin 60
%
%
]
}
";

const HOG_INV: &str = "/usr/bin/hog:
          class = apply,inventory,ranch.apps.hog
          owner = bin
          group = bin
          mode = 555
          type = FILE
          size = 300007
          checksum = \"12345   293 \"

";

fn meta(mode: u32, size: u64) -> Meta {
    Meta {
        mode,
        size,
        uid: 2,
        gid: 2,
        nlink: 1,
        mtime: Timestamp::from_secs(1_700_000_000),
        ..Meta::default()
    }
}

fn file(name: &str, data: &[u8]) -> Entry {
    let mut e = Entry::new(name.as_bytes(), Kind::File, meta(0o644, data.len() as u64));
    e.data = EntryData::Bytes(data.to_vec().into());
    e
}

fn dir(name: &str) -> Entry {
    Entry::new(name.as_bytes(), Kind::Dir, meta(0o755, 0))
}

fn usr_lib() -> Vec<u8> {
    bigar::write(&[
        Member::new("ranch.apps.hog.al", &b"./usr/bin/hog\n"[..]),
        Member::new("ranch.apps.hog.inventory", HOG_INV),
        Member::new("ranch.apps.hog.size", &b"/usr/bin 120\n"[..]),
        Member::new("ranch.apps.pig.al", &b"./usr/bin/pig\n\n"[..]),
        Member::new("ranch.apps.pig.inventory", &b""[..]),
        Member::new("lpp.acf", &b""[..]),
    ])
}

fn root_lib() -> Vec<u8> {
    bigar::write(&[
        Member::new("ranch.apps.hog.al", &b"./etc/hog\n"[..]),
        Member::new("ranch.apps.hog.inventory", &b"/etc/hog:\n\ttype=DIRECTORY\n\tmode=755\n"[..]),
    ])
}

/// The hog binary: larger than the reader's inline limit, so it arrives as a stream that must be skipped.
fn big() -> Vec<u8> {
    (0..300_007u32).map(|i| (i * 7 % 251) as u8).collect()
}

fn standard_entries() -> Vec<Entry> {
    vec![
        file("./lpp_name", LPP.as_bytes()),
        dir("./usr"),
        dir("./usr/lpp"),
        dir("./usr/lpp/ranch.apps"),
        file("./usr/lpp/ranch.apps/liblpp.a", &usr_lib()),
        file("./usr/lpp/ranch.apps/inst_root/liblpp.a", &root_lib()),
        file("./usr/bin/hog", &big()),
        file("./usr/bin/pig", b"oink\n"),
        dir("./usr/lpp/ranch.apps/inst_root/etc/hog"),
    ]
}

fn archive(entries: &[Entry]) -> Vec<u8> {
    let mut w = ArchiveWriter::new(Vec::new(), WriterOptions::default()).unwrap();
    for e in entries {
        w.write_entry(e).unwrap();
    }
    w.finish().unwrap().0
}

fn write_image(dir: &Path, name: &str, entries: &[Entry]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, archive(entries)).unwrap();
    p
}

/// The (member, location, message) of a Malformed error.
fn malformed(e: InstallpError) -> (PathBuf, String, Loc, String) {
    match e {
        InstallpError::Malformed { image, member, error } => (image, member, error.loc, error.message),
        other => panic!("not Malformed: {other}"),
    }
}

#[test]
fn a_real_image_opens_with_its_control_libraries() {
    let t = tempfile::tempdir().unwrap();
    let p = write_image(t.path(), "ranch.apps.3.1.0.0.I", &standard_entries());
    let img = Image::open(&p).unwrap();
    assert_eq!(img.path, p);
    assert_eq!(img.size, std::fs::metadata(&p).unwrap().len());
    assert_eq!(img.lpp.package, "ranch.apps");
    assert_eq!(img.lpp.filesets[0].content, Content::Both);
    assert_eq!(img.usr.len(), 6);
    assert_eq!(img.root.as_ref().map(Vec::len), Some(2));
    assert_eq!(img.apply_list("ranch.apps.hog", false).unwrap(), ["./usr/bin/hog"]);
    assert_eq!(img.apply_list("ranch.apps.pig", false).unwrap(), ["./usr/bin/pig"]);
    assert_eq!(img.apply_list("ranch.apps.hog", true).unwrap(), ["./etc/hog"]);
    let inv = img.inventory("ranch.apps.hog", false).unwrap();
    assert_eq!(inv[0].path, "/usr/bin/hog");
    assert_eq!((inv[0].size, inv[0].checksum), (Some(300_007), Some((12345, 293))));
    assert_eq!(img.inventory("ranch.apps.hog", true).unwrap()[0].kind, InvType::Directory);
    assert_eq!(img.sizes("ranch.apps.hog", false).unwrap().unwrap()[0].blocks, 120);
    assert_eq!(img.sizes("ranch.apps.pig", false).unwrap(), None);
    assert!(img.member("lpp", "acf", false).is_some());
    assert!(img.member("ranch.apps.pig", "al", true).is_none());
    assert_eq!(img.names.first().map(String::as_str), Some("./usr"));
    assert!(img.names.iter().any(|n| n == "./usr/bin/hog"));
    assert_eq!(img.file_name(), "ranch.apps.3.1.0.0.I");
    // A missing control member names liblpp.a(member).
    let (_, member, loc, msg) = malformed(img.apply_list("ranch.apps.pig", true).unwrap_err());
    assert_eq!((member.as_str(), loc), ("inst_root/liblpp.a(ranch.apps.pig.al)", Loc::Whole));
    assert!(msg.contains("missing"));
}

#[test]
fn short_reads_give_the_same_image() {
    let bytes = archive(&standard_entries());
    let whole = Image::from_reader(Path::new("x.bff"), &bytes[..], bytes.len() as u64).unwrap();
    for seed in 0..12 {
        let img = Image::from_reader(Path::new("x.bff"), ShortReader::new(&bytes, seed), bytes.len() as u64)
            .unwrap();
        assert_eq!(img.lpp, whole.lpp);
        assert_eq!(img.usr, whole.usr);
        assert_eq!(img.root, whole.root);
        assert_eq!(img.names, whole.names);
    }
}

#[test]
fn a_file_that_is_not_an_archive() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("README");
    std::fs::write(&p, "this is not an image\n".repeat(100)).unwrap();
    let e = Image::open(&p).unwrap_err();
    let text = e.to_string();
    let (image, member, loc, msg) = malformed(e);
    assert_eq!((image, member.as_str()), (p.clone(), "README"));
    assert!(matches!(loc, Loc::Offset(_)), "{loc:?}");
    assert!(msg.starts_with("not an installp image: not a by-name (backup) archive"), "{msg}");
    assert!(text.starts_with(&format!("{}: README: byte offset", p.display())), "{text}");
}

#[test]
fn first_member_must_be_lpp_name() {
    let t = tempfile::tempdir().unwrap();
    let mut es = standard_entries();
    es.swap(0, 6);
    let p = write_image(t.path(), "swapped.bff", &es);
    let (_, member, _, msg) = malformed(Image::open(&p).unwrap_err());
    assert_eq!(member, "swapped.bff");
    assert_eq!(msg, "not an installp image: the first member is ./usr/bin/hog, not ./lpp_name");
    let p = write_image(t.path(), "empty.bff", &[]);
    let (_, _, _, msg) = malformed(Image::open(&p).unwrap_err());
    assert!(msg.contains("holds no files"), "{msg}");
}

#[test]
fn truncated_liblpp_names_the_member_and_offset() {
    let t = tempfile::tempdir().unwrap();
    let mut es = standard_entries();
    let lib = usr_lib();
    es[4] = file("./usr/lpp/ranch.apps/liblpp.a", &lib[..300]);
    let p = write_image(t.path(), "trunc.bff", &es);
    let e = Image::open(&p).unwrap_err();
    let text = e.to_string();
    let (_, member, loc, _) = malformed(e);
    assert_eq!(member, "./usr/lpp/ranch.apps/liblpp.a");
    let Loc::Offset(o) = loc else { panic!("{loc:?}") };
    assert!(o < 300, "{o}");
    assert!(text.contains("./usr/lpp/ranch.apps/liblpp.a: byte offset"), "{text}");
    // Not a big archive at all.
    es[4] = file("./usr/lpp/ranch.apps/liblpp.a", b"<aiaff>\nsmall archive");
    let p = write_image(t.path(), "small.bff", &es);
    let (_, member, loc, msg) = malformed(Image::open(&p).unwrap_err());
    assert_eq!((member.as_str(), loc), ("./usr/lpp/ranch.apps/liblpp.a", Loc::Offset(0)));
    assert!(msg.contains("small-format"));
}

#[test]
fn a_bad_lpp_name_line_and_missing_libraries() {
    let t = tempfile::tempdir().unwrap();
    let mut es = standard_entries();
    es[0] = file("./lpp_name", LPP.replace("/etc/hog 8", "/etc/hog eight").as_bytes());
    let p = write_image(t.path(), "bad.bff", &es);
    let e = Image::open(&p).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{}: ./lpp_name: line 8: size 'eight' is not a number of 512-byte blocks", p.display())
    );
    // Content B without the root-part library.
    let mut es = standard_entries();
    es.remove(5);
    let p = write_image(t.path(), "noroot.bff", &es);
    let (_, member, _, msg) = malformed(Image::open(&p).unwrap_err());
    assert_eq!(member, "./usr/lpp/ranch.apps/inst_root/liblpp.a");
    assert!(msg.contains("root-part"), "{msg}");
    let mut es = standard_entries();
    es.remove(4);
    let p = write_image(t.path(), "nousr.bff", &es);
    let (_, member, _, _) = malformed(Image::open(&p).unwrap_err());
    assert_eq!(member, "./usr/lpp/ranch.apps/liblpp.a");
    // An apply list with an absolute name names the member and the line.
    let mut es = standard_entries();
    es[4] = file(
        "./usr/lpp/ranch.apps/liblpp.a",
        &bigar::write(&[Member::new("ranch.apps.hog.al", &b"./usr/bin/hog\n/etc/passwd\n"[..])]),
    );
    let p = write_image(t.path(), "abs.bff", &es);
    let img = Image::open(&p).unwrap();
    let (_, member, loc, _) = malformed(img.apply_list("ranch.apps.hog", false).unwrap_err());
    assert_eq!((member.as_str(), loc), ("liblpp.a(ranch.apps.hog.al)", Loc::Line(2)));
}

fn set_mtime(p: &Path, secs: u64) {
    let f = std::fs::File::options().write(true).open(p).unwrap();
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs)).unwrap();
}

#[test]
fn a_location_with_a_bad_image_and_its_toc() {
    let t = tempfile::tempdir().unwrap();
    let good = write_image(t.path(), "ranch.apps.3.1.0.0.I", &standard_entries());
    std::fs::write(t.path().join("junk.bff"), b"junk").unwrap();
    std::fs::write(t.path().join(".hidden"), b"junk").unwrap();
    std::fs::create_dir(t.path().join("subdir")).unwrap();
    let loc = location::open(t.path()).unwrap();
    assert_eq!(loc.toc, TocState::Missing);
    assert_eq!(loc.images.len(), 1);
    assert_eq!(loc.images[0].path, good);
    assert_eq!(loc.problems.len(), 1);
    let (image, ..) = malformed(loc.problems.into_iter().next().unwrap());
    assert_eq!(image, t.path().join("junk.bff"));

    let (written, problems) = location::inutoc(t.path()).unwrap();
    assert_eq!(problems.len(), 1);
    let text = std::fs::read_to_string(t.path().join(".toc")).unwrap();
    let back = toc::parse(&text).unwrap();
    assert_eq!(back, written);
    let h: Vec<&str> = back.header.split(' ').collect();
    assert_eq!((h.len(), h[0], h[1].len(), h[2]), (3, "0", 14, "2"));
    assert!(h[1].bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(back.entries.len(), 1);
    assert_eq!(back.entries[0].image, "ranch.apps.3.1.0.0.I");
    assert_eq!(back.entries[0].lpp, loc.images[0].lpp);
    assert!(text.contains("ranch.apps.3.1.0.0.I 4 R I ranch.apps {\n"));
    assert_eq!(location::open(t.path()).unwrap().toc, TocState::Current);

    // An image newer than the .toc: stale, and the file is left alone.
    set_mtime(&t.path().join(".toc"), 1_000_000);
    let loc = location::open(t.path()).unwrap();
    assert_eq!(loc.toc, TocState::Stale);
    assert_eq!(std::fs::read_to_string(t.path().join(".toc")).unwrap(), text);
    location::inutoc(t.path()).unwrap();
    assert_eq!(location::open(t.path()).unwrap().toc, TocState::Current);
    // An image added: stale; the toc lists one, the directory has two.
    std::fs::copy(&good, t.path().join("copy.I")).unwrap();
    set_mtime(&t.path().join("copy.I"), 1_000_000);
    let loc = location::open(t.path()).unwrap();
    assert_eq!(loc.toc, TocState::Stale);
    assert_eq!(
        loc.images.iter().map(Image::file_name).collect::<Vec<_>>(),
        ["copy.I", "ranch.apps.3.1.0.0.I"]
    );
    // An unreadable .toc is stale too.
    std::fs::write(t.path().join(".toc"), "0 1 2\nnonsense {\n").unwrap();
    assert_eq!(location::open(t.path()).unwrap().toc, TocState::Stale);

    // A single image file is a location of one.
    let one = location::open(&good).unwrap();
    assert_eq!((one.images.len(), one.problems.len(), one.toc), (1, 0, TocState::Current));
    let e = location::open(&t.path().join("missing")).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("installp: 0503-005 The device or directory {}/missing does not exist.", t.path().display())
    );
}

fn corpus(name: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(name);
    let mut v: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    assert!(!v.is_empty(), "{} is empty", dir.display());
    v.sort();
    v
}

/// Mutations of `seed`: byte flips, insertions, deletions, duplicated slices, truncations, digit swaps.
fn mutate(rng: &mut SmallRng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..rng.gen_range(1..6) {
        let len = v.len();
        match rng.gen_range(0..7) {
            0 if len > 0 => {
                let i = rng.gen_range(0..len);
                v[i] = rng.gen();
            }
            1 => {
                let i = rng.gen_range(0..=len);
                let b = *b" \n%[]{}0123456789.:*#-".get(rng.gen_range(0..22)).unwrap_or(&b'x');
                v.insert(i, b);
            }
            2 if len > 0 => {
                let i = rng.gen_range(0..len);
                let n = rng.gen_range(1..=(len - i).min(40));
                v.drain(i..i + n);
            }
            3 if len > 1 => {
                let i = rng.gen_range(0..len);
                let j = rng.gen_range(i..=len.min(i + 64));
                let s = v[i..j].to_vec();
                let k = rng.gen_range(0..=len);
                v.splice(k..k, s);
            }
            4 if len > 0 => v.truncate(rng.gen_range(0..len)),
            5 if len > 0 => {
                let i = rng.gen_range(0..len);
                if v[i].is_ascii_digit() {
                    v[i] = b'0' + rng.gen_range(0..10);
                }
            }
            _ => v.push(rng.gen()),
        }
    }
    v
}

fn hammer(name: &str, rounds: usize, check: impl Fn(&[u8]) -> Result<(), String>) {
    let seeds = corpus(name);
    for s in &seeds {
        check(s).unwrap_or_else(|m| panic!("{name} corpus: {m}"));
    }
    let mut rng = SmallRng::seed_from_u64(0x1a9b);
    for i in 0..rounds {
        let input = if i % 10 == 9 {
            (0..rng.gen_range(0..300)).map(|_| rng.gen()).collect()
        } else {
            mutate(&mut rng, &seeds[i % seeds.len()])
        };
        check(&input).unwrap_or_else(|m| panic!("{name} input {input:?}: {m}"));
    }
}

#[test]
fn parsers_survive_mutated_inputs() {
    use altdisk_engine::installp::lpp_name;
    hammer("lpp_name_parse", 4000, lpp_name::fuzz_check);
    hammer("toc_parse", 3000, toc::fuzz_check);
    hammer("bundle_parse", 2000, bundle::fuzz_check);
    hammer("bigar_read", 4000, bigar::fuzz_read);
    // The control members too (no writer for .al / .size, so: no panic).
    use altdisk_engine::installp::control;
    hammer("lpp_name_parse", 1000, |d| {
        let s = String::from_utf8_lossy(d);
        let _ = (control::parse_apply_list(&s), control::parse_size(&s));
        if let Ok(inv) = control::parse_inventory(&s) {
            let back =
                control::parse_inventory(&control::write_inventory(&inv)).map_err(|e| e.to_string())?;
            if back != inv {
                return Err("inventory round trip differs".into());
            }
        }
        Ok(())
    });
}

#[test]
fn images_survive_mutated_archives() {
    let bytes = archive(&standard_entries()[..6]);
    let mut rng = SmallRng::seed_from_u64(7);
    for i in 0..400 {
        let m = mutate(&mut rng, &bytes);
        // Through short reads as well: no panic either way, and the same verdict.
        let a = Image::from_reader(Path::new("m.bff"), &m[..], m.len() as u64);
        let b = Image::from_reader(Path::new("m.bff"), ShortReader::new(&m, i), m.len() as u64);
        assert_eq!(a.is_ok(), b.is_ok(), "input {i}");
    }
}
