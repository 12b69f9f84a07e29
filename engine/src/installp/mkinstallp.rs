//! `mkinstallp -d BUILDROOT -T TEMPLATE`: builds a base or update installp image from a build root and an AIX
//! template file (spec installp.md §10): a by-name archive with `./lpp_name` first, the control libraries
//! `./usr/lpp/PKG/liblpp.a` (and `.../inst_root/liblpp.a` for root parts) in AIX big `ar` form, then the
//! files, with owners, modes and times from the build tree.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::bigar::{self, Member};
use super::control::{write_inventory, InvEntry, InvType};
use super::level::{Level, LevelReq, ReqExpr, ReqKind, Requisite};
use super::lpp_name::{Content, FilesetEntry, Fix, LppName, PackageType, SizeEntry};
use super::{sum_r, InstallpError, ParseError};
use crate::archive::byname::{PathEntries, PathEntry};
use crate::archive::writer::{ArchiveWriter, WriterOptions};
use crate::entry::{Entry, EntryData, Kind, Meta, Timestamp};
use crate::error::{Error, Result};

/// One fileset of a template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateFileset {
    /// `Fileset Name:`.
    pub name: String,
    /// `Fileset VRMF:`.
    pub level: Level,
    /// `Fileset Description:`.
    pub description: String,
    /// `Bosboot required:` (`Y` → lpp_name bosboot `b`).
    pub bosboot: bool,
    /// `Requisites:` split at `;`, plus the `Upsize:` lines' sizes.
    pub requisites: Vec<ReqExpr>,
    /// `Upsize: PATH BLOCKS;` entries (added to the computed sizes).
    pub upsize: Vec<SizeEntry>,
    /// `USRFiles` paths (absolute, relative to the build root).
    pub usr_files: Vec<String>,
    /// `ROOT Part: Y`.
    pub root_part: bool,
    /// `ROOTFiles` paths.
    pub root_files: Vec<String>,
    /// Scripts of the `USRLIBLPPFiles` block: (liblpp.a member suffix, path in the build host).
    pub scripts: Vec<(String, PathBuf)>,
    /// `Fix Information: KEYWORD abstract` lines (an altdisk extension: spec §10.2 \[I\]).
    pub fixes: Vec<Fix>,
}

/// A parsed mkinstallp template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Template {
    /// `Package Name:`.
    pub package: String,
    /// `Package VRMF:`.
    pub level: Level,
    /// `Update: Y`.
    pub update: bool,
    /// The filesets.
    pub filesets: Vec<TemplateFileset>,
}

/// Template keys for scripts → liblpp.a member suffixes (spec §10.2 \[R\] for the suffixes).
const SCRIPTS: &[(&str, &str)] = &[
    ("Pre-installation Script", "pre_i"),
    ("Post-installation Script", "post_i"),
    ("Configuration Script", "config"),
    ("Unconfiguration Script", "unconfig"),
    ("Pre-deinstall Script", "pre_d"),
    ("Unpre-installation Script", "unpre_i"),
    ("Unpost-installation Script", "unpost_i"),
];

fn parse_requisites(text: &str, line: usize) -> std::result::Result<Vec<ReqExpr>, ParseError> {
    let mut out = Vec::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let toks: Vec<&str> = part.split_whitespace().collect();
        let kind = ReqKind::from_keyword(toks[0]).ok_or_else(|| {
            ParseError::line(
                line,
                format!("unknown requisite type '{}': use *prereq, *coreq, *ifreq or *instreq", toks[0]),
            )
        })?;
        let Some(fileset) = toks.get(1) else {
            return Err(ParseError::line(line, format!("requisite '{part}' names no fileset")));
        };
        let level = LevelReq::parse(&toks[2..]).map_err(|e| ParseError::line(line, e.to_string()))?;
        out.push(ReqExpr::One(Requisite { kind, fileset: fileset.to_string(), level }));
    }
    Ok(out)
}

fn parse_size_line(text: &str, line: usize) -> std::result::Result<SizeEntry, ParseError> {
    let toks: Vec<&str> = text.trim_end_matches(';').split_whitespace().collect();
    match toks.as_slice() {
        [path, blocks] => Ok(SizeEntry {
            path: path.to_string(),
            blocks: blocks.parse().map_err(|_| {
                ParseError::line(line, format!("'{blocks}' is not a number of 512-byte blocks"))
            })?,
            temp: None,
        }),
        _ => Err(ParseError::line(line, format!("Upsize wants PATH BLOCKS, got '{text}'"))),
    }
}

impl Template {
    /// Parses a template (spec §10.2). Keywords are `Key: value`, indentation free; unknown keys are refused
    /// with their line so a typo is not silently ignored.
    pub fn parse(text: &str) -> std::result::Result<Template, ParseError> {
        #[derive(PartialEq)]
        enum Block {
            Top,
            Fileset,
            Usr,
            Root,
            Liblpp,
        }
        let mut t = Template::default();
        let mut block = Block::Top;
        let mut cur: Option<TemplateFileset> = None;
        let mut seen_package = false;
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let l = raw.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let err = |m: String| ParseError::line(n, m);
            match (&block, l) {
                (Block::Top, "Fileset") => {
                    block = Block::Fileset;
                    cur = Some(TemplateFileset::default());
                    continue;
                }
                (Block::Fileset, "EOFileset") => {
                    let f = cur.take().ok_or_else(|| err("EOFileset without Fileset".into()))?;
                    if f.name.is_empty() {
                        return Err(err("a Fileset block has no 'Fileset Name:'".into()));
                    }
                    if f.usr_files.is_empty() && f.root_files.is_empty() {
                        return Err(err(format!("fileset {} lists no files (USRFiles/ROOTFiles)", f.name)));
                    }
                    t.filesets.push(f);
                    block = Block::Top;
                    continue;
                }
                (Block::Fileset, "USRFiles") => {
                    block = Block::Usr;
                    continue;
                }
                (Block::Fileset, "ROOTFiles") => {
                    block = Block::Root;
                    continue;
                }
                (Block::Fileset, "USRLIBLPPFiles") | (Block::Fileset, "ROOTLIBLPPFiles") => {
                    block = Block::Liblpp;
                    continue;
                }
                (Block::Usr, "EOUSRFiles") | (Block::Root, "EOROOTFiles") => {
                    block = Block::Fileset;
                    continue;
                }
                (Block::Liblpp, "EOUSRLIBLPPFiles") | (Block::Liblpp, "EOROOTLIBLPPFiles") => {
                    block = Block::Fileset;
                    continue;
                }
                (Block::Usr, p) | (Block::Root, p) => {
                    if !p.starts_with('/') || p.split('/').any(|c| c == "..") {
                        return Err(err(format!("'{p}' must be an absolute path without '..'")));
                    }
                    let f = cur.as_mut().ok_or_else(|| err("file list outside a Fileset".into()))?;
                    if block == Block::Usr {
                        f.usr_files.push(p.to_string());
                    } else {
                        f.root_files.push(p.to_string());
                    }
                    continue;
                }
                _ => {}
            }
            let Some((key, value)) = l.split_once(':') else {
                return Err(err(format!("expected 'Key: value' or a block keyword, got '{l}'")));
            };
            let (key, value) = (key.trim(), value.trim());
            let level = |v: &str| v.parse::<Level>().map_err(|e| ParseError::line(n, e.to_string()));
            match block {
                Block::Top => match key {
                    "Package Name" => {
                        t.package = value.to_string();
                        seen_package = true;
                    }
                    "Package VRMF" => t.level = level(value)?,
                    "Update" => t.update = value.eq_ignore_ascii_case("Y"),
                    _ => return Err(err(format!("unknown template keyword '{key}'"))),
                },
                Block::Liblpp => {
                    let Some((_, suffix)) = SCRIPTS.iter().find(|(k, _)| *k == key) else {
                        return Err(err(format!("unknown script keyword '{key}'")));
                    };
                    if !value.is_empty() {
                        let f = cur.as_mut().ok_or_else(|| err("script outside a Fileset".into()))?;
                        f.scripts.push((suffix.to_string(), PathBuf::from(value)));
                    }
                }
                Block::Fileset => {
                    let f = cur.as_mut().ok_or_else(|| err("keyword outside a Fileset".into()))?;
                    match key {
                        "Fileset Name" => f.name = value.to_string(),
                        "Fileset VRMF" => f.level = level(value)?,
                        "Fileset Description" => f.description = value.to_string(),
                        "Bosboot required" => f.bosboot = value.eq_ignore_ascii_case("Y"),
                        "Requisites" => f.requisites.extend(parse_requisites(value, n)?),
                        "Upsize" => f.upsize.push(parse_size_line(value, n)?),
                        "ROOT Part" => f.root_part = value.eq_ignore_ascii_case("Y"),
                        "Fix Information" => {
                            let mut it = value.splitn(2, char::is_whitespace);
                            let keyword = it.next().unwrap_or_default().to_string();
                            if keyword.is_empty() {
                                return Err(err("Fix Information wants KEYWORD abstract".into()));
                            }
                            let abstract_text = it.next().unwrap_or_default().trim().to_string();
                            f.fixes.push(Fix { keyword, abstract_text });
                        }
                        "License agreement acceptance required"
                        | "Name of license agreement"
                        | "Include license files in this package"
                        | "Relocatable" => {}
                        _ => return Err(err(format!("unknown fileset keyword '{key}'"))),
                    }
                }
                Block::Usr | Block::Root => unreachable_block(),
            }
        }
        if block != Block::Top {
            return Err(ParseError::line(
                text.lines().count(),
                "the template ends inside a block (missing EOFileset or EO...Files)",
            ));
        }
        if !seen_package || t.package.is_empty() {
            return Err(ParseError::line(1, "the template has no 'Package Name:'"));
        }
        if t.filesets.is_empty() {
            return Err(ParseError::line(1, "the template has no Fileset block"));
        }
        for f in &t.filesets {
            if !f.root_files.is_empty() && !f.root_part {
                return Err(ParseError::line(
                    1,
                    format!("fileset {} lists ROOTFiles but says 'ROOT Part: N'", f.name),
                ));
            }
        }
        Ok(t)
    }
}

fn unreachable_block() {}

/// What [`mkinstallp`] made.
#[derive(Debug, Clone)]
pub struct Built {
    /// The image file: `BUILDROOT/tmp/PKG.V.R.M.F.bff`.
    pub image: PathBuf,
    /// Its lpp_name.
    pub lpp: LppName,
    /// The lines mkinstallp prints (`PKG V.R.M.F I`, `processing FILESET`, `creating ...`).
    pub lines: Vec<String>,
}

fn owner_name(uid: u32) -> String {
    match uid {
        0 => "root".into(),
        2 => "bin".into(),
        3 => "sys".into(),
        n => n.to_string(),
    }
}

fn group_name(gid: u32) -> String {
    match gid {
        0 => "system".into(),
        2 => "bin".into(),
        3 => "sys".into(),
        n => n.to_string(),
    }
}

/// A path below the build root, refused when it escapes it or is missing.
fn in_root(root: &Path, p: &str, template: &Path) -> Result<PathBuf> {
    let full = root.join(p.trim_start_matches('/'));
    if std::fs::symlink_metadata(&full).is_err() {
        return Err(Error::refused(format!(
            "mkinstallp: {p} is listed in {} but does not exist under the build root {}",
            template.display(),
            root.display()
        )));
    }
    Ok(full)
}

fn inv_entry(root: &Path, path: &str, class: &str) -> Result<InvEntry> {
    let full = root.join(path.trim_start_matches('/'));
    let md = std::fs::symlink_metadata(&full).map_err(|e| Error::io("stat", &full, e))?;
    let mut e = InvEntry {
        path: path.to_string(),
        class: vec!["apply".into(), "inventory".into(), class.to_string()],
        owner: owner_name(md.uid()),
        group: group_name(md.gid()),
        mode: md.mode() & 0o7777,
        mode_flags: Vec::new(),
        kind: InvType::File,
        size: None,
        checksum: None,
        target: None,
        links: Vec::new(),
    };
    if md.mode() & 0o4000 != 0 {
        e.mode_flags.push("SUID".into());
    }
    if md.mode() & 0o2000 != 0 {
        e.mode_flags.push("SGID".into());
    }
    if md.file_type().is_symlink() {
        e.kind = InvType::Symlink;
        let t = std::fs::read_link(&full).map_err(|e| Error::io("read the link", &full, e))?;
        e.target = Some(t.to_string_lossy().into_owned());
    } else if md.is_dir() {
        e.kind = InvType::Directory;
    } else if md.is_file() {
        let data = std::fs::read(&full).map_err(|e| Error::io("read", &full, e))?;
        e.size = Some(data.len() as u64);
        e.checksum = Some(sum_r(&data));
    } else {
        return Err(Error::refused(format!(
            "mkinstallp: {} is not a file, directory or symbolic link; installp images cannot carry it",
            full.display()
        )));
    }
    Ok(e)
}

/// 512-byte blocks a file takes (AIX `du` rounds to whole blocks).
fn blocks_of(md: &std::fs::Metadata) -> u64 {
    if md.is_file() {
        md.len().div_ceil(512)
    } else {
        1
    }
}

fn member(name: String, data: Vec<u8>, now: i64) -> Member {
    Member { name, data, mtime: now, uid: 0, gid: 0, mode: 0o644 }
}

/// Builds the image described by `template_path` from the files under `root` (spec §10.1). The image goes to
/// `ROOT/tmp/PKG.V.R.M.F.bff` and the control library to `ROOT/.info/liblpp.a`, as AIX mkinstallp does.
pub fn mkinstallp(root: &Path, template_path: &Path) -> Result<Built> {
    let text = std::fs::read_to_string(template_path).map_err(|e| Error::io("read", template_path, e))?;
    let name = template_path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let t = Template::parse(&text).map_err(|error| InstallpError::Malformed {
        image: template_path.to_path_buf(),
        member: name.clone(),
        error,
    })?;
    if !root.is_dir() {
        return Err(Error::refused(format!(
            "mkinstallp: the build root {} is not a directory",
            root.display()
        )));
    }
    let now = crate::clock::now_secs();
    let pkg = &t.package;
    let kind = if t.update { PackageType::Single } else { PackageType::Install };
    let mut lines =
        vec![format!("Using {name} as the template file."), format!("{pkg} {} {}", t.level, kind.code())];
    let lpp_dir = format!("/usr/lpp/{pkg}");
    let mut usr_members = Vec::new();
    let mut root_members = Vec::new();
    let mut filesets = Vec::new();
    // Every archive name to add after the control files, in order, without repeats.
    let mut names: Vec<String> = Vec::new();
    let add = |names: &mut Vec<String>, p: &str| {
        let n = format!(".{p}");
        if !names.contains(&n) {
            names.push(n);
        }
    };
    for f in &t.filesets {
        lines.push(format!("processing {}", f.name));
        let mut sizes: BTreeMap<String, u64> = BTreeMap::new();
        let mut usr_inv = Vec::new();
        let mut al = String::new();
        for p in &f.usr_files {
            let full = in_root(root, p, template_path)?;
            let md = std::fs::symlink_metadata(&full).map_err(|e| Error::io("stat", &full, e))?;
            let dir = if md.is_dir() { p.clone() } else { parent_of(p) };
            *sizes.entry(dir).or_default() += blocks_of(&md);
            usr_inv.push(inv_entry(root, p, &f.name)?);
            al.push_str(&format!(".{p}\n"));
            add(&mut names, p);
        }
        usr_members.push(member(format!("{}.al", f.name), al.into_bytes(), now));
        usr_members.push(member(
            format!("{}.inventory", f.name),
            write_inventory(&usr_inv).into_bytes(),
            now,
        ));
        for (suffix, path) in &f.scripts {
            let data = std::fs::read(path).map_err(|e| Error::io("read the script", path, e))?;
            usr_members.push(member(format!("{}.{suffix}", f.name), data, now));
        }
        if f.root_part {
            let mut root_inv = Vec::new();
            let mut ral = String::new();
            for p in &f.root_files {
                let full = in_root(root, p, template_path)?;
                let md = std::fs::symlink_metadata(&full).map_err(|e| Error::io("stat", &full, e))?;
                let dir = if md.is_dir() { p.clone() } else { parent_of(p) };
                *sizes.entry(dir).or_default() += blocks_of(&md);
                root_inv.push(inv_entry(root, p, &f.name)?);
                ral.push_str(&format!(".{p}\n"));
            }
            root_members.push(member(format!("{}.al", f.name), ral.into_bytes(), now));
            root_members.push(member(
                format!("{}.inventory", f.name),
                write_inventory(&root_inv).into_bytes(),
                now,
            ));
        }
        let mut size_list: Vec<SizeEntry> =
            sizes.into_iter().map(|(path, blocks)| SizeEntry { path, blocks, temp: None }).collect();
        for u in &f.upsize {
            match size_list.iter_mut().find(|s| s.path == u.path) {
                Some(s) => s.blocks += u.blocks,
                None => size_list.push(u.clone()),
            }
        }
        size_list.push(SizeEntry { path: lpp_dir.clone(), blocks: 8, temp: None });
        size_list.push(SizeEntry { path: "INSTWORK".into(), blocks: 16, temp: Some(16) });
        let mut requisites = f.requisites.clone();
        if t.update {
            // An update states its base explicitly (spec §2.4 \[R\]).
            let base = Level::new(f.level.v, f.level.r, 0, 0);
            let own = ReqExpr::One(Requisite {
                kind: ReqKind::Prereq,
                fileset: f.name.clone(),
                level: LevelReq::AtLeast(base),
            });
            if !requisites.contains(&own) {
                requisites.insert(0, own);
            }
        }
        filesets.push(FilesetEntry {
            name: f.name.clone(),
            level: f.level.clone(),
            volume: "1".into(),
            bosboot: if f.bosboot { 'b' } else { 'N' },
            content: if f.root_part { Content::Both } else { Content::Usr },
            lang: "en_US".into(),
            description: f.description.clone(),
            requisites,
            sizes: size_list,
            licenses: Vec::new(),
            supersedes: Vec::new(),
            fixes: f.fixes.clone(),
        });
    }
    let lpp = LppName { format: "4".into(), platform: "R".into(), kind, package: pkg.clone(), filesets };
    let usr_ar = bigar::write(&usr_members);
    let info = root.join(".info");
    std::fs::create_dir_all(&info).map_err(|e| Error::io("create", &info, e))?;
    let info_ar = info.join("liblpp.a");
    std::fs::write(&info_ar, &usr_ar).map_err(|e| Error::io("write", &info_ar, e))?;
    lines.push("creating ./.info/liblpp.a".into());
    let out_dir = root.join("tmp");
    std::fs::create_dir_all(&out_dir).map_err(|e| Error::io("create", &out_dir, e))?;
    let image = out_dir.join(format!("{pkg}.{}.bff", t.level));
    let tmp = out_dir.join(format!(".{pkg}.{}.bff.partial", t.level));
    let result = write_image(
        root,
        &tmp,
        &lpp,
        &usr_ar,
        (!root_members.is_empty()).then(|| bigar::write(&root_members)),
        &names,
        &t,
        now,
    );
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, &image).map_err(|e| Error::io("rename", &tmp, e))?;
    lines.push(format!("creating ./tmp/{pkg}.{}.bff", t.level));
    Ok(Built { image, lpp, lines })
}

fn parent_of(p: &str) -> String {
    match p.rfind('/') {
        Some(0) | None => "/".into(),
        Some(i) => p[..i].to_string(),
    }
}

fn mem_entry(name: &str, data: Vec<u8>, now: i64) -> Entry {
    let meta = Meta {
        mode: 0o644,
        size: data.len() as u64,
        mtime: Timestamp::from_secs(now),
        atime: Timestamp::from_secs(now),
        nlink: 1,
        ..Meta::default()
    };
    let mut e = Entry::new(name.as_bytes().to_vec(), Kind::File, meta);
    e.data = EntryData::Bytes(bytes::Bytes::from(data));
    e
}

fn dir_entry(name: &str, now: i64) -> Entry {
    let meta = Meta {
        mode: 0o755,
        mtime: Timestamp::from_secs(now),
        atime: Timestamp::from_secs(now),
        nlink: 2,
        ..Meta::default()
    };
    Entry::new(name.as_bytes().to_vec(), Kind::Dir, meta)
}

#[allow(clippy::too_many_arguments)]
fn write_image(
    root: &Path,
    out: &Path,
    lpp: &LppName,
    usr_ar: &[u8],
    root_ar: Option<Vec<u8>>,
    names: &[String],
    t: &Template,
    now: i64,
) -> Result<()> {
    let f = File::create(out).map_err(|e| Error::io("create", out, e))?;
    let wopts = WriterOptions {
        date: now.clamp(0, i64::from(i32::MAX)) as i32,
        user: b"root".to_vec(),
        ..WriterOptions::default()
    };
    let mut w = ArchiveWriter::new(std::io::BufWriter::new(f), wopts).map_err(Error::from)?;
    let pkg = &lpp.package;
    w.write_entry(&mem_entry("./lpp_name", lpp.to_text().into_bytes(), now))?;
    for d in ["./usr", "./usr/lpp"] {
        w.write_entry(&dir_entry(d, now))?;
    }
    w.write_entry(&dir_entry(&format!("./usr/lpp/{pkg}"), now))?;
    w.write_entry(&mem_entry(&format!("./usr/lpp/{pkg}/liblpp.a"), usr_ar.to_vec(), now))?;
    if let Some(ar) = root_ar {
        w.write_entry(&dir_entry(&format!("./usr/lpp/{pkg}/inst_root"), now))?;
        w.write_entry(&mem_entry(&format!("./usr/lpp/{pkg}/inst_root/liblpp.a"), ar, now))?;
    }
    let mut pe = PathEntries::new();
    let mut put = |w: &mut ArchiveWriter<_>, name: &str, src: &Path| -> Result<()> {
        let os = src.as_os_str();
        use std::os::unix::ffi::OsStrExt;
        match pe.entry(os.as_bytes()).map_err(|e| Error::io("read", src, e))? {
            PathEntry::Entry(mut e) => {
                e.name = name.as_bytes().to_vec();
                w.write_entry(&e)?;
                Ok(())
            }
            PathEntry::Socket => Err(Error::refused(format!("mkinstallp: {} is a socket", src.display()))),
        }
    };
    for n in names {
        put(&mut w, n, &root.join(n.trim_start_matches("./")))?;
    }
    // Root-part files travel under usr/lpp/PKG/inst_root/ (spec §1.2, §10.2).
    for f in t.filesets.iter().filter(|f| f.root_part) {
        for p in &f.root_files {
            let name = format!("./usr/lpp/{pkg}/inst_root{p}");
            put(&mut w, &name, &root.join(p.trim_start_matches('/')))?;
        }
    }
    let (mut inner, _summary) = w.finish().map_err(Error::from)?;
    inner.flush().map_err(|e| Error::io("write", out, e))?;
    inner.get_ref().sync_all().map_err(|e| Error::io("sync", out, e))?;
    Ok(())
}
