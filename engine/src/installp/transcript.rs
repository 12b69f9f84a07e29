//! installp's own console text: the pre-installation verification (and preview), the apply banners and the
//! installation summary (spec installp.md §7.6, §7.7). Every layout is in this one module so that it can be
//! corrected from a real transcript (§12.13); the \[V\] parts are reproduced byte for byte, the \[R\] parts
//! (sub-section headings of FAILURES) best effort.

use std::fmt::Write as _;

use super::level::Level;
use super::resolve::{Candidate, Failure, Plan};

const RULE: &str = "+-----------------------------------------------------------------------------+";
const STARS: &str = "*******************************************************************************";

/// A heading between `+---+` rules. The verified headings are not centred on one rule (installp's message
/// catalog carries them pre-indented), so their indents are taken from transcripts; others are centred.
pub(crate) fn banner(title: &str) -> String {
    let pad = match title {
        "Pre-installation Verification..." => 20,
        "BUILDDATE Verification ..." => 19,
        "Installing Software..." => 25,
        "Summaries:" => 32,
        t => 79usize.saturating_sub(t.len()) / 2,
    };
    format!("{RULE}\n{}{title}\n{RULE}\n", " ".repeat(pad))
}

/// One row of the RESOURCES table (512-byte blocks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// File system mount point.
    pub filesystem: String,
    /// Blocks the install needs there.
    pub needed: u64,
    /// Blocks free there before the install.
    pub free: u64,
}

fn fileset_line(name: &str, level: &Level, description: &str) -> String {
    let head = format!("{name} {level}");
    format!("  {head:<45}# {description}\n")
}

/// The pre-installation verification block; with `preview` wrapped in the PREVIEW banners (`installp -p`).
pub fn verification(plan: &Plan, media: &[Candidate], resources: &[Resource], preview: bool) -> String {
    let mut s = String::new();
    if preview {
        let _ = writeln!(s, "{STARS}\ninstallp PREVIEW:  installation will not actually occur.\n{STARS}\n");
    }
    s.push_str(&banner("Pre-installation Verification..."));
    s.push_str("Verifying selections...done\nVerifying requisites...done\nResults...\n\n");
    let selected: Vec<_> = plan.steps.iter().filter(|st| !st.requisite).collect();
    let pulled: Vec<_> = plan.steps.iter().filter(|st| st.requisite).collect();
    if !plan.steps.is_empty() && !plan.refused() {
        s.push_str("SUCCESSES\n---------\n  Filesets listed in this section passed pre-installation verification\n  and will be installed.\n\n");
        if !selected.is_empty() {
            s.push_str("  Selected Filesets\n  -----------------\n");
            for st in &selected {
                let c = &media[st.candidate];
                s.push_str(&fileset_line(&c.name, &c.level, &c.description));
            }
            s.push('\n');
        }
        if !pulled.is_empty() {
            s.push_str("  Requisites\n  ----------\n  (being installed automatically; required by filesets listed above)\n");
            for st in &pulled {
                let c = &media[st.candidate];
                s.push_str(&fileset_line(&c.name, &c.level, &c.description));
            }
            s.push('\n');
        }
        s.push_str("  << End of Success Section >>\n\n");
    }
    let already: Vec<&Failure> =
        plan.failures.iter().filter(|f| matches!(f, Failure::AlreadyInstalled { .. })).collect();
    let failures: Vec<&Failure> =
        plan.failures.iter().filter(|f| !matches!(f, Failure::AlreadyInstalled { .. })).collect();
    if !already.is_empty() {
        s.push_str("WARNINGS\n--------\n  Problems described in this section are not likely to be the source of any\n  immediate or serious failures, but further actions may be necessary or\n  desired.\n\n");
        s.push_str("  Already Installed\n  -----------------\n  The following filesets, or newer versions, are already installed and committed\n  (or applied) on the system; they will not be installed again.\n\n");
        for f in &already {
            if let Failure::AlreadyInstalled { name, level, installed } = f {
                let _ = writeln!(s, "  {:<45}# Already installed at {installed}", format!("{name} {level}"));
            }
        }
        s.push_str("\n  << End of Warning Section >>\n\n");
    }
    if !failures.is_empty() {
        s.push_str("FAILURES\n--------\n  Filesets listed in this section failed pre-installation verification\n  and will not be installed.\n\n");
        let desc = |name: &str| {
            media.iter().find(|c| c.name == name).map(|c| c.description.clone()).unwrap_or_default()
        };
        let reqs: Vec<_> = failures.iter().filter(|f| matches!(f, Failure::Requisites { .. })).collect();
        if !reqs.is_empty() {
            s.push_str("  Requisite Failures\n  ------------------\n  SELECTED FILESETS:  The following is a list of filesets that you asked to\n  install.  They cannot be installed until all of their requisite filesets\n  are also installed.  See subsequent lists for details of requisites.\n\n");
            let mut missing = Vec::new();
            for f in &reqs {
                if let Failure::Requisites { name, level, missing: m } = f {
                    let _ = write!(s, "  {}", fileset_line(name, level, &desc(name)));
                    for r in m {
                        if !missing.contains(r) {
                            missing.push(r.clone());
                        }
                    }
                }
            }
            s.push_str("\n  MISSING REQUISITES:  The following filesets are required by one or more\n  of the selected filesets listed above.  They are not currently installed\n  and could not be found on the installation media.\n\n");
            for r in &missing {
                let lvl = r.level.to_string();
                let head = if lvl.is_empty() { r.fileset.clone() } else { format!("{} {lvl}", r.fileset) };
                let d = desc(&r.fileset);
                let kind = r.kind.keyword().trim_start_matches('*');
                let note = if d.is_empty() { format!("({kind})") } else { format!("{d} ({kind})") };
                let _ = writeln!(s, "    {head:<43}# {note}");
            }
            s.push('\n');
        }
        let not_found: Vec<_> = failures
            .iter()
            .filter_map(|f| match f {
                Failure::NotFound(w) => Some(w),
                _ => None,
            })
            .collect();
        if !not_found.is_empty() {
            s.push_str("  Not Found on Installation Media\n  -------------------------------\n  The following filesets could not be found on the installation media.\n  If you feel these filesets really are on the media, check for typographical\n  errors in the name specified or, if installing from directory, try removing\n  the .toc file and then retry the installation.\n\n");
            for w in not_found {
                match &w.level {
                    Some(l) => {
                        let _ = writeln!(s, "    {} {l}", w.name);
                    }
                    None => {
                        let _ = writeln!(s, "    {}", w.name);
                    }
                }
            }
            s.push('\n');
        }
        let bases: Vec<_> = failures.iter().filter(|f| matches!(f, Failure::MissingBase { .. })).collect();
        if !bases.is_empty() {
            s.push_str("  Missing Base Levels\n  -------------------\n  The following updates cannot be installed because their base levels are\n  neither installed nor on the installation media.\n\n");
            for f in bases {
                if let Failure::MissingBase { name, level } = f {
                    let _ = write!(s, "  {}", fileset_line(name, level, &desc(name)));
                }
            }
            s.push('\n');
        }
        for f in &failures {
            if let Failure::Cycle(names) = f {
                let _ = writeln!(
                    s,
                    "  Requisite Cycle\n  ---------------\n  These filesets are prerequisites of each other, so no install order exists:\n    {}\n",
                    names.join(" ")
                );
            }
        }
        s.push_str("  << End of Failure Section >>\n\n");
    }
    s.push_str(&banner("BUILDDATE Verification ..."));
    s.push_str("Verifying build dates...done\n");
    let cycled: usize = failures
        .iter()
        .map(|f| match f {
            Failure::Cycle(names) => names.len(),
            _ => 1,
        })
        .sum();
    let asked = selected.len() + already.len() + cycled;
    let total = if plan.refused() { 0 } else { plan.steps.len() };
    s.push_str("FILESET STATISTICS \n------------------\n");
    let _ = writeln!(s, "{:>5}  Selected to be installed, of which:", asked.max(plan.steps.len()));
    if plan.refused() {
        let _ = writeln!(s, "{:>9}  FAILED pre-installation verification", failures.len());
    } else {
        let _ = writeln!(s, "{:>9}  Passed pre-installation verification", selected.len());
        if !pulled.is_empty() {
            let _ = writeln!(s, "{:>5}  Additional requisites to be automatically installed", pulled.len());
        }
    }
    if !already.is_empty() {
        let _ = writeln!(s, "{:>9}  Already installed (directly or via superseding filesets)", already.len());
    }
    let _ = writeln!(s, "  ----\n{total:>5}  Total to be installed\n");
    if !resources.is_empty() && !plan.refused() && total > 0 {
        s.push_str("RESOURCES\n---------\n  Estimated system resource requirements for filesets being installed:\n                (All sizes are in 512-byte blocks)\n");
        let _ = writeln!(s, "      {:<31}{:<25}Free Space", "Filesystem", "Needed Space");
        let (mut tn, mut tf) = (0u64, 0u64);
        for r in resources {
            let _ = writeln!(s, "      {:<27}{:>14}{:>23}", r.filesystem, r.needed, r.free);
            tn += r.needed;
            tf += r.free;
        }
        let _ = writeln!(s, "      {:<27}{:>14}{:>23}", "-----", "--------", "------");
        let _ = writeln!(s, "      {:<27}{:>14}{:>23}\n", "TOTAL:", tn, tf);
        s.push_str("  NOTE:  \"Needed Space\" values are calculated from data available prior\n  to installation.  These are the estimated resources required for the\n  entire operation.  Further resource checks will be made during\n  installation to verify that these initial estimates are sufficient.\n\n");
    }
    if preview {
        let _ = writeln!(
            s,
            "{}\nEnd of installp PREVIEW.  No apply operation has actually occurred.\n{}",
            &STARS[1..],
            &STARS[1..]
        );
    }
    s
}

/// `installp:  APPLYING software for:` (or COMMITTING / REJECTING) and the fileset lines.
pub fn operation(verb: &str, filesets: &[(String, Level)]) -> String {
    let mut s = format!("installp:  {verb} software for:\n");
    for (n, l) in filesets {
        let _ = writeln!(s, "        {n} {l}");
    }
    s.push('\n');
    s
}

/// The copyright notice block of one fileset.
pub(crate) fn copyright(fileset: &str, text: &str) -> String {
    format!(
        ". . . . . << Copyright notice for {fileset} >> . . . . . . .\n{}\n. . . . . << End of copyright notice for {fileset} >>. . . .\n",
        text.trim_end()
    )
}

/// `Finished processing all filesets.  (Total time:  N secs).`
pub fn finished(secs: u64) -> String {
    let t =
        if secs >= 60 { format!("{} mins {} secs", secs / 60, secs % 60) } else { format!("{secs} secs") };
    format!("Finished processing all filesets.  (Total time:  {t}).\n")
}

/// One row of the installation summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRow {
    /// Fileset.
    pub name: String,
    /// Level.
    pub level: Level,
    /// `USR`, `ROOT`, `SHARE`.
    pub part: &'static str,
    /// `APPLY`, `COMMIT`, `REJECT`.
    pub event: &'static str,
    /// `SUCCESS`, `FAILED`, ...
    pub result: &'static str,
}

/// The `Summaries:` banner and the Installation Summary table (columns 28/16/12/12, names cut at 27).
pub fn summary(rows: &[SummaryRow]) -> String {
    let mut s = banner("Summaries:");
    s.push_str("\nInstallation Summary\n--------------------\n");
    let _ = writeln!(s, "{:<28}{:<16}{:<12}{:<12}Result", "Name", "Level", "Part", "Event");
    s.push_str(&"-".repeat(79));
    s.push('\n');
    for r in rows {
        let name: String = r.name.chars().take(27).collect();
        let _ = writeln!(
            s,
            "{:<28}{:<16}{:<12}{:<12}{:<11}",
            name,
            r.level.to_string(),
            r.part,
            r.event,
            r.result
        );
    }
    s
}

/// `installp -ld DEVICE`: the filesets on the media (spec §9.8 \[R\] shape), one block per fileset with its
/// description on a `#` line.
pub fn list_media(images: &[super::image::Image]) -> String {
    let mut s = String::from(
        "  Fileset Name                Level                     I/U Q Content\n  \
         ====================================================================\n",
    );
    for img in images {
        let t = if img.lpp.is_update() { "S" } else { "I" };
        for f in &img.lpp.filesets {
            // A name longer than its column pushes the rest right by one blank, as lslpp does.
            let name = if f.name.len() >= 28 { format!("{} ", f.name) } else { f.name.clone() };
            let _ = writeln!(
                s,
                "  {:<28}{:<26}{:<4}{} {}\n  #   {}\n",
                name,
                f.level.to_string(),
                t,
                f.bosboot,
                f.content.parts_text(),
                f.description
            );
        }
    }
    s
}

/// `installp -Ld DEVICE`: `PACKAGE:FILESET:LEVEL:TYPE:BOSBOOT:CONTENT:DESCRIPTION` per fileset (the first
/// three fields as Puppet's parser reads them, spec §9.8).
pub fn list_media_colon(images: &[super::image::Image]) -> String {
    let mut s = String::from("#PACKAGE:FILESET:LEVEL:TYPE:BOSBOOT:CONTENT:DESCRIPTION\n");
    for img in images {
        for f in &img.lpp.filesets {
            let _ = writeln!(
                s,
                "{}:{}:{}:{}:{}:{}:{}",
                img.lpp.package,
                f.name,
                f.level,
                img.lpp.kind.code(),
                f.bosboot,
                f.content.code(),
                f.description
            );
        }
    }
    s
}

/// `installp -Ad DEVICE`: the fixes (APARs, technology-level and service-pack keywords) each fileset on the
/// media delivers, from the fix sections of the update images.
pub fn list_fixes(images: &[super::image::Image]) -> String {
    let mut s = String::new();
    for img in images {
        for f in img.lpp.filesets.iter().filter(|f| !f.fixes.is_empty()) {
            let _ = writeln!(s, "  {} {}", f.name, f.level);
            for x in &f.fixes {
                let _ = writeln!(s, "    {:<20}{}", x.keyword, x.abstract_text);
            }
        }
    }
    if s.is_empty() {
        s.push_str("  No fix information was found on the media.\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::installp::resolve::{resolve, Installed, ResolveOptions, Wanted};

    #[test]
    fn banners_and_summary_columns() {
        assert_eq!(
            banner("Summaries:"),
            format!("{RULE}\n                                Summaries:\n{RULE}\n")
        );
        let rows = [SummaryRow {
            name: "devices.fcp.disk.ibm.mpio.rte".into(),
            level: "3.1.0.0".parse().unwrap(),
            part: "USR",
            event: "APPLY",
            result: "SUCCESS",
        }];
        let t = summary(&rows);
        assert!(
            t.ends_with("devices.fcp.disk.ibm.mpio.r 3.1.0.0         USR         APPLY       SUCCESS    \n"),
            "{t}"
        );
        assert!(t.contains("\nName                        Level           Part        Event       Result\n"));
        assert_eq!(finished(124), "Finished processing all filesets.  (Total time:  2 mins 4 secs).\n");
    }

    #[test]
    fn preview_of_a_success_and_of_a_failure() {
        let c = Candidate {
            name: "ranch.apps.hog".into(),
            package: "ranch.apps".into(),
            level: "3.1.0.0".parse().unwrap(),
            update: false,
            description: "Hog Utilities".into(),
            requisites: vec![],
            fixes: vec![],
            image: 0,
        };
        let media = vec![c];
        let plan =
            resolve(&media, &Installed::new(), &[Wanted::name("ranch.apps.hog")], &ResolveOptions::default());
        let res = [Resource { filesystem: "/usr".into(), needed: 24024, free: 5421432 }];
        let t = verification(&plan, &media, &res, true);
        assert!(
            t.starts_with(&format!("{STARS}\ninstallp PREVIEW:  installation will not actually occur.\n"))
        );
        assert!(t.contains("  ranch.apps.hog 3.1.0.0                       # Hog Utilities\n"), "{t}");
        assert!(t.contains("    1  Selected to be installed, of which:\n        1  Passed pre-installation verification\n  ----\n    1  Total to be installed\n"), "{t}");
        assert!(
            t.contains("      /usr                                24024                5421432\n"),
            "{t}"
        );
        assert!(t.ends_with("End of installp PREVIEW.  No apply operation has actually occurred.\n******************************************************************************\n"));
        let plan = resolve(&media, &Installed::new(), &[Wanted::name("no.such")], &ResolveOptions::default());
        let t = verification(&plan, &media, &res, false);
        assert!(t.contains("  Not Found on Installation Media\n") && t.contains("    no.such\n"), "{t}");
        assert!(t.contains("    0  Total to be installed\n"), "{t}");
    }
}
