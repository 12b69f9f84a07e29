//! A clone of 50k small files while another thread appends to, truncates, replaces, renames and deletes
//! them. Only invariants are checked, never timing: the run ends without a fatal error, every target file is
//! one version its source had (each version is one repeated letter, so a torn mix or a zero-filled stand-in
//! shows), and the counts agree with the events.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use altdisk_engine::pipeline::{self, Refresh};
use altdisk_engine::tree::TreeOptions;
use altdisk_engine::walk::WalkOptions;
use altdisk_engine::{Event, Events};

const DIRS: usize = 100;
const PER_DIR: usize = 500;

#[derive(Default)]
struct Tally {
    errors: AtomicU64,
    changed_errors: AtomicU64,
    changed: AtomicU64,
    vanished: AtomicU64,
    first: Mutex<Vec<String>>,
}

impl Events for Tally {
    fn event(&self, ev: &Event<'_>) {
        match ev {
            Event::SoftError { class, path, message } => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                if *class == "changed" {
                    self.changed_errors.fetch_add(1, Ordering::Relaxed);
                }
                if let Ok(mut v) = self.first.lock() {
                    if v.len() < 5 {
                        v.push(format!("{class} {path}: {message}"));
                    }
                }
            }
            Event::Changed { .. } => {
                self.changed.fetch_add(1, Ordering::Relaxed);
            }
            Event::Warning(w) if w.ends_with("deleted before it was copied; left out") => {
                self.vanished.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }
}

fn file(src: &Path, i: usize) -> PathBuf {
    src.join(format!("d{:03}", i % DIRS)).join(format!("f{i}"))
}

/// Each file `i` starts as `1 + i % 300` copies of one letter.
fn tag(i: usize, v: usize) -> u8 {
    b'a' + ((i + v) % 26) as u8
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 as usize
    }
}

/// Changes files until `stop`; every version it makes is one repeated letter.
fn mutate(src: &Path, stop: &AtomicBool) -> u64 {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut ops = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let i = rng.next() % (DIRS * PER_DIR);
        let p = file(src, i);
        let _ = match rng.next() % 5 {
            0 => std::fs::read(&p).and_then(|b| {
                let t = b.first().copied().unwrap_or(tag(i, 0));
                let mut f = std::fs::OpenOptions::new().append(true).open(&p)?;
                f.write_all(&vec![t; 1 + rng.next() % 200])
            }),
            1 => std::fs::OpenOptions::new().write(true).open(&p).and_then(|f| {
                let len = f.metadata()?.len();
                f.set_len(len / 2)
            }),
            2 => {
                // A new version written aside and renamed over the file: a new inode, whole at once.
                let tmp = p.with_extension("new");
                std::fs::write(&tmp, vec![tag(i, 1 + rng.next() % 25); 1 + rng.next() % 300])
                    .and_then(|()| std::fs::rename(&tmp, &p))
            }
            3 => std::fs::rename(&p, p.with_extension("moved")),
            _ => std::fs::remove_file(&p),
        };
        ops += 1;
    }
    ops
}

/// Every regular file below `dir`: (count, the first one that is not one repeated letter).
fn check(dir: &Path) -> (u64, Option<PathBuf>) {
    let (mut n, mut bad) = (0, None);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let t = e.file_type().unwrap();
            if t.is_dir() {
                stack.push(e.path());
            } else if t.is_file() {
                n += 1;
                let b = std::fs::read(e.path()).unwrap();
                let one_letter =
                    b.first().is_none_or(|&c| c.is_ascii_lowercase() && b.iter().all(|&x| x == c));
                if !one_letter && bad.is_none() {
                    bad = Some(e.path());
                }
            }
        }
    }
    (n, bad)
}

#[test]
fn a_clone_of_files_changing_under_it_holds_only_versions_they_had_and_counts_agree() {
    // tmpfs when there is one: 40k creations and removals on a busy disk take longer than the test itself.
    let t = tempfile::tempdir_in("/dev/shm").or_else(|_| tempfile::tempdir()).unwrap();
    let src = t.path().join("src");
    let t0 = std::time::Instant::now();
    for d in 0..DIRS {
        std::fs::create_dir_all(src.join(format!("d{d:03}"))).unwrap();
    }
    for i in 0..DIRS * PER_DIR {
        std::fs::write(file(&src, i), vec![tag(i, 0); 1 + i % 300]).unwrap();
    }
    let gen = t0.elapsed();
    let dst = t.path().join("dst");
    let wopts = WalkOptions::new(&src).with_data_source(true).read_ahead(4096).threads(2);
    let topts = TreeOptions { target: dst.clone(), threads: 2, ..TreeOptions::default() };
    let ev = Tally::default();
    let stop = AtomicBool::new(false);
    let (res, ops) = std::thread::scope(|s| {
        let h = s.spawn(|| mutate(&src, &stop));
        let res = pipeline::clone_tree(&wopts, None, false, &topts, Refresh::All, &ev);
        stop.store(true, Ordering::Relaxed);
        (res, h.join().unwrap())
    });
    let cloned = t0.elapsed() - gen;
    let s = res.expect("no fatal error");
    assert!(ops > 0);
    let (files, bad) = check(&dst);
    assert_eq!(bad, None, "a target file that is not one version of its source");
    assert_eq!(files, s.tree.files, "the files written are the files in the target");
    let first = ev.first.lock().unwrap().clone();
    assert_eq!(s.tree.soft_errors + s.walk.soft_errors, ev.errors.load(Ordering::Relaxed), "{first:?}");
    assert_eq!(
        s.tree.changed,
        ev.changed.load(Ordering::Relaxed) + ev.changed_errors.load(Ordering::Relaxed),
        "{first:?}"
    );
    assert_eq!(s.tree.vanished + s.walk.vanished, ev.vanished.load(Ordering::Relaxed));
    eprintln!("first errors: {first:?}; generated in {gen:?}, cloned in {cloned:?}");
    eprintln!(
        "{ops} changes during the clone; {} files copied, {} changed, {} vanished, {} soft errors",
        s.tree.files,
        s.tree.changed,
        s.tree.vanished + s.walk.vanished,
        s.tree.soft_errors + s.walk.soft_errors
    );
}
