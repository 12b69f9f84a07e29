//! A directory's `.toc` (spec installp.md §5.1): a header line, then one copy of each image's `lpp_name`
//! with the image's file name as an extra first token on the package line.

use super::lpp_name::{parse_entry, Cursor, LppName};
use super::ParseError;

/// One image listed in a `.toc`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TocEntry {
    /// The image's file name in the directory.
    pub image: String,
    /// Its `lpp_name`.
    pub lpp: LppName,
}

/// A parsed `.toc`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Toc {
    /// The first line (`0 20261204053000 2`); empty when the file has none.
    pub header: String,
    /// The images, in file order.
    pub entries: Vec<TocEntry>,
}

impl Toc {
    /// The entry of image file `name`.
    pub fn entry(&self, name: &str) -> Option<&TocEntry> {
        self.entries.iter().find(|e| e.image == name)
    }
}

/// Parses a `.toc`. A first line that does not end in `{` is the header; every entry is an `lpp_name`
/// whose package line starts with the image name. Errors name the 1-based line of the whole file.
pub fn parse(text: &str) -> Result<Toc, ParseError> {
    let mut c = Cursor::new(text);
    let mut header = String::new();
    let mut probe = Cursor::new(text);
    if let Some((_, first)) = probe.next_nonblank() {
        if !first.ends_with('{') {
            header = first.trim().to_string();
            c = probe;
        }
    }
    let mut entries = Vec::new();
    loop {
        let mut ahead = c.clone();
        if ahead.next_nonblank().is_none() {
            break;
        }
        let (lpp, image) = parse_entry(&mut c, true)?;
        entries.push(TocEntry { image: image.unwrap_or_default(), lpp });
    }
    Ok(Toc { header, entries })
}

/// Writes a `.toc`: the header line (when not empty), then each entry in IBM form.
pub fn to_text(toc: &Toc) -> String {
    let mut out = String::new();
    if !toc.header.is_empty() {
        out.push_str(&toc.header);
        out.push('\n');
    }
    for e in &toc.entries {
        e.lpp.write_to(&mut out, Some(&e.image));
    }
    out
}

/// Parses `data` as a `.toc` and, when it parses, checks that writing it back and parsing again gives the
/// same value. Shared by the `toc_parse` fuzz target and the engine tests.
pub fn fuzz_check(data: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(data);
    if let Ok(t) = parse(&text) {
        let back = to_text(&t);
        match parse(&back) {
            Ok(b) if b == t => {}
            Ok(b) => return Err(format!("round trip differs:\n{t:?}\n{b:?}\n{back}")),
            Err(e) => return Err(format!("written text does not parse: {e}\n{back}")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::installp::Loc;

    /// The real AIX 4.1 entry of spec §5.1, after a header line.
    const REAL: &str = "0 20190911113155 2
bos.dosutil 4 R I bos.dosutil {
bos.dosutil 04.01.0003.0000 1 N U En_US DOS Utilities
[
%
/usr/bin 144
/usr/lib/objrepos 8
INSTWORK 56 16
%
bosext2.dosutil.obj 4.1.0.0
%
%
]
}
";

    #[test]
    fn real_entry_parses_and_writes_back_byte_for_byte() {
        let t = parse(REAL).unwrap();
        assert_eq!(t.header, "0 20190911113155 2");
        assert_eq!(t.entries.len(), 1);
        let e = t.entry("bos.dosutil").unwrap();
        assert_eq!(e.lpp.package, "bos.dosutil");
        let f = &e.lpp.filesets[0];
        assert_eq!(f.supersedes, ["bosext2.dosutil.obj 4.1.0.0"]);
        assert_eq!(f.sizes[2].temp, Some(16));
        // Written back in the four-section form (the fifth, empty section of AIX 4.1 is not repeated).
        assert_eq!(to_text(&t), REAL.replace("%\n%\n]", "%\n]"));
        assert_eq!(parse(&to_text(&t)).unwrap(), t);
    }

    #[test]
    fn several_entries_no_header_and_errors() {
        let two = format!(
            "{}{}",
            &REAL[REAL.find('\n').unwrap() + 1..],
            REAL[REAL.find('\n').unwrap() + 1..].replace("bos.dosutil 4 R I", "img2.bff 4 R S")
        );
        let t = parse(&two).unwrap();
        assert_eq!(t.header, "");
        assert_eq!(t.entries.len(), 2);
        assert_eq!(t.entries[1].image, "img2.bff");
        assert!(t.entries[1].lpp.is_update());
        assert_eq!(parse(&to_text(&t)).unwrap(), t);
        // Line numbers count from the top of the file, header included.
        let bad = REAL.replace("/usr/bin 144", "/usr/bin many");
        assert_eq!(parse(&bad).unwrap_err().loc, Loc::Line(6));
        // Entries without the image token are refused.
        let e = parse("0 1 2\n4 R I p {\n}\n").unwrap_err();
        assert_eq!(e.loc, Loc::Line(2));
        assert_eq!(parse("").unwrap(), Toc { header: String::new(), entries: vec![] });
        assert_eq!(parse("0 20261204053000 2\n").unwrap().entries.len(), 0);
    }
}
