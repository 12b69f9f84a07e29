//! A live source file that is gone by the time the tree writer copies it (deleted between walk and copy) is
//! reported by its source path (a warning: the target matches the source as it is now), counted as vanished,
//! and leaves no empty stand-in in the target.

use std::ffi::CString;
use std::os::fd::OwnedFd;
use std::sync::{Arc, Mutex};

use altdisk_engine::entry::SourceFile;
use altdisk_engine::tree::{write_tree, TreeOptions};
use altdisk_engine::{Entry, EntryData, Event, Events, Kind, Meta};

#[derive(Default)]
struct Errors(Mutex<Vec<String>>);

impl Events for Errors {
    fn event(&self, ev: &Event<'_>) {
        match ev {
            Event::SoftError { path, message, .. } => {
                self.0.lock().unwrap().push(format!("{path}: {message}"))
            }
            Event::Warning(w) => self.0.lock().unwrap().push(format!("warning {w}")),
            _ => {}
        }
    }
}

#[test]
fn a_source_file_deleted_before_the_copy_is_a_named_counted_warning_and_not_left_behind() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("gone"), b"soon deleted").unwrap();
    std::fs::write(src.join("kept"), b"kept").unwrap();
    let dir: Arc<OwnedFd> = Arc::new(std::fs::File::open(&src).unwrap().into());
    let file = |name: &str| {
        let meta = Meta { mode: 0o644, size: 4, ..Meta::default() };
        let mut e = Entry::new(format!("./{name}"), Kind::File, meta);
        e.data = EntryData::Source(SourceFile {
            dir: Arc::clone(&dir),
            name: CString::new(name).unwrap(),
            path: src.join(name),
            open: None,
        });
        e
    };
    let batch = vec![file("gone"), file("kept")];
    // The walk saw it; it is deleted before the writer runs.
    std::fs::remove_file(src.join("gone")).unwrap();
    let (tx, rx) = altdisk_engine::batch::channel();
    tx.send(batch).unwrap();
    drop(tx);
    let dst = t.path().join("dst");
    let opts = TreeOptions { target: dst.clone(), ..TreeOptions::default() };
    let ev = Errors::default();
    let stats = write_tree(&opts, rx, &ev).unwrap();
    assert_eq!(stats.soft_errors, 0);
    assert_eq!(stats.vanished, 1);
    assert_eq!(stats.files, 1);
    let errors = ev.0.into_inner().unwrap();
    assert_eq!(
        errors,
        [format!("warning {}: deleted before it was copied; left out", src.join("gone").display())]
    );
    assert!(!dst.join("gone").exists(), "no stand-in");
    assert_eq!(std::fs::read(dst.join("kept")).unwrap(), b"kept");
}
