//! Exclude lists with exactly `grep -v -f` semantics (POSIX BRE by default, ERE on request).
//!
//! AIX filters the backup file list with `grep -v -f LIST`: a name is dropped when any line of the list, read
//! as a grep regular expression, matches anywhere in it. [`ExcludeList`] reproduces that byte for byte (GNU
//! grep in the C locale is the reference): the patterns are translated by [`translate_bre`] /
//! [`translate_ere`] and compiled once into one `regex::bytes::RegexSet`.
//!
//! Names are matched whole. A name containing a newline (legal on Linux) is one name here, whereas a
//! `find | grep` pipeline would split it into two lines; `.` and negated bracket expressions never match the
//! newline, as in grep.

mod translate;

use std::path::{Path, PathBuf};

use regex::bytes::{RegexSet, RegexSetBuilder};

use crate::events::{Event, Events};

pub use translate::{translate_bre, translate_ere, PatternError, Syntax};

/// Compiled-program budget per set: generous, because a hundred patterns and GNU intervals can be large.
const SIZE_LIMIT: usize = 256 << 20;
/// Lazy-DFA cache per search thread: large enough that a hundred patterns do not thrash the cache.
const DFA_SIZE_LIMIT: usize = 16 << 20;

/// Why an exclude list could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ExcludeError {
    /// The list file could not be read.
    #[error("cannot read exclude list {}: {source}", path.display())]
    Read {
        /// The list file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A line of the list is not a valid grep pattern (or one the `regex` crate cannot match).
    #[error("exclude list {file}:{line}: invalid pattern '{pattern}': {message}")]
    Pattern {
        /// The list file (as named by the caller).
        file: String,
        /// 1-based line number.
        line: usize,
        /// The pattern as written (non-UTF-8 bytes replaced).
        pattern: String,
        /// What is wrong, in GNU grep's words where grep has them.
        message: String,
    },
    /// The patterns are valid one by one but too large to compile together.
    #[error("exclude lists too large to compile ({patterns} patterns): {message}")]
    TooLarge {
        /// How many patterns were being compiled.
        patterns: usize,
        /// The compiler's message.
        message: String,
    },
}

/// Which pattern excluded a name (for `explain`-style output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExcludeMatch {
    /// The list file (as named by the caller).
    pub file: String,
    /// 1-based line number in that file.
    pub line: usize,
    /// The pattern as written (non-UTF-8 bytes replaced).
    pub pattern: String,
}

/// One pattern with where it came from.
#[derive(Debug, Clone)]
struct Pattern {
    file: String,
    line: usize,
    syntax: Syntax,
    text: Vec<u8>,
    regex: String,
    extendable: bool,
}

/// A compiled exclude list (or several merged): decides which names `grep -v -f` would drop.
#[derive(Debug, Clone)]
pub struct ExcludeList {
    patterns: Vec<Pattern>,
    /// Every pattern, in list order (set index = pattern index).
    set: RegexSet,
    /// Only the extendable patterns (see [`ExcludeList::prunes_subtree`]).
    prune_set: RegexSet,
    warnings: Vec<String>,
}

fn build_set<'a>(regexes: impl IntoIterator<Item = &'a str>) -> Result<RegexSet, regex::Error> {
    RegexSetBuilder::new(regexes).unicode(false).size_limit(SIZE_LIMIT).dfa_size_limit(DFA_SIZE_LIMIT).build()
}

impl ExcludeList {
    /// Reads and compiles a list file. The file name is used in warnings, errors and [`ExcludeMatch`].
    pub fn from_file(path: &Path, syntax: Syntax) -> Result<Self, ExcludeError> {
        let content =
            std::fs::read(path).map_err(|source| ExcludeError::Read { path: path.to_path_buf(), source })?;
        Self::from_bytes(&path.display().to_string(), &content, syntax)
    }

    /// Compiles list content: one pattern per `\n`-separated line, exactly as `grep -f` reads it (a final
    /// line without a newline counts; `\r` and trailing spaces are part of the pattern; an empty line is a
    /// pattern that matches every name).
    pub fn from_bytes(source_name: &str, content: &[u8], syntax: Syntax) -> Result<Self, ExcludeError> {
        let body = content.strip_suffix(b"\n").unwrap_or(content);
        let mut patterns = Vec::new();
        let mut warnings = Vec::new();
        if !content.is_empty() {
            let count = body.split(|&b| b == b'\n').count();
            for (i, text) in body.split(|&b| b == b'\n').enumerate() {
                let line = i + 1;
                let translated =
                    translate::translate(text, syntax, line < count).map_err(|e| ExcludeError::Pattern {
                        file: source_name.to_string(),
                        line,
                        pattern: String::from_utf8_lossy(text).into_owned(),
                        message: e.message,
                    })?;
                for note in &translated.notes {
                    warnings.push(format!(
                        "exclude list {source_name} line {line}: '{}': {note}",
                        String::from_utf8_lossy(text)
                    ));
                }
                if text.is_empty() {
                    warnings.push(format!(
                        "exclude list {source_name} line {line} is empty: it matches and excludes EVERY file"
                    ));
                }
                patterns.push(Pattern {
                    file: source_name.to_string(),
                    line,
                    syntax,
                    text: text.to_vec(),
                    regex: translated.regex,
                    extendable: translated.extendable,
                });
            }
        }
        Self::compile(patterns, warnings)
    }

    /// Merges several lists (several `-e` files) into one; a name is excluded when any list excludes it and
    /// [`ExcludeList::explain`] reports the first match in the order the lists were given.
    pub fn merge(lists: Vec<ExcludeList>) -> Result<Self, ExcludeError> {
        let mut patterns = Vec::new();
        let mut warnings = Vec::new();
        for list in lists {
            patterns.extend(list.patterns);
            warnings.extend(list.warnings);
        }
        // grep joins the lines of all lists; the last line of an earlier list now has lines after it.
        let count = patterns.len();
        for (i, p) in patterns.iter_mut().enumerate() {
            let t = translate::translate(&p.text, p.syntax, i + 1 < count).map_err(|e| {
                ExcludeError::Pattern {
                    file: p.file.clone(),
                    line: p.line,
                    pattern: String::from_utf8_lossy(&p.text).into_owned(),
                    message: e.message,
                }
            })?;
            p.regex = t.regex;
            p.extendable = t.extendable;
        }
        Self::compile(patterns, warnings)
    }

    fn compile(patterns: Vec<Pattern>, warnings: Vec<String>) -> Result<Self, ExcludeError> {
        let set = match build_set(patterns.iter().map(|p| p.regex.as_str())) {
            Ok(set) => set,
            Err(e) => return Err(Self::blame(&patterns, e)),
        };
        let prune_set = build_set(patterns.iter().filter(|p| p.extendable).map(|p| p.regex.as_str()))
            .map_err(|e| Self::blame(&patterns, e))?;
        Ok(ExcludeList { patterns, set, prune_set, warnings })
    }

    /// Names the pattern responsible for a failed set compilation, or reports the set as too large.
    fn blame(patterns: &[Pattern], err: regex::Error) -> ExcludeError {
        for p in patterns {
            if let Err(e) = build_set([p.regex.as_str()]) {
                return ExcludeError::Pattern {
                    file: p.file.clone(),
                    line: p.line,
                    pattern: String::from_utf8_lossy(&p.text).into_owned(),
                    message: e.to_string(),
                };
            }
        }
        ExcludeError::TooLarge { patterns: patterns.len(), message: err.to_string() }
    }

    /// True when the list has no patterns (an empty file): it excludes nothing, and AIX then skips the
    /// exclude step altogether.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Reads and merges the exclude list files of one command (`-e FILE`, repeatable), reporting each
    /// list's warnings as [`Event::Warning`]s. The one rule for an empty list: when the files hold no pattern
    /// at all (no `-e`, or only empty files) there is no list, `None`, so nothing is excluded and no subtree
    /// is pruned, as AIX skips the exclude step for an empty list (`[ ! -s file ] && EX=`) and as
    /// `grep -v -f /dev/null` keeps every line. (A file holding one empty *line* is not empty: that line
    /// matches and excludes every name, with a warning.)
    pub fn load(
        files: &[impl AsRef<Path>],
        syntax: Syntax,
        events: &dyn Events,
    ) -> Result<Option<Self>, ExcludeError> {
        let mut lists = Vec::with_capacity(files.len());
        for f in files {
            lists.push(Self::from_file(f.as_ref(), syntax)?);
        }
        let list = Self::merge(lists)?;
        for w in list.warnings() {
            events.event(&Event::Warning(w.clone()));
        }
        Ok((!list.is_empty()).then_some(list))
    }

    /// Number of patterns.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// True when `grep -v -f` would drop `name` (e.g. `./usr/tmp/x`).
    pub fn is_excluded(&self, name: &[u8]) -> bool {
        self.set.is_match(name)
    }

    /// The first pattern (in list order) that excludes `name`, or `None` when the name is kept.
    pub fn explain(&self, name: &[u8]) -> Option<ExcludeMatch> {
        let first = self.set.matches(name).into_iter().next()?;
        let p = &self.patterns[first];
        Some(ExcludeMatch {
            file: p.file.clone(),
            line: p.line,
            pattern: String::from_utf8_lossy(&p.text).into_owned(),
        })
    }

    /// True only when it is certain that every name `dir_name/...` below the directory is excluded, so the
    /// walker need not descend. False negatives are allowed; false positives never.
    ///
    /// A pattern without an end anchor and without word-boundary assertions that matches inside
    /// `dir_name/` still matches whatever follows, because the matched bytes and their position are
    /// unchanged.
    pub fn prunes_subtree(&self, dir_name: &[u8]) -> bool {
        // The walker asks once per directory: keep the common case free of allocation.
        let mut stack = [0u8; 512];
        if let Some(probe) = stack.get_mut(..dir_name.len() + 1) {
            probe[..dir_name.len()].copy_from_slice(dir_name);
            probe[dir_name.len()] = b'/';
            return self.prune_set.is_match(probe);
        }
        let mut probe = Vec::with_capacity(dir_name.len() + 1);
        probe.extend_from_slice(dir_name);
        probe.push(b'/');
        self.prune_set.is_match(&probe)
    }

    /// Warnings found while reading the lists: empty lines (which exclude everything), the warnings GNU grep
    /// prints for ERE repetitions with nothing to repeat, and `\d`, which grep reads as the letter `d`.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

/// The body of the `exclude_compile` fuzz target, shared with the corpus-replay test: any bytes as a list, in
/// both grep dialects, must compile or be refused with an error naming a line, never panic; when a list
/// compiles, `explain` agrees with `is_excluded` and a pruned directory's descendants are excluded.
pub fn fuzz_check(data: &[u8]) {
    // Only the first lines: huge inputs make the regex compiler slow, not the translator interesting.
    let data = &data[..data.len().min(4096)];
    for line in data.split(|&b| b == b'\n').take(8) {
        let _ = translate_bre(line);
        let _ = translate_ere(line);
    }
    for syntax in [Syntax::Basic, Syntax::Extended] {
        match ExcludeList::from_bytes("fuzz.list", data, syntax) {
            Ok(list) => {
                for name in [&b"./tmp/x"[..], b"./usr/lib/libc.a", b"", b"./a b/\xff"] {
                    let excluded = list.is_excluded(name);
                    assert_eq!(excluded, list.explain(name).is_some());
                    if list.prunes_subtree(name) {
                        let mut child = name.to_vec();
                        child.extend_from_slice(b"/child");
                        assert!(list.is_excluded(&child));
                    }
                }
            }
            Err(ExcludeError::Pattern { line, .. }) => assert!(line >= 1),
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(content: &str) -> ExcludeList {
        ExcludeList::from_bytes("list", content.as_bytes(), Syntax::Basic).unwrap()
    }

    /// The one empty-list rule of every command: no file or only empty files is no list (nothing
    /// excluded, nothing pruned); a file holding one empty line is a list that excludes everything.
    #[test]
    fn load_empty_list_rule() {
        let d = tempfile::tempdir().unwrap();
        let empty = d.path().join("empty");
        let blank_line = d.path().join("blank");
        let some = d.path().join("some");
        std::fs::write(&empty, "").unwrap();
        std::fs::write(&blank_line, "\n").unwrap();
        std::fs::write(&some, "^./tmp/\n").unwrap();
        let none: [&Path; 0] = [];
        assert!(ExcludeList::load(&none, Syntax::Basic, &crate::NoEvents).unwrap().is_none());
        assert!(ExcludeList::load(&[&empty], Syntax::Basic, &crate::NoEvents).unwrap().is_none());
        assert!(ExcludeList::load(&[&empty, &empty], Syntax::Extended, &crate::NoEvents).unwrap().is_none());
        let all = ExcludeList::load(&[&blank_line], Syntax::Basic, &crate::NoEvents).unwrap().unwrap();
        assert!(all.is_excluded(b"./etc/passwd"));
        let l = ExcludeList::load(&[&empty, &some], Syntax::Basic, &crate::NoEvents).unwrap().unwrap();
        assert_eq!(l.len(), 1);
        assert!(l.is_excluded(b"./tmp/x") && !l.is_excluded(b"./etc"));
    }

    #[test]
    fn ibm_examples() {
        let l = list("/scratch/\n^./tmp/\n^./etc/motd$\n");
        assert!(l.is_excluded(b"./home/scratch/a"));
        assert!(!l.is_excluded(b"./home/scratch"));
        assert!(l.is_excluded(b"./tmp/x"));
        assert!(!l.is_excluded(b"./tmp"));
        assert!(!l.is_excluded(b"./usr/tmp/x"));
        assert!(l.is_excluded(b"./etc/motd"));
        assert!(!l.is_excluded(b"./etc/motd.old"));
        assert!(l.prunes_subtree(b"./tmp"));
        assert!(!l.prunes_subtree(b"./etc"));
        assert!(!l.prunes_subtree(b"./usr"));
    }

    #[test]
    fn empty_file_and_final_line() {
        assert!(list("").is_empty());
        let l = list("abc");
        assert_eq!(l.len(), 1);
        assert!(l.is_excluded(b"xabcx"));
        let l = list("\n");
        assert_eq!(l.len(), 1);
        assert!(l.is_excluded(b"anything"));
        assert_eq!(l.warnings().len(), 1);
    }
}
