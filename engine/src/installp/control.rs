//! The text members of `liblpp.a` (spec installp.md §4): the apply list `FILESET.al`, the inventory
//! stanzas `FILESET.inventory` and the sizes `FILESET.size`.

use super::lpp_name::SizeEntry;
use super::ParseError;

/// The object type of an inventory stanza.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum InvType {
    /// `FILE`
    File,
    /// `DIRECTORY`
    Directory,
    /// `SYMLINK`
    Symlink,
}

impl InvType {
    /// The keyword of the `type` attribute.
    pub fn keyword(self) -> &'static str {
        match self {
            InvType::File => "FILE",
            InvType::Directory => "DIRECTORY",
            InvType::Symlink => "SYMLINK",
        }
    }
}

/// One stanza of `FILESET.inventory`: an object the fileset installs, as `lppchk -c` checks it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InvEntry {
    /// Absolute path (the stanza name).
    pub path: String,
    /// The `class` list (`apply`, `inventory`, the fileset).
    pub class: Vec<String>,
    /// Owner name or number (empty when not given).
    pub owner: String,
    /// Group name or number (empty when not given).
    pub group: String,
    /// Permission bits.
    pub mode: u32,
    /// `TCB`, `SUID`, `SGID`, `SVTX` prefixes of the mode, as written.
    pub mode_flags: Vec<String>,
    /// File, directory or symlink.
    pub kind: InvType,
    /// Size in bytes; `None` = `VOLATILE` for a file, not given for the others.
    pub size: Option<u64>,
    /// `sum -r` checksum and 1 KiB blocks; `None` = `VOLATILE` or absent.
    pub checksum: Option<(u16, u64)>,
    /// Symlink target.
    pub target: Option<String>,
    /// Other paths that are hard links to this file.
    pub links: Vec<String>,
}

/// Removes one pair of surrounding double quotes.
fn unquote(v: &str) -> &str {
    v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v)
}

/// `s.trim()`, without decoding characters when both ends are plain ASCII (the usual case: a large fileset's
/// inventory has tens of thousands of lines).
fn trim(s: &str) -> &str {
    let t = s.trim_ascii();
    match (t.as_bytes().first(), t.as_bytes().last()) {
        (Some(&a), Some(&z)) if unicode_edge(a) || unicode_edge(z) => t.trim(),
        _ => t,
    }
}

/// `s.trim_end()`, the same way as [`trim`].
fn trim_end(s: &str) -> &str {
    let t = s.trim_ascii_end();
    if t.as_bytes().last().is_some_and(|&z| unicode_edge(z)) {
        t.trim_end()
    } else {
        t
    }
}

/// A byte `trim_ascii` keeps that `trim` may not: non-ASCII (U+0085, U+00A0, U+2000...) or vertical tab.
fn unicode_edge(b: u8) -> bool {
    !b.is_ascii() || b == 0x0b
}

/// Parses a `FILESET.inventory` stanza file. Accepts `name = value` and `name=value`, tab or space indents,
/// a quoted or bare checksum, `VOLATILE` sizes and checksums; attributes this model does not use are
/// skipped. A stanza without `type` is a file. Errors name the line.
pub fn parse_inventory(text: &str) -> Result<Vec<InvEntry>, ParseError> {
    let mut out: Vec<InvEntry> = Vec::new();
    let mut open = false;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = trim_end(raw);
        if line.is_empty() {
            open = false;
            continue;
        }
        if line.starts_with('*') || line.starts_with('#') {
            continue;
        }
        if !line.starts_with([' ', '\t']) {
            let Some(path) = line.strip_suffix(':').filter(|p| !p.is_empty()) else {
                return Err(ParseError::line(
                    n,
                    format!("'{line}' is neither a stanza name (PATH:) nor an indented attribute"),
                ));
            };
            out.push(InvEntry {
                path: path.to_string(),
                class: Vec::new(),
                owner: String::new(),
                group: String::new(),
                mode: 0,
                mode_flags: Vec::new(),
                kind: InvType::File,
                size: None,
                checksum: None,
                target: None,
                links: Vec::new(),
            });
            open = true;
            continue;
        }
        let Some(e) = out.last_mut().filter(|_| open) else {
            return Err(ParseError::line(n, "attribute outside a stanza (a stanza starts with PATH:)"));
        };
        let Some((name, value)) = line.split_once('=') else {
            return Err(ParseError::line(n, format!("'{}' is not an attribute (name = value)", line.trim())));
        };
        let name = trim(name);
        let value = unquote(trim(value));
        let bad = |what: &str| ParseError::line(n, format!("{name} of {}: {what}", e.path));
        match name {
            "class" => {
                e.class = value.split(',').map(|s| trim(s).to_string()).filter(|s| !s.is_empty()).collect()
            }
            "owner" => e.owner = value.to_string(),
            "group" => e.group = value.to_string(),
            "mode" => {
                let mut parts: Vec<&str> = value.split(',').map(trim).collect();
                let octal = parts.pop().unwrap_or("");
                for f in &parts {
                    if !matches!(*f, "TCB" | "SUID" | "SGID" | "SVTX") {
                        return Err(bad(&format!(
                            "'{f}' is not one of the mode prefixes TCB, SUID, SGID, SVTX"
                        )));
                    }
                }
                e.mode_flags = parts.iter().map(|s| s.to_string()).collect();
                e.mode = u32::from_str_radix(octal, 8)
                    .ok()
                    .filter(|m| *m <= 0o7777 && !octal.is_empty() && !octal.starts_with('+'))
                    .ok_or_else(|| bad(&format!("'{octal}' is not an octal mode")))?;
            }
            "type" => {
                e.kind = match value {
                    "FILE" => InvType::File,
                    "DIRECTORY" => InvType::Directory,
                    "SYMLINK" => InvType::Symlink,
                    _ => return Err(bad(&format!("'{value}' is not FILE, DIRECTORY or SYMLINK"))),
                }
            }
            "size" => {
                e.size = match value {
                    "VOLATILE" => None,
                    v => Some(
                        v.parse().map_err(|_| bad(&format!("'{v}' is not a number of bytes or VOLATILE")))?,
                    ),
                }
            }
            "checksum" => {
                e.checksum = match value {
                    "VOLATILE" | "" => None,
                    v => {
                        let mut t = v.split_whitespace();
                        match (t.next(), t.next(), t.next()) {
                            (Some(s), Some(b), None) => match (s.parse::<u16>(), b.parse::<u64>()) {
                                (Ok(s), Ok(b)) => Some((s, b)),
                                _ => return Err(bad(&format!("'{v}' is not \"SUM BLOCKS\""))),
                            },
                            _ => return Err(bad(&format!("'{v}' is not \"SUM BLOCKS\""))),
                        }
                    }
                }
            }
            "target" => e.target = Some(value.to_string()),
            "links" => {
                e.links =
                    value.split([' ', ',', '\t']).filter(|s| !s.is_empty()).map(str::to_string).collect()
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Writes stanzas in IBM's form (spec §4.2): ten-space indent, `name = value`, the checksum quoted as
/// `sum -r` prints it, a blank line after each stanza. `parse_inventory` reads it back unchanged.
pub fn write_inventory(entries: &[InvEntry]) -> String {
    let mut out = String::new();
    let attr = |out: &mut String, k: &str, v: &str| {
        out.push_str("          ");
        out.push_str(k);
        out.push_str(" = ");
        out.push_str(v);
        out.push('\n');
    };
    for e in entries {
        out.push_str(&e.path);
        out.push_str(":\n");
        if !e.class.is_empty() {
            attr(&mut out, "class", &e.class.join(","));
        }
        if !e.owner.is_empty() {
            attr(&mut out, "owner", &e.owner);
        }
        if !e.group.is_empty() {
            attr(&mut out, "group", &e.group);
        }
        let mut mode = e.mode_flags.join(",");
        if !mode.is_empty() {
            mode.push(',');
        }
        mode.push_str(&format!("{:o}", e.mode));
        attr(&mut out, "mode", &mode);
        attr(&mut out, "type", e.kind.keyword());
        match (e.kind, e.size) {
            (_, Some(s)) => attr(&mut out, "size", &s.to_string()),
            (InvType::File, None) => attr(&mut out, "size", "VOLATILE"),
            _ => {}
        }
        match e.checksum {
            Some((s, b)) => attr(&mut out, "checksum", &format!("\"{s:05} {b:>5} \"")),
            None if e.kind == InvType::File && e.size.is_none() => attr(&mut out, "checksum", "VOLATILE"),
            None => {}
        }
        if let Some(t) = &e.target {
            attr(&mut out, "target", t);
        }
        if !e.links.is_empty() {
            attr(&mut out, "links", &e.links.join(" "));
        }
        out.push('\n');
    }
    out
}

/// Parses an apply list `FILESET.al`: one `./`-relative name per line (a bare relative name gets its `./`).
/// Absolute names and `..` components are refused, naming the line; blank lines are skipped.
pub fn parse_apply_list(text: &str) -> Result<Vec<String>, ParseError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let name = raw.trim_end_matches(['\r', '\n']);
        if name.trim().is_empty() {
            continue;
        }
        if name.starts_with('/') {
            return Err(ParseError::line(
                n,
                format!("'{name}' is absolute: apply lists hold ./-relative names"),
            ));
        }
        let rel = name.strip_prefix("./").unwrap_or(name);
        if rel.split('/').any(|c| c == "..") {
            return Err(ParseError::line(n, format!("'{name}' has a .. component")));
        }
        if rel.split('/').all(|c| c.is_empty() || c == ".") {
            return Err(ParseError::line(n, format!("'{name}' names no file")));
        }
        out.push(format!("./{rel}"));
    }
    Ok(out)
}

/// Parses `FILESET.size`: IBM's `PATH BLOCKS [TEMP]` and `du`'s `BLOCKS PATH` (buildbff.sh) both; `#`
/// lines and `LAF`/`LAR` license lines are skipped. Errors name the line.
pub fn parse_size(text: &str) -> Result<Vec<SizeEntry>, ParseError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with("LAF") || l.starts_with("LAR") {
            continue;
        }
        let t: Vec<&str> = l.split_whitespace().collect();
        let num = |s: &str| s.parse::<u64>().ok();
        let e = match t[..] {
            [a, b] if num(a).is_some() && num(b).is_none() => {
                SizeEntry { path: b.to_string(), blocks: num(a).unwrap_or(0), temp: None }
            }
            [p, b] => SizeEntry {
                path: p.to_string(),
                blocks: num(b)
                    .ok_or_else(|| ParseError::line(n, format!("'{b}' is not a number of blocks")))?,
                temp: None,
            },
            [p, b, x] => match (num(b), num(x)) {
                (Some(b), Some(x)) => SizeEntry { path: p.to_string(), blocks: b, temp: Some(x) },
                _ => return Err(ParseError::line(n, "a size line is PATH BLOCKS [TEMPORARY-BLOCKS]")),
            },
            _ => {
                return Err(ParseError::line(
                    n,
                    "a size line is PATH BLOCKS [TEMPORARY-BLOCKS] or BLOCKS PATH",
                ))
            }
        };
        out.push(e);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_trims_agree_with_str_trims() {
        for s in [
            "",
            " ",
            "\t a b \r",
            "x",
            "\u{a0} y \u{a0}",
            " \u{2003}z\u{0b} ",
            "\u{0b}",
            "é",
            " é ",
            "a\u{85}",
            "\u{3000}\t",
            "q = \"r\" \x0c",
        ] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
            assert_eq!(trim_end(s), s.trim_end(), "{s:?}");
        }
    }
    use crate::installp::Loc;

    const IBM: &str = "/usr/bin/hog:
          class = apply,inventory,ranch.apps.hog
          owner = bin
          group = bin
          mode = 555
          type = FILE
          size = 4256
          checksum = \"40721     5 \"

/usr/bin/hogstat:
          class = apply,inventory,ranch.apps.hog
          owner = root
          group = system
          mode = 777
          type = SYMLINK
          target = /usr/bin/hog

/usr/lib/ranch:
          class = apply,inventory,ranch.apps.hog
          owner = bin
          group = bin
          mode = 755
          type = DIRECTORY

";

    #[test]
    fn ibm_stanzas_parse_and_write_back_byte_for_byte() {
        let v = parse_inventory(IBM).unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].path, "/usr/bin/hog");
        assert_eq!(v[0].class, ["apply", "inventory", "ranch.apps.hog"]);
        assert_eq!(
            (v[0].mode, v[0].kind, v[0].size, v[0].checksum),
            (0o555, InvType::File, Some(4256), Some((40721, 5)))
        );
        assert_eq!(v[1].target.as_deref(), Some("/usr/bin/hog"));
        assert_eq!(v[1].kind, InvType::Symlink);
        assert_eq!((v[2].kind, v[2].size), (InvType::Directory, None));
        assert_eq!(write_inventory(&v), IBM);
    }

    #[test]
    fn buildbff_form_flags_volatile_and_links() {
        let t = "/etc/ssh/sshd_config:\n\tclass=apply,inventory,openssh.base.server\n\towner=root\n\tgroup=system\n\tmode=TCB,SUID,4555\n\ttype=FILE\n\tsize=VOLATILE\n\tchecksum=VOLATILE\n\tlinks=/a/b,/c/d\n\tsymlinks=/x\n/next:\n\tchecksum = 12 1\n";
        let v = parse_inventory(t).unwrap();
        assert_eq!(v[0].mode_flags, ["TCB", "SUID"]);
        assert_eq!(v[0].mode, 0o4555);
        assert_eq!((v[0].size, v[0].checksum), (None, None));
        assert_eq!(v[0].links, ["/a/b", "/c/d"]);
        assert_eq!(v[1].checksum, Some((12, 1)));
        assert_eq!(parse_inventory(&write_inventory(&v)).unwrap(), v);
        assert!(write_inventory(&v).contains("          mode = TCB,SUID,4555\n          type = FILE\n          size = VOLATILE\n          checksum = VOLATILE\n"));
    }

    #[test]
    fn inventory_errors_name_the_line() {
        let e = parse_inventory("/a:\n  mode = 9\n").unwrap_err();
        assert_eq!(e.loc, Loc::Line(2));
        assert_eq!(parse_inventory("  owner = x\n").unwrap_err().loc, Loc::Line(1));
        assert_eq!(parse_inventory("/a:\n  type = FIFO\n").unwrap_err().loc, Loc::Line(2));
        assert_eq!(parse_inventory("/a:\n\n  owner = x\n").unwrap_err().loc, Loc::Line(3));
        assert_eq!(parse_inventory("/a\n").unwrap_err().loc, Loc::Line(1));
        assert_eq!(parse_inventory("/a:\n  checksum = \"x 1 \"\n").unwrap_err().loc, Loc::Line(2));
        assert_eq!(parse_inventory("/a:\n  size = -1\n").unwrap_err().loc, Loc::Line(2));
        assert_eq!(parse_inventory("/a:\n  mode = SETUID,755\n").unwrap_err().loc, Loc::Line(2));
    }

    #[test]
    fn apply_lists() {
        let v = parse_apply_list("./usr/bin/hog\n\nusr/lib/ranch\r\n./etc/hog.conf\n").unwrap();
        assert_eq!(v, ["./usr/bin/hog", "./usr/lib/ranch", "./etc/hog.conf"]);
        let e = parse_apply_list("./a\n/etc/passwd\n").unwrap_err();
        assert_eq!(e.loc, Loc::Line(2));
        assert!(e.message.contains("absolute"));
        assert_eq!(parse_apply_list("./a/../../x\n").unwrap_err().loc, Loc::Line(1));
        assert_eq!(parse_apply_list("./a\n./\n").unwrap_err().loc, Loc::Line(2));
    }

    #[test]
    fn sizes_in_both_orders() {
        let v =
            parse_size("/usr/bin 120\n# c\n1234\t/usr/local/bin\nINSTWORK 24 40\nLAF/usr/swlag/x\n").unwrap();
        assert_eq!(
            v,
            [
                SizeEntry { path: "/usr/bin".into(), blocks: 120, temp: None },
                SizeEntry { path: "/usr/local/bin".into(), blocks: 1234, temp: None },
                SizeEntry { path: "INSTWORK".into(), blocks: 24, temp: Some(40) },
            ]
        );
        assert_eq!(parse_size("/usr x\n").unwrap_err().loc, Loc::Line(1));
        assert_eq!(parse_size("\n/usr 1 2 3\n").unwrap_err().loc, Loc::Line(2));
        assert_eq!(parse_size("/usr\n").unwrap_err().loc, Loc::Line(1));
    }
}
