//! A location of images (`installp -d DIR`, `bffcreate -l`): a directory of image files with its `.toc`,
//! or a single image file; and `inutoc`, which writes the `.toc` (spec installp.md §5.1).
//!
//! One bad image does not spoil the location: it is reported in [`Location::problems`] and the others stay
//! usable.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::image::Image;
use super::toc::{self, Toc, TocEntry};
use super::InstallpError;
use crate::Error;

/// Whether a directory's `.toc` can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TocState {
    /// It exists, parses, lists exactly the images present and is not older than any of them. (A location
    /// of a single image file has no `.toc` and counts as current.)
    Current,
    /// It exists but is out of date or unreadable: the table was rebuilt in memory, the file left alone.
    Stale,
    /// There is none.
    Missing,
}

/// An opened location.
#[derive(Debug)]
pub struct Location {
    /// The directory (or the single image file) given.
    pub dir: PathBuf,
    /// The images that opened, sorted by file name.
    pub images: Vec<Image>,
    /// The files that are not usable images, one error each.
    pub problems: Vec<InstallpError>,
    /// The state of `DIR/.toc`.
    pub toc: TocState,
}

impl Location {
    /// The table of contents of the images, as `inutoc` would write it with `header`.
    pub(crate) fn build_toc(&self, header: &str) -> Toc {
        Toc {
            header: header.to_string(),
            entries: self
                .images
                .iter()
                .map(|i| TocEntry { image: i.file_name(), lpp: i.lpp.clone() })
                .collect(),
        }
    }
}

fn not_found(dir: &Path) -> Error {
    Error::refused(format!("installp: 0503-005 The device or directory {} does not exist.", dir.display()))
}

/// Opens a location: a directory (every regular file but `.toc` and other dot files is tried as an image)
/// or a single image file. A missing location is refused with installp's words, naming it.
pub fn open(dir: &Path) -> Result<Location, Error> {
    open_with(dir, Image::open)
}

/// [`open`] for installing: each image is opened with [`Image::open_control`], which reads only its
/// control data; the install reads the files in its own pass.
pub fn open_control(dir: &Path) -> Result<Location, Error> {
    open_with(dir, Image::open_control)
}

fn open_with(dir: &Path, open_image: fn(&Path) -> Result<Image, InstallpError>) -> Result<Location, Error> {
    let meta = std::fs::metadata(dir).map_err(|_| not_found(dir))?;
    if meta.is_file() {
        let (images, problems) = match open_image(dir) {
            Ok(i) => (vec![i], vec![]),
            Err(e) => (vec![], vec![e]),
        };
        return Ok(Location { dir: dir.to_path_buf(), images, problems, toc: TocState::Current });
    }
    if !meta.is_dir() {
        return Err(Error::refused(format!(
            "installp: {} is neither a directory of installation images nor an image file.",
            dir.display()
        )));
    }
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| Error::io("read the directory", dir, e))? {
        let e = e.map_err(|e| Error::io("read the directory", dir, e))?;
        let name = e.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let p = e.path();
        if std::fs::metadata(&p).is_ok_and(|m| m.is_file()) {
            files.push(p);
        }
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    let mut images = Vec::new();
    let mut problems = Vec::new();
    for f in files {
        match open_image(&f) {
            Ok(i) => images.push(i),
            Err(e) => problems.push(e),
        }
    }
    let toc = toc_state(dir, &images);
    Ok(Location { dir: dir.to_path_buf(), images, problems, toc })
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

fn toc_state(dir: &Path, images: &[Image]) -> TocState {
    let path = dir.join(".toc");
    if !path.exists() {
        return TocState::Missing;
    }
    let Ok(text) = std::fs::read_to_string(&path) else { return TocState::Stale };
    let Ok(t) = toc::parse(&text) else { return TocState::Stale };
    let listed: BTreeSet<&str> = t.entries.iter().map(|e| e.image.as_str()).collect();
    let names: Vec<String> = images.iter().map(Image::file_name).collect();
    let present: BTreeSet<&str> = names.iter().map(String::as_str).collect();
    if listed != present || listed.len() != t.entries.len() {
        return TocState::Stale;
    }
    let Some(toc_time) = mtime(&path) else { return TocState::Stale };
    if images.iter().any(|i| mtime(&i.path).is_none_or(|m| m > toc_time)) {
        return TocState::Stale;
    }
    TocState::Current
}

/// `YYYYMMDDhhmmss` in UTC for seconds since the epoch.
pub(crate) fn utc_stamp(secs: i64) -> String {
    let c = crate::clock::civil(secs);
    format!("{:04}{:02}{:02}{:02}{:02}{:02}", c.year, c.month, c.day, c.hour, c.minute, c.second)
}

/// `inutoc DIR`: builds the `.toc` from the images in `dir` and writes `DIR/.toc` atomically (a temporary
/// file renamed over it). Returns the table and the files that were not usable images.
pub fn inutoc(dir: &Path) -> Result<(Toc, Vec<InstallpError>), Error> {
    let meta = std::fs::metadata(dir).map_err(|_| {
        Error::refused(format!("inutoc: 0503-005 The device or directory {} does not exist.", dir.display()))
    })?;
    if !meta.is_dir() {
        return Err(Error::refused(format!("inutoc: {} is not a directory.", dir.display())));
    }
    let loc = open(dir)?;
    let now =
        SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let toc = loc.build_toc(&format!("0 {} 2", utc_stamp(now)));
    let tmp = dir.join(format!(".toc.tmp.{}", std::process::id()));
    if let Err(e) = std::fs::write(&tmp, toc::to_text(&toc)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io("write", tmp, e));
    }
    let dest = dir.join(".toc");
    if let Err(e) = std::fs::rename(&tmp, &dest) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io("rename to", dest, e));
    }
    Ok((toc, loc.problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_stamps() {
        assert_eq!(utc_stamp(0), "19700101000000");
        // `date -u -d @1796362200 +%Y%m%d%H%M%S`
        assert_eq!(utc_stamp(1_796_362_200), "20261204053000");
        assert_eq!(utc_stamp(951_782_400), "20000229000000");
        assert_eq!(utc_stamp(-1), "19691231235959");
    }

    #[test]
    fn missing_and_odd_locations_are_refused_with_the_name() {
        let e = open(Path::new("/nonexistent/images")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "installp: 0503-005 The device or directory /nonexistent/images does not exist."
        );
        let e = open(Path::new("/dev/null")).unwrap_err();
        assert!(e.to_string().contains("/dev/null"), "{e}");
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("x");
        std::fs::write(&f, "").unwrap();
        assert!(inutoc(&f).unwrap_err().to_string().contains("is not a directory"));
        let empty = open(t.path()).unwrap();
        assert_eq!(empty.toc, TocState::Missing);
        assert_eq!((empty.images.len(), empty.problems.len()), (0, 1));
    }
}
