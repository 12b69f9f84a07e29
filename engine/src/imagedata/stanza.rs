//! The lossless stanza-file layer shared by image.data, vgname.data and bosinst.data (spec alt-disk.md §3.1).
//!
//! A file is a sequence of items: blank lines, comment lines (`##...`, or any line whose first non-blank
//! character is `#`) and stanzas (`name:` then indented `FIELD= value` lines). Every line keeps its original
//! text, so a file nobody changed is written back byte for byte; a field that is changed is written in the
//! canonical AIX form `\tFIELD= value` (`\tFIELD=` when the value is empty).
//!
//! The same layer reads the ODM stanza text `odmget` prints (`\tname = value`, used for the software
//! inventory, installp.md §8.2); fields the program builds for such files use [`FieldStyle::Odm`].

use super::StanzaError;

/// One field line of a stanza.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The field name (`PPSIZE`).
    pub key: String,
    /// The value after `= ` (exactly one space is part of the syntax, not of the value).
    pub value: String,
    /// The original line (without its newline) while the field is unchanged; `None` once edited.
    raw: Option<String>,
    /// 1-based line number in the parsed file (0 for fields added by the program).
    pub line: usize,
    /// How the field is written once it has no original line.
    style: FieldStyle,
}

/// The layout of a field line the program writes (an unchanged parsed line keeps its own text).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FieldStyle {
    /// `\tFIELD= value`: image.data, bosinst.data.
    #[default]
    Aix,
    /// `\tname = value`: ODM objects as `odmget` prints them (the software inventory).
    Odm,
}

impl Field {
    /// A new field in canonical form.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Field { key: key.into(), value: value.into(), raw: None, line: 0, style: FieldStyle::Aix }
    }

    /// A new field in the `odmget` form `\tname = value` (the value already quoted when it is a string);
    /// the inventory writes its own text, its tests compare it with this.
    #[cfg(test)]
    pub(crate) fn odm(key: impl Into<String>, value: impl Into<String>) -> Self {
        Field { key: key.into(), value: value.into(), raw: None, line: 0, style: FieldStyle::Odm }
    }

    fn write(&self, out: &mut String) {
        match &self.raw {
            Some(r) => out.push_str(r),
            None if self.style == FieldStyle::Odm => {
                out.push('\t');
                out.push_str(&self.key);
                out.push_str(" = ");
                out.push_str(&self.value);
            }
            None => {
                out.push('\t');
                out.push_str(&self.key);
                out.push('=');
                if !self.value.is_empty() {
                    out.push(' ');
                    out.push_str(&self.value);
                }
            }
        }
    }
}

/// A line inside a stanza: a field, or a comment kept where it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StanzaLine {
    /// `\tKEY= value`.
    Field(Field),
    /// An indented comment line (kept verbatim).
    Comment(String),
}

/// One stanza: `name:` and its lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stanza {
    /// The stanza name (`lv_data`).
    pub name: String,
    /// The header line as written (may carry a trailing `# comment`).
    header: String,
    /// 1-based line number of the header (0 for stanzas built by the program).
    pub line: usize,
    /// Its lines, in file order.
    pub lines: Vec<StanzaLine>,
}

impl Stanza {
    /// An empty stanza in canonical form.
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        Stanza { header: format!("{name}:"), name, line: 0, lines: Vec::new() }
    }

    /// The fields in order.
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.lines.iter().filter_map(|l| match l {
            StanzaLine::Field(f) => Some(f),
            StanzaLine::Comment(_) => None,
        })
    }

    /// The first field named `key`.
    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields().find(|f| f.key == key)
    }

    /// The value of the first field named `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.field(key).map(|f| f.value.as_str())
    }

    /// Sets a field: replaces the value in place (keeping its position) or appends the field.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        let value = value.into();
        for l in &mut self.lines {
            if let StanzaLine::Field(f) = l {
                if f.key == key {
                    if f.value != value {
                        // A parsed `name = value` (odmget) line keeps its layout when edited.
                        if f.raw.as_deref().is_some_and(|r| r.trim_start()[f.key.len()..].starts_with(" =")) {
                            f.style = FieldStyle::Odm;
                        }
                        f.value = value;
                        f.raw = None;
                    }
                    return;
                }
            }
        }
        self.lines.push(StanzaLine::Field(Field::new(key, value)));
    }

    /// Inserts (or sets) `key` right after the field `after`; appends when `after` is absent.
    pub fn set_after(&mut self, after: &str, key: &str, value: impl Into<String>) {
        if self.field(key).is_some() {
            self.set(key, value);
            return;
        }
        let pos = self.lines.iter().position(|l| matches!(l, StanzaLine::Field(f) if f.key == after));
        let f = StanzaLine::Field(Field::new(key, value));
        match pos {
            Some(p) => self.lines.insert(p + 1, f),
            None => self.lines.push(f),
        }
    }

    /// Removes every field named `key`; true when one was there.
    pub fn remove(&mut self, key: &str) -> bool {
        let before = self.lines.len();
        self.lines.retain(|l| !matches!(l, StanzaLine::Field(f) if f.key == key));
        before != self.lines.len()
    }

    /// Appends a field in canonical form.
    pub fn push(&mut self, key: &str, value: impl Into<String>) {
        self.lines.push(StanzaLine::Field(Field::new(key, value)));
    }
}

/// A top-level item of a stanza file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A blank line (kept verbatim, whitespace included).
    Blank(String),
    /// A comment line such as `##Command used for vg_data; /usr/sbin/lsvg`.
    Comment(String),
    /// A stanza.
    Stanza(Stanza),
}

/// A whole stanza file, lossless.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StanzaFile {
    /// The items in file order.
    pub items: Vec<Item>,
    /// Whether the last line ended with a newline (true for files built by the program).
    pub final_newline: bool,
}

fn is_ident(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

/// Parses a stanza file. `file` names it in errors.
///
/// Errors name the 1-based line; a field line outside a stanza names the field too.
pub fn parse(file: &str, text: &[u8]) -> Result<StanzaFile, StanzaError> {
    let text = std::str::from_utf8(text).map_err(|e| {
        let line = text[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        StanzaError::Syntax { file: file.to_string(), line, message: "the line is not valid UTF-8".into() }
    })?;
    let mut out = StanzaFile { items: Vec::new(), final_newline: text.ends_with('\n') || text.is_empty() };
    let body = text.strip_suffix('\n').unwrap_or(text);
    if text.is_empty() {
        return Ok(out);
    }
    let mut current: Option<Stanza> = None;
    for (i, raw) in body.split('\n').enumerate() {
        let line = i + 1;
        let content = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = content.trim();
        let indented = content.starts_with([' ', '\t']);
        if trimmed.is_empty() {
            if let Some(s) = current.take() {
                out.items.push(Item::Stanza(s));
            }
            out.items.push(Item::Blank(raw.to_string()));
            continue;
        }
        if trimmed.starts_with('#') {
            match (&mut current, indented) {
                (Some(s), true) => s.lines.push(StanzaLine::Comment(raw.to_string())),
                _ => {
                    if let Some(s) = current.take() {
                        out.items.push(Item::Stanza(s));
                    }
                    out.items.push(Item::Comment(raw.to_string()));
                }
            }
            continue;
        }
        if indented {
            let Some((key, _)) = trimmed.split_once('=') else {
                return Err(StanzaError::Syntax {
                    file: file.to_string(),
                    line,
                    message: format!("expected FIELD= value, found '{trimmed}'"),
                });
            };
            let key = key.trim_end();
            if !is_ident(key) {
                return Err(StanzaError::Syntax {
                    file: file.to_string(),
                    line,
                    message: format!("'{key}' is not a field name"),
                });
            }
            let Some(s) = current.as_mut() else {
                return Err(StanzaError::Field {
                    file: file.to_string(),
                    line,
                    field: key.to_string(),
                    message: "field outside any stanza".into(),
                });
            };
            // The value is what follows "= " with trailing blanks kept only in the raw line.
            let after = &content[content.find('=').map_or(content.len(), |p| p + 1)..];
            let value = after.strip_prefix(' ').unwrap_or(after).trim_end();
            s.lines.push(StanzaLine::Field(Field {
                key: key.to_string(),
                value: value.to_string(),
                raw: Some(raw.to_string()),
                line,
                style: FieldStyle::Aix,
            }));
            continue;
        }
        // A header: `name:` optionally followed by blanks and a `#` comment.
        let (head, tail) = match trimmed.find(':') {
            Some(p) => (&trimmed[..p], trimmed[p + 1..].trim()),
            None => (trimmed, "?"),
        };
        if !is_ident(head) || !(tail.is_empty() || tail.starts_with('#')) {
            return Err(StanzaError::Syntax {
                file: file.to_string(),
                line,
                message: format!("expected a stanza header 'name:', found '{trimmed}'"),
            });
        }
        if let Some(s) = current.take() {
            out.items.push(Item::Stanza(s));
        }
        current = Some(Stanza { name: head.to_string(), header: raw.to_string(), line, lines: Vec::new() });
    }
    if let Some(s) = current.take() {
        out.items.push(Item::Stanza(s));
    }
    Ok(out)
}

impl StanzaFile {
    /// Writes the file back: unchanged lines verbatim, edited or new fields in canonical form.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let mut first = true;
        let nl = |out: &mut String, first: &mut bool| {
            if !*first {
                out.push('\n');
            }
            *first = false;
        };
        for item in &self.items {
            match item {
                Item::Blank(s) | Item::Comment(s) => {
                    nl(&mut out, &mut first);
                    out.push_str(s);
                }
                Item::Stanza(st) => {
                    nl(&mut out, &mut first);
                    out.push_str(&st.header);
                    for l in &st.lines {
                        nl(&mut out, &mut first);
                        match l {
                            StanzaLine::Field(f) => f.write(&mut out),
                            StanzaLine::Comment(c) => out.push_str(c),
                        }
                    }
                }
            }
        }
        if self.final_newline && !first {
            out.push('\n');
        }
        out
    }

    /// The stanzas in order.
    pub fn stanzas(&self) -> impl Iterator<Item = &Stanza> {
        self.items.iter().filter_map(|i| match i {
            Item::Stanza(s) => Some(s),
            _ => None,
        })
    }

    /// The stanzas in order, mutable.
    pub fn stanzas_mut(&mut self) -> impl Iterator<Item = &mut Stanza> {
        self.items.iter_mut().filter_map(|i| match i {
            Item::Stanza(s) => Some(s),
            _ => None,
        })
    }

    /// The stanzas named `name`, in order.
    pub fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Stanza> + 'a {
        self.stanzas().filter(move |s| s.name == name)
    }

    /// The first stanza named `name`.
    pub fn first(&self, name: &str) -> Option<&Stanza> {
        self.stanzas().find(|s| s.name == name)
    }

    /// Appends a stanza followed by a blank line, as AIX writes them.
    pub(crate) fn push_stanza(&mut self, s: Stanza) {
        self.items.push(Item::Stanza(s));
        self.items.push(Item::Blank(String::new()));
    }
}
