//! Turning archive names into safe paths below the target.
//!
//! A name is split into components; `.` and empty components vanish, a `..` component refuses the whole
//! name (it could climb out of the target), and a leading `/` is either dropped (the default, with one
//! warning per run) or kept (AIX `restore` writes absolute names literally when asked).

/// Where a resolved name is anchored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Anchor {
    /// Below the target directory.
    Target,
    /// Below the real filesystem root (only with `absolute_names`).
    Root,
}

/// A name that is safe to create: an anchor and non-empty components with no `.`, `..` or `/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SafeName {
    /// What the components are relative to.
    pub anchor: Anchor,
    /// The components, each a single file name.
    pub parts: Vec<Vec<u8>>,
    /// The name had a leading `/` that was removed.
    pub stripped_root: bool,
}

impl SafeName {
    /// The key of this name.
    pub fn key(&self) -> Vec<u8> {
        key_of(self.anchor, &self.parts)
    }

    /// The last component (empty for the anchor itself).
    pub fn last(&self) -> &[u8] {
        self.parts.last().map(Vec::as_slice).unwrap_or(b"")
    }
}

/// The cache and hard-link key of a list of components: `/` joined, with a leading `/` for [`Anchor::Root`].
pub(crate) fn key_of(anchor: Anchor, parts: &[Vec<u8>]) -> Vec<u8> {
    let mut k = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum::<usize>() + 1);
    if anchor == Anchor::Root {
        k.push(b'/');
    }
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            k.push(b'/');
        }
        k.extend_from_slice(p);
    }
    k
}

/// Why a name was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unsafe {
    /// It has a `..` component.
    DotDot,
    /// It contains a NUL byte (no system call can take it).
    Nul,
}

impl std::fmt::Display for Unsafe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unsafe::DotDot => f.write_str("it has a \"..\" component"),
            Unsafe::Nul => f.write_str("it contains a NUL byte"),
        }
    }
}

/// Resolves an archive name. `absolute_names` keeps a leading `/` as the real root.
pub(crate) fn resolve(name: &[u8], absolute_names: bool) -> Result<SafeName, Unsafe> {
    if name.contains(&0) {
        return Err(Unsafe::Nul);
    }
    let absolute = name.first() == Some(&b'/');
    let mut parts = Vec::new();
    for c in name.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => return Err(Unsafe::DotDot),
            _ => parts.push(c.to_vec()),
        }
    }
    let anchor = if absolute && absolute_names { Anchor::Root } else { Anchor::Target };
    Ok(SafeName { anchor, parts, stripped_root: absolute && !absolute_names })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(n: &[u8]) -> Vec<Vec<u8>> {
        resolve(n, false).map(|s| s.parts).unwrap_or_default()
    }

    #[test]
    fn dot_slash_and_empty_components_vanish() {
        assert_eq!(parts(b"./usr//bin/./ls"), vec![b"usr".to_vec(), b"bin".to_vec(), b"ls".to_vec()]);
        assert!(parts(b".").is_empty());
        assert!(parts(b"./").is_empty());
    }

    #[test]
    fn dotdot_anywhere_is_refused() {
        assert_eq!(resolve(b"../x", false), Err(Unsafe::DotDot));
        assert_eq!(resolve(b"a/../../x", false), Err(Unsafe::DotDot));
        assert_eq!(resolve(b"./a/..", false), Err(Unsafe::DotDot));
        assert!(resolve(b"./a/..b", false).is_ok());
    }

    #[test]
    fn absolute_names_are_stripped_unless_asked() {
        let s = resolve(b"/etc/passwd", false).unwrap();
        assert_eq!(s.anchor, Anchor::Target);
        assert!(s.stripped_root);
        assert_eq!(s.key(), b"etc/passwd");
        let s = resolve(b"/etc/passwd", true).unwrap();
        assert_eq!(s.anchor, Anchor::Root);
        assert_eq!(s.key(), b"/etc/passwd");
    }
}
