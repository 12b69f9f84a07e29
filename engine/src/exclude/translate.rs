//! Translation of GNU grep regular expressions (BRE and ERE, C locale) into `regex` crate syntax.
//!
//! The lexer mirrors the token rules of GNU grep's matcher (gnulib `dfa.c`): when `*`, `\{`, `^` and `$` are
//! operators and when they are ordinary characters. Errors follow the union of what `dfa.c` and glibc's
//! `regcomp` reject, because GNU grep compiles every pattern with both and refuses it if either fails. The
//! output is a small syntax tree emitted as a `regex` pattern meant for a byte regex with Unicode disabled,
//! so `.` and bracket expressions match single bytes exactly like grep in the C locale.
//!
//! Only whether a pattern matches somewhere in a name matters for `grep -v`, never where: so POSIX
//! leftmost-longest versus leftmost-first semantics make no difference here.

use std::fmt::Write as _;

/// Largest repetition count GNU grep accepts (glibc `RE_DUP_MAX`).
const DUP_MAX: u32 = 0x7fff;

/// Deepest group nesting accepted: bounds the parser's recursion (the `regex` crate refuses deeper
/// nesting anyway).
const MAX_DEPTH: usize = 100;

/// Longest `[:name:]` / `[.name.]` / `[=name=]` glibc accepts inside a bracket expression.
const BRACKET_NAME_MAX: usize = 32;

/// Which grep dialect a pattern is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Syntax {
    /// POSIX basic regular expressions with GNU extensions (`grep`, the AIX default).
    #[default]
    Basic,
    /// POSIX extended regular expressions with GNU extensions (`grep -E`, `egrep`).
    Extended,
}

/// Why a pattern could not be translated. `message` uses GNU grep's wording where grep has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// What is wrong.
    pub message: String,
    /// Byte offset in the pattern where the problem was found.
    pub offset: usize,
}

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

impl std::error::Error for PatternError {}

/// A translated pattern.
#[derive(Debug, Clone)]
pub(crate) struct Translated {
    /// The pattern in `regex` syntax (for a `regex::bytes` regex built with Unicode off).
    pub regex: String,
    /// True when the pattern has no end anchor and no word-boundary assertion: then a match inside a name
    /// stays a match whatever is appended to the name. Subtree pruning relies on it.
    pub extendable: bool,
    /// Things grep warns about (an ERE repetition with nothing to repeat) or that surprise users (`\d`).
    pub notes: Vec<String>,
}

/// Translates a GNU grep basic regular expression (`grep -G`, C locale) to `regex` crate syntax.
///
/// The result is meant for `regex::bytes` with Unicode disabled. Back-references are rejected: the `regex`
/// crate cannot match them.
pub fn translate_bre(pattern: &[u8]) -> Result<String, PatternError> {
    translate(pattern, Syntax::Basic, false).map(|t| t.regex)
}

/// Translates a GNU grep extended regular expression (`grep -E`, C locale) to `regex` crate syntax.
pub fn translate_ere(pattern: &[u8]) -> Result<String, PatternError> {
    translate(pattern, Syntax::Extended, false).map(|t| t.regex)
}

/// Translates a pattern in either dialect. `more_lines` says whether more lines of the list follow: GNU grep
/// joins all lines with newlines before parsing, and whether a `$` is an anchor can depend on that.
pub(crate) fn translate(
    pattern: &[u8],
    syntax: Syntax,
    more_lines: bool,
) -> Result<Translated, PatternError> {
    let mut lex = Lexer::new(pattern, syntax);
    lex.more_lines = more_lines;
    let mut parser = Parser { lex, tok: Tok::End, tok_at: 0, depth: 0 };
    parser.advance()?;
    let node = parser.regexp()?;
    if parser.tok != Tok::End {
        return Err(PatternError { message: "Unmatched ) or \\)".into(), offset: parser.tok_at });
    }
    if syntax == Syntax::Extended {
        glibc_ere_groups(pattern)?;
    }
    let mut regex = String::with_capacity(pattern.len() * 4 + 8);
    emit(&node, &mut regex);
    Ok(Translated { regex, extendable: node.extendable(), notes: parser.lex.notes })
}

/// Replays how glibc's `regcomp` pairs parentheses in an ERE, which GNU grep also requires to succeed.
///
/// glibc skips a repetition operator found where an expression should start (the start, after `(`, `|` or
/// an assertion) and then reads a `)` right after it as an ordinary character. So grep refuses `(*)` and
/// `(a|{)` as unbalanced although its matcher alone would accept them.
fn glibc_ere_groups(s: &[u8]) -> Result<(), PatternError> {
    let mut lex = Lexer::new(s, Syntax::Extended);
    let mut opens: Vec<usize> = Vec::new();
    // Where an expression starts, and whether a repetition operator was skipped there.
    let mut at_start = true;
    let mut skipped = false;
    while let Some(c) = lex.peek(lex.pos) {
        let at = lex.pos;
        lex.pos += 1;
        match c {
            b'\\' => {
                let Some(n) = lex.peek(lex.pos) else {
                    break;
                };
                lex.pos += 1;
                if matches!(n, b'<' | b'>' | b'b' | b'B' | b'`' | b'\'') {
                    (at_start, skipped) = (true, false);
                    continue;
                }
            }
            b'(' => {
                opens.push(at);
                (at_start, skipped) = (true, false);
                continue;
            }
            b')' if !skipped && !opens.is_empty() => {
                opens.pop();
            }
            b'|' | b'^' | b'$' => {
                (at_start, skipped) = (true, false);
                continue;
            }
            b'*' | b'+' | b'?' | b'{' if at_start => {
                skipped = true;
                continue;
            }
            b'{' => {
                if let Interval::Valid { end, .. } = lex.interval() {
                    lex.pos = end;
                }
            }
            b'[' => {
                lex.bracket(at)?;
            }
            _ => {}
        }
        (at_start, skipped) = (false, false);
    }
    match opens.last() {
        Some(&open) => Err(PatternError { message: "Unmatched ( or \\(".into(), offset: open }),
        None => Ok(()),
    }
}

/// A set of bytes (a bracket expression, `.`, `\w`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ByteSet([u64; 4]);

impl ByteSet {
    const EMPTY: ByteSet = ByteSet([0; 4]);

    fn from_fn(f: impl Fn(u8) -> bool) -> Self {
        let mut s = ByteSet::EMPTY;
        for b in 0..=255u8 {
            if f(b) {
                s.insert(b);
            }
        }
        s
    }

    fn insert(&mut self, b: u8) {
        self.0[usize::from(b >> 6)] |= 1 << (b & 63);
    }

    fn remove(&mut self, b: u8) {
        self.0[usize::from(b >> 6)] &= !(1 << (b & 63));
    }

    fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] & (1 << (b & 63)) != 0
    }

    fn union(&mut self, other: &ByteSet) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a |= *b;
        }
    }

    /// The complement as grep builds it for `[^...]`, `\W`, `\S`: a line never contains a newline, so a
    /// negated set never matches one.
    fn negated(&self) -> ByteSet {
        let mut s = ByteSet([!self.0[0], !self.0[1], !self.0[2], !self.0[3]]);
        s.remove(b'\n');
        s
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// The C-locale character classes of POSIX bracket expressions.
fn named_class(name: &[u8]) -> Option<ByteSet> {
    let f: fn(u8) -> bool = match name {
        b"alpha" => |b| b.is_ascii_alphabetic(),
        b"upper" => |b| b.is_ascii_uppercase(),
        b"lower" => |b| b.is_ascii_lowercase(),
        b"digit" => |b| b.is_ascii_digit(),
        b"xdigit" => |b| b.is_ascii_hexdigit(),
        b"alnum" => |b| b.is_ascii_alphanumeric(),
        b"space" => is_space,
        b"blank" => |b| b == b' ' || b == b'\t',
        b"punct" => |b| b.is_ascii_punctuation(),
        b"print" => |b| (0x20..0x7f).contains(&b),
        b"graph" => |b| (0x21..0x7f).contains(&b),
        b"cntrl" => |b| b < 0x20 || b == 0x7f,
        _ => return None,
    };
    Some(ByteSet::from_fn(f))
}

/// Zero-width assertions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Look {
    Start,
    End,
    WordStart,
    WordEnd,
    WordBoundary,
    NotWordBoundary,
}

/// The syntax tree of one pattern.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Empty,
    Byte(u8),
    Set(ByteSet),
    Look(Look),
    Group(Box<Node>),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat { node: Box<Node>, min: u32, max: Option<u32> },
}

impl Node {
    /// No assertion whose truth can change when bytes are appended after the match.
    fn extendable(&self) -> bool {
        match self {
            Node::Empty | Node::Byte(_) | Node::Set(_) => true,
            Node::Look(l) => *l == Look::Start,
            Node::Group(n) | Node::Repeat { node: n, .. } => n.extendable(),
            Node::Concat(v) | Node::Alt(v) => v.iter().all(Node::extendable),
        }
    }
}

fn emit_byte(b: u8, out: &mut String) {
    if b.is_ascii_alphanumeric() || b == b'_' || b == b'/' {
        out.push(char::from(b));
    } else {
        // Infallible: writing to a String.
        let _ = write!(out, "\\x{b:02X}");
    }
}

fn emit_set(set: &ByteSet, out: &mut String) {
    if *set == ByteSet::EMPTY {
        // A set that matches nothing: a word boundary that is also not one.
        out.push_str(r"(?:\b\B)");
        return;
    }
    out.push('[');
    let mut b: u16 = 0;
    while b < 256 {
        if set.contains(b as u8) {
            let start = b;
            while b + 1 < 256 && set.contains((b + 1) as u8) {
                b += 1;
            }
            let _ = write!(out, "\\x{start:02X}");
            if b > start {
                let _ = write!(out, "-\\x{b:02X}");
            }
        }
        b += 1;
    }
    out.push(']');
}

fn emit(node: &Node, out: &mut String) {
    match node {
        Node::Empty => out.push_str("(?:)"),
        Node::Byte(b) => emit_byte(*b, out),
        Node::Set(s) => emit_set(s, out),
        Node::Look(l) => out.push_str(match l {
            Look::Start => "(?:^)",
            Look::End => "(?:$)",
            Look::WordStart => r"\b{start}",
            Look::WordEnd => r"\b{end}",
            Look::WordBoundary => r"\b",
            Look::NotWordBoundary => r"\B",
        }),
        Node::Group(n) => {
            out.push_str("(?:");
            emit(n, out);
            out.push(')');
        }
        Node::Concat(v) => v.iter().for_each(|n| emit(n, out)),
        Node::Alt(v) => {
            out.push_str("(?:");
            for (i, n) in v.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                emit(n, out);
            }
            out.push(')');
        }
        Node::Repeat { node, min, max } => {
            // Bytes, sets and groups are single atoms already; anything else needs a group to repeat.
            if matches!(**node, Node::Byte(_) | Node::Set(_) | Node::Group(_)) {
                emit(node, out);
            } else {
                out.push_str("(?:");
                emit(node, out);
                out.push(')');
            }
            let _ = match (min, max) {
                (0, None) => write!(out, "*"),
                (1, None) => write!(out, "+"),
                (0, Some(1)) => write!(out, "?"),
                (m, None) => write!(out, "{{{m},}}"),
                (m, Some(n)) if m == n => write!(out, "{{{m}}}"),
                (m, Some(n)) => write!(out, "{{{m},{n}}}"),
            };
        }
    }
}

/// Tokens of grep's regular expression language.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    End,
    Byte(u8),
    Set(ByteSet),
    Look(Look),
    Repeat(u32, Option<u32>),
    Or,
    LParen,
    RParen,
}

/// What the previous token was, for the context rules of `^`, `*` and `{`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prev {
    /// Nothing yet.
    Start,
    /// `(` / `\(`.
    LParen,
    /// `|` / `\|`.
    Or,
    /// A zero-width assertion.
    Look,
    /// Anything else (an atom, `)`, a repetition).
    Other,
}

/// Outcome of reading an interval `{m,n}` the way glibc does.
enum Interval {
    /// A valid interval ending just before `end`.
    Valid { min: u32, max: Option<u32>, end: usize },
    /// Not an interval at all (glibc rolls back to a literal `{` in ERE); `at_end` says the pattern ran out.
    Invalid { at_end: bool },
    /// An interval glibc refuses.
    Error(&'static str),
}

struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
    syntax: Syntax,
    /// `dfa.c`'s `laststart`: only zero-width things since the start, `(` or `|`.
    laststart: bool,
    prev: Prev,
    parens: usize,
    notes: Vec<String>,
    /// More list lines follow this one (see [`translate`]).
    more_lines: bool,
}

impl<'a> Lexer<'a> {
    fn new(s: &'a [u8], syntax: Syntax) -> Self {
        Lexer {
            s,
            pos: 0,
            syntax,
            laststart: true,
            prev: Prev::Start,
            parens: 0,
            notes: Vec::new(),
            more_lines: false,
        }
    }

    fn bre(&self) -> bool {
        self.syntax == Syntax::Basic
    }

    fn err<T>(&self, message: &str, offset: usize) -> Result<T, PatternError> {
        Err(PatternError { message: message.to_string(), offset })
    }

    fn peek(&self, at: usize) -> Option<u8> {
        self.s.get(at).copied()
    }

    /// Returns the next token and the offset where it starts.
    fn next(&mut self) -> Result<(Tok, usize), PatternError> {
        let at = self.pos;
        let tok = self.lex(at)?;
        self.prev = match tok {
            Tok::LParen => Prev::LParen,
            Tok::Or => Prev::Or,
            Tok::Look(_) => Prev::Look,
            Tok::End => self.prev,
            _ => Prev::Other,
        };
        Ok((tok, at))
    }

    fn literal(&mut self, b: u8) -> Tok {
        self.laststart = false;
        Tok::Byte(b)
    }

    fn lex(&mut self, at: usize) -> Result<Tok, PatternError> {
        let Some(mut c) = self.peek(self.pos) else {
            return Ok(Tok::End);
        };
        self.pos += 1;
        let mut bs = false;
        if c == b'\\' {
            let Some(next) = self.peek(self.pos) else {
                return self.err("Trailing backslash", at);
            };
            self.pos += 1;
            bs = true;
            c = next;
        }
        // An operator spelled with a backslash in BRE and without one in ERE.
        let op = bs == self.bre();
        Ok(match c {
            b'^' if !bs => {
                if !self.bre() || matches!(self.prev, Prev::Start | Prev::LParen | Prev::Or) {
                    Tok::Look(Look::Start)
                } else {
                    self.literal(c)
                }
            }
            b'$' if !bs => {
                // dfa.c calls `$` an anchor before `\)` or `\|`, but its check also accepts a plain `)` or `|`,
                // provided at least two bytes remain in the buffer of all lines joined by newlines.
                let rest = &self.s[self.pos..];
                let left = rest.len() + usize::from(self.more_lines);
                let next = match rest.first() {
                    Some(b'\\') => rest.get(1).copied().or(self.more_lines.then_some(b'\n')),
                    other => other.copied(),
                };
                if !self.bre() || rest.is_empty() || (left > 1 && matches!(next, Some(b')' | b'|'))) {
                    Tok::Look(Look::End)
                } else {
                    self.literal(c)
                }
            }
            b'1'..=b'9' if bs => return self.err(
                "back-references (\\1 to \\9) are not supported: the pattern cannot be matched without them",
                at,
            ),
            b'`' if bs => Tok::Look(Look::Start),
            b'\'' if bs => Tok::Look(Look::End),
            b'<' if bs => Tok::Look(Look::WordStart),
            b'>' if bs => Tok::Look(Look::WordEnd),
            b'b' if bs => Tok::Look(Look::WordBoundary),
            b'B' if bs => Tok::Look(Look::NotWordBoundary),
            b'?' | b'+' if op => {
                if self.bre() && self.laststart {
                    self.literal(c)
                } else {
                    self.note_start_repetition(if c == b'?' { "?" } else { "+" });
                    if c == b'?' {
                        Tok::Repeat(0, Some(1))
                    } else {
                        Tok::Repeat(1, None)
                    }
                }
            }
            b'*' if !bs => {
                if self.bre() && self.laststart {
                    self.literal(c)
                } else {
                    self.note_start_repetition("*");
                    Tok::Repeat(0, None)
                }
            }
            b'{' if op => {
                if self.bre() && self.laststart {
                    return Ok(self.literal(c));
                }
                // glibc only parses the interval when it follows something it can repeat; at the start of an
                // expression (or after an assertion) only dfa.c reads it, and dfa.c never errors in ERE.
                let strict = self.bre() || self.prev == Prev::Other;
                match self.interval() {
                    Interval::Valid { min, max, end } => {
                        if min > DUP_MAX || max.is_some_and(|m| m > DUP_MAX) {
                            return self.err("Regular expression too big", at);
                        }
                        self.note_start_repetition("{...}");
                        self.pos = end;
                        self.laststart = false;
                        Tok::Repeat(min, max)
                    }
                    Interval::Invalid { at_end } => {
                        if self.bre() {
                            let message = if at_end { "Unmatched \\{" } else { "Invalid content of \\{\\}" };
                            return self.err(message, at);
                        }
                        self.literal(c)
                    }
                    Interval::Error(message) => {
                        if strict || message.starts_with("Regular") {
                            return self.err(message, at);
                        }
                        self.literal(c)
                    }
                }
            }
            b'|' if op => {
                self.laststart = true;
                Tok::Or
            }
            b'(' if op => {
                self.parens += 1;
                self.laststart = true;
                Tok::LParen
            }
            b')' if op => {
                if self.parens == 0 && !self.bre() {
                    return Ok(self.literal(c));
                }
                self.parens = self.parens.saturating_sub(1);
                self.laststart = false;
                Tok::RParen
            }
            b'.' if !bs => {
                self.laststart = false;
                Tok::Set(ByteSet::EMPTY.negated())
            }
            b'w' | b'W' | b's' | b'S' if bs => {
                self.laststart = false;
                let base = if c.eq_ignore_ascii_case(&b'w') {
                    ByteSet::from_fn(is_word)
                } else {
                    ByteSet::from_fn(is_space)
                };
                Tok::Set(if c.is_ascii_uppercase() { base.negated() } else { base })
            }
            b'[' if !bs => {
                self.laststart = false;
                Tok::Set(self.bracket(at)?)
            }
            b'd' | b'D' if bs => {
                self.notes.push(format!(
                    "\\{} is the letter {} in grep, not a digit class: use [[:digit:]]",
                    char::from(c),
                    char::from(c)
                ));
                self.literal(c)
            }
            _ => self.literal(c),
        })
    }

    /// Records grep's warning for an ERE repetition with nothing before it (it repeats the empty string).
    fn note_start_repetition(&mut self, op: &str) {
        if self.laststart {
            self.notes.push(format!("{op} at start of expression (it repeats nothing and is ignored)"));
        }
    }

    /// Reads a number the way glibc's `fetch_number` does, starting at `self.pos + *p`.
    /// Returns (number or -1 for none or -2 for junk, terminator) where terminator is `b'}'`, `b','` or 0
    /// for the end of the pattern.
    fn fetch_number(&self, p: &mut usize) -> (i64, u8) {
        let mut num: i64 = -1;
        loop {
            let Some(c) = self.peek(*p) else {
                return (-2, 0);
            };
            *p += 1;
            let (c, escaped) = if c == b'\\' {
                match self.peek(*p) {
                    Some(n) => {
                        *p += 1;
                        (n, true)
                    }
                    None => return (-2, 0),
                }
            } else {
                (c, false)
            };
            // The closing brace is `\}` in BRE and `}` in ERE.
            if c == b'}' && escaped == self.bre() {
                return (num, b'}');
            }
            if c == b',' && !escaped {
                return (num, b',');
            }
            num = if escaped || !c.is_ascii_digit() || num == -2 {
                -2
            } else if num == -1 {
                i64::from(c - b'0')
            } else {
                (num * 10 + i64::from(c - b'0')).min(i64::from(DUP_MAX) + 1)
            };
        }
    }

    /// Parses an interval whose `{` (or `\{`) was just consumed.
    fn interval(&self) -> Interval {
        let mut p = self.pos;
        let (mut start, term) = self.fetch_number(&mut p);
        if start == -1 {
            if term == b',' {
                start = 0;
            } else {
                return Interval::Error("Invalid content of \\{\\}");
            }
        }
        if start == -2 {
            return Interval::Invalid { at_end: term == 0 };
        }
        let (end, term) = match term {
            b'}' => (start, b'}'),
            _ => {
                let (n, t) = self.fetch_number(&mut p);
                if n == -2 {
                    return Interval::Invalid { at_end: t == 0 };
                }
                (n, t)
            }
        };
        if (end != -1 && start > end) || term != b'}' {
            return Interval::Error("Invalid content of \\{\\}");
        }
        let limit = i64::from(DUP_MAX);
        if (if end == -1 { start } else { end }) > limit {
            return Interval::Error("Regular expression too big");
        }
        // start and end are within 0..=DUP_MAX here.
        let min = u32::try_from(start).unwrap_or(DUP_MAX);
        let max = if end == -1 { None } else { Some(u32::try_from(end).unwrap_or(DUP_MAX)) };
        Interval::Valid { min, max, end: p }
    }

    /// Parses a bracket expression whose `[` (at offset `at`) was just consumed.
    fn bracket(&mut self, at: usize) -> Result<ByteSet, PatternError> {
        const UNMATCHED: &str = "Unmatched [, [^, [:, [., or [=";
        let mut set = ByteSet::EMPTY;
        let mut negate = false;
        if self.peek(self.pos) == Some(b'^') {
            negate = true;
            self.pos += 1;
        }
        // dfa.c's check for `[:space:]` written without the outer brackets.
        let mut colon_state: u8 = u8::from(self.peek(self.pos) == Some(b':'));
        let mut first = true;
        loop {
            let Some(c) = self.peek(self.pos) else {
                return self.err(UNMATCHED, at);
            };
            if c == b']' && !first {
                self.pos += 1;
                break;
            }
            let start = self.bracket_elem(first, at)?;
            first = false;
            colon_state &= !2;
            if let Elem::Byte(lo) = start {
                if self.peek(self.pos) == Some(b'-') {
                    match self.peek(self.pos + 1) {
                        None => return self.err(UNMATCHED, at),
                        Some(b']') => {}
                        Some(_) => {
                            self.pos += 1;
                            let Elem::Byte(hi) = self.bracket_elem(true, at)? else {
                                return self.err("Invalid range end", at);
                            };
                            if lo > hi {
                                return self.err("Invalid range end", at);
                            }
                            (lo..=hi).for_each(|b| set.insert(b));
                            colon_state |= 8;
                            continue;
                        }
                    }
                }
                set.insert(lo);
                colon_state |= if lo == b':' { 2 } else { 4 };
            } else if let Elem::Class(s) | Elem::Equiv(s) = start {
                set.union(&s);
                colon_state |= 8;
            }
        }
        if colon_state == 7 {
            return self.err("character class syntax is [[:space:]], not [:space:]", at);
        }
        Ok(if negate { set.negated() } else { set })
    }

    /// One element of a bracket expression: a byte (possibly from `[.c.]` or `[=c=]`) or a class.
    fn bracket_elem(&mut self, accept_hyphen: bool, at: usize) -> Result<Elem, PatternError> {
        const UNMATCHED: &str = "Unmatched [, [^, [:, [., or [=";
        let Some(c) = self.peek(self.pos) else {
            return self.err(UNMATCHED, at);
        };
        if c == b'[' {
            if let Some(delim @ (b'.' | b'=' | b':')) = self.peek(self.pos + 1) {
                let name_start = self.pos + 2;
                let mut p = name_start;
                loop {
                    match self.peek(p) {
                        None => return self.err(UNMATCHED, at),
                        Some(d) if d == delim && self.peek(p + 1) == Some(b']') => break,
                        Some(_) => p += 1,
                    }
                }
                let name = &self.s[name_start..p];
                self.pos = p + 2;
                if name.len() >= BRACKET_NAME_MAX {
                    return self.err(UNMATCHED, at);
                }
                return match delim {
                    b':' => match named_class(name) {
                        Some(s) => Ok(Elem::Class(s)),
                        None => self.err("Invalid character class name", at),
                    },
                    _ if name.len() == 1 => {
                        // [=c=] is an equivalence class: it cannot end a range; [.c.] can.
                        if delim == b'=' {
                            let mut s = ByteSet::EMPTY;
                            s.insert(name[0]);
                            Ok(Elem::Equiv(s))
                        } else {
                            Ok(Elem::Byte(name[0]))
                        }
                    }
                    _ => self.err("Invalid collation character", at),
                };
            }
        }
        if c == b'-' && !accept_hyphen && self.peek(self.pos + 1) != Some(b']') {
            return self.err("Invalid range end", at);
        }
        self.pos += 1;
        Ok(Elem::Byte(c))
    }
}

/// An element of a bracket expression.
enum Elem {
    Byte(u8),
    Class(ByteSet),
    Equiv(ByteSet),
}

/// `*`, `+` or `?`.
fn star_like(min: u32, max: Option<u32>) -> bool {
    matches!((min, max), (0, None) | (1, None) | (0, Some(1)))
}

/// Recursive-descent parser over the lexer, with dfa.c's grammar:
/// regexp = branch ('|' branch)*; branch = closure+; closure = atom repetition*; a missing atom is empty.
struct Parser<'a> {
    lex: Lexer<'a>,
    tok: Tok,
    tok_at: usize,
    depth: usize,
}

impl Parser<'_> {
    fn advance(&mut self) -> Result<(), PatternError> {
        let (tok, at) = self.lex.next()?;
        self.tok = tok;
        self.tok_at = at;
        Ok(())
    }

    fn regexp(&mut self) -> Result<Node, PatternError> {
        let mut alts = vec![self.branch()?];
        while self.tok == Tok::Or {
            self.advance()?;
            alts.push(self.branch()?);
        }
        Ok(if alts.len() == 1 { alts.pop().unwrap_or(Node::Empty) } else { Node::Alt(alts) })
    }

    fn branch(&mut self) -> Result<Node, PatternError> {
        let mut items = vec![self.closure()?];
        while !matches!(self.tok, Tok::RParen | Tok::Or | Tok::End) {
            items.push(self.closure()?);
        }
        Ok(if items.len() == 1 { items.pop().unwrap_or(Node::Empty) } else { Node::Concat(items) })
    }

    fn closure(&mut self) -> Result<Node, PatternError> {
        let mut node = self.atom()?;
        let mut chained = 0;
        while let Tok::Repeat(min, max) = self.tok {
            node = match node {
                // `a**`, `a+?` and friends collapse, so a long run of them cannot nest deeply.
                Node::Repeat { node: inner, min: m, max: x } if star_like(m, x) && star_like(min, max) => {
                    let both_optional = x == Some(1) && max == Some(1);
                    Node::Repeat { node: inner, min: m * min, max: both_optional.then_some(1) }
                }
                other => {
                    chained += 1;
                    if chained > MAX_DEPTH {
                        return Err(PatternError {
                            message: format!("more than {MAX_DEPTH} intervals in a row are not supported"),
                            offset: self.tok_at,
                        });
                    }
                    Node::Repeat { node: Box::new(other), min, max }
                }
            };
            self.advance()?;
        }
        Ok(node)
    }

    fn atom(&mut self) -> Result<Node, PatternError> {
        let node = match &self.tok {
            Tok::Byte(b) => Node::Byte(*b),
            Tok::Set(s) => Node::Set(*s),
            Tok::Look(l) => Node::Look(*l),
            Tok::LParen => {
                let open_at = self.tok_at;
                if self.depth >= MAX_DEPTH {
                    return Err(PatternError {
                        message: format!("groups nested more than {MAX_DEPTH} deep are not supported"),
                        offset: open_at,
                    });
                }
                self.advance()?;
                self.depth += 1;
                let inner = self.regexp()?;
                self.depth -= 1;
                if self.tok != Tok::RParen {
                    return Err(PatternError { message: "Unmatched ( or \\(".into(), offset: open_at });
                }
                Node::Group(Box::new(inner))
            }
            // A repetition with nothing before it (ERE at the start), `|` or `)`: the empty string.
            _ => return Ok(Node::Empty),
        };
        self.advance()?;
        Ok(node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bre(p: &str) -> String {
        translate_bre(p.as_bytes()).unwrap()
    }

    fn ere(p: &str) -> String {
        translate_ere(p.as_bytes()).unwrap()
    }

    #[test]
    fn literal_operators_in_bre() {
        assert_eq!(bre("a+?|(){}"), r"a\x2B\x3F\x7C\x28\x29\x7B\x7D");
        assert_eq!(bre("*a"), r"\x2Aa");
        assert_eq!(bre("^*a"), r"(?:^)\x2Aa");
        assert_eq!(bre("a^b$c"), r"a\x5Eb\x24c");
    }

    #[test]
    fn operators_in_bre() {
        assert_eq!(bre(r"\(ab\)\{2,3\}"), "(?:ab){2,3}");
        assert_eq!(bre(r"a\+b\?"), "a+b?");
        assert_eq!(bre(r"[ab]*"), r"[\x61-\x62]*");
        assert_eq!(bre(r"a\|b$"), "(?:a|b(?:$))");
    }

    #[test]
    fn ere_start_repetition_applies_to_empty() {
        assert_eq!(ere("*a"), "(?:(?:))*a");
        assert_eq!(ere("a**"), "a*");
        assert_eq!(ere("a+?"), "a*");
        assert_eq!(ere("a??"), "a?");
        assert_eq!(ere("a{2}{3}"), "(?:a{2}){3}");
        assert_eq!(ere(&"a*".repeat(10_000)), "a*".repeat(10_000));
        assert_eq!(ere(&format!("a{}", "*".repeat(100_000))), "a*");
        assert_eq!(ere("a{1"), r"a\x7B1");
        assert_eq!(ere("^*a"), "(?:(?:^))*a");
    }

    #[test]
    fn errors_name_grep_messages() {
        let e = |p: &str, s| translate(p.as_bytes(), s, false).unwrap_err().message;
        assert_eq!(e(r"\(a", Syntax::Basic), "Unmatched ( or \\(");
        assert_eq!(e(r"a\)", Syntax::Basic), "Unmatched ) or \\)");
        assert_eq!(e(r"a\{1", Syntax::Basic), "Unmatched \\{");
        assert_eq!(e(r"a\{2,1\}", Syntax::Basic), "Invalid content of \\{\\}");
        assert_eq!(e("a{2,1}", Syntax::Extended), "Invalid content of \\{\\}");
        assert_eq!(e("[z-a]", Syntax::Basic), "Invalid range end");
        assert_eq!(e("(*)", Syntax::Extended), "Unmatched ( or \\(");
        assert_eq!(e("(a|{)", Syntax::Extended), "Unmatched ( or \\(");
        assert_eq!(e("(^*)", Syntax::Extended), "Unmatched ( or \\(");
        assert_eq!(e("[[:foo:]]", Syntax::Basic), "Invalid character class name");
        assert_eq!(e("a\\", Syntax::Basic), "Trailing backslash");
        assert!(e(r"\(a\)\1", Syntax::Basic).starts_with("back-references"));
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = format!("{}a{}", "(".repeat(5000), ")".repeat(5000));
        assert!(translate_ere(deep.as_bytes()).unwrap_err().message.contains("nested"));
        let ok = format!("{}a{}", "(".repeat(50), ")".repeat(50));
        assert!(translate_ere(ok.as_bytes()).is_ok());
    }

    #[test]
    fn dollar_before_plain_paren_or_bar_depends_on_what_follows() {
        assert_eq!(translate(b"a$)", Syntax::Basic, false).unwrap().regex, r"a\x24\x29");
        assert_eq!(translate(b"a$)", Syntax::Basic, true).unwrap().regex, r"a(?:$)\x29");
        assert_eq!(translate(b"a$)*", Syntax::Basic, false).unwrap().regex, r"a(?:$)\x29*");
        assert_eq!(translate(b"$|", Syntax::Basic, false).unwrap().regex, r"\x24\x7C");
    }

    #[test]
    fn extendable_tracks_end_assertions() {
        assert!(translate(br"^\./tmp/", Syntax::Basic, false).unwrap().extendable);
        assert!(!translate(br"\.log$", Syntax::Basic, false).unwrap().extendable);
        assert!(!translate(br"\<core\>", Syntax::Basic, false).unwrap().extendable);
    }
}
