//! Bundle files (spec installp.md §6): lists of software for `installp -f`, `lslpp -b` and
//! `alt_disk_copy -b`.

use std::path::{Path, PathBuf};

use super::level::Level;
use super::ParseError;

/// One item of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BundleItem {
    /// `I:NAME [LEVEL]` or a bare name: an installp fileset or package.
    Installp {
        /// Fileset or package name.
        name: String,
        /// The level asked for, if any.
        level: Option<Level>,
    },
    /// `R:`, `E:` or `ISMP:` items: kept so callers can report them, never installed by installp.
    Other {
        /// The prefix without its colon (`R`, `E`, `ISMP`).
        prefix: String,
        /// The rest of the line.
        name: String,
    },
}

/// Parses a bundle: one item per line with its 1-based line number. `#` lines and blank lines are skipped;
/// `I:` or no prefix is installp; `R:`, `E:`, `ISMP:` are kept as [`BundleItem::Other`]. A bad level or an
/// unknown prefix names the line.
pub fn parse(text: &str) -> Result<Vec<(usize, BundleItem)>, ParseError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let first = line.split_whitespace().next().unwrap_or("");
        let (prefix, rest) = match first.split_once(':') {
            Some((p, _)) => (Some(p), line[p.len() + 1..].trim()),
            None => (None, line),
        };
        match prefix {
            None | Some("I") => {
                let t: Vec<&str> = rest.split_whitespace().collect();
                let item = match t[..] {
                    [name] => BundleItem::Installp { name: name.to_string(), level: None },
                    [name, l] => {
                        let level =
                            l.parse::<Level>().map_err(|e| ParseError::line(n, format!("{name}: {e}")))?;
                        BundleItem::Installp { name: name.to_string(), level: Some(level) }
                    }
                    [] => return Err(ParseError::line(n, "I: names no fileset")),
                    _ => return Err(ParseError::line(n, "an installp item is [I:]NAME [LEVEL]")),
                };
                out.push((n, item));
            }
            Some(p @ ("R" | "E" | "ISMP")) => {
                if rest.is_empty() {
                    return Err(ParseError::line(n, format!("{p}: names nothing")));
                }
                out.push((n, BundleItem::Other { prefix: p.to_string(), name: rest.to_string() }));
            }
            Some(p) => {
                return Err(ParseError::line(
                    n,
                    format!("unknown bundle prefix '{p}:' (expected I:, R:, E: or ISMP:)"),
                ))
            }
        }
    }
    Ok(out)
}

/// Finds a bundle file: a path that exists is used as is; a bare name is looked up in
/// `ROOT/usr/sys/inst.data/user_bundles/` then `ROOT/usr/sys/inst.data/sys_bundles/`, as given and with
/// `.bnd` added.
pub(crate) fn locate(name: &str, root: &Path) -> Option<PathBuf> {
    let p = Path::new(name);
    if p.is_file() {
        return Some(p.to_path_buf());
    }
    if name.is_empty() || name.contains('/') {
        return None;
    }
    for dir in ["user_bundles", "sys_bundles"] {
        let base = root.join("usr/sys/inst.data").join(dir);
        for cand in [name.to_string(), format!("{name}.bnd")] {
            let c = base.join(cand);
            if c.is_file() {
                return Some(c);
            }
        }
    }
    None
}

/// Parses `data` as a bundle; never panics. Shared by the `bundle_parse` fuzz target and the engine tests.
pub fn fuzz_check(data: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(data);
    if let Ok(items) = parse(&text) {
        if items.iter().any(|(n, _)| *n == 0 || *n > text.lines().count()) {
            return Err("line number out of range".into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::installp::Loc;

    #[test]
    fn items_prefixes_levels_and_errors() {
        let t = "# Hog ranch bundle\nI:ranch.apps.hog\n\nI:ranch.apps.pig\nR:bash\nbos.rte 7.2.5.0\n  I: bos.net.tcp.client  \nISMP:some product\nE:IJ12345s1a\n";
        let v = parse(t).unwrap();
        let inst = |n: &str, l: Option<Level>| BundleItem::Installp { name: n.into(), level: l };
        assert_eq!(
            v,
            vec![
                (2, inst("ranch.apps.hog", None)),
                (4, inst("ranch.apps.pig", None)),
                (5, BundleItem::Other { prefix: "R".into(), name: "bash".into() }),
                (6, inst("bos.rte", Some(Level::new(7, 2, 5, 0)))),
                (7, inst("bos.net.tcp.client", None)),
                (8, BundleItem::Other { prefix: "ISMP".into(), name: "some product".into() }),
                (9, BundleItem::Other { prefix: "E".into(), name: "IJ12345s1a".into() }),
            ]
        );
        let e = parse("I:a\nI:bos.rte 7.2.x\n").unwrap_err();
        assert_eq!(e.loc, Loc::Line(2));
        assert!(e.message.contains("bos.rte"));
        assert_eq!(parse("X:foo\n").unwrap_err().loc, Loc::Line(1));
        assert_eq!(parse("\n\nI:\n").unwrap_err().loc, Loc::Line(3));
        assert_eq!(parse("a b c\n").unwrap_err().loc, Loc::Line(1));
    }

    #[test]
    fn locate_looks_in_user_then_sys_bundles() {
        let root = tempfile::tempdir().unwrap();
        let d = root.path().join("usr/sys/inst.data");
        std::fs::create_dir_all(d.join("user_bundles")).unwrap();
        std::fs::create_dir_all(d.join("sys_bundles")).unwrap();
        std::fs::write(d.join("sys_bundles/Server.bnd"), "I:bos.rte\n").unwrap();
        std::fs::write(d.join("sys_bundles/Hog.bnd"), "").unwrap();
        std::fs::write(d.join("user_bundles/Hog.bnd"), "").unwrap();
        assert_eq!(locate("Server", root.path()), Some(d.join("sys_bundles/Server.bnd")));
        assert_eq!(locate("Server.bnd", root.path()), Some(d.join("sys_bundles/Server.bnd")));
        assert_eq!(locate("Hog", root.path()), Some(d.join("user_bundles/Hog.bnd")));
        assert_eq!(locate("Nothing", root.path()), None);
        let direct = root.path().join("my.bnd");
        std::fs::write(&direct, "").unwrap();
        let s = direct.to_str().unwrap();
        assert_eq!(locate(s, Path::new("/nonexistent")), Some(direct.clone()));
        assert_eq!(locate("no/such/file", root.path()), None);
    }
}
