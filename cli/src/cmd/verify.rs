//! `altdisk verify SRC DST` and `altdisk verify --archive ARCHIVE DST`: is the copy faithful? All the
//! comparing is in `altdisk_engine::verify`; this prints the differences and picks the exit code.

use std::collections::BTreeSet;
use std::path::PathBuf;

use altdisk_engine::exclude::ExcludeList;
use altdisk_engine::verify::{
    compare_archive, compare_trees_excluding, CompareOptions, DiffKind, Difference, TimePrecision,
};

use crate::cmd::common::{ExcludeArgs, ThreadsArg};
use crate::render::Renderer;

/// Compare a copy with its source (tree or archive): content and every metadata class.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The source tree (with --archive: the tree to check against the archive).
    src: PathBuf,
    /// The copy.
    dst: Option<PathBuf>,
    /// Compare this by-name archive (plain or zstd) with the tree given as the one operand.
    #[arg(long, value_name = "ARCHIVE")]
    archive: Option<PathBuf>,
    /// Do not compare this class (repeatable): atime, mtime, owner, mode, xattrs, acls, sparse, links,
    /// content, symlink, rdev, size, type, missing, extra. atime is never compared (reading a file
    /// changes it), so `--ignore atime` is accepted and changes nothing.
    #[arg(long, value_name = "CLASS", value_enum)]
    ignore: Vec<Class>,
    #[command(flatten)]
    excludes: ExcludeArgs,
    #[command(flatten)]
    threads: ThreadsArg,
}

/// A class of difference `--ignore` can hide.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Access times (never compared).
    Atime,
    /// Modification times.
    Mtime,
    /// Owner and group.
    Owner,
    /// Permission bits.
    Mode,
    /// Extended attributes other than ACLs.
    Xattrs,
    /// POSIX ACLs.
    Acls,
    /// Sparse layout.
    Sparse,
    /// Hard-link groups.
    Links,
    /// File bytes.
    Content,
    /// Symlink targets.
    Symlink,
    /// Device numbers.
    Rdev,
    /// File sizes.
    Size,
    /// File types.
    Type,
    /// Names only in the source.
    Missing,
    /// Names only in the copy.
    Extra,
}

/// The comparison options with `ignore` applied, and the difference kinds to drop afterwards.
pub fn options(ignore: &[Class], threads: usize) -> (CompareOptions, BTreeSet<DiffKind>) {
    let mut o = CompareOptions { threads, ..CompareOptions::default() };
    let mut drop = BTreeSet::new();
    for c in ignore {
        match c {
            Class::Atime => {}
            Class::Mtime => o.mtime = TimePrecision::Ignore,
            Class::Owner => o.owners = false,
            Class::Mode => o.mode = false,
            Class::Xattrs => o.xattrs = false,
            Class::Acls => o.acls = false,
            Class::Sparse => o.sparse_slack = None,
            Class::Links => o.hardlinks = false,
            Class::Content => o.content = false,
            Class::Symlink => {
                drop.insert(DiffKind::SymlinkTarget);
            }
            Class::Rdev => {
                drop.insert(DiffKind::Rdev);
            }
            Class::Size => {
                drop.insert(DiffKind::Size);
            }
            Class::Type => {
                drop.insert(DiffKind::Type);
            }
            Class::Missing => {
                drop.insert(DiffKind::Missing);
            }
            Class::Extra => {
                drop.insert(DiffKind::Extra);
            }
        }
    }
    (o, drop)
}

/// Prints the differences (`CLASS PATH: detail` lines, or `difference` JSON lines and the result fields
/// `equal` and `differences`); the exit code.
pub fn report(r: &Renderer, diffs: &[Difference]) -> i32 {
    use crate::render::json;
    for d in diffs {
        let path = String::from_utf8_lossy(&altdisk_engine::verify::dot_name(&d.path)).into_owned();
        if json::on() {
            json::emit(
                "difference",
                serde_json::json!({ "class": d.kind.class(), "path": path, "detail": d.detail }),
            );
        } else {
            r.line(&format!("{} {path}: {}", d.kind.class(), d.detail));
        }
    }
    json::result("equal", serde_json::json!(diffs.is_empty()));
    json::result("differences", serde_json::json!(diffs.len()));
    if diffs.is_empty() {
        crate::exit::OK
    } else {
        crate::exit::FAILED
    }
}

/// Compares `src` with `dst` leaving out `exclude`, as `clone --verify` and `verify` do.
pub fn verify_trees(
    src: &std::path::Path,
    dst: &std::path::Path,
    opts: &CompareOptions,
    drop: &BTreeSet<DiffKind>,
    exclude: Option<&ExcludeList>,
) -> anyhow::Result<Vec<Difference>> {
    let mut d = compare_trees_excluding(src, dst, opts, exclude)?;
    d.retain(|x| !drop.contains(&x.kind));
    Ok(d)
}

/// Runs `altdisk verify`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    let r = Renderer::new("verify", None, false);
    let exclude = a.excludes.load(&r)?;
    let (opts, drop) = options(&a.ignore, a.threads.get());
    let diffs = match (&a.archive, &a.dst) {
        (Some(archive), None) => {
            let mut d = compare_archive(archive, &a.src, &opts, exclude.as_ref())?;
            d.retain(|x| !drop.contains(&x.kind));
            d
        }
        (None, Some(dst)) => verify_trees(&a.src, dst, &opts, &drop, exclude.as_ref())?,
        (Some(_), Some(_)) => return crate::exit::usage("with --archive give one tree, not two"),
        (None, None) => return crate::exit::usage("give SRC and DST, or --archive ARCHIVE and a tree"),
    };
    r.finish();
    Ok(report(&r, &diffs))
}
