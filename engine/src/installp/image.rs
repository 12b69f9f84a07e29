//! One installp image file (spec installp.md §1, §12.1): a by-name archive whose first member is
//! `./lpp_name`, with the control libraries `./usr/lpp/PKG/liblpp.a` and (for filesets with a root part)
//! `./usr/lpp/PKG/inst_root/liblpp.a` somewhere in it.
//!
//! Opening an image reads only `lpp_name` and the control libraries into memory; the data of every other
//! member is skipped, so listing a directory of large images stays cheap.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use super::bigar::{self, Member};
use super::control::{self, InvEntry};
use super::lpp_name::{LppName, SizeEntry};
use super::{InstallpError, Loc, ParseError};
use crate::archive::{open_stream, ArchiveReader, ReaderOptions, Record};
use crate::entry::Kind;

/// Largest `lpp_name` or `liblpp.a` read into memory. Real ones are kilobytes to a few megabytes; the cap
/// only stops a hostile (packed) member from inflating without bound.
const CONTROL_MAX: usize = 256 << 20;

/// An opened image.
#[derive(Debug, Clone)]
pub struct Image {
    /// The image file.
    pub path: PathBuf,
    /// Its `lpp_name`.
    pub lpp: LppName,
    /// The members of the usr part's `liblpp.a`.
    pub usr: Vec<Member>,
    /// The members of the root part's `liblpp.a`, when the image has one.
    pub root: Option<Vec<Member>>,
    /// Size of the image file in bytes.
    pub size: u64,
    /// The names of all archive members after `./lpp_name`, in archive order (what apply lists refer to).
    /// Complete only when [`Image::whole`]; otherwise the members read before the control libraries were
    /// all found.
    pub names: Vec<String>,
    /// The whole archive was read ([`Image::open`]): [`Image::names`] is complete and every header up to
    /// the end was checked. False after [`Image::open_control`], which stops after the control libraries.
    pub whole: bool,
}

/// A `Write` into memory that refuses to grow beyond a cap.
struct Capped(Vec<u8>);

impl Write for Capped {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        if self.0.len() + b.len() > CONTROL_MAX {
            return Err(io::Error::other(format!("larger than {} MiB", CONTROL_MAX >> 20)));
        }
        self.0.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn malformed(image: &Path, member: impl Into<String>, error: ParseError) -> InstallpError {
    InstallpError::Malformed { image: image.to_path_buf(), member: member.into(), error }
}

/// The file name of `path`, for messages about the file as a whole.
fn file_label(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

impl Image {
    /// Opens and checks an image file. Every error is [`InstallpError::Malformed`] naming the file, the
    /// member and the line or byte offset.
    pub fn open(path: &Path) -> Result<Image, InstallpError> {
        let whole = |m: String| malformed(path, file_label(path), ParseError { loc: Loc::Whole, message: m });
        let file = File::open(path).map_err(|e| whole(format!("cannot open the image: {e}")))?;
        let meta = file.metadata().map_err(|e| whole(format!("cannot read the image: {e}")))?;
        if !meta.is_file() {
            return Err(whole("not an installp image: not a regular file".into()));
        }
        Image::from_reader(path, file, meta.len())
    }

    /// Opens an image for installing from it: like [`Image::open`], but reading stops as soon as
    /// `lpp_name` and the control libraries are in (the second and third members of an mkinstallp image),
    /// instead of walking every header to the end. The install's own pass over the files reads the rest,
    /// so the image is read once, not twice; damage further on is then found by that pass (an error after
    /// the files before it were written) rather than here (the image skipped). The root part's control
    /// library is looked for only when `lpp_name` declares a root part.
    pub fn open_control(path: &Path) -> Result<Image, InstallpError> {
        let whole = |m: String| malformed(path, file_label(path), ParseError { loc: Loc::Whole, message: m });
        let file = File::open(path).map_err(|e| whole(format!("cannot open the image: {e}")))?;
        let meta = file.metadata().map_err(|e| whole(format!("cannot read the image: {e}")))?;
        if !meta.is_file() {
            return Err(whole("not an installp image: not a regular file".into()));
        }
        Image::read(path, file, meta.len(), false)
    }

    /// Reads an image from any stream; `path` and `size` are what the result and its errors report.
    pub fn from_reader(path: &Path, input: impl Read, size: u64) -> Result<Image, InstallpError> {
        Image::read(path, input, size, true)
    }

    /// [`Image::from_reader`]; with `whole` false it stops once the control libraries are in.
    fn read(path: &Path, input: impl Read, size: u64, whole: bool) -> Result<Image, InstallpError> {
        let label = file_label(path);
        // Plain or zstd-compressed: the stream says which (crate::archive::stream).
        let input = open_stream(input).map_err(|e| {
            malformed(
                path,
                label.clone(),
                ParseError { loc: Loc::Whole, message: format!("cannot read the image: {e}") },
            )
        })?;
        let mut rd = ArchiveReader::new(input, ReaderOptions::default());
        let mut lpp: Option<LppName> = None;
        let (mut usr_name, mut root_name) = (String::new(), String::new());
        let (mut usr_bytes, mut root_bytes) = (None, None);
        let mut names = Vec::new();
        loop {
            let rec = match rd.next_record() {
                Ok(Some(r)) => r,
                Ok(None) => break,
                Err(e) => {
                    let message = if lpp.is_none() {
                        format!("not an installp image: not a by-name (backup) archive: {e}")
                    } else {
                        format!("the archive is damaged: {e}")
                    };
                    let loc = e.offset().map_or(Loc::Whole, Loc::Offset);
                    return Err(malformed(path, label, ParseError { loc, message }));
                }
            };
            let e = match rec {
                Record::Entry(e) => e,
                Record::End => break,
                Record::Volume(_) | Record::VolumeEnd => continue,
            };
            let name = String::from_utf8_lossy(&e.name).into_owned();
            let read_member = |rd: &mut ArchiveReader<_>, member: &str| -> Result<Vec<u8>, InstallpError> {
                if e.kind() != Some(Kind::File) {
                    return Err(malformed(
                        path,
                        member,
                        ParseError::offset(e.offset, "is not a regular file in the archive"),
                    ));
                }
                let mut out = Capped(Vec::new());
                rd.read_data(&mut out).map_err(|err| {
                    let loc = err.offset().map_or(Loc::Whole, Loc::Offset);
                    malformed(path, member, ParseError { loc, message: err.to_string() })
                })?;
                Ok(out.0)
            };
            if lpp.is_none() {
                if name != "./lpp_name" {
                    return Err(malformed(
                        path,
                        label,
                        ParseError::offset(
                            e.offset,
                            format!("not an installp image: the first member is {name}, not ./lpp_name"),
                        ),
                    ));
                }
                let bytes = read_member(&mut rd, "./lpp_name")?;
                let parsed = LppName::parse(&String::from_utf8_lossy(&bytes))
                    .map_err(|err| malformed(path, "./lpp_name", err))?;
                usr_name = format!("./usr/lpp/{}/liblpp.a", parsed.package);
                root_name = format!("./usr/lpp/{}/inst_root/liblpp.a", parsed.package);
                lpp = Some(parsed);
                continue;
            }
            if name == usr_name && usr_bytes.is_none() {
                usr_bytes = Some(read_member(&mut rd, &usr_name)?);
            } else if name == root_name && root_bytes.is_none() {
                root_bytes = Some(read_member(&mut rd, &root_name)?);
            }
            names.push(name);
            let root_done = root_bytes.is_some() || !lpp.as_ref().is_some_and(LppName::has_root_part);
            if !whole && usr_bytes.is_some() && root_done {
                break;
            }
        }
        let Some(lpp) = lpp else {
            return Err(malformed(
                path,
                label,
                ParseError {
                    loc: Loc::Whole,
                    message: "not an installp image: the archive holds no files".into(),
                },
            ));
        };
        let missing = |member: &str, what: &str| {
            malformed(
                path,
                member,
                ParseError {
                    loc: Loc::Whole,
                    message: format!("missing: the image has no {what} control library"),
                },
            )
        };
        let usr_bytes = usr_bytes.ok_or_else(|| missing(&usr_name, "usr-part"))?;
        let usr = bigar::read(&usr_bytes).map_err(|err| malformed(path, usr_name.as_str(), err))?;
        let root = match root_bytes {
            Some(b) => Some(bigar::read(&b).map_err(|err| malformed(path, root_name.as_str(), err))?),
            None if lpp.has_root_part() => {
                return Err(missing(&root_name, "root-part (a fileset has content B)"));
            }
            None => None,
        };
        Ok(Image { path: path.to_path_buf(), lpp, usr, root, size, names, whole })
    }

    /// The control member `FILESET.SUFFIX` (or `lpp.SUFFIX`) of the usr or root part.
    pub fn member(&self, fileset_or_lpp: &str, suffix: &str, root_part: bool) -> Option<&Member> {
        let lib = if root_part { self.root.as_deref()? } else { &self.usr[..] };
        bigar::find(lib, &format!("{fileset_or_lpp}.{suffix}"))
    }

    /// How errors name a control member: `liblpp.a(ranch.apps.hog.al)`, `inst_root/liblpp.a(...)`.
    pub(crate) fn member_label(fileset_or_lpp: &str, suffix: &str, root_part: bool) -> String {
        let lib = if root_part { "inst_root/liblpp.a" } else { "liblpp.a" };
        format!("{lib}({fileset_or_lpp}.{suffix})")
    }

    /// The text of a required control member, or an error naming it.
    fn text(&self, fileset: &str, suffix: &str, root_part: bool) -> Result<&str, InstallpError> {
        let label = Image::member_label(fileset, suffix, root_part);
        let m = self.member(fileset, suffix, root_part).ok_or_else(|| {
            malformed(
                &self.path,
                label.as_str(),
                ParseError { loc: Loc::Whole, message: "missing from the control library".into() },
            )
        })?;
        m.text().map_err(|e| malformed(&self.path, label.as_str(), e))
    }

    /// The apply list of `fileset` (usr or root part): the `./`-relative names it installs.
    pub fn apply_list(&self, fileset: &str, root_part: bool) -> Result<Vec<String>, InstallpError> {
        let t = self.text(fileset, "al", root_part)?;
        control::parse_apply_list(t)
            .map_err(|e| malformed(&self.path, Image::member_label(fileset, "al", root_part), e))
    }

    /// The inventory stanzas of `fileset` (usr or root part).
    pub fn inventory(&self, fileset: &str, root_part: bool) -> Result<Vec<InvEntry>, InstallpError> {
        let t = self.text(fileset, "inventory", root_part)?;
        control::parse_inventory(t)
            .map_err(|e| malformed(&self.path, Image::member_label(fileset, "inventory", root_part), e))
    }

    /// The `FILESET.size` lines, or `None` when the member is absent (optional in hand-built images).
    pub fn sizes(&self, fileset: &str, root_part: bool) -> Result<Option<Vec<SizeEntry>>, InstallpError> {
        if self.member(fileset, "size", root_part).is_none() {
            return Ok(None);
        }
        let t = self.text(fileset, "size", root_part)?;
        control::parse_size(t)
            .map(Some)
            .map_err(|e| malformed(&self.path, Image::member_label(fileset, "size", root_part), e))
    }

    /// The image's file name (how a `.toc` lists it).
    pub fn file_name(&self) -> String {
        file_label(&self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_control_reads_the_same_control_data_and_stops_there() {
        let t = tempfile::tempdir().unwrap();
        let sample = super::super::sample::build_tl5(t.path()).unwrap();
        let mut with_root = 0;
        for p in &sample.images {
            let full = Image::open(p).unwrap();
            let ctl = Image::open_control(p).unwrap();
            assert!(full.whole && !ctl.whole);
            assert_eq!(
                (&ctl.lpp, &ctl.usr, &ctl.root, ctl.size),
                (&full.lpp, &full.usr, &full.root, full.size)
            );
            // mkinstallp puts the control libraries (and their directories) right after lpp_name: nothing
            // past them is read.
            let pkg = &full.lpp.package;
            let last = if full.root.is_some() {
                format!("./usr/lpp/{pkg}/inst_root/liblpp.a")
            } else {
                format!("./usr/lpp/{pkg}/liblpp.a")
            };
            with_root += usize::from(full.root.is_some());
            assert_eq!(ctl.names[..], full.names[..ctl.names.len()]);
            assert_eq!(ctl.names.last(), Some(&last));
            assert!(ctl.names.len() < full.names.len());
            // A truncated image: the whole read refuses it, the control read does not get that far.
            let cut = t.path().join("cut.bff");
            let bytes = std::fs::read(p).unwrap();
            // Into the last record (the end-of-archive one; the image is padded with zeros after it).
            let end = bytes.iter().rposition(|&b| b != 0).unwrap();
            std::fs::write(&cut, &bytes[..end - 4]).unwrap();
            let e = Image::open(&cut).unwrap_err().to_string();
            assert!(e.contains("the archive is damaged"), "{e}");
            assert_eq!(Image::open_control(&cut).unwrap().lpp, full.lpp);
        }
        assert!(with_root > 0, "the sample has root parts");
        let a = super::super::location::open(&sample.location).unwrap();
        let b = super::super::location::open_control(&sample.location).unwrap();
        assert_eq!((a.images.len(), a.problems.len(), a.toc), (b.images.len(), b.problems.len(), b.toc));
    }
}
