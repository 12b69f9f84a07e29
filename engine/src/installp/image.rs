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
use crate::archive::{ArchiveReader, ReaderOptions, Record};
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
    pub names: Vec<String>,
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

    /// Reads an image from any stream; `path` and `size` are what the result and its errors report.
    pub fn from_reader(path: &Path, input: impl Read, size: u64) -> Result<Image, InstallpError> {
        let label = file_label(path);
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
        Ok(Image { path: path.to_path_buf(), lpp, usr, root, size, names })
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
