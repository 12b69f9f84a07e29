//! Name selection for `restore -x NAME...`: which archive entries the user asked for.
//!
//! AIX restore matches each argument against the **exact stored name** with
//! `fnmatch(FNM_PATHNAME | FNM_PERIOD)` (backup-format spec §10 step 4): `./etc/hosts` selects `./etc/hosts`,
//! `./etc/*` selects the files directly in `./etc`, and `etc/hosts` selects nothing when names are stored as
//! `./etc/hosts`. We keep that, and remember which arguments matched nothing (and whether a `./`-prefixed
//! form would have) so the command can tell the user. With `-d` (`Selection::subtree`) an argument that
//! names a directory selects the directory and everything below it.
//!
//! A hard link whose first name was not selected cannot be restored from a by-name archive read in one pass
//! (the reader keeps the data of the first name only), so it is reported instead of written as an empty file.

use std::collections::HashSet;
use std::sync::Mutex;

use crate::entry::{Entry, Kind};
use crate::events::{Event, Events};

/// `fnmatch(pattern, name, FNM_PATHNAME | FNM_PERIOD)` on bytes: `*` and `?` never match `/`, a bracket
/// expression never matches `/`, a `.` at the start of the name or right after a `/` must be matched by a
/// literal `.`, and `\` quotes the next byte.
pub fn fnmatch(pattern: &[u8], name: &[u8]) -> bool {
    fn leading_period(name: &[u8], n: usize) -> bool {
        name.get(n) == Some(&b'.') && (n == 0 || name[n - 1] == b'/')
    }
    let (mut p, mut n) = (0usize, 0usize);
    // Where to resume after the last `*`: (pattern index after the star, name index it matched up to).
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p < pattern.len() {
            let step = match pattern[p] {
                b'*' => {
                    if leading_period(name, n) {
                        None
                    } else {
                        // Collapse runs of stars; a star stops at the next `/`.
                        let mut q = p;
                        while q < pattern.len() && pattern[q] == b'*' {
                            q += 1;
                        }
                        star = Some((q, n));
                        p = q;
                        continue;
                    }
                }
                b'?' => (n < name.len() && name[n] != b'/' && !leading_period(name, n)).then_some((p + 1, 1)),
                b'[' => match bracket(&pattern[p..], name.get(n).copied()) {
                    Some((len, true)) if !leading_period(name, n) => Some((p + len, 1)),
                    Some(_) => None,
                    // An unterminated `[` is a literal.
                    None => (name.get(n) == Some(&b'[')).then_some((p + 1, 1)),
                },
                b'\\' if p + 1 < pattern.len() => {
                    (name.get(n) == Some(&pattern[p + 1])).then_some((p + 2, 1))
                }
                c => (name.get(n) == Some(&c)).then_some((p + 1, 1)),
            };
            if let Some((np, adv)) = step {
                p = np;
                n += adv;
                continue;
            }
        } else if n == name.len() {
            return true;
        }
        // Mismatch: let the last star swallow one more byte, unless that byte is a `/`.
        match star {
            Some((sp, sn)) if sn < name.len() && name[sn] != b'/' => {
                star = Some((sp, sn + 1));
                p = sp;
                n = sn + 1;
            }
            _ => return false,
        }
    }
}

/// Matches a bracket expression at the start of `pat` (which begins with `[`) against byte `c`. Returns the
/// expression's length and whether it matched, or `None` when the bracket is not terminated.
fn bracket(pat: &[u8], c: Option<u8>) -> Option<(usize, bool)> {
    let mut i = 1;
    let negate = matches!(pat.get(i), Some(b'!') | Some(b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let mut lo = *pat.get(i)?;
        if lo == b']' && !first {
            break;
        }
        first = false;
        if lo == b'\\' {
            i += 1;
            lo = *pat.get(i)?;
        }
        i += 1;
        let mut hi = lo;
        if pat.get(i) == Some(&b'-') && pat.get(i + 1).is_some_and(|&b| b != b']') {
            hi = pat[i + 1];
            i += 2;
            if hi == b'\\' {
                hi = *pat.get(i)?;
                i += 1;
            }
        }
        if let Some(c) = c {
            if lo <= c && c <= hi {
                matched = true;
            }
        }
    }
    let ok = match c {
        Some(b'/') | None => false,
        Some(_) => matched != negate,
    };
    Some((i + 1, ok))
}

/// One argument and what it matched.
#[derive(Debug)]
struct Pattern {
    text: Vec<u8>,
    matched: u64,
    /// `./` + text would have matched some name.
    dotslash_would: bool,
}

/// The names `restore -x` was asked for. Shared by the filter thread; all state sits behind a mutex.
#[derive(Debug)]
pub struct Selection {
    subtree: bool,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    patterns: Vec<Pattern>,
    /// Selected names of files with more than one link: hard links may only name these.
    link_firsts: HashSet<Vec<u8>>,
    /// Hard links not restored because their first name was not selected.
    orphan_links: u64,
}

/// An argument that selected nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unmatched {
    /// The argument as given.
    pub pattern: Vec<u8>,
    /// True when the same argument with `./` in front would have selected something (a hint for users who
    /// typed `etc/hosts` for `./etc/hosts`).
    pub dotslash_hint: bool,
}

impl Selection {
    /// A selection of `patterns` (exact names or shell patterns); `subtree` is `-d`. No patterns selects
    /// everything.
    pub fn new(patterns: Vec<Vec<u8>>, subtree: bool) -> Self {
        let patterns =
            patterns.into_iter().map(|text| Pattern { text, matched: 0, dotslash_would: false }).collect();
        Selection { subtree, state: Mutex::new(State { patterns, ..State::default() }) }
    }

    /// True when every entry is selected.
    pub(crate) fn is_all(&self) -> bool {
        self.state.lock().map(|s| s.patterns.is_empty()).unwrap_or(false)
    }

    /// Whether `pattern` selects `name`: the whole name, or with `subtree` any leading directory part of it.
    fn hit(&self, pattern: &[u8], name: &[u8]) -> bool {
        if fnmatch(pattern, name) {
            return true;
        }
        self.subtree
            && name.iter().enumerate().any(|(i, &b)| b == b'/' && i > 0 && fnmatch(pattern, &name[..i]))
    }

    /// Decides for one entry, in archive order. A hard link whose first name was not selected is refused
    /// with a soft error through `events`.
    pub fn select(&self, e: &Entry, events: &dyn Events) -> bool {
        let Ok(mut st) = self.state.lock() else { return false };
        let selected = if st.patterns.is_empty() {
            true
        } else {
            let mut any = false;
            for i in 0..st.patterns.len() {
                if self.hit(&st.patterns[i].text, &e.name) {
                    st.patterns[i].matched += 1;
                    any = true;
                } else if st.patterns[i].matched == 0 && !st.patterns[i].dotslash_would {
                    let mut alt = b"./".to_vec();
                    alt.extend_from_slice(&st.patterns[i].text);
                    if self.hit(&alt, &e.name) {
                        st.patterns[i].dotslash_would = true;
                    }
                }
            }
            any
        };
        if !selected {
            return false;
        }
        match e.kind {
            Kind::HardLink => {
                let first = e.link_target.as_deref().unwrap_or_default();
                if st.link_firsts.contains(first) {
                    return true;
                }
                st.orphan_links += 1;
                drop(st);
                events.event(&Event::SoftError {
                    class: "link",
                    path: String::from_utf8_lossy(&e.name).into_owned(),
                    message: format!(
                        "not restored: it is a hard link to {}, which was not selected (select that name too)",
                        String::from_utf8_lossy(first)
                    ),
                });
                false
            }
            Kind::File if e.meta.nlink > 1 => {
                st.link_firsts.insert(e.name.clone());
                true
            }
            _ => true,
        }
    }

    /// The arguments that selected nothing, in the order given.
    pub fn unmatched(&self) -> Vec<Unmatched> {
        let Ok(st) = self.state.lock() else { return Vec::new() };
        st.patterns
            .iter()
            .filter(|p| p.matched == 0)
            .map(|p| Unmatched { pattern: p.text.clone(), dotslash_hint: p.dotslash_would })
            .collect()
    }

    /// Hard links left out because their first name was not selected.
    pub fn orphan_links(&self) -> u64 {
        self.state.lock().map(|s| s.orphan_links).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::Meta;
    use crate::events::RecordEvents;

    #[test]
    fn fnmatch_pathname_and_period() {
        assert!(fnmatch(b"./etc/hosts", b"./etc/hosts"));
        assert!(!fnmatch(b"etc/hosts", b"./etc/hosts"));
        assert!(fnmatch(b"./etc/*", b"./etc/hosts"));
        assert!(!fnmatch(b"./etc/*", b"./etc/ssh/sshd_config"));
        assert!(!fnmatch(b"./etc/*", b"./etc/.profile"));
        assert!(fnmatch(b"./etc/.*", b"./etc/.profile"));
        assert!(!fnmatch(b"*", b"./x"));
        assert!(fnmatch(b"./*/*.conf", b"./etc/a.conf"));
        assert!(fnmatch(b"./h?sts", b"./hosts"));
        assert!(!fnmatch(b"./h?sts", b"./h/sts"));
        assert!(fnmatch(b"./[a-c]x", b"./bx"));
        assert!(!fnmatch(b"./[!a-c]x", b"./bx"));
        assert!(fnmatch(b"./[!a-c]x", b"./dx"));
        assert!(fnmatch(b"./[]]", b"./]"));
        assert!(fnmatch(b"./a\\*", b"./a*"));
        assert!(!fnmatch(b"./a\\*", b"./ab"));
        assert!(fnmatch(b"./[x", b"./[x"));
        assert!(fnmatch(b"./**b", b"./aab"));
        assert!(fnmatch(b"./a*b*c", b"./aXbYbZc"));
        assert!(!fnmatch(b"./a*b*c", b"./aXbYbZ"));
        assert!(fnmatch(b"", b""));
        assert!(!fnmatch(b"", b"x"));
    }

    fn entry(name: &[u8], kind: Kind, nlink: u32, link: Option<&[u8]>) -> Entry {
        let mut e = Entry::new(name.to_vec(), kind, Meta { nlink, ..Meta::default() });
        e.link_target = link.map(<[u8]>::to_vec);
        e
    }

    #[test]
    fn subtree_selection_and_hints() {
        let ev = RecordEvents::default();
        let s = Selection::new(vec![b"./etc".to_vec(), b"usr/bin".to_vec()], true);
        let names: &[&[u8]] =
            &[b".", b"./etc", b"./etc/hosts", b"./etcx", b"./usr", b"./usr/bin", b"./usr/bin/ls"];
        let got: Vec<&[u8]> =
            names.iter().copied().filter(|n| s.select(&entry(n, Kind::File, 1, None), &ev)).collect();
        assert_eq!(got, vec![&b"./etc"[..], b"./etc/hosts"]);
        assert_eq!(s.unmatched(), vec![Unmatched { pattern: b"usr/bin".to_vec(), dotslash_hint: true }]);

        let plain = Selection::new(vec![b"./etc".to_vec()], false);
        assert!(plain.select(&entry(b"./etc", Kind::Dir, 1, None), &ev));
        assert!(!plain.select(&entry(b"./etc/hosts", Kind::File, 1, None), &ev));
    }

    #[test]
    fn hard_link_to_an_unselected_name_is_reported() {
        let ev = RecordEvents::default();
        let s = Selection::new(vec![b"./b".to_vec(), b"./c".to_vec(), b"./d".to_vec()], false);
        assert!(!s.select(&entry(b"./a", Kind::File, 2, None), &ev));
        assert!(!s.select(&entry(b"./b", Kind::HardLink, 2, Some(b"./a")), &ev));
        assert!(s.select(&entry(b"./c", Kind::File, 2, None), &ev));
        assert!(s.select(&entry(b"./d", Kind::HardLink, 2, Some(b"./c")), &ev));
        assert_eq!(s.orphan_links(), 1);
        let log = ev.0.lock().unwrap();
        assert_eq!(log.len(), 1);
        assert!(log[0].contains("./b") && log[0].contains("hard link to ./a"), "{log:?}");
    }
}
