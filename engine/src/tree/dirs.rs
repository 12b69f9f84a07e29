//! Open directory handles, cached by name, opened one component at a time without following symlinks.
//!
//! Every object of the tree is created with an `*at()` call relative to its parent's handle, so the kernel
//! never resolves a long path (paths over `PATH_MAX` work) and never follows a symlink that the archive
//! planted: each component is opened with `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)` (or
//! `O_NOFOLLOW | O_DIRECTORY` on kernels without `openat2`).

use std::collections::HashMap;
use std::io;
use std::os::fd::OwnedFd;
use std::sync::Arc;

use rustix::fs::{Mode, OFlags, ResolveFlags};

use super::names::{key_of, Anchor};

/// Why a directory could not be opened.
#[derive(Debug)]
pub(crate) enum DirError {
    /// A component exists but is a symlink or not a directory: going on would leave the target or write
    /// through a link, so the name is refused. Carries the key of that component.
    NotDir(Vec<u8>),
    /// Another error on the component with this key.
    Io(Vec<u8>, io::Error),
}

/// A bounded cache of open directories keyed by their name below the anchor.
pub(crate) struct DirCache {
    target: Arc<OwnedFd>,
    root: Option<Arc<OwnedFd>>,
    map: HashMap<Vec<u8>, (Arc<OwnedFd>, u64)>,
    tick: u64,
    cap: usize,
    openat2: bool,
}

const DIR_FLAGS: OFlags =
    OFlags::RDONLY.union(OFlags::DIRECTORY).union(OFlags::NOFOLLOW).union(OFlags::CLOEXEC);

impl DirCache {
    /// A cache below `target` holding at most `cap` handles.
    pub fn new(target: Arc<OwnedFd>, cap: usize) -> Self {
        DirCache { target, root: None, map: HashMap::new(), tick: 0, cap: cap.max(16), openat2: true }
    }

    /// The handle of the target directory.
    pub fn target(&self) -> &Arc<OwnedFd> {
        &self.target
    }

    fn anchor_fd(&mut self, anchor: Anchor) -> Result<Arc<OwnedFd>, DirError> {
        match anchor {
            Anchor::Target => Ok(self.target.clone()),
            Anchor::Root => {
                if let Some(r) = &self.root {
                    return Ok(r.clone());
                }
                let fd = rustix::fs::open("/", DIR_FLAGS, Mode::empty())
                    .map_err(|e| DirError::Io(b"/".to_vec(), e.into()))?;
                let fd = Arc::new(fd);
                self.root = Some(fd.clone());
                Ok(fd)
            }
        }
    }

    /// Opens one component below `dir` without following symlinks.
    fn open_one(&mut self, dir: &OwnedFd, name: &[u8]) -> io::Result<OwnedFd> {
        if self.openat2 {
            match rustix::fs::openat2(
                dir,
                name,
                DIR_FLAGS,
                Mode::empty(),
                ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS,
            ) {
                Err(rustix::io::Errno::NOSYS) => self.openat2 = false,
                r => return r.map_err(io::Error::from),
            }
        }
        rustix::fs::openat(dir, name, DIR_FLAGS, Mode::empty()).map_err(io::Error::from)
    }

    /// The handle of the directory `parts` below `anchor`. Missing directories are created with `create`
    /// (as `mkdir -p` would) when it is set; an existing symlink or non-directory is never passed through.
    pub fn get(
        &mut self,
        anchor: Anchor,
        parts: &[Vec<u8>],
        create: Option<Mode>,
    ) -> Result<Arc<OwnedFd>, DirError> {
        if parts.is_empty() {
            return self.anchor_fd(anchor);
        }
        let full = key_of(anchor, parts);
        // Byte length of the key of parts[..i], for every i.
        let mut ends = Vec::with_capacity(parts.len() + 1);
        let mut len = usize::from(anchor == Anchor::Root);
        ends.push(len);
        for (i, p) in parts.iter().enumerate() {
            len += p.len() + usize::from(i > 0);
            ends.push(len);
        }
        self.tick += 1;
        let tick = self.tick;
        let mut start = 0;
        let mut cur = None;
        for i in (1..=parts.len()).rev() {
            if let Some(slot) = self.map.get_mut(&full[..ends[i]]) {
                slot.1 = tick;
                cur = Some(slot.0.clone());
                start = i;
                break;
            }
        }
        let mut cur = match cur {
            Some(c) => c,
            None => self.anchor_fd(anchor)?,
        };
        for (i, part) in parts.iter().enumerate().skip(start) {
            let key = &full[..ends[i + 1]];
            let fd = match self.open_one(&cur, part) {
                Ok(fd) => fd,
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) && create.is_some() => {
                    let mode = create.unwrap_or(Mode::RWXU);
                    match rustix::fs::mkdirat(&*cur, part.as_slice(), mode) {
                        Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                        Err(e) => return Err(DirError::Io(key.to_vec(), e.into())),
                    }
                    self.open_one(&cur, part).map_err(|e| classify(key, e))?
                }
                Err(e) => return Err(classify(key, e)),
            };
            let fd = Arc::new(fd);
            self.insert(key.to_vec(), fd.clone());
            cur = fd;
        }
        Ok(cur)
    }

    /// Forgets a cached handle (the directory was removed or replaced).
    pub(crate) fn forget(&mut self, key: &[u8]) {
        self.map.remove(key);
    }

    fn insert(&mut self, key: Vec<u8>, fd: Arc<OwnedFd>) {
        if self.map.len() >= self.cap {
            // Drop the older half (least recently used).
            let mut ticks: Vec<u64> = self.map.values().map(|v| v.1).collect();
            ticks.sort_unstable();
            let cut = ticks[ticks.len() / 2];
            self.map.retain(|_, v| v.1 > cut);
        }
        self.map.insert(key, (fd, self.tick));
    }
}

fn classify(key: &[u8], e: io::Error) -> DirError {
    match e.raw_os_error() {
        Some(libc::ELOOP) | Some(libc::ENOTDIR) | Some(libc::EXDEV) => DirError::NotDir(key.to_vec()),
        _ => DirError::Io(key.to_vec(), e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(p: &std::path::Path) -> Arc<OwnedFd> {
        Arc::new(rustix::fs::open(p, DIR_FLAGS, Mode::empty()).unwrap())
    }

    #[test]
    fn eviction_keeps_the_cache_bounded_and_handles_usable() {
        let tmp = tempfile::tempdir().unwrap();
        let mut c = DirCache::new(open(tmp.path()), 16);
        for i in 0..100 {
            let parts = vec![format!("a{}", i % 7).into_bytes(), format!("b{i}").into_bytes()];
            let fd = c.get(Anchor::Target, &parts, Some(Mode::RWXU)).unwrap();
            rustix::fs::mkdirat(&*fd, "leaf", Mode::RWXU).unwrap();
            assert!(c.map.len() <= 16);
        }
        assert!(tmp.path().join("a6/b97/leaf").is_dir());
    }

    #[test]
    fn a_symlink_component_is_never_followed() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("real")).unwrap();
        std::os::unix::fs::symlink("real", tmp.path().join("link")).unwrap();
        std::fs::write(tmp.path().join("file"), b"").unwrap();
        let mut c = DirCache::new(open(tmp.path()), 16);
        let r = c.get(Anchor::Target, &[b"link".to_vec(), b"x".to_vec()], Some(Mode::RWXU));
        assert!(matches!(r, Err(DirError::NotDir(ref k)) if k == b"link"));
        let r = c.get(Anchor::Target, &[b"file".to_vec()], Some(Mode::RWXU));
        assert!(matches!(r, Err(DirError::NotDir(ref k)) if k == b"file"));
        assert!(!tmp.path().join("real/x").exists());
    }
}
