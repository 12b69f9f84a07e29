//! installp in the alternate-disk commands: phase 2 of `alt_disk_copy` and `alt_rootvg_op -C` installs
//! into the clone mounted at `/alt_inst` (spec installp.md §11), with the host model's file systems for the
//! space check and `-X` growth.

use std::path::{Path, PathBuf};

use super::phases::{SoftwareInstaller, SoftwareOptions, SoftwareOutcome};
use super::ALTINST;
use crate::error::{Error, Result};
use crate::events::{Event, Events};
use crate::host::space::HostSpace;
use crate::host::Host;
use crate::installp::apply::{self, Flags, Request};
use crate::installp::bundle::{self, BundleItem};
use crate::installp::location;
use crate::installp::resolve::Wanted;
use crate::installp::swvpd::Swvpd;
use crate::installp::{views, InstallpError};

/// The installp engine as phase 2's [`SoftwareInstaller`].
#[derive(Debug, Clone, Default)]
pub struct AltInstaller {
    /// The clock for history entries; `None`: now.
    pub time: Option<i64>,
    /// The running rootvg's tree, where a bare bundle name is looked up (`usr/sys/inst.data/...`) before
    /// phase 1; `None`: bundles are checked when phase 2 runs.
    pub running_root: Option<PathBuf>,
}

fn now() -> i64 {
    crate::clock::now_secs()
}

/// Reads a list file (`-f fixbundle`): one keyword per line, `#` comments, blank lines ignored.
fn read_list(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter(|l| !l.is_empty())
        .map(|l| l.split_whitespace().next().unwrap_or_default().to_string())
        .collect())
}

/// What `-b -w -f -F` select, against the images of the location (fix keywords map to the filesets whose
/// fix sections name them, spec §11). `running_root` is where a bare bundle name is looked up.
pub(crate) fn wanted_of(
    sw: &SoftwareOptions,
    running_root: &Path,
    loc: &location::Location,
) -> Result<Vec<Wanted>> {
    let mut wanted = Vec::new();
    if let Some(b) = &sw.bundle {
        let path = bundle::locate(b, running_root).ok_or_else(|| {
            Error::refused(format!(
                "installp: bundle {b} not found (looked for it as a path, then in \
                 /usr/sys/inst.data/user_bundles and /usr/sys/inst.data/sys_bundles)"
            ))
        })?;
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io("read", &path, e))?;
        let items = bundle::parse(&text).map_err(|error| InstallpError::Malformed {
            image: path.clone(),
            member: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            error,
        })?;
        for (_, item) in items {
            if let BundleItem::Installp { name, level } = item {
                wanted.push(Wanted { name, level });
            }
        }
        if wanted.is_empty() {
            return Err(Error::refused(format!(
                "installp: the bundle {} names no installp filesets",
                path.display()
            )));
        }
    }
    wanted.extend(sw.filesets.iter().map(|f| Wanted::name(f.clone())));
    let mut fixes = sw.fixes.clone();
    if let Some(f) = &sw.fix_bundle {
        fixes.extend(read_list(f)?);
    }
    for k in fixes {
        let mut found = false;
        for img in &loc.images {
            for f in img.lpp.filesets.iter().filter(|f| f.fixes.iter().any(|x| x.keyword == k)) {
                found = true;
                let w = Wanted { name: f.name.clone(), level: Some(f.level.clone()) };
                if !wanted.contains(&w) {
                    wanted.push(w);
                }
            }
        }
        if !found {
            return Err(Error::Installp(InstallpError::Verification {
                summary: format!(
                    "instfix: There was no data for {k} in the fix database of {}",
                    loc.dir.display()
                ),
                report: String::new(),
            }));
        }
    }
    Ok(wanted)
}

/// The volume group's level (`V.R.TL.0`, what `alt_rootvg_op -W` compares) from `oslevel -r` (`7200-05`).
fn tl_level(r: &str) -> Option<String> {
    let (vvrr, tl) = r.split_once('-')?;
    let vvrr: u32 = vvrr.parse().ok()?;
    let tl: u32 = tl.parse().ok()?;
    Some(format!("{}.{}.{tl}.0", vvrr / 1000, vvrr / 100 % 10))
}

impl SoftwareInstaller for AltInstaller {
    /// Refuses bad `-I` letters, a missing or empty image location, an unknown bundle and fixes that no image
    /// delivers before phase 1 changes anything.
    fn check(&self, cmd: &str, sw: &SoftwareOptions) -> Result<()> {
        if let Some(f) = &sw.flags {
            Flags::parse(f).map_err(|e| Error::refused(format!("{cmd}: -I {f}: {e}")))?;
        }
        let Some(l) = &sw.location else { return Ok(()) };
        let loc = location::open(l)?;
        if loc.images.is_empty() {
            return Err(Error::refused(format!(
                "{cmd}: -l {}: no installp images there{}",
                l.display(),
                loc.problems.first().map(|p| format!(" ({p})")).unwrap_or_default()
            )));
        }
        // The bundle must exist and name installp filesets, and every fix must be on the media: input errors
        // refuse the command here, before phase 1. Requisite problems are installp's own verification in
        // phase 2 (the clone is finished without the software and the command exits 1, as AIX does).
        if let Some(root) = &self.running_root {
            wanted_of(sw, root, &loc).map_err(|e| match e {
                Error::Installp(InstallpError::Verification { summary, .. }) => {
                    Error::refused(format!("{cmd}: {summary}"))
                }
                Error::Refused { message } => Error::refused(format!("{cmd}: {message}")),
                e => e,
            })?;
        }
        Ok(())
    }

    fn install(
        &self,
        host: &mut Host,
        alt_root: &Path,
        sw: &SoftwareOptions,
        events: &dyn Events,
    ) -> Result<SoftwareOutcome> {
        let installed = self.run(host, alt_root, sw, events);
        match installed {
            Ok(stale) => Ok(SoftwareOutcome { failed: false, boot_image_stale: stale }),
            // A failed installp (verification, space, a bad bundle or image) fails only installp: nothing was
            // written into the clone, the clone goes on, and the command exits non-zero at the end.
            Err(e @ (Error::Installp(_) | Error::Refused { .. })) => {
                let msg = match e {
                    Error::Installp(InstallpError::Verification { summary, .. }) => summary,
                    e => e.to_string(),
                };
                events.event(&Event::Message(&msg));
                Ok(SoftwareOutcome { failed: true, boot_image_stale: false })
            }
            Err(e) => Err(e),
        }
    }
}

impl AltInstaller {
    /// Installs into the clone; returns whether the boot image is stale.
    fn run(
        &self,
        host: &mut Host,
        alt_root: &Path,
        sw: &SoftwareOptions,
        events: &dyn Events,
    ) -> Result<bool> {
        let flags = match &sw.flags {
            Some(f) => Flags::parse(f)?,
            None => Flags::alt_disk_default(),
        };
        let loc_path: PathBuf =
            sw.location.clone().ok_or_else(|| Error::refused("installp: no image location (-l)"))?;
        let loc = location::open(&loc_path)?;
        let running = host.root();
        let wanted = wanted_of(sw, &running, &loc)?;
        let req = Request { location: loc_path, wanted, flags, time: self.time.unwrap_or_else(now) };
        let vg = ALTINST;
        let mut space = HostSpace::new(host, vg, alt_root, events)?;
        let o = apply::install(alt_root, &req, &mut space, events)?;
        // The clone's level as the volume group records it follows its inventory.
        let vpd = Swvpd::load(alt_root)?;
        if let (Some(level), Some(v)) = (tl_level(&views::oslevel_r(&vpd)), host.state.vg_mut(vg)) {
            v.oslevel = level;
        }
        host.save()?;
        Ok(o.boot_image_stale)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn volume_group_level_from_the_technology_level() {
        assert_eq!(super::tl_level("7200-05").as_deref(), Some("7.2.5.0"));
        assert_eq!(super::tl_level("6100-09").as_deref(), Some("6.1.9.0"));
        assert_eq!(super::tl_level("junk"), None);
    }
}
