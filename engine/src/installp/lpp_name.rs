//! The `lpp_name` file, first member of every installp image (spec installp.md §2): the package header,
//! then one entry per fileset with its level, requisites, sizes, supersedes and fixes.
//!
//! The same text, with the image file name as an extra first token, is one entry of a `.toc` (§5.1); the
//! parser here serves both ([`crate::installp::toc`]).

use super::level::{Level, LevelReq, ReqExpr, ReqKind, Requisite};
use super::ParseError;

/// The package type on the header line (`I`, `S`, `SR`, `ML`, `G`): a base install or one of the update
/// kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum PackageType {
    /// `I`: installation (base level) package.
    Install,
    /// `S`: single update.
    Single,
    /// `SR`: single required update.
    SingleRequired,
    /// `ML`: maintenance-level update.
    Maintenance,
    /// `G`: update with no base fileset.
    Group,
}

impl PackageType {
    /// The code as written in `lpp_name`.
    pub fn code(&self) -> &'static str {
        match self {
            PackageType::Install => "I",
            PackageType::Single => "S",
            PackageType::SingleRequired => "SR",
            PackageType::Maintenance => "ML",
            PackageType::Group => "G",
        }
    }

    /// The type for a code, `None` for anything else.
    pub(crate) fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "I" => PackageType::Install,
            "S" => PackageType::Single,
            "SR" => PackageType::SingleRequired,
            "ML" => PackageType::Maintenance,
            "G" => PackageType::Group,
            _ => return None,
        })
    }
}

/// Which parts a fileset installs (§1.4): it decides whether the root-part `liblpp.a` is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Content {
    /// `U`: usr part only.
    Usr,
    /// `B`: usr and root parts.
    Both,
    /// `H`: share part only.
    Share,
}

impl Content {
    /// The code as written in `lpp_name`.
    pub fn code(&self) -> char {
        match self {
            Content::Usr => 'U',
            Content::Both => 'B',
            Content::Share => 'H',
        }
    }

    /// The content for a code, `None` for anything else.
    pub(crate) fn from_code(c: char) -> Option<Self> {
        Some(match c {
            'U' => Content::Usr,
            'B' => Content::Both,
            'H' => Content::Share,
            _ => return None,
        })
    }

    /// The parts as installp's listings name them.
    pub(crate) fn parts_text(&self) -> &'static str {
        match self {
            Content::Usr => "usr",
            Content::Both => "usr,root",
            Content::Share => "share",
        }
    }
}

/// One line of the size section (§2.5): space needed under a path, in 512-byte blocks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct SizeEntry {
    /// A directory or file system, or the keyword `INSTWORK` or `PAGESPACE`.
    pub path: String,
    /// Blocks needed permanently.
    pub blocks: u64,
    /// Blocks needed during the install only (for `INSTWORK`: the second number).
    pub temp: Option<u64>,
}

/// One line of the fix section (§2.7): an APAR, `_SP` or `_ML` keyword and its abstract.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Fix {
    /// `IV90001`, `7200-05_AIX_ML`, ...
    pub keyword: String,
    /// The rest of the line (may be empty).
    pub abstract_text: String,
}

/// One fileset of a package (§2.3 to §2.7).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FilesetEntry {
    /// The fileset name (`ranch.apps.hog`).
    pub name: String,
    /// Its level.
    pub level: Level,
    /// Media volume number, as written.
    pub volume: String,
    /// Bosboot/quiesce flag: `N`, `b`, `B` or `Y`.
    pub bosboot: char,
    /// Which parts it installs.
    pub content: Content,
    /// Locale of the description.
    pub lang: String,
    /// Free text (tokens joined with single spaces).
    pub description: String,
    /// The requisite section.
    pub requisites: Vec<ReqExpr>,
    /// The size section, without its license lines.
    pub sizes: Vec<SizeEntry>,
    /// `LAF`/`LAR` license lines of the size section, verbatim.
    pub licenses: Vec<String>,
    /// The supersede section, opaque lines.
    pub supersedes: Vec<String>,
    /// The fix section.
    pub fixes: Vec<Fix>,
}

impl FilesetEntry {
    /// The requisite section as `lpp_name` writes it: one requisite per line, groups as `N {` ... `}`.
    /// Empty when there are none; otherwise every line ends in a newline.
    pub(crate) fn requisite_text(&self) -> String {
        fn put(out: &mut String, e: &ReqExpr) {
            match e {
                ReqExpr::One(r) => {
                    out.push_str(&r.to_string());
                    out.push('\n');
                }
                ReqExpr::Group { more_than, items } => {
                    out.push_str(&format!("{more_than} {{\n"));
                    for i in items {
                        put(out, i);
                    }
                    out.push_str("}\n");
                }
            }
        }
        let mut out = String::new();
        for e in &self.requisites {
            put(&mut out, e);
        }
        out
    }
}

/// A parsed `lpp_name`: the package header and its filesets.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LppName {
    /// The format token (`4` for AIX 4 and later).
    pub format: String,
    /// The platform token (`R` POWER, `N` neutral, ...).
    pub platform: String,
    /// Base install or update.
    pub kind: PackageType,
    /// The package name; the control library lives in `usr/lpp/PACKAGE/`.
    pub package: String,
    /// The filesets, in file order.
    pub filesets: Vec<FilesetEntry>,
}

impl LppName {
    /// Parses an `lpp_name` (rules of spec §2.10). Blocks of 2, 3 or 4 sections are accepted; missing
    /// trailing sections are empty. Errors name the 1-based line.
    pub fn parse(text: &str) -> Result<LppName, ParseError> {
        let mut c = Cursor::new(text);
        let (lpp, image) = parse_entry(&mut c, false)?;
        debug_assert!(image.is_none());
        if let Some((n, _)) = c.next_nonblank() {
            return Err(ParseError::line(n, "text after the closing } of the package"));
        }
        Ok(lpp)
    }

    /// The text IBM's tools write: zero-padded levels and all four sections, so that
    /// `parse(to_text(x)) == x`.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write_to(&mut out, None);
        out
    }

    /// True for an update package (any type but `I`).
    pub fn is_update(&self) -> bool {
        self.kind != PackageType::Install
    }

    /// The fileset called `name`.
    pub fn fileset(&self, name: &str) -> Option<&FilesetEntry> {
        self.filesets.iter().find(|f| f.name == name)
    }

    /// True when some fileset has a root part (content `B`), so the image must carry the root-part
    /// `liblpp.a`.
    pub(crate) fn has_root_part(&self) -> bool {
        self.filesets.iter().any(|f| f.content == Content::Both)
    }

    /// Writes the text; `image` is the extra first token of a `.toc` entry.
    pub(crate) fn write_to(&self, out: &mut String, image: Option<&str>) {
        if let Some(i) = image {
            out.push_str(i);
            out.push(' ');
        }
        out.push_str(&format!(
            "{} {} {} {} {{\n",
            self.format,
            self.platform,
            self.kind.code(),
            self.package
        ));
        for f in &self.filesets {
            let mut level = f.level.padded();
            if let Some(p) = &f.level.ptf {
                level.push('.');
                level.push_str(p);
            }
            let head = format!(
                "{} {} {} {} {} {} {}",
                f.name,
                level,
                f.volume,
                f.bosboot,
                f.content.code(),
                f.lang,
                f.description
            );
            out.push_str(head.trim_end());
            out.push_str("\n[\n");
            out.push_str(&f.requisite_text());
            out.push_str("%\n");
            for s in &f.sizes {
                out.push_str(&format!("{} {}", s.path, s.blocks));
                if let Some(t) = s.temp {
                    out.push_str(&format!(" {t}"));
                }
                out.push('\n');
            }
            for l in &f.licenses {
                out.push_str(l);
                out.push('\n');
            }
            out.push_str("%\n");
            for s in &f.supersedes {
                out.push_str(s);
                out.push('\n');
            }
            out.push_str("%\n");
            for x in &f.fixes {
                out.push_str(&x.keyword);
                if !x.abstract_text.is_empty() {
                    out.push(' ');
                    out.push_str(&x.abstract_text);
                }
                out.push('\n');
            }
            out.push_str("]\n");
        }
        out.push_str("}\n");
    }
}

/// Lines of a text with their 1-based numbers, trailing white space (and `\r`) removed.
#[derive(Clone)]
pub(crate) struct Cursor<'a> {
    lines: Vec<&'a str>,
    next: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Cursor { lines: text.lines().map(str::trim_end).collect(), next: 0 }
    }

    /// The next line that is not blank, with its number.
    pub(crate) fn next_nonblank(&mut self) -> Option<(usize, &'a str)> {
        while self.next < self.lines.len() {
            let l = self.lines[self.next];
            self.next += 1;
            if !l.trim().is_empty() {
                return Some((self.next, l));
            }
        }
        None
    }

    /// The number of the last line (for "the text ends here" errors).
    pub(crate) fn last_line(&self) -> usize {
        self.lines.len().max(1)
    }
}

/// Parses one package (an `lpp_name`, or a `.toc` entry when `with_image`): header line to closing `}`.
/// Returns the image name of a `.toc` entry.
pub(crate) fn parse_entry(
    c: &mut Cursor<'_>,
    with_image: bool,
) -> Result<(LppName, Option<String>), ParseError> {
    let Some((n, head)) = c.next_nonblank() else {
        return Err(ParseError::line(c.last_line(), "empty: no package header line"));
    };
    let mut toks: Vec<&str> = head.split_whitespace().collect();
    let last = toks.last().copied().unwrap_or("");
    if last == "{" {
        toks.pop();
    } else if let Some(g) = last.strip_suffix('{').filter(|g| !g.is_empty()) {
        let k = toks.len() - 1;
        toks[k] = g;
    } else {
        match c.next_nonblank() {
            Some((_, l)) if l.trim() == "{" => {}
            _ => return Err(ParseError::line(n, "the package header line must end with {")),
        }
    }
    let want = if with_image { 5 } else { 4 };
    if toks.len() != want {
        let what = if with_image {
            "a .toc entry starts with IMAGE FORMAT PLATFORM TYPE PACKAGE {"
        } else {
            "the package header is FORMAT PLATFORM TYPE PACKAGE {"
        };
        return Err(ParseError::line(n, format!("{what} ({} tokens found)", toks.len())));
    }
    let image = if with_image { Some(toks.remove(0).to_string()) } else { None };
    let kind = PackageType::from_code(toks[2]).ok_or_else(|| {
        ParseError::line(n, format!("unknown package type '{}' (expected I, S, SR, ML or G)", toks[2]))
    })?;
    let mut lpp = LppName {
        format: toks[0].to_string(),
        platform: toks[1].to_string(),
        kind,
        package: toks[3].to_string(),
        filesets: Vec::new(),
    };
    loop {
        let Some((n, line)) = c.next_nonblank() else {
            return Err(ParseError::line(c.last_line(), "the package is not closed with }"));
        };
        if line.trim() == "}" {
            return Ok((lpp, image));
        }
        lpp.filesets.push(parse_fileset(c, n, line)?);
    }
}

fn parse_fileset(c: &mut Cursor<'_>, n: usize, line: &str) -> Result<FilesetEntry, ParseError> {
    let toks: Vec<&str> = line.split_whitespace().collect();
    if toks.len() < 6 {
        return Err(ParseError::line(
            n,
            "a fileset line is FILESET LEVEL VOLUME BOSBOOT CONTENT LANGUAGE DESCRIPTION",
        ));
    }
    let level: Level =
        toks[1].parse().map_err(|e| ParseError::line(n, format!("fileset {}: {e}", toks[0])))?;
    let bosboot = match toks[3] {
        "N" => 'N',
        "b" => 'b',
        "B" => 'B',
        "Y" => 'Y',
        other => {
            return Err(ParseError::line(n, format!("bosboot flag '{other}' is not one of N, b, B, Y")));
        }
    };
    let content = Some(toks[4])
        .filter(|t| t.len() == 1)
        .and_then(|t| t.chars().next())
        .and_then(Content::from_code)
        .ok_or_else(|| ParseError::line(n, format!("content '{}' is not one of U, B, H", toks[4])))?;
    let mut f = FilesetEntry {
        name: toks[0].to_string(),
        level,
        volume: toks[2].to_string(),
        bosboot,
        content,
        lang: toks[5].to_string(),
        description: toks[6..].join(" "),
        requisites: Vec::new(),
        sizes: Vec::new(),
        licenses: Vec::new(),
        supersedes: Vec::new(),
        fixes: Vec::new(),
    };
    match c.next_nonblank() {
        Some((_, l)) if l.trim() == "[" => {}
        Some((m, _)) => {
            return Err(ParseError::line(m, format!("expected [ after the line of fileset {}", f.name)))
        }
        None => {
            return Err(ParseError::line(c.last_line(), format!("the entry of fileset {} has no [", f.name)))
        }
    }
    let mut sections: Vec<Vec<(usize, &str)>> = vec![Vec::new()];
    loop {
        let Some((m, l)) = c.next_nonblank() else {
            return Err(ParseError::line(
                c.last_line(),
                format!("the entry of fileset {} is not closed with ]", f.name),
            ));
        };
        let t = l.trim();
        if t == "]" {
            break;
        }
        if t == "%" {
            if sections.len() == 5 {
                return Err(ParseError::line(m, "a fileset entry has at most five sections (four % lines)"));
            }
            sections.push(Vec::new());
            continue;
        }
        if let Some(s) = sections.last_mut() {
            s.push((m, t));
        }
    }
    // Five sections come in two layouts: AIX 5+ with a license section in the middle
    // (requisites % sizes % licenses % supersedes % fixes), and the AIX 4.1 .toc entry of spec §5.1
    // (requisites % sizes % supersedes % fixes % nothing). A third section holding only LAF/LAR lines
    // (or nothing) is taken for the former.
    let is_license = |l: &str| l.starts_with("LAF") || l.starts_with("LAR");
    let mut it = sections.into_iter();
    let req = it.next().unwrap_or_default();
    let size = it.next().unwrap_or_default();
    let mut rest: Vec<Vec<(usize, &str)>> = it.collect();
    let mut license_sec = Vec::new();
    if rest.len() == 3 {
        if rest[0].iter().all(|(_, l)| is_license(l)) {
            license_sec = rest.remove(0);
        } else if let Some((m, _)) = rest[2].first() {
            return Err(ParseError::line(
                *m,
                "text in a fifth section: expected requisites % sizes % [licenses %] supersedes % fixes",
            ));
        } else {
            rest.pop();
        }
    }
    let mut rest = rest.into_iter();
    f.requisites = parse_requisites(&req)?;
    for (m, l) in size.into_iter().chain(license_sec) {
        if l.starts_with('#') {
            continue;
        }
        if is_license(l) {
            f.licenses.push(l.to_string());
            continue;
        }
        f.sizes.push(size_line(m, l)?);
    }
    f.supersedes = rest.next().unwrap_or_default().into_iter().map(|(_, l)| l.to_string()).collect();
    for (_, l) in rest.next().unwrap_or_default() {
        let (k, a) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
        f.fixes.push(Fix { keyword: k.to_string(), abstract_text: a.trim().to_string() });
    }
    Ok(f)
}

/// `PATH BLOCKS [TEMP]`.
fn size_line(n: usize, l: &str) -> Result<SizeEntry, ParseError> {
    let toks: Vec<&str> = l.split_whitespace().collect();
    let num = |t: &str| {
        t.parse::<u64>()
            .map_err(|_| ParseError::line(n, format!("size '{t}' is not a number of 512-byte blocks")))
    };
    match toks[..] {
        [p, b] => Ok(SizeEntry { path: p.to_string(), blocks: num(b)?, temp: None }),
        [p, b, t] => Ok(SizeEntry { path: p.to_string(), blocks: num(b)?, temp: Some(num(t)?) }),
        _ => Err(ParseError::line(n, "a size line is PATH BLOCKS [TEMPORARY-BLOCKS]")),
    }
}

/// The requisite section: single lines and nested `N {` ... `}` groups.
fn parse_requisites(lines: &[(usize, &str)]) -> Result<Vec<ReqExpr>, ParseError> {
    // Each open group: its line, its N, its items so far.
    let mut stack: Vec<(usize, u32, Vec<ReqExpr>)> = Vec::new();
    let mut top = Vec::new();
    for &(n, l) in lines {
        if l.starts_with('#') {
            continue;
        }
        let toks: Vec<&str> = l.split_whitespace().collect();
        let open = match toks[..] {
            [num, "{"] => Some(num),
            [one] if one.len() > 1 && one.ends_with('{') => Some(&one[..one.len() - 1]),
            _ => None,
        };
        if let Some(num) = open {
            let k = num.parse::<u32>().map_err(|_| {
                ParseError::line(n, format!("a requisite group starts with a number and {{, not '{l}'"))
            })?;
            stack.push((n, k, Vec::new()));
            continue;
        }
        if toks[..] == ["}"] {
            let Some((_, more_than, items)) = stack.pop() else {
                return Err(ParseError::line(n, "} without an open requisite group"));
            };
            let g = ReqExpr::Group { more_than, items };
            match stack.last_mut() {
                Some(s) => s.2.push(g),
                None => top.push(g),
            }
            continue;
        }
        let kind = toks.first().and_then(|k| ReqKind::from_keyword(k)).ok_or_else(|| {
            ParseError::line(
                n,
                format!(
                    "unknown requisite '{l}' (expected *prereq, *coreq, *ifreq, *instreq or a group N {{)"
                ),
            )
        })?;
        let Some(fileset) = toks.get(1) else {
            return Err(ParseError::line(n, format!("{} names no fileset", kind.keyword())));
        };
        let level = LevelReq::parse(&toks[2..]).map_err(|e| ParseError::line(n, e.to_string()))?;
        let r = ReqExpr::One(Requisite { kind, fileset: fileset.to_string(), level });
        match stack.last_mut() {
            Some(s) => s.2.push(r),
            None => top.push(r),
        }
    }
    if let Some((n, _, _)) = stack.last() {
        return Err(ParseError::line(*n, "requisite group not closed with }"));
    }
    Ok(top)
}

/// Parses `data` as an `lpp_name` and, when it parses, checks that writing it back and parsing again
/// gives the same value. Shared by the `lpp_name_parse` fuzz target and the engine tests.
pub fn fuzz_check(data: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(data);
    if let Ok(l) = LppName::parse(&text) {
        let back = LppName::to_text(&l);
        match LppName::parse(&back) {
            Ok(b) if b == l => {}
            Ok(b) => return Err(format!("round trip differs:\n{l:?}\n{b:?}\n{back}")),
            Err(e) => return Err(format!("written text does not parse: {e}\n{back}")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "4 R I ranch.apps {
ranch.apps.hog 03.01.0000.0000 1 N B en_US Hog Utilities
[
*prereq bos.rte 7.2.0.0
*coreq ranch.apps.pig 3.1.0.0
*ifreq bos.net.tcp.client 7.2.0.0
%
/usr/bin 120
/usr/lpp/ranch.apps 40
/etc/hog 8
INSTWORK 24 40
%
%
]
ranch.apps.pig 03.01.0000.0000 1 N U en_US Pig Utilities
[
*prereq bos.rte 7.2.0.0
%
/usr/bin 60
/usr/share/man/man1 12
INSTWORK 16 20
%
%
]
}
";

    const UPDATE: &str = "4 R S ranch.apps {
ranch.apps.hog 03.01.0000.0002 1 N B en_US Hog Utilities
[
*prereq ranch.apps.hog 3.1.0.0
*prereq bos.rte 7.2.0.0
%
/usr/bin 132
/usr/lpp/ranch.apps/ranch.apps.hog/3.1.0.2 8
INSTWORK 24 40
%
%
IV90001 HOG CORE DUMPS WHEN PEN IS EMPTY
IV90017 hogstat reports wrong weight units
]
}
";

    #[test]
    fn base_example_parses_and_writes_back_byte_for_byte() {
        let l = LppName::parse(BASE).unwrap();
        assert_eq!((l.format.as_str(), l.platform.as_str()), ("4", "R"));
        assert_eq!(l.kind, PackageType::Install);
        assert!(!l.is_update());
        assert_eq!(l.package, "ranch.apps");
        assert_eq!(l.filesets.len(), 2);
        let hog = &l.filesets[0];
        assert_eq!(hog.name, "ranch.apps.hog");
        assert_eq!(hog.level, Level::new(3, 1, 0, 0));
        assert_eq!((hog.volume.as_str(), hog.bosboot, hog.content), ("1", 'N', Content::Both));
        assert_eq!((hog.lang.as_str(), hog.description.as_str()), ("en_US", "Hog Utilities"));
        assert_eq!(hog.requisites.len(), 3);
        assert_eq!(
            hog.requisite_text(),
            "*prereq bos.rte 7.2.0.0\n*coreq ranch.apps.pig 3.1.0.0\n*ifreq bos.net.tcp.client 7.2.0.0\n"
        );
        assert_eq!(hog.sizes[3], SizeEntry { path: "INSTWORK".into(), blocks: 24, temp: Some(40) });
        assert_eq!(hog.sizes[0], SizeEntry { path: "/usr/bin".into(), blocks: 120, temp: None });
        assert!(l.has_root_part());
        // The requisite levels are written as given (plain), the fileset levels zero-padded.
        assert_eq!(l.to_text(), BASE);
        let u = LppName::parse(UPDATE).unwrap();
        assert!(u.is_update());
        assert_eq!(u.filesets[0].fixes[1].keyword, "IV90017");
        assert_eq!(u.filesets[0].fixes[1].abstract_text, "hogstat reports wrong weight units");
        assert_eq!(u.to_text(), UPDATE);
    }

    #[test]
    fn hand_built_two_and_three_sections_and_glued_brace() {
        // buildbff.sh: [ % sizes % ], plain level, description with several spaces.
        let t = "4 R I openssh{\nopenssh 3.0.2.1 1 N U en_US OpenSSH   3.0.2p1 Portable for AIX\n[\n%\n/usr/local/bin 1234\n/etc 8\n%\n]\n}\n";
        let l = LppName::parse(t).unwrap();
        assert_eq!(l.package, "openssh");
        let f = &l.filesets[0];
        assert_eq!(f.level.padded(), "03.00.0002.0001");
        assert_eq!(f.description, "OpenSSH 3.0.2p1 Portable for AIX");
        assert_eq!(f.sizes.len(), 2);
        assert!(f.supersedes.is_empty() && f.fixes.is_empty());
        assert_eq!(LppName::parse(&l.to_text()).unwrap(), l);
        // Two sections, brace on its own line, blank lines and comments.
        let t = "4 N I p\n{\n\np.a 1.0.0.0 01 b U C\n[\n# comment\n*prereq bos.rte\n%\n# c\n/usr 10 2\nLAR/usr/swlag/%L/p.la\n]\n}\n";
        let l = LppName::parse(t).unwrap();
        let f = &l.filesets[0];
        assert_eq!(f.description, "");
        assert_eq!(f.bosboot, 'b');
        assert_eq!(f.licenses, vec!["LAR/usr/swlag/%L/p.la".to_string()]);
        assert_eq!(f.sizes, vec![SizeEntry { path: "/usr".into(), blocks: 10, temp: Some(2) }]);
        assert_eq!(f.requisite_text(), "*prereq bos.rte\n");
        assert_eq!(LppName::parse(&l.to_text()).unwrap(), l);
    }

    #[test]
    fn groups_nest_and_write_back() {
        let t = "4 R I lsof {\nlsof.rte 4.54.0.0 1 N U en_US lsof\n[\n0 {\n1 {\n*prereq bos.rte v=4 r=3 m=2\n*prereq fw_lsof.aix432.rte 4.54.0.0\n}\n1 {\n*prereq bos.rte 5.0.0.0\n*prereq fw_lsof.aix5.rte 4.54.0.0\n}\n}\n%\n%\n%\n]\n}\n";
        let l = LppName::parse(t).unwrap();
        let f = &l.filesets[0];
        assert_eq!(f.requisites.len(), 1);
        let ReqExpr::Group { more_than: 0, items } = &f.requisites[0] else { panic!("not a group") };
        assert_eq!(items.len(), 2);
        assert_eq!(
            f.requisite_text(),
            "0 {\n1 {\n*prereq bos.rte v=4 r=3 m=2\n*prereq fw_lsof.aix432.rte 4.54.0.0\n}\n1 {\n*prereq bos.rte 5.0.0.0\n*prereq fw_lsof.aix5.rte 4.54.0.0\n}\n}\n"
        );
        assert_eq!(l.to_text(), t.replace("4.54.0.0 1 N", "04.54.0000.0000 1 N"));
    }

    #[test]
    fn errors_name_the_line() {
        let bad = |t: &str| LppName::parse(t).unwrap_err();
        let e = bad("4 R I p {\np.a 1.0.0.0 1 N U en_US x\n[\n*needreq bos.rte 1.0.0.0\n%\n]\n}\n");
        assert_eq!(e.loc, super::super::Loc::Line(4));
        assert!(e.message.contains("unknown requisite"), "{e}");
        assert_eq!(bad("4 R X p {\n}\n").loc, super::super::Loc::Line(1));
        assert_eq!(bad("4 R I p {\np.a 1.0.x.0 1 N U en_US x\n[\n]\n}\n").loc, super::super::Loc::Line(2));
        assert_eq!(bad("4 R I p {\np.a 1.0.0.0 1 N Q en_US x\n[\n]\n}\n").loc, super::super::Loc::Line(2));
        assert_eq!(bad("4 R I p {\np.a 1.0.0.0 1 N U en_US x\n*prereq a\n").loc, super::super::Loc::Line(3));
        assert_eq!(
            bad("4 R I p {\np.a 1.0.0.0 1 N U en_US x\n[\n%\n/usr ten\n]\n}\n").loc,
            super::super::Loc::Line(5)
        );
        assert_eq!(
            bad("4 R I p {\np.a 1.0.0.0 1 N U en_US x\n[\n%\n%\n%\n%\n%\n]\n}\n").loc,
            super::super::Loc::Line(8)
        );
        assert_eq!(
            bad("4 R I p {\np.a 1.0.0.0 1 N U en_US x\n[\n%\n%\nold 1.0.0.0\n%\n%\nIV1 x\n]\n}\n").loc,
            super::super::Loc::Line(9)
        );
        assert_eq!(
            bad("4 R I p {\np.a 1.0.0.0 1 N U en_US x\n[\n1 {\n%\n]\n}\n").loc,
            super::super::Loc::Line(4)
        );
        assert_eq!(bad("4 R I p {\np.a 1.0.0.0 1 N U en_US x\n[\n]\n").loc, super::super::Loc::Line(4));
        assert_eq!(bad("4 R I p {\n}\nextra\n").loc, super::super::Loc::Line(3));
        assert_eq!(bad("").loc, super::super::Loc::Line(1));
        assert_eq!(bad("4 R I p\nnot a brace\n").loc, super::super::Loc::Line(1));
    }

    #[test]
    fn five_sections_with_a_license_section() {
        let t = "4 R S p {\np.a 1.0.0.1 1 N U en_US x\n[\n%\n/usr 8\n%\nLAF<en_US>/usr/swlag/en_US/p.la\n%\nold.p 1.0.0.0\n%\nIV00001 fixed\n]\n}\n";
        let l = LppName::parse(t).unwrap();
        let f = &l.filesets[0];
        assert_eq!(f.licenses, ["LAF<en_US>/usr/swlag/en_US/p.la"]);
        assert_eq!(f.supersedes, ["old.p 1.0.0.0"]);
        assert_eq!(f.fixes, [Fix { keyword: "IV00001".into(), abstract_text: "fixed".into() }]);
        assert_eq!(LppName::parse(&l.to_text()).unwrap(), l);
    }

    #[test]
    fn ptf_level_survives_the_round_trip() {
        let t = "4 R S p {\np.a 7.2.5.1.U812345 1 N U en_US x\n[\n%\n%\n%\n]\n}\n";
        let l = LppName::parse(t).unwrap();
        assert_eq!(l.filesets[0].level.ptf.as_deref(), Some("U812345"));
        let back = LppName::parse(&l.to_text()).unwrap();
        assert_eq!(back.filesets[0].level.ptf.as_deref(), Some("U812345"));
        assert!(l.to_text().contains("p.a 07.02.0005.0001.U812345 1 N U en_US x\n"));
    }

    #[test]
    fn codes_round_trip() {
        for k in [
            PackageType::Install,
            PackageType::Single,
            PackageType::SingleRequired,
            PackageType::Maintenance,
            PackageType::Group,
        ] {
            assert_eq!(PackageType::from_code(k.code()), Some(k));
        }
        for c in [Content::Usr, Content::Both, Content::Share] {
            assert_eq!(Content::from_code(c.code()), Some(c));
        }
        assert_eq!(Content::Both.parts_text(), "usr,root");
        assert_eq!(PackageType::from_code("X"), None);
    }
}
