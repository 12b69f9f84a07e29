//! `installp`: install, commit, reject and list software images on the running rootvg of the modelled host or
//! on any rootvg tree (`-R DIR`), e.g. a clone mounted at `/alt_inst` (spec installp.md §7).

use std::path::PathBuf;

use altdisk_engine::host::space::HostSpace;
use altdisk_engine::host::{Host, HostLock};
use altdisk_engine::installp::apply::{self, Flags, Request, Space, StatvfsSpace};
use altdisk_engine::installp::resolve::{Failure, Wanted};
use altdisk_engine::installp::swvpd::{State, Swvpd};
use altdisk_engine::installp::{bundle, location, transcript, Level};

use super::host::{fail, Printer};
use super::swroot::RootArg;

/// AIX's synopsis.
pub const USAGE: &str = "installp [-a | -ac [-N] | -c | -r | -l | -L | -A | -s] [-gXpYFBI] -d DEVICE \
                         [-R DIR] {FILESET [LEVEL]... | all | -f LISTFILE}";

/// Install software images (apply, commit), reject applied updates, list images or applied updates.
#[derive(clap::Args, Debug)]
#[command(override_usage = USAGE)]
pub struct Args {
    /// Apply (the default action).
    #[arg(short = 'a')]
    a: bool,
    /// Commit: with -a apply and commit at once; alone, commit applied updates.
    #[arg(short = 'c')]
    c: bool,
    /// Reject applied (uncommitted) updates, restoring the files they replaced.
    #[arg(short = 'r')]
    r: bool,
    /// List the filesets on the media (-d).
    #[arg(short = 'l')]
    l: bool,
    /// List the filesets on the media, colon-separated.
    #[arg(short = 'L')]
    big_l: bool,
    /// List the fixes (APARs, TL and SP keywords) the media delivers.
    #[arg(short = 'A')]
    big_a: bool,
    /// List applied updates that are not committed.
    #[arg(short = 's')]
    s: bool,
    /// Include requisites automatically (apply); pick the newest superseding update.
    #[arg(short = 'g')]
    g: bool,
    /// Expand file systems when space is needed.
    #[arg(short = 'X')]
    x: bool,
    /// Do not save replaced files (only with -c).
    #[arg(short = 'N')]
    n: bool,
    /// Preview: pre-installation verification only, nothing is changed.
    #[arg(short = 'p')]
    p: bool,
    /// Agree to required software license agreements.
    #[arg(short = 'Y')]
    y: bool,
    /// Force: reinstall a base level that is installed already.
    #[arg(short = 'F')]
    f_force: bool,
    /// Consider updates only.
    #[arg(short = 'B')]
    b: bool,
    /// Consider base levels only.
    #[arg(short = 'I')]
    i: bool,
    /// The image location: a directory of images (with or without .toc) or one image file.
    #[arg(short = 'd', value_name = "DEVICE")]
    d: Option<PathBuf>,
    /// Read the fileset list from a file (bundle syntax: `I:fileset` lines, comments).
    #[arg(short = 'f', value_name = "LISTFILE")]
    f: Option<PathBuf>,
    #[command(flatten)]
    root: RootArg,
    /// Filesets or packages (each optionally followed by a level V.R.M.F), or `all`.
    filesets: Vec<String>,
}

fn now() -> i64 {
    altdisk_engine::clock::now_secs()
}

/// `NAME [LEVEL] NAME ...`: a word that parses as a level belongs to the name before it.
fn wanted(words: &[String]) -> anyhow::Result<Vec<Wanted>> {
    let mut out: Vec<Wanted> = Vec::new();
    for w in words {
        let (name, lvl) = match w.split_once(':') {
            // ansible's `fileset:level` form.
            Some((n, l)) if l.parse::<Level>().is_ok() => (n.to_string(), l.parse().ok()),
            _ => (w.clone(), None),
        };
        if lvl.is_none() && name.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            match (w.parse::<Level>(), out.last_mut()) {
                (Ok(l), Some(prev)) if prev.level.is_none() => {
                    prev.level = Some(l);
                    continue;
                }
                _ => return crate::exit::usage(format!("{w}: a level must follow a fileset name")),
            }
        }
        out.push(Wanted { name, level: lvl });
    }
    Ok(out)
}

/// Runs `installp`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    let listing = [a.l, a.big_l, a.big_a, a.s].iter().filter(|x| **x).count();
    let actions = listing + usize::from(a.r) + usize::from(a.a || (a.c && !a.r && listing == 0));
    if actions > 1 || (a.r && (a.a || a.c)) {
        return crate::exit::usage(format!(
            "give one action: -a, -ac, -c, -r, -l, -L, -A or -s\nusage: {USAGE}"
        ));
    }
    let printer = Printer::default();
    if a.l || a.big_l || a.big_a {
        let Some(d) = &a.d else {
            return crate::exit::usage(format!("-l, -L and -A list the media given with -d\nusage: {USAGE}"));
        };
        let loc = match location::open(d) {
            Ok(l) => l,
            Err(e) => return Ok(fail("installp", e)),
        };
        for p in &loc.problems {
            crate::render::json::warning(&format!("installp: {p}; the image is skipped"));
        }
        let text = if a.l {
            transcript::list_media(&loc.images)
        } else if a.big_l {
            transcript::list_media_colon(&loc.images)
        } else {
            transcript::list_fixes(&loc.images)
        };
        crate::render::json::print(&text);
        return Ok(if loc.problems.is_empty() { crate::exit::OK } else { crate::exit::FAILED });
    }
    let tree = a.root.tree()?;
    if a.s {
        let sw = Swvpd::load(&tree)?;
        let applied: Vec<_> = sw.all_installed().into_iter().filter(|i| i.state == State::Applied).collect();
        if applied.is_empty() {
            crate::render::json::print(
                "installp:  No filesets were found in the Software Vital Product Database in the APPLIED state.\n",
            );
        } else {
            let mut t = String::from(
                "  Fileset                      Level\n  ------------------------------------------\n",
            );
            for i in applied {
                t.push_str(&format!("  {:<28} {}\n", i.fileset, i.level));
            }
            crate::render::json::print(&t);
        }
        return Ok(crate::exit::OK);
    }
    let mut words = a.filesets.clone();
    if let Some(f) = &a.f {
        let text = if f.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin())?
        } else {
            std::fs::read_to_string(f).map_err(|e| altdisk_engine::Error::io("read", f, e))?
        };
        match bundle::parse(&text) {
            Ok(items) => {
                for (_, it) in items {
                    if let bundle::BundleItem::Installp { name, level } = it {
                        words.push(name);
                        if let Some(l) = level {
                            words.push(l.to_string());
                        }
                    }
                }
            }
            Err(error) => {
                let e = altdisk_engine::installp::InstallpError::Malformed {
                    image: f.clone(),
                    member: f.display().to_string(),
                    error,
                };
                return Ok(fail("installp", e.into()));
            }
        }
    }
    if words.is_empty() {
        return crate::exit::usage(format!("name the filesets (or all, or -f LISTFILE)\nusage: {USAGE}"));
    }
    // On the modelled host the running rootvg changes: hold its lock for the whole command.
    let host_dir = if a.root.root.is_none() { Some(a.root.host.dir()?) } else { None };
    let _lock = match &host_dir {
        Some(d) => match HostLock::acquire(d) {
            Ok(l) => Some(l),
            Err(e) => return Ok(fail("installp", e)),
        },
        None => None,
    };
    if a.r {
        return Ok(match apply::reject(&tree, &words, now(), &printer) {
            Ok(_) => crate::exit::OK,
            Err(e) => fail("installp", e),
        });
    }
    if a.c && !a.a {
        return Ok(match apply::commit(&tree, &words, now(), &printer) {
            Ok(_) => crate::exit::OK,
            Err(e) => fail("installp", e),
        });
    }
    let Some(d) = a.d.clone() else {
        return crate::exit::usage(format!("-a needs the image location: -d DEVICE\nusage: {USAGE}"));
    };
    // One image file named by -d: a damaged one is the archive error it is (exit 3), not "not found".
    if d.is_file() {
        if let Err(e) = altdisk_engine::installp::image::Image::open(&d) {
            return Ok(fail("installp", e.into()));
        }
    }
    let mut letters = String::from("a");
    for (on, c) in [
        (a.c, 'c'),
        (a.g, 'g'),
        (a.x, 'X'),
        (a.n, 'N'),
        (a.p, 'p'),
        (a.y, 'Y'),
        (a.f_force, 'F'),
        (a.b, 'B'),
        (a.i, 'I'),
    ] {
        if on {
            letters.push(c);
        }
    }
    let flags = match Flags::parse(&letters) {
        Ok(f) => f,
        Err(e) => return Ok(fail("installp", e)),
    };
    let req = Request { location: d, wanted: wanted(&words)?, flags, time: now() };
    let r = match &host_dir {
        Some(dir) => {
            let mut host = Host::open(dir)?;
            let mut space: Box<dyn Space> = match HostSpace::new(&mut host, "rootvg", &tree, &printer) {
                Ok(s) => Box::new(s),
                Err(e) => return Ok(fail("installp", e)),
            };
            apply::install(&tree, &req, space.as_mut(), &printer)
        }
        None => apply::install(&tree, &req, &mut StatvfsSpace { root: tree.clone() }, &printer),
    };
    Ok(match r {
        Ok(out) => {
            // What the plan holds: a preview's `to_install: 0` tells a caller (Ansible) there is nothing to do.
            let already =
                out.plan.failures.iter().filter(|f| matches!(f, Failure::AlreadyInstalled { .. })).count();
            crate::render::json::result("to_install", serde_json::json!(out.plan.steps.len()));
            crate::render::json::result("already_installed", serde_json::json!(already));
            crate::render::json::result("changed", serde_json::json!(!out.unchanged));
            crate::exit::OK
        }
        Err(e) => fail("installp", e),
    })
}
