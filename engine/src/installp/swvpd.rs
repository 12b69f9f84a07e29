//! The software vital product data (SWVPD) of one rootvg tree, kept inside the tree (spec installp.md §8,
//! §12 item 6).
//!
//! Each ODM class of each part is one text file in exactly the form `odmget CLASS` prints (§8.2): a class
//! name line `product:`, tab-indented `name = value` lines, strings quoted with `\n` escapes, a blank line
//! after each object. The files are `CLASS.stanza` in the part's repository:
//!
//! | part | repository |
//! |------|------------|
//! | usr | `ROOT/usr/lib/objrepos/{lpp,product,inventory,history,fix}.stanza` |
//! | root | `ROOT/etc/objrepos/...` |
//! | share | `ROOT/usr/share/lib/objrepos/...` |
//!
//! Because the inventory is ordinary files of the tree, it travels with `alt_disk_copy`, `mksysb` and
//! `alt_disk_mksysb` without special cases. Binary ODM files found there (a restored real mksysb) are left
//! alone and ignored.
//!
//! Modelling choices (\[I\] unless marked):
//!
//! * `state` codes (§8.2, \[R\]): 2 APPLYING, 3 APPLIED, 4 COMMITTING, 5 COMMITTED, 6 REJECTING, 7 BROKEN,
//!   8 DEINSTALLING; OBSOLETE, not in the recalled list, is 9. Code 1 (AVAILABLE) is not an installed state
//!   and is refused when loading.
//! * `cp_flag` (opaque on AIX) carries the part (1 usr, 2 root, 4 share) and the image type of the level
//!   (0x100 `I`, 0x200 `S`, 0x400 `M`, 0x800 `E`, 0x1000 `F`), so `lslpp -lc` can print the type.
//! * `inventory` objects carry the level that recorded them in four extra fields `ver`, `rel`, `mod`, `fix`
//!   (not in the recalled AIX class): an update records the paths it delivers at its own level, the
//!   effective entry of a path is the one of the highest level, and rejecting the update drops its entries so
//!   the earlier ones apply again. `file_type` 0 file, 1 directory, 2 symlink (\[R\]); `loc1` holds the hard
//!   links of a file, `loc2` the target of a symlink, newline-separated.
//! * History: a level recorded COMMITTED (a base level, or an update applied with `-ac`) gets one COMMIT
//!   event and no APPLY, as §9.3 says a base install shows (\[R\]); a level recorded APPLIED gets APPLY, and
//!   its later [`Swvpd::commit`] adds COMMIT. A level recorded BROKEN gets an APPLY event with status BROKEN.
//! * The `fix` class is kept in the usr repository only (keywords are not per part); loading reads all
//!   three and merges.
//! * `lpp` holds one object per fileset and part with the base level, the base's description and the state
//!   of the highest level; `lpp_id`s are allocated per repository (highest + 1).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::level::Level;
use crate::error::Error;
use crate::imagedata::stanza::{self, Stanza};
use crate::imagedata::StanzaError;

/// The three parts of a fileset; each has its own repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    /// The usr part (`/usr/lib/objrepos`).
    Usr,
    /// The root part (`/etc/objrepos`), one per machine.
    Root,
    /// The share part (`/usr/share/lib/objrepos`).
    Share,
}

impl Part {
    /// All parts in the order `lslpp` prints their `Path:` blocks.
    pub const ALL: [Part; 3] = [Part::Usr, Part::Root, Part::Share];

    /// The repository directory, as `lslpp` prints it after `Path: `.
    pub(crate) fn repository(&self) -> &'static str {
        match self {
            Part::Usr => "/usr/lib/objrepos",
            Part::Root => "/etc/objrepos",
            Part::Share => "/usr/share/lib/objrepos",
        }
    }

    /// The upper-case name installp's summaries use (`USR`, `ROOT`, `SHARE`).
    pub fn label(&self) -> &'static str {
        match self {
            Part::Usr => "USR",
            Part::Root => "ROOT",
            Part::Share => "SHARE",
        }
    }

    fn idx(self) -> usize {
        self as usize
    }

    fn bit(self) -> u32 {
        match self {
            Part::Usr => 1,
            Part::Root => 2,
            Part::Share => 4,
        }
    }
}

/// The state of one installed level (spec §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Apply interrupted.
    Applying,
    /// Installed, the replaced files saved: can be committed or rejected.
    Applied,
    /// Commit interrupted.
    Committing,
    /// Installed for good.
    Committed,
    /// Reject interrupted.
    Rejecting,
    /// Failed mid-operation.
    Broken,
    /// Deinstall interrupted.
    Deinstalling,
    /// Replaced by a renamed fileset after a migration.
    Obsolete,
}

impl State {
    /// The name `lslpp -l` prints.
    pub fn name(&self) -> &'static str {
        match self {
            State::Applying => "APPLYING",
            State::Applied => "APPLIED",
            State::Committing => "COMMITTING",
            State::Committed => "COMMITTED",
            State::Rejecting => "REJECTING",
            State::Broken => "BROKEN",
            State::Deinstalling => "DEINSTALLING",
            State::Obsolete => "OBSOLETE",
        }
    }

    /// The one-letter code `lslpp -L` prints (`?` for an interrupted operation).
    pub fn code(&self) -> char {
        match self {
            State::Applied => 'A',
            State::Committed => 'C',
            State::Broken => 'B',
            State::Obsolete => 'O',
            State::Applying | State::Committing | State::Rejecting | State::Deinstalling => '?',
        }
    }

    /// The ODM `state` number (see the module notes for the choice).
    pub(crate) fn odm(&self) -> u32 {
        match self {
            State::Applying => 2,
            State::Applied => 3,
            State::Committing => 4,
            State::Committed => 5,
            State::Rejecting => 6,
            State::Broken => 7,
            State::Deinstalling => 8,
            State::Obsolete => 9,
        }
    }

    /// The state of an ODM `state` number.
    pub(crate) fn from_odm(n: u32) -> Option<State> {
        Some(match n {
            2 => State::Applying,
            3 => State::Applied,
            4 => State::Committing,
            5 => State::Committed,
            6 => State::Rejecting,
            7 => State::Broken,
            8 => State::Deinstalling,
            9 => State::Obsolete,
            _ => return None,
        })
    }

    /// Which state wins when the parts of one level disagree: the one furthest from COMMITTED.
    fn urgency(self) -> u8 {
        match self {
            State::Committed => 0,
            State::Obsolete => 1,
            State::Applied => 2,
            State::Applying | State::Committing | State::Rejecting | State::Deinstalling => 3,
            State::Broken => 4,
        }
    }
}

/// A history event (`history.event`, §8.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// 1: applied.
    Apply,
    /// 2: committed.
    Commit,
    /// 3: rejected.
    Reject,
    /// 4: deinstalled.
    Deinstall,
    /// 5: cleaned up after a failure.
    Cleanup,
}

impl Event {
    /// The ODM `event` number.
    pub(crate) fn odm(&self) -> u32 {
        match self {
            Event::Apply => 1,
            Event::Commit => 2,
            Event::Reject => 3,
            Event::Deinstall => 4,
            Event::Cleanup => 5,
        }
    }

    /// The event of an ODM `event` number.
    pub(crate) fn from_odm(n: u32) -> Option<Event> {
        Some(match n {
            1 => Event::Apply,
            2 => Event::Commit,
            3 => Event::Reject,
            4 => Event::Deinstall,
            5 => Event::Cleanup,
            _ => return None,
        })
    }

    /// The word `lslpp -h` prints in its Action column.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Apply => "APPLY",
            Event::Commit => "COMMIT",
            Event::Reject => "REJECT",
            Event::Deinstall => "DEINSTALL",
            Event::Cleanup => "CLEANUP",
        }
    }
}

/// What an inventory path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvKind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A symbolic link.
    Symlink,
}

impl InvKind {
    fn odm(self) -> u32 {
        match self {
            InvKind::File => 0,
            InvKind::Directory => 1,
            InvKind::Symlink => 2,
        }
    }

    fn from_odm(n: u32) -> Option<InvKind> {
        Some(match n {
            0 => InvKind::File,
            1 => InvKind::Directory,
            2 => InvKind::Symlink,
            _ => return None,
        })
    }

    /// The word `lslpp -w` prints (`File`, `Directory`, `Symlink`).
    pub fn name(&self) -> &'static str {
        match self {
            InvKind::File => "File",
            InvKind::Directory => "Directory",
            InvKind::Symlink => "Symlink",
        }
    }
}

/// One path a fileset level installed (an `inventory` object).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvItem {
    /// Absolute path in the tree (`/usr/bin/ksh`).
    pub path: String,
    /// File, directory or symlink.
    pub kind: InvKind,
    /// Size in bytes (0 for directories and symlinks).
    pub size: u64,
    /// The `sum -r` checksum of the content (0 for directories and symlinks).
    pub checksum: u16,
    /// The target of a symlink.
    pub target: Option<String>,
    /// Other paths that are hard links to this file.
    pub links: Vec<String>,
}

/// Everything installp records for one fileset level in one part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallRecord {
    /// The fileset (`bos.rte`).
    pub fileset: String,
    /// The package (`bos`), the image's `lpp_name` package.
    pub package: String,
    /// The level installed.
    pub level: Level,
    /// True for an update (a level on top of a base).
    pub update: bool,
    /// The image type: `I` base, `S` update, `M` maintenance, `E` enhancement, `F` fix.
    pub image_type: char,
    /// The fileset description.
    pub description: String,
    /// The state it is recorded in (COMMITTED for a base or an `-ac` update, APPLIED otherwise).
    pub state: State,
    /// The requisite section of `lpp_name`, newline-separated.
    pub prereq: String,
    /// The supersede section text.
    pub supersedes: String,
    /// The fixes (keyword, abstract) this level delivers; each lists this fileset at this level.
    pub fixes: Vec<(String, String)>,
    /// The product id (`5765-CD300`).
    pub comp_id: String,
    /// Which part this record is for (a fileset with usr and root parts is recorded twice).
    pub part: Part,
    /// The paths installed.
    pub items: Vec<InvItem>,
    /// When (seconds since the epoch, from the engine's clock).
    pub time: i64,
    /// Who (`root`).
    pub login: String,
}

/// One installed fileset, merged over its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The fileset.
    pub fileset: String,
    /// Its package.
    pub package: String,
    /// The highest level installed.
    pub level: Level,
    /// The base level (the lowest level when no base is recorded).
    pub base: Level,
    /// The state of the highest level (the least final one when parts disagree).
    pub state: State,
    /// The description.
    pub description: String,
    /// The parts that have it, usr first.
    pub parts: Vec<Part>,
}

/// One level of one fileset in one part (a `product` object), as the views need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelEntry {
    /// The fileset.
    pub fileset: String,
    /// Its package.
    pub package: String,
    /// The level.
    pub level: Level,
    /// True for an update.
    pub update: bool,
    /// The level's state.
    pub state: State,
    /// The image type (`I`, `S`, `M`, `E`, `F`).
    pub image_type: char,
    /// The description.
    pub description: String,
    /// The requisites recorded for it.
    pub prereq: String,
}

/// One history event of one fileset in one part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The level concerned.
    pub level: Level,
    /// What happened.
    pub event: Event,
    /// True when it completed (false: BROKEN).
    pub complete: bool,
    /// When (seconds since the epoch).
    pub time: i64,
    /// Who.
    pub login: String,
}

/// One keyword of the fix database (`fix` object): an APAR, a technology level or a service pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixRec {
    /// The keyword (`IV82292`, `7200-04_AIX_ML`, `7200-04-02-2016_SP`).
    pub name: String,
    /// Its abstract.
    pub abstract_text: String,
    /// `f` APAR fix, `m` maintenance (technology) level, `s` service pack.
    pub kind: char,
    /// The filesets and the levels that deliver it.
    pub filesets: Vec<(String, Level)>,
}

impl FixRec {
    /// The kind a keyword's name implies: `_ML` → `m`, `_SP` → `s`, anything else `f`.
    pub(crate) fn kind_of(keyword: &str) -> char {
        if keyword.ends_with("_ML") {
            'm'
        } else if keyword.ends_with("_SP") {
            's'
        } else {
            'f'
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct LppObj {
    name: String,
    size: u64,
    state: State,
    cp_flag: u32,
    group: String,
    magic_letter: String,
    level: Level,
    description: String,
    lpp_id: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct ProductObj {
    lpp_name: String,
    comp_id: String,
    update: bool,
    cp_flag: u32,
    fesn: String,
    name: String,
    state: State,
    level: Level,
    media: u32,
    sceded_by: String,
    fixinfo: String,
    prereq: String,
    description: String,
    supersedes: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct InvObj {
    lpp_id: u32,
    private: u32,
    kind: InvKind,
    format: u32,
    loc0: String,
    loc1: String,
    loc2: String,
    size: u64,
    checksum: u16,
    level: Level,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct HistObj {
    lpp_id: u32,
    event: Event,
    level: Level,
    corr_svn: String,
    cp_mod: String,
    cp_fix: String,
    login_name: String,
    complete: bool,
    time: i64,
    comment: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct FixObj {
    name: String,
    abstract_text: String,
    kind: String,
    filesets: Vec<(String, Level)>,
    symptom: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Repo {
    lpp: Vec<LppObj>,
    product: Vec<ProductObj>,
    inventory: Vec<InvObj>,
    history: Vec<HistObj>,
    fix: Vec<FixObj>,
}

const CLASSES: [&str; 5] = ["lpp", "product", "inventory", "history", "fix"];

/// The software inventory of one rootvg tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Swvpd {
    root: PathBuf,
    repos: [Repo; 3],
    /// The text of each class file as loaded or last saved (`None`: absent), per part and class, so
    /// [`Swvpd::save`] rewrites only what changed.
    on_disk: [[Option<String>; 5]; 3],
}

fn image_bit(t: char) -> u32 {
    match t {
        'I' => 0x100,
        'S' => 0x200,
        'M' => 0x400,
        'E' => 0x800,
        'F' => 0x1000,
        _ => 0,
    }
}

fn image_type_of(cp_flag: u32, update: bool) -> char {
    for t in ['I', 'S', 'M', 'E', 'F'] {
        if cp_flag & image_bit(t) != 0 {
            return t;
        }
    }
    if update {
        'S'
    } else {
        'I'
    }
}

/// `"text"` with `\`, `"`, newline and tab escaped, as `odmget` prints strings.
#[cfg(test)]
fn quote(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    quote_into(&mut o, s);
    o
}

/// Appends `s` quoted as `odmget` prints strings.
fn quote_into(o: &mut String, s: &str) {
    o.push('"');
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '"' => o.push_str("\\\""),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            c => o.push(c),
        }
    }
    o.push('"');
}

fn unquote(v: &str) -> Option<String> {
    let inner = v.strip_prefix('"')?.strip_suffix('"')?;
    let mut o = String::with_capacity(inner.len());
    let mut it = inner.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            o.push(c);
            continue;
        }
        match it.next() {
            Some('n') => o.push('\n'),
            Some('t') => o.push('\t'),
            Some(c) => o.push(c),
            None => return None,
        }
    }
    Some(o)
}

/// Typed reading of one stanza, with errors naming the file and line.
struct Reader<'a> {
    file: &'a str,
    st: &'a Stanza,
}

impl Reader<'_> {
    fn err(&self, field: &str, line: usize, message: impl Into<String>) -> StanzaError {
        StanzaError::Field {
            file: self.file.to_string(),
            line,
            field: field.to_string(),
            message: message.into(),
        }
    }

    fn str(&self, key: &str) -> Result<String, StanzaError> {
        match self.st.field(key) {
            None => Ok(String::new()),
            Some(f) => unquote(&f.value).ok_or_else(|| self.err(key, f.line, "expected a quoted string")),
        }
    }

    fn num<T: std::str::FromStr + Default>(&self, key: &str) -> Result<T, StanzaError> {
        match self.st.field(key) {
            None => Ok(T::default()),
            Some(f) => {
                f.value.parse().map_err(|_| self.err(key, f.line, format!("'{}' is not a number", f.value)))
            }
        }
    }

    fn level(&self) -> Result<Level, StanzaError> {
        Ok(Level::new(self.num("ver")?, self.num("rel")?, self.num("mod")?, self.num("fix")?))
    }

    fn state(&self) -> Result<State, StanzaError> {
        let n: u32 = self.num("state")?;
        State::from_odm(n).ok_or_else(|| {
            let line = self.st.field("state").map_or(self.st.line, |f| f.line);
            self.err("state", line, format!("{n} is not the state of an installed level"))
        })
    }
}

/// The text of a class file, written straight into one string in the form the stanza layer gives objects
/// built from `odm` fields: `class:`, one `\tname = value` line per field, a blank line after each object.
/// (Building a stanza tree first and printing it cost more than the install's file writes for a large
/// fileset; the unit test `odm_text_matches_the_stanza_layer` holds the two forms equal.)
#[derive(Default)]
struct OdmText(String);

impl OdmText {
    fn object(&mut self, class: &str) {
        self.0.push_str(class);
        self.0.push_str(":\n");
    }

    fn key(&mut self, key: &str) {
        self.0.push('\t');
        self.0.push_str(key);
        self.0.push_str(" = ");
    }

    fn num(&mut self, key: &str, v: impl std::fmt::Display) {
        use std::fmt::Write as _;
        self.key(key);
        let _ = write!(self.0, "{v}");
        self.0.push('\n');
    }

    fn str(&mut self, key: &str, v: &str) {
        self.key(key);
        quote_into(&mut self.0, v);
        self.0.push('\n');
    }

    fn level(&mut self, l: &Level) {
        self.num("ver", l.v);
        self.num("rel", l.r);
        self.num("mod", l.m);
        self.num("fix", l.f);
    }

    fn end(&mut self) {
        self.0.push('\n');
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split('\n').filter(|x| !x.is_empty()).map(str::to_string).collect()
}

impl Repo {
    fn parse(&mut self, class: &str, file: &str, text: &[u8]) -> Result<(), StanzaError> {
        let f = stanza::parse(file, text)?;
        for st in f.stanzas() {
            if st.name != class {
                return Err(StanzaError::Syntax {
                    file: file.to_string(),
                    line: st.line,
                    message: format!("an object of class '{}' in the {class} class file", st.name),
                });
            }
            let r = Reader { file, st };
            match class {
                "lpp" => self.lpp.push(LppObj {
                    name: r.str("name")?,
                    size: r.num("size")?,
                    state: r.state()?,
                    cp_flag: r.num("cp_flag")?,
                    group: r.str("group")?,
                    magic_letter: r.str("magic_letter")?,
                    level: r.level()?,
                    description: r.str("description")?,
                    lpp_id: r.num("lpp_id")?,
                }),
                "product" => {
                    let mut level = r.level()?;
                    let ptf = r.str("ptf")?;
                    level.ptf = (!ptf.is_empty()).then_some(ptf);
                    let update: u32 = r.num("update")?;
                    self.product.push(ProductObj {
                        lpp_name: r.str("lpp_name")?,
                        comp_id: r.str("comp_id")?,
                        update: update != 0,
                        cp_flag: r.num("cp_flag")?,
                        fesn: r.str("fesn")?,
                        name: r.str("name")?,
                        state: r.state()?,
                        level,
                        media: r.num("media")?,
                        sceded_by: r.str("sceded_by")?,
                        fixinfo: r.str("fixinfo")?,
                        prereq: r.str("prereq")?,
                        description: r.str("description")?,
                        supersedes: r.str("supersedes")?,
                    })
                }
                "inventory" => {
                    let t: u32 = r.num("file_type")?;
                    let kind = InvKind::from_odm(t).ok_or_else(|| {
                        let line = st.field("file_type").map_or(st.line, |f| f.line);
                        r.err("file_type", line, format!("{t} is not 0 (file), 1 (directory) or 2 (symlink)"))
                    })?;
                    self.inventory.push(InvObj {
                        lpp_id: r.num("lpp_id")?,
                        private: r.num("private")?,
                        kind,
                        format: r.num("format")?,
                        loc0: r.str("loc0")?,
                        loc1: r.str("loc1")?,
                        loc2: r.str("loc2")?,
                        size: r.num("size")?,
                        checksum: r.num("checksum")?,
                        level: r.level()?,
                    })
                }
                "history" => {
                    let e: u32 = r.num("event")?;
                    let event = Event::from_odm(e).ok_or_else(|| {
                        let line = st.field("event").map_or(st.line, |f| f.line);
                        r.err("event", line, format!("{e} is not an event (1 to 5)"))
                    })?;
                    let mut level = r.level()?;
                    let ptf = r.str("ptf")?;
                    level.ptf = (!ptf.is_empty()).then_some(ptf);
                    let state: u32 = r.num("state")?;
                    self.history.push(HistObj {
                        lpp_id: r.num("lpp_id")?,
                        event,
                        level,
                        corr_svn: r.str("corr_svn")?,
                        cp_mod: r.str("cp_mod")?,
                        cp_fix: r.str("cp_fix")?,
                        login_name: r.str("login_name")?,
                        complete: state != 2,
                        time: r.num("time")?,
                        comment: r.str("comment")?,
                    })
                }
                _ => {
                    let mut filesets = Vec::new();
                    let line = st.field("filesets").map_or(st.line, |f| f.line);
                    for fl in split_list(&r.str("filesets")?) {
                        let parsed =
                            fl.split_once(':').and_then(|(n, l)| Some((n.to_string(), l.parse().ok()?)));
                        filesets.push(parsed.ok_or_else(|| {
                            r.err("filesets", line, format!("'{fl}' is not FILESET:V.R.M.F"))
                        })?);
                    }
                    self.fix.push(FixObj {
                        name: r.str("name")?,
                        abstract_text: r.str("abstract")?,
                        kind: r.str("type")?,
                        filesets,
                        symptom: r.str("symptom")?,
                    })
                }
            }
        }
        Ok(())
    }

    fn render(&self, class: &str) -> String {
        let mut w = OdmText::default();
        match class {
            "lpp" => {
                for o in &self.lpp {
                    w.object(class);
                    w.str("name", &o.name);
                    w.num("size", o.size);
                    w.num("state", o.state.odm());
                    w.num("cp_flag", o.cp_flag);
                    w.str("group", &o.group);
                    w.str("magic_letter", &o.magic_letter);
                    w.level(&o.level);
                    w.str("description", &o.description);
                    w.num("lpp_id", o.lpp_id);
                    w.end();
                }
            }
            "product" => {
                for o in &self.product {
                    w.object(class);
                    w.str("lpp_name", &o.lpp_name);
                    w.str("comp_id", &o.comp_id);
                    w.num("update", u32::from(o.update));
                    w.num("cp_flag", o.cp_flag);
                    w.str("fesn", &o.fesn);
                    w.str("name", &o.name);
                    w.num("state", o.state.odm());
                    w.level(&o.level);
                    w.str("ptf", o.level.ptf.as_deref().unwrap_or(""));
                    w.num("media", o.media);
                    w.str("sceded_by", &o.sceded_by);
                    w.str("fixinfo", &o.fixinfo);
                    w.str("prereq", &o.prereq);
                    w.str("description", &o.description);
                    w.str("supersedes", &o.supersedes);
                    w.end();
                }
            }
            "inventory" => {
                for o in &self.inventory {
                    w.object(class);
                    w.num("lpp_id", o.lpp_id);
                    w.num("private", o.private);
                    w.num("file_type", o.kind.odm());
                    w.num("format", o.format);
                    w.str("loc0", &o.loc0);
                    w.str("loc1", &o.loc1);
                    w.str("loc2", &o.loc2);
                    w.num("size", o.size);
                    w.num("checksum", o.checksum);
                    w.level(&o.level);
                    w.end();
                }
            }
            "history" => {
                for o in &self.history {
                    w.object(class);
                    w.num("lpp_id", o.lpp_id);
                    w.num("event", o.event.odm());
                    w.level(&o.level);
                    w.str("ptf", o.level.ptf.as_deref().unwrap_or(""));
                    w.str("corr_svn", &o.corr_svn);
                    w.str("cp_mod", &o.cp_mod);
                    w.str("cp_fix", &o.cp_fix);
                    w.str("login_name", &o.login_name);
                    w.num("state", if o.complete { 1 } else { 2 });
                    w.num("time", o.time);
                    w.str("comment", &o.comment);
                    w.end();
                }
            }
            _ => {
                for o in &self.fix {
                    let list: String = o.filesets.iter().map(|(n, l)| format!("{n}:{l}\n")).collect();
                    w.object(class);
                    w.str("name", &o.name);
                    w.str("abstract", &o.abstract_text);
                    w.str("type", &o.kind);
                    w.str("filesets", &list);
                    w.str("symptom", &o.symptom);
                    w.end();
                }
            }
        }
        w.0
    }

    fn lpp_name(&self, id: u32) -> Option<&str> {
        self.lpp.iter().find(|l| l.lpp_id == id).map(|l| l.name.as_str())
    }

    fn lpp_id(&self, fileset: &str) -> Option<u32> {
        self.lpp.iter().find(|l| l.name == fileset).map(|l| l.lpp_id)
    }

    /// The effective inventory of a fileset: for each path the entry of the highest level, in the order the
    /// paths were first recorded.
    fn effective(&self, id: u32) -> Vec<&InvObj> {
        let mut order: Vec<&str> = Vec::new();
        let mut best: BTreeMap<&str, &InvObj> = BTreeMap::new();
        for o in self.inventory.iter().filter(|o| o.lpp_id == id) {
            match best.get(o.loc0.as_str()) {
                None => {
                    order.push(&o.loc0);
                    best.insert(&o.loc0, o);
                }
                Some(b) if o.level >= b.level => {
                    best.insert(&o.loc0, o);
                }
                Some(_) => {}
            }
        }
        order.iter().filter_map(|p| best.get(p).copied()).collect()
    }

    /// Brings the `lpp` object of a fileset in line with its products (state of the highest level).
    fn refresh_lpp(&mut self, fileset: &str) {
        let top = self.product.iter().filter(|p| p.name == fileset).max_by(|a, b| a.level.cmp(&b.level));
        let state = top.map(|p| p.state);
        if let (Some(state), Some(l)) = (state, self.lpp.iter_mut().find(|l| l.name == fileset)) {
            l.state = state;
        }
    }
}

fn item_of(o: &InvObj) -> InvItem {
    let (target, links) = match o.kind {
        InvKind::Symlink => ((!o.loc2.is_empty()).then(|| o.loc2.clone()), Vec::new()),
        _ => (None, split_list(&o.loc1)),
    };
    InvItem { path: o.loc0.clone(), kind: o.kind, size: o.size, checksum: o.checksum, target, links }
}

fn entry_of(p: &ProductObj) -> LevelEntry {
    LevelEntry {
        fileset: p.name.clone(),
        package: p.lpp_name.clone(),
        level: p.level.clone(),
        update: p.update,
        state: p.state,
        image_type: image_type_of(p.cp_flag, p.update),
        description: p.description.clone(),
        prereq: p.prereq.clone(),
    }
}

/// Writes `text` to `path` through a temporary file in the same directory and a rename.
fn write_atomic(path: &Path, text: &str) -> Result<(), Error> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io("create", dir, e))?;
    tmp.write_all(text.as_bytes()).map_err(|e| Error::io("write", path, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io("sync", path, e))?;
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o644))
            .map_err(|e| Error::io("chmod", path, e))?;
    }
    tmp.persist(path).map_err(|e| Error::io("rename", path, e.error))?;
    Ok(())
}

impl Swvpd {
    /// An empty inventory for the tree at `root` (nothing is read or written).
    pub fn empty(root: &Path) -> Swvpd {
        Swvpd { root: root.to_path_buf(), repos: Default::default(), on_disk: Default::default() }
    }

    /// The tree this inventory belongs to.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The class file of `part` for `class` (`ROOT/usr/lib/objrepos/product.stanza`).
    pub(crate) fn class_file(&self, part: Part, class: &str) -> PathBuf {
        self.root.join(part.repository().trim_start_matches('/')).join(format!("{class}.stanza"))
    }

    /// Reads the inventory of the tree at `root`. Missing files are an empty inventory; a malformed file is
    /// an error naming the file and the line.
    pub fn load(root: &Path) -> Result<Swvpd, Error> {
        let mut s = Swvpd::empty(root);
        for part in Part::ALL {
            for (ci, class) in CLASSES.iter().enumerate() {
                let path = s.class_file(part, class);
                let bytes = match fs::read(&path) {
                    Ok(b) => b,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(Error::io("read", &path, e)),
                };
                s.repos[part.idx()].parse(class, &path.display().to_string(), &bytes)?;
                s.on_disk[part.idx()][ci] = Some(String::from_utf8_lossy(&bytes).into_owned());
            }
        }
        // The fix class lives in the usr repository; keywords found elsewhere are merged into it.
        for part in [Part::Root, Part::Share] {
            for f in std::mem::take(&mut s.repos[part.idx()].fix) {
                s.add_fix(FixRec {
                    name: f.name,
                    abstract_text: f.abstract_text,
                    kind: first_char(&f.kind),
                    filesets: f.filesets,
                });
            }
        }
        Ok(s)
    }

    /// Writes the class files that changed since they were loaded or last saved, each atomically (a
    /// temporary file and a rename). Classes still empty and absent on disk are not created.
    pub fn save(&mut self) -> Result<(), Error> {
        for part in Part::ALL {
            for (ci, class) in CLASSES.iter().enumerate() {
                let text = self.repos[part.idx()].render(class);
                let disk = &self.on_disk[part.idx()][ci];
                if disk.as_deref() == Some(text.as_str()) || (disk.is_none() && text.is_empty()) {
                    continue;
                }
                write_atomic(&self.class_file(part, class), &text)?;
                self.on_disk[part.idx()][ci] = Some(text);
            }
        }
        Ok(())
    }

    /// Every level of every fileset recorded in `part`, in recording order.
    pub(crate) fn part_levels(&self, part: Part) -> Vec<LevelEntry> {
        self.repos[part.idx()].product.iter().map(entry_of).collect()
    }

    /// The names of all filesets recorded in any part, sorted.
    pub(crate) fn fileset_names(&self) -> Vec<String> {
        let set: BTreeSet<&str> =
            self.repos.iter().flat_map(|r| r.product.iter().map(|p| p.name.as_str())).collect();
        set.into_iter().map(str::to_string).collect()
    }

    /// The fileset merged over its parts: the highest level in `product`; `None` when not installed.
    pub fn installed(&self, fileset: &str) -> Option<Installed> {
        let mut all: Vec<(Part, &ProductObj)> = Vec::new();
        for part in Part::ALL {
            all.extend(
                self.repos[part.idx()].product.iter().filter(|p| p.name == fileset).map(|p| (part, p)),
            );
        }
        let level = all.iter().map(|(_, p)| p.level.clone()).max()?;
        let top: Vec<&ProductObj> = all.iter().filter(|(_, p)| p.level == level).map(|(_, p)| *p).collect();
        let state = top.iter().map(|p| p.state).max_by_key(|s| s.urgency()).unwrap_or(State::Committed);
        let base_obj = all
            .iter()
            .filter(|(_, p)| !p.update)
            .min_by(|a, b| a.1.level.cmp(&b.1.level))
            .or_else(|| all.iter().min_by(|a, b| a.1.level.cmp(&b.1.level)))
            .map(|(_, p)| *p)?;
        let mut parts: Vec<Part> = all.iter().map(|(p, _)| *p).collect();
        parts.dedup();
        Some(Installed {
            fileset: fileset.to_string(),
            package: base_obj.lpp_name.clone(),
            level: level.clone(),
            base: base_obj.level.clone(),
            state,
            description: base_obj.description.clone(),
            parts,
        })
    }

    /// Every installed fileset, sorted by name.
    pub fn all_installed(&self) -> Vec<Installed> {
        self.fileset_names().iter().filter_map(|n| self.installed(n)).collect()
    }

    /// The levels of a fileset in every part: base first, then updates in level order.
    pub fn levels(&self, fileset: &str) -> Vec<(Level, State, Part)> {
        let mut v: Vec<(bool, Level, State, Part)> = Vec::new();
        for part in Part::ALL {
            for p in self.repos[part.idx()].product.iter().filter(|p| p.name == fileset) {
                v.push((p.update, p.level.clone(), p.state, part));
            }
        }
        v.sort_by(|a, b| (a.0, &a.1, a.3).cmp(&(b.0, &b.1, b.3)));
        v.into_iter().map(|(_, l, s, p)| (l, s, p)).collect()
    }

    /// Records a fileset level installed in one part: its `lpp` object (once per fileset and part), a
    /// `product` object (replacing one of the same level), its inventory, a history event (see the module
    /// notes) and its fix keywords.
    pub fn record(&mut self, r: InstallRecord) {
        let repo = &mut self.repos[r.part.idx()];
        let cp_flag = r.part.bit() | image_bit(r.image_type);
        let lpp_id = match repo.lpp_id(&r.fileset) {
            Some(id) => id,
            None => {
                let id = repo.lpp.iter().map(|l| l.lpp_id).max().unwrap_or(0) + 1;
                repo.lpp.push(LppObj {
                    name: r.fileset.clone(),
                    size: 0,
                    state: r.state,
                    cp_flag,
                    group: String::new(),
                    magic_letter: if r.update { "S" } else { "I" }.to_string(),
                    level: r.level.clone(),
                    description: r.description.clone(),
                    lpp_id: id,
                });
                id
            }
        };
        if !r.update {
            if let Some(l) = repo.lpp.iter_mut().find(|l| l.lpp_id == lpp_id) {
                l.level = r.level.clone();
                l.description = r.description.clone();
                l.cp_flag = cp_flag;
                l.magic_letter = "I".to_string();
            }
        }
        repo.product.retain(|p| !(p.name == r.fileset && p.level == r.level));
        repo.product.push(ProductObj {
            lpp_name: r.package.clone(),
            comp_id: r.comp_id.clone(),
            update: r.update,
            cp_flag,
            fesn: String::new(),
            name: r.fileset.clone(),
            state: r.state,
            level: r.level.clone(),
            media: 3,
            sceded_by: String::new(),
            fixinfo: r.fixes.iter().map(|(k, _)| format!("{k}\n")).collect(),
            prereq: r.prereq.clone(),
            description: r.description.clone(),
            supersedes: r.supersedes.clone(),
        });
        // A path this level recorded before is replaced; a path listed twice keeps its last entry. (One pass
        // with a set: the item-by-item removal this replaces was quadratic in the size of the inventory.)
        let mut last: HashMap<&str, usize> = HashMap::with_capacity(r.items.len());
        for (i, it) in r.items.iter().enumerate() {
            last.insert(it.path.as_str(), i);
        }
        repo.inventory
            .retain(|o| !(o.lpp_id == lpp_id && o.level == r.level && last.contains_key(o.loc0.as_str())));
        repo.inventory.reserve(last.len());
        for (i, it) in r.items.iter().enumerate() {
            if last.get(it.path.as_str()) != Some(&i) {
                continue;
            }
            let (loc1, loc2) = match it.kind {
                InvKind::Symlink => (String::new(), it.target.clone().unwrap_or_default()),
                _ => (it.links.iter().map(|l| format!("{l}\n")).collect(), String::new()),
            };
            repo.inventory.push(InvObj {
                lpp_id,
                private: 0,
                kind: it.kind,
                format: 1,
                loc0: it.path.clone(),
                loc1,
                loc2,
                size: it.size,
                checksum: it.checksum,
                level: r.level.clone(),
            });
        }
        let (event, complete) = match r.state {
            State::Committed => (Event::Commit, true),
            State::Broken => (Event::Apply, false),
            _ => (Event::Apply, true),
        };
        repo.history.push(HistObj {
            lpp_id,
            event,
            level: r.level.clone(),
            corr_svn: String::new(),
            cp_mod: String::new(),
            cp_fix: String::new(),
            login_name: r.login.clone(),
            complete,
            time: r.time,
            comment: String::new(),
        });
        repo.refresh_lpp(&r.fileset);
        for (k, a) in &r.fixes {
            self.add_fix(FixRec {
                name: k.clone(),
                abstract_text: a.clone(),
                kind: FixRec::kind_of(k),
                filesets: vec![(r.fileset.clone(), r.level.clone())],
            });
        }
    }

    /// Adds a keyword to the fix database, or merges its filesets into the keyword already there (a fileset
    /// listed again takes the new level).
    pub(crate) fn add_fix(&mut self, fix: FixRec) {
        let table = &mut self.repos[Part::Usr.idx()].fix;
        match table.iter_mut().find(|f| f.name == fix.name) {
            Some(f) => {
                if f.abstract_text.is_empty() {
                    f.abstract_text = fix.abstract_text;
                }
                for (n, l) in fix.filesets {
                    match f.filesets.iter_mut().find(|(m, _)| *m == n) {
                        Some(e) => e.1 = l,
                        None => f.filesets.push((n, l)),
                    }
                }
            }
            None => table.push(FixObj {
                name: fix.name,
                abstract_text: fix.abstract_text,
                kind: fix.kind.to_string(),
                filesets: fix.filesets,
                symptom: String::new(),
            }),
        }
    }

    /// Commits every APPLIED level of a fileset in every part (history COMMIT); returns the levels that
    /// changed, lowest first.
    pub fn commit(&mut self, fileset: &str, time: i64) -> Vec<Level> {
        let mut changed = BTreeSet::new();
        for repo in &mut self.repos {
            let Some(id) = repo.lpp_id(fileset) else { continue };
            let mut levels = Vec::new();
            for p in repo.product.iter_mut().filter(|p| p.name == fileset && p.state == State::Applied) {
                p.state = State::Committed;
                levels.push(p.level.clone());
            }
            levels.sort();
            for l in levels {
                repo.history.push(HistObj {
                    lpp_id: id,
                    event: Event::Commit,
                    level: l.clone(),
                    corr_svn: String::new(),
                    cp_mod: String::new(),
                    cp_fix: String::new(),
                    login_name: "root".to_string(),
                    complete: true,
                    time,
                    comment: String::new(),
                });
                changed.insert(l);
            }
            repo.refresh_lpp(fileset);
        }
        changed.into_iter().collect()
    }

    /// Rejects an APPLIED level of a fileset in every part that has it: its product and inventory entries
    /// go (the earlier levels' entries apply again) and a REJECT event is recorded. Refused, with nothing
    /// changed, when the level is not installed or is not APPLIED in some part.
    pub fn reject(&mut self, fileset: &str, level: &Level, time: i64) -> Result<(), Error> {
        let mut found = false;
        for repo in &self.repos {
            for p in repo.product.iter().filter(|p| p.name == fileset && p.level == *level) {
                found = true;
                if p.state != State::Applied {
                    return Err(Error::refused(format!(
                        "installp: {fileset} {level} is {}: it must be in APPLIED state to reject.",
                        p.state.name()
                    )));
                }
            }
        }
        if !found {
            return Err(Error::refused(format!("installp: {fileset} {level} is not installed.")));
        }
        for repo in &mut self.repos {
            let Some(id) = repo.lpp_id(fileset) else { continue };
            let before = repo.product.len();
            repo.product.retain(|p| !(p.name == fileset && p.level == *level));
            if repo.product.len() == before {
                continue;
            }
            repo.inventory.retain(|o| !(o.lpp_id == id && o.level == *level));
            repo.history.push(HistObj {
                lpp_id: id,
                event: Event::Reject,
                level: level.clone(),
                corr_svn: String::new(),
                cp_mod: String::new(),
                cp_fix: String::new(),
                login_name: "root".to_string(),
                complete: true,
                time,
                comment: String::new(),
            });
            repo.refresh_lpp(fileset);
        }
        Ok(())
    }

    /// The fix database, sorted by keyword.
    pub fn fixes(&self) -> Vec<FixRec> {
        let mut v: Vec<FixRec> = self.repos[Part::Usr.idx()]
            .fix
            .iter()
            .map(|f| FixRec {
                name: f.name.clone(),
                abstract_text: f.abstract_text.clone(),
                kind: first_char(&f.kind),
                filesets: f.filesets.clone(),
            })
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// The fileset owning a path (`lslpp -w`), from the effective inventory of every part; hard links
    /// listed with a file count as that file.
    pub fn owner_of(&self, path: &str) -> Option<(String, InvKind)> {
        for repo in &self.repos {
            for l in &repo.lpp {
                for o in repo.effective(l.lpp_id) {
                    if o.loc0 == path
                        || (o.kind == InvKind::File && split_list(&o.loc1).iter().any(|x| x == path))
                    {
                        return Some((l.name.clone(), o.kind));
                    }
                }
            }
        }
        None
    }

    /// Every inventory path of every part with its owner, in repository order (for `lslpp -w` patterns).
    pub(crate) fn all_paths(&self) -> Vec<(String, String, InvKind)> {
        let mut v = Vec::new();
        for repo in &self.repos {
            for l in &repo.lpp {
                for o in repo.effective(l.lpp_id) {
                    v.push((o.loc0.clone(), l.name.clone(), o.kind));
                    if o.kind == InvKind::File {
                        v.extend(split_list(&o.loc1).into_iter().map(|x| (x, l.name.clone(), InvKind::File)));
                    }
                }
            }
        }
        v
    }

    /// The paths each level of a fileset recorded, per part (usr first) and level (lowest first).
    pub fn files_of(&self, fileset: &str) -> Vec<(Part, Level, Vec<InvItem>)> {
        let mut v = Vec::new();
        for part in Part::ALL {
            let repo = &self.repos[part.idx()];
            let Some(id) = repo.lpp_id(fileset) else { continue };
            let levels: BTreeSet<Level> =
                repo.inventory.iter().filter(|o| o.lpp_id == id).map(|o| o.level.clone()).collect();
            for l in levels {
                let items =
                    repo.inventory.iter().filter(|o| o.lpp_id == id && o.level == l).map(item_of).collect();
                v.push((part, l, items));
            }
        }
        v
    }

    /// The effective inventory of a fileset in one part: each path once, as its highest level recorded it.
    pub fn effective_files(&self, part: Part, fileset: &str) -> Vec<InvItem> {
        let repo = &self.repos[part.idx()];
        repo.lpp_id(fileset)
            .map(|id| repo.effective(id).into_iter().map(item_of).collect())
            .unwrap_or_default()
    }

    /// The history of a fileset: per part (usr first), events in the order they happened.
    pub fn history(&self, fileset: &str) -> Vec<(Part, Level, Event, bool, i64)> {
        let mut v = Vec::new();
        for part in Part::ALL {
            for h in self.part_history(part, fileset) {
                v.push((part, h.level, h.event, h.complete, h.time));
            }
        }
        v
    }

    /// The history of a fileset in one part, in recording order.
    pub(crate) fn part_history(&self, part: Part, fileset: &str) -> Vec<HistoryEntry> {
        let repo = &self.repos[part.idx()];
        repo.history
            .iter()
            .filter(|h| repo.lpp_name(h.lpp_id) == Some(fileset))
            .map(|h| HistoryEntry {
                level: h.level.clone(),
                event: h.event,
                complete: h.complete,
                time: h.time,
                login: h.login_name.clone(),
            })
            .collect()
    }
}

fn first_char(s: &str) -> char {
    s.chars().next().unwrap_or('f')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lv(s: &str) -> Level {
        s.parse().unwrap()
    }

    fn file(path: &str, size: u64, checksum: u16) -> InvItem {
        InvItem { path: path.into(), kind: InvKind::File, size, checksum, target: None, links: vec![] }
    }

    fn rec(
        fileset: &str,
        level: &str,
        state: State,
        part: Part,
        items: Vec<InvItem>,
        time: i64,
    ) -> InstallRecord {
        let level = lv(level);
        let update = !level.is_base();
        InstallRecord {
            fileset: fileset.into(),
            package: "ranch".into(),
            update,
            image_type: if update { 'S' } else { 'I' },
            level,
            description: "Hog \"Utilities\"".into(),
            state,
            prereq: "*prereq bos.rte 7.2.0.0\n".into(),
            supersedes: String::new(),
            fixes: if update { vec![("IV00001".into(), "HOG CRASH".into())] } else { vec![] },
            comp_id: "5765-CD300".into(),
            part,
            items,
            time,
            login: "root".into(),
        }
    }

    fn sample(root: &Path) -> Swvpd {
        let mut s = Swvpd::empty(root);
        let dir = InvItem {
            path: "/usr/lib/ranch".into(),
            kind: InvKind::Directory,
            size: 0,
            checksum: 0,
            target: None,
            links: vec![],
        };
        let link = InvItem {
            path: "/usr/bin/hogstat".into(),
            kind: InvKind::Symlink,
            size: 0,
            checksum: 0,
            target: Some("/usr/bin/hog".into()),
            links: vec![],
        };
        let mut hog = file("/usr/bin/hog", 4256, 40721);
        hog.links = vec!["/usr/bin/pig".into()];
        s.record(rec("ranch.hog", "3.1.0.0", State::Committed, Part::Usr, vec![dir, hog, link], 100));
        s.record(rec(
            "ranch.hog",
            "3.1.0.0",
            State::Committed,
            Part::Root,
            vec![file("/etc/hog.conf", 10, 7)],
            100,
        ));
        s.record(rec(
            "ranch.hog",
            "3.1.0.2",
            State::Applied,
            Part::Usr,
            vec![file("/usr/bin/hog", 5000, 123)],
            200,
        ));
        s
    }

    #[test]
    fn codes() {
        assert_eq!(State::Committed.odm(), 5);
        assert_eq!(State::from_odm(3), Some(State::Applied));
        assert_eq!(State::from_odm(1), None);
        assert_eq!(State::Committing.code(), '?');
        assert_eq!(Event::from_odm(5), Some(Event::Cleanup));
        assert_eq!(Part::Root.repository(), "/etc/objrepos");
        assert_eq!(FixRec::kind_of("7200-04_AIX_ML"), 'm');
        assert_eq!(FixRec::kind_of("7200-04-02-2016_SP"), 's');
        assert_eq!(FixRec::kind_of("IV1"), 'f');
    }

    #[test]
    fn quoting_round_trips() {
        for s in ["", "a\"b", "x\ny\n", "back\\slash\t"] {
            assert_eq!(unquote(&quote(s)).as_deref(), Some(s));
        }
        assert_eq!(quote("a\nb"), "\"a\\nb\"");
        assert_eq!(unquote("noquotes"), None);
    }

    #[test]
    fn odm_text_matches_the_stanza_layer() {
        use crate::imagedata::stanza::{Field, StanzaFile};
        let t = tempfile::tempdir().unwrap();
        let mut s = sample(t.path());
        s.add_fix(FixRec {
            name: "7200-05_AIX_ML".into(),
            abstract_text: "Tab\there".into(),
            kind: 'm',
            filesets: vec![("ranch.hog".into(), lv("3.1.0.2")), ("bos.rte".into(), lv("7.2.5.0"))],
        });
        for repo in &s.repos {
            for class in CLASSES {
                let text = repo.render(class);
                // The same objects built as stanzas of `odm` fields and printed by the stanza layer.
                let parsed = stanza::parse(class, text.as_bytes()).unwrap();
                let mut built = StanzaFile { items: Vec::new(), final_newline: true };
                for st in parsed.stanzas() {
                    let mut b = Stanza::new(st.name.as_str());
                    for f in st.fields() {
                        b.lines.push(stanza::StanzaLine::Field(Field::odm(f.key.as_str(), f.value.as_str())));
                    }
                    built.push_stanza(b);
                }
                assert_eq!(text, built.to_text(), "{class}");
            }
        }
        assert_eq!(Repo::default().render("inventory"), "");
    }

    #[test]
    fn recording_a_level_again_replaces_its_paths_once_each() {
        let t = tempfile::tempdir().unwrap();
        let mut s = sample(t.path());
        // 3.1.0.0 again: /usr/bin/hog is replaced, /usr/bin/new listed twice keeps its last entry, and the
        // paths not listed again keep their place.
        s.record(rec(
            "ranch.hog",
            "3.1.0.0",
            State::Committed,
            Part::Usr,
            vec![file("/usr/bin/new", 1, 1), file("/usr/bin/hog", 9, 9), file("/usr/bin/new", 2, 2)],
            300,
        ));
        let got: Vec<(String, Level, u64)> = s.repos[Part::Usr.idx()]
            .inventory
            .iter()
            .map(|o| (o.loc0.clone(), o.level.clone(), o.size))
            .collect();
        let want = vec![
            ("/usr/lib/ranch".to_string(), lv("3.1.0.0"), 0),
            ("/usr/bin/hogstat".to_string(), lv("3.1.0.0"), 0),
            ("/usr/bin/hog".to_string(), lv("3.1.0.2"), 5000),
            ("/usr/bin/hog".to_string(), lv("3.1.0.0"), 9),
            ("/usr/bin/new".to_string(), lv("3.1.0.0"), 2),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn save_load_round_trip_and_print_form() {
        let t = tempfile::tempdir().unwrap();
        let mut s = sample(t.path());
        s.save().unwrap();
        let back = Swvpd::load(t.path()).unwrap();
        assert_eq!(back.repos, s.repos);
        let product = fs::read_to_string(t.path().join("usr/lib/objrepos/product.stanza")).unwrap();
        assert!(product.starts_with(
            "product:\n\tlpp_name = \"ranch\"\n\tcomp_id = \"5765-CD300\"\n\tupdate = 0\n\tcp_flag = 257\n"
        ));
        assert!(product.contains("\tprereq = \"*prereq bos.rte 7.2.0.0\\n\"\n"));
        assert!(product.contains("\tdescription = \"Hog \\\"Utilities\\\"\"\n"));
        assert!(product.contains("\n\nproduct:\n"));
        assert!(t.path().join("etc/objrepos/inventory.stanza").exists());
        // Nothing of the share part, and the root part's fix file is not created.
        assert!(!t.path().join("usr/share/lib/objrepos").exists());
        assert!(!t.path().join("etc/objrepos/fix.stanza").exists());
        // Saving again without a change rewrites nothing.
        let p = t.path().join("usr/lib/objrepos/lpp.stanza");
        fs::write(&p, "lpp:\n").unwrap();
        let mut back = back;
        back.save().unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "lpp:\n");
    }

    #[test]
    fn malformed_names_file_and_line() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("etc/objrepos");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("product.stanza"), "product:\n\tname = \"x\"\n\tstate = five\n").unwrap();
        let e = Swvpd::load(t.path()).unwrap_err().to_string();
        assert!(e.contains("etc/objrepos/product.stanza:3: state:"), "{e}");
        fs::write(dir.join("product.stanza"), "lpp:\n\tname = \"x\"\n").unwrap();
        let e = Swvpd::load(t.path()).unwrap_err().to_string();
        assert!(e.contains("product.stanza:1:"), "{e}");
        fs::write(dir.join("product.stanza"), "product:\n\tname = x\n").unwrap();
        let e = Swvpd::load(t.path()).unwrap_err().to_string();
        assert!(e.contains("product.stanza:2: name: expected a quoted string"), "{e}");
        // A binary ODM file next to it is ignored.
        fs::write(dir.join("product.stanza"), "").unwrap();
        fs::write(dir.join("product"), [0u8, 1, 2, 0xff]).unwrap();
        assert!(Swvpd::load(t.path()).unwrap().all_installed().is_empty());
    }

    #[test]
    fn record_installed_levels_history() {
        let t = tempfile::tempdir().unwrap();
        let s = sample(t.path());
        let i = s.installed("ranch.hog").unwrap();
        assert_eq!(i.level, lv("3.1.0.2"));
        assert_eq!(i.base, lv("3.1.0.0"));
        assert_eq!(i.state, State::Applied);
        assert_eq!(i.parts, vec![Part::Usr, Part::Root]);
        assert_eq!(
            s.levels("ranch.hog"),
            vec![
                (lv("3.1.0.0"), State::Committed, Part::Usr),
                (lv("3.1.0.0"), State::Committed, Part::Root),
                (lv("3.1.0.2"), State::Applied, Part::Usr)
            ]
        );
        assert_eq!(
            s.history("ranch.hog"),
            vec![
                (Part::Usr, lv("3.1.0.0"), Event::Commit, true, 100),
                (Part::Usr, lv("3.1.0.2"), Event::Apply, true, 200),
                (Part::Root, lv("3.1.0.0"), Event::Commit, true, 100),
            ]
        );
        assert_eq!(s.owner_of("/usr/bin/pig"), None, "the update's entry has no links");
        assert_eq!(s.owner_of("/usr/bin/hogstat"), Some(("ranch.hog".into(), InvKind::Symlink)));
        assert_eq!(s.owner_of("/etc/hog.conf"), Some(("ranch.hog".into(), InvKind::File)));
        let eff = s.effective_files(Part::Usr, "ranch.hog");
        assert_eq!(
            eff.iter().map(|i| i.path.as_str()).collect::<Vec<_>>(),
            ["/usr/lib/ranch", "/usr/bin/hog", "/usr/bin/hogstat"]
        );
        assert_eq!(eff[1].size, 5000);
        assert_eq!(eff[2].target.as_deref(), Some("/usr/bin/hog"));
        assert_eq!(s.files_of("ranch.hog").len(), 3);
        let f = s.fixes();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].filesets, vec![("ranch.hog".to_string(), lv("3.1.0.2"))]);
        assert!(s.installed("nope").is_none());
    }

    #[test]
    fn commit_and_reject() {
        let t = tempfile::tempdir().unwrap();
        let mut s = sample(t.path());
        // Reject of a committed or absent level is refused without change.
        let e = s.reject("ranch.hog", &lv("3.1.0.0"), 300).unwrap_err().to_string();
        assert_eq!(e, "installp: ranch.hog 3.1.0.0 is COMMITTED: it must be in APPLIED state to reject.");
        let e = s.reject("ranch.hog", &lv("3.1.0.9"), 300).unwrap_err().to_string();
        assert_eq!(e, "installp: ranch.hog 3.1.0.9 is not installed.");
        let mut r = s.clone();
        r.reject("ranch.hog", &lv("3.1.0.2"), 300).unwrap();
        assert_eq!(r.installed("ranch.hog").unwrap().level, lv("3.1.0.0"));
        assert_eq!(r.installed("ranch.hog").unwrap().state, State::Committed);
        assert_eq!(r.effective_files(Part::Usr, "ranch.hog")[1].size, 4256);
        assert_eq!(r.owner_of("/usr/bin/pig"), Some(("ranch.hog".into(), InvKind::File)));
        assert_eq!(r.history("ranch.hog")[2], (Part::Usr, lv("3.1.0.2"), Event::Reject, true, 300));
        // Commit.
        assert_eq!(s.commit("ranch.hog", 400), vec![lv("3.1.0.2")]);
        assert_eq!(s.commit("ranch.hog", 500), Vec::<Level>::new());
        assert_eq!(s.installed("ranch.hog").unwrap().state, State::Committed);
        assert_eq!(s.history("ranch.hog")[2], (Part::Usr, lv("3.1.0.2"), Event::Commit, true, 400));
        assert!(s.reject("ranch.hog", &lv("3.1.0.2"), 600).is_err());
    }

    #[test]
    fn fixes_merge() {
        let t = tempfile::tempdir().unwrap();
        let mut s = Swvpd::empty(t.path());
        s.add_fix(FixRec {
            name: "K".into(),
            abstract_text: "A".into(),
            kind: 'f',
            filesets: vec![("a".into(), lv("1.0.0.1"))],
        });
        s.add_fix(FixRec {
            name: "K".into(),
            abstract_text: String::new(),
            kind: 'f',
            filesets: vec![("b".into(), lv("1.0.0.2")), ("a".into(), lv("1.0.0.3"))],
        });
        let f = &s.fixes()[0];
        assert_eq!(f.abstract_text, "A");
        assert_eq!(f.filesets, vec![("a".to_string(), lv("1.0.0.3")), ("b".to_string(), lv("1.0.0.2"))]);
    }
}
