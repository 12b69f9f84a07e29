//! The views of the software inventory: `lslpp`, `oslevel` and `instfix` output (spec installp.md §9).
//!
//! Pure text rendering from a [`Swvpd`]; every layout is in this one module so it can be corrected from a
//! real transcript (§12 item 13). Layouts marked \[V\] in the spec are reproduced as given; the column
//! widths are \[R\]:
//!
//! * `lslpp -l`: name indented 2, the level right-justified to end at column 36 (a long name or level pushes
//!   it right, one blank at least), two blanks, the state in 11 columns, the description.
//! * `lslpp -h`: the level right-justified to end at column 24, then Action, Status and Date in 13 columns,
//!   Time in 12. Dates and times are printed in UTC (`MM/DD/YY`, `hh:mm:ss`): the model has no time zone.
//! * `lslpp -f`: `NAME LEVEL` then the paths at column 25; the level shown is the highest, the paths are the
//!   fileset's effective inventory in the part (each path once, as its highest level recorded it).
//! * `lslpp -w`: path in 44 columns after the indent, fileset in 22, type.
//!
//! Fix keywords (`instfix`, `oslevel`) consider only the filesets of a keyword that are installed \[R\]:
//! none installed → "No filesets which have fixes for K are currently installed."; all of those at or above
//! the level the keyword names → "All filesets for K were found."; otherwise "Not all filesets for K were
//! found.".

use std::fmt::Write as _;

use super::level::Level;
use super::swvpd::{FixRec, InvKind, Part, Swvpd};

/// A view that cannot show everything asked: the message for standard error, the exit code, and what was
/// shown before (standard output).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ViewError {
    /// What was printed for the names that were found.
    pub stdout: String,
    /// The message(s), one per line, in AIX's words.
    pub message: String,
    /// The exit code (1 like `lslpp`).
    pub exit_code: i32,
}

const RULE: &str = "  ----------------------------------------------------------------------------\n";

/// `*` and `?` shell patterns, as `lslpp` accepts for fileset names and paths.
fn glob(pat: &str, s: &str) -> bool {
    let (p, s): (Vec<char>, Vec<char>) = (pat.chars().collect(), s.chars().collect());
    let (mut pi, mut si, mut star, mut mark) = (0, 0, None, 0);
    while si < s.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The filesets selected by `names` (all when empty), sorted, and the messages for names that match none.
fn select(sw: &Swvpd, names: &[String]) -> (Vec<String>, Vec<String>) {
    let all = sw.fileset_names();
    if names.is_empty() {
        return (all, Vec::new());
    }
    let mut chosen = std::collections::BTreeSet::new();
    let mut missing = Vec::new();
    for n in names {
        let hits: Vec<&String> = all.iter().filter(|f| glob(n, f)).collect();
        if hits.is_empty() {
            missing.push(format!("lslpp: 0504-132  Fileset {n} not installed."));
        }
        chosen.extend(hits.into_iter().cloned());
    }
    (chosen.into_iter().collect(), missing)
}

/// The output, or the error carrying it when some names were not found.
fn finish(out: String, missing: Vec<String>) -> Result<String, ViewError> {
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(ViewError { stdout: out, message: missing.join("\n"), exit_code: 1 })
    }
}

/// `  NAME` and the level ending at column 36 (at least one blank between them).
fn name_level(name: &str, level: &str) -> String {
    let pad = 34usize.saturating_sub(name.len() + level.len()).max(1);
    format!("  {name}{:pad$}{level}", "")
}

/// Joins `Path:` blocks with a blank line between them.
fn blocks(head: &str, parts: Vec<(Part, String)>) -> String {
    let mut out = head.to_string();
    for (i, (part, body)) in parts.into_iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "Path: {}", part.repository());
        out.push_str(&body);
    }
    out
}

/// `lslpp -l [-a] [NAME...]`: per repository, each fileset's highest level (all levels with `-a`: the base
/// on the name's line, each update below it).
pub fn lslpp_l(sw: &Swvpd, names: &[String], all_levels: bool) -> Result<String, ViewError> {
    let (chosen, missing) = select(sw, names);
    if chosen.is_empty() {
        return finish(String::new(), missing);
    }
    let mut parts = Vec::new();
    for part in Part::ALL {
        let entries = sw.part_levels(part);
        let mut body = String::new();
        for f in &chosen {
            let mut mine: Vec<_> = entries.iter().filter(|e| &e.fileset == f).collect();
            if mine.is_empty() {
                continue;
            }
            mine.sort_by(|a, b| (a.update, &a.level).cmp(&(b.update, &b.level)));
            let shown: Vec<_> = if all_levels {
                mine
            } else {
                mine.iter().max_by(|a, b| a.level.cmp(&b.level)).into_iter().copied().collect()
            };
            for (i, e) in shown.iter().enumerate() {
                let name = if i == 0 { f.as_str() } else { "" };
                let _ = writeln!(
                    body,
                    "{}  {:<11}{}",
                    name_level(name, &e.level.to_string()),
                    e.state.name(),
                    e.description
                );
            }
        }
        if !body.is_empty() {
            parts.push((part, body));
        }
    }
    let head = format!("  Fileset                      Level  State      Description         \n{RULE}");
    finish(blocks(&head, parts), missing)
}

/// `lslpp -L [NAME...]`: one line per fileset, parts merged, with the state and type code legends.
pub fn lslpp_big_l(sw: &Swvpd, names: &[String]) -> Result<String, ViewError> {
    let (chosen, missing) = select(sw, names);
    if chosen.is_empty() {
        return finish(String::new(), missing);
    }
    let mut out =
        format!("  Fileset                      Level  State  Type  Description (Uninstaller)\n{RULE}");
    for i in chosen.iter().filter_map(|f| sw.installed(f)) {
        let _ = writeln!(
            out,
            "{}    {}     F    {}",
            name_level(&i.fileset, &i.level.to_string()),
            i.state.code(),
            i.description
        );
    }
    out.push_str(
        "\n\nState codes: \n A -- Applied. \n B -- Broken. \n C -- Committed. \n E -- EFIX Locked. \n \
         O -- Obsolete.  (partially migrated to newer version) \n ? -- Inconsistent State...Run lppchk -v. \n\n\
         Type codes: \n F -- Installp Fileset \n P -- Product \n C -- Component \n T -- Feature \n \
         R -- RPM Package \n E -- Interim Fix \n",
    );
    finish(out, missing)
}

/// `lslpp -Lc [NAME...]`: the colon form of `-L` that Puppet parses (`lslpp -qLc`: field 1 the package,
/// field 2 the fileset, field 3 the level), one line per fileset, parts merged; `-q` drops the header. The
/// fields after the description are \[R\] (spec §9.2): the ones the model has no value for stay empty.
pub fn lslpp_big_lc(sw: &Swvpd, names: &[String]) -> Result<String, ViewError> {
    let (chosen, missing) = select(sw, names);
    let mut out = String::from(
        "#Package Name:Fileset:Level:State:PTF Id:Fix State:Type:Description:Destination Dir.:Uninstaller:\
         Message Catalog:Message Set:Message Number:Parent:Automatic:EFIX Locked:Install Path:Build Date\n",
    );
    for i in chosen.iter().filter_map(|f| sw.installed(f)) {
        let _ = writeln!(
            out,
            "{}:{}:{}:{}:{}: :F:{}: : : : : : :0:0:/:",
            i.package,
            i.fileset,
            i.level,
            i.state.code(),
            i.level.ptf.as_deref().unwrap_or(""),
            i.description
        );
    }
    finish(out, missing)
}

/// `lslpp -lc [-a] [NAME...]`: the colon form ansible and Puppet parse, one line per fileset (or level) and
/// repository; the header line comes first (`-q` drops it).
pub fn lslpp_lc(sw: &Swvpd, names: &[String], all_levels: bool) -> Result<String, ViewError> {
    let (chosen, missing) = select(sw, names);
    let mut out = String::from("#Path:Fileset:Level:PTF Id:State:Type:Description:EFIX Locked\n");
    for part in Part::ALL {
        let entries = sw.part_levels(part);
        for f in &chosen {
            let mut mine: Vec<_> = entries.iter().filter(|e| &e.fileset == f).collect();
            mine.sort_by(|a, b| (a.update, &a.level).cmp(&(b.update, &b.level)));
            if !all_levels {
                mine = mine.iter().max_by(|a, b| a.level.cmp(&b.level)).into_iter().copied().collect();
            }
            for e in mine {
                let _ = writeln!(
                    out,
                    "{}:{}:{}:{}:{}:{}:{}:",
                    part.repository(),
                    e.fileset,
                    e.level,
                    e.level.ptf.as_deref().unwrap_or(""),
                    e.state.name(),
                    e.image_type,
                    e.description
                );
            }
        }
    }
    finish(out, missing)
}

/// Civil date and time (UTC) of seconds since the epoch.
fn utc(t: i64) -> (i64, u32, u32, u32, u32, u32) {
    let c = crate::clock::civil(t);
    (c.year, c.month, c.day, c.hour, c.minute, c.second)
}

/// `MM/DD/YY` and `hh:mm:ss` in UTC, as `lslpp -h` prints them.
pub fn date_time(t: i64) -> (String, String) {
    let (y, mo, d, h, mi, s) = utc(t);
    (format!("{mo:02}/{d:02}/{:02}", y.rem_euclid(100)), format!("{h:02}:{mi:02}:{s:02}"))
}

/// `lslpp -h [NAME...]`: the history of each fileset, per repository.
pub fn lslpp_h(sw: &Swvpd, names: &[String]) -> Result<String, ViewError> {
    let (chosen, missing) = select(sw, names);
    if chosen.is_empty() {
        return finish(String::new(), missing);
    }
    let mut parts = Vec::new();
    for part in Part::ALL {
        let mut body = String::new();
        for f in &chosen {
            let h = sw.part_history(part, f);
            if h.is_empty() {
                continue;
            }
            let _ = writeln!(body, "  {f}");
            for e in h {
                let (date, time) = date_time(e.time);
                let status = if e.complete { "COMPLETE" } else { "BROKEN" };
                let _ = writeln!(
                    body,
                    "{:>24}  {:<13}{:<13}{:<13}{:<12}",
                    e.level.to_string(),
                    e.event.name(),
                    status,
                    date,
                    time
                );
            }
        }
        if !body.is_empty() {
            parts.push((part, body));
        }
    }
    let head =
        format!("  Fileset         Level     Action       Status       Date         Time        \n{RULE}");
    finish(blocks(&head, parts), missing)
}

/// `lslpp -f [NAME...]`: the files of each fileset, per repository (symlinks as `PATH -> TARGET`, hard links
/// on their own lines after their file).
pub fn lslpp_f(sw: &Swvpd, names: &[String]) -> Result<String, ViewError> {
    let (chosen, missing) = select(sw, names);
    if chosen.is_empty() {
        return finish(String::new(), missing);
    }
    let mut parts = Vec::new();
    for part in Part::ALL {
        let levels = sw.part_levels(part);
        let mut body = String::new();
        for f in &chosen {
            let items = sw.effective_files(part, f);
            let Some(level) = levels.iter().filter(|e| &e.fileset == f).map(|e| &e.level).max() else {
                continue;
            };
            if items.is_empty() {
                continue;
            }
            let mut lines = Vec::new();
            for it in items {
                match (&it.kind, &it.target) {
                    (InvKind::Symlink, Some(t)) => lines.push(format!("{} -> {t}", it.path)),
                    _ => lines.push(it.path.clone()),
                }
                lines.extend(it.links.iter().cloned());
            }
            let head = format!("  {f} {level}");
            for (i, l) in lines.iter().enumerate() {
                let lead = if i == 0 { head.as_str() } else { "" };
                let pad = 24usize.saturating_sub(lead.len()).max(if i == 0 { 1 } else { 0 });
                let _ = writeln!(body, "{lead}{:pad$}{l}", "");
            }
        }
        if !body.is_empty() {
            parts.push((part, body));
        }
    }
    let head = format!("  Fileset               File\n{RULE}");
    finish(blocks(&head, parts), missing)
}

/// `lslpp -w PATH...`: the fileset owning each path (`*` and `?` patterns allowed). A path nobody owns is
/// reported as `lslpp: 0504-132  File PATH not installed.` \[I\].
pub fn lslpp_w(sw: &Swvpd, paths: &[String]) -> Result<String, ViewError> {
    let all = sw.all_paths();
    let mut out = format!("  File                                        Fileset               Type\n{RULE}");
    let mut missing = Vec::new();
    for p in paths {
        let mut hits: Vec<&(String, String, InvKind)> =
            all.iter().filter(|(path, _, _)| glob(p, path)).collect();
        hits.sort_by(|a, b| a.0.cmp(&b.0));
        hits.dedup_by(|a, b| a.0 == b.0);
        if hits.is_empty() {
            missing.push(format!("lslpp: 0504-132  File {p} not installed."));
        }
        for (path, fileset, kind) in hits {
            let pad = 44usize.saturating_sub(path.len()).max(1);
            let _ = writeln!(out, "  {path}{:pad$}{fileset:<22}{}", "", kind.name());
        }
    }
    finish(out, missing)
}

/// How completely a keyword's filesets are installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixState {
    /// Every installed fileset of the keyword is at or above its level.
    All,
    /// Some installed fileset is below its level.
    NotAll,
    /// None of its filesets is installed.
    NoneInstalled,
}

/// The state of one keyword against the installed levels.
pub(crate) fn fix_state(sw: &Swvpd, fix: &FixRec) -> FixState {
    let mut any = false;
    let mut all = true;
    for (f, req) in &fix.filesets {
        if let Some(i) = sw.installed(f) {
            any = true;
            all &= i.level >= *req;
        }
    }
    match (any, all) {
        (false, _) => FixState::NoneInstalled,
        (true, true) => FixState::All,
        (true, false) => FixState::NotAll,
    }
}

fn summary_line(sw: &Swvpd, fix: &FixRec) -> String {
    match fix_state(sw, fix) {
        FixState::All => format!("    All filesets for {} were found.\n", fix.name),
        FixState::NotAll => format!("    Not all filesets for {} were found.\n", fix.name),
        FixState::NoneInstalled => {
            format!("    No filesets which have fixes for {} are currently installed.\n", fix.name)
        }
    }
}

/// `instfix -ik KEYWORD` (`-ivk` with `verbose`: the abstract and each fileset first, \[R\] layout).
pub fn instfix_ik(sw: &Swvpd, keyword: &str, verbose: bool) -> String {
    let Some(fix) = sw.fixes().into_iter().find(|f| f.name == keyword) else {
        return format!("    There was no data for {keyword} in the fix database.\n");
    };
    let mut out = String::new();
    if verbose {
        let _ = writeln!(out, "{} Abstract: {}\n", fix.name, fix.abstract_text);
        for (f, req) in &fix.filesets {
            let ok = sw.installed(f).is_some_and(|i| i.level >= *req);
            let what = if ok { "is applied on the system." } else { "is not applied on the system." };
            let _ = writeln!(out, "{} Fileset {f}:{req} {what}", fix.name);
        }
    }
    out.push_str(&summary_line(sw, &fix));
    out
}

/// `instfix -i`: one summary line per keyword of the fix database, sorted.
pub fn instfix_i(sw: &Swvpd) -> String {
    sw.fixes().iter().map(|f| summary_line(sw, f)).collect()
}

/// `instfix -icq [-k "K1 K2"]`: `Keyword:Fileset:ReqLevel:InstLevel:Status:Abstract`, Status `-` down
/// level, `=` at the level, `+` above it (superseded), `!` not installed (InstLevel then empty).
pub fn instfix_icq(sw: &Swvpd, keywords: Option<&[String]>) -> String {
    let mut out = String::new();
    for fix in sw.fixes() {
        if keywords.is_some_and(|k| !k.contains(&fix.name)) {
            continue;
        }
        for (f, req) in &fix.filesets {
            let inst = sw.installed(f).map(|i| i.level);
            let status = match &inst {
                None => '!',
                Some(l) if l < req => '-',
                Some(l) if l == req => '=',
                Some(_) => '+',
            };
            let inst = inst.map(|l| l.to_string()).unwrap_or_default();
            let _ = writeln!(out, "{}:{f}:{req}:{inst}:{status}:{}", fix.name, fix.abstract_text);
        }
    }
    out
}

/// `VVRR-TL` of a `VVRR-TL_AIX_ML` keyword, as numbers for ordering.
fn ml_key(name: &str) -> Option<(u32, u32)> {
    let s = name.strip_suffix("_AIX_ML")?;
    let (vr, tl) = s.split_once('-')?;
    if vr.len() != 4 || tl.len() != 2 {
        return None;
    }
    Some((vr.parse().ok()?, tl.parse().ok()?))
}

/// `VVRR-TL-SP-YYWW` of a `..._SP` keyword, as numbers for ordering.
fn sp_key(name: &str) -> Option<(u32, u32, u32, u32)> {
    let s = name.strip_suffix("_SP")?;
    let f: Vec<&str> = s.split('-').collect();
    if f.len() != 4 || f[0].len() != 4 || f[1].len() != 2 || f[2].len() != 2 || f[3].len() != 4 {
        return None;
    }
    Some((f[0].parse().ok()?, f[1].parse().ok()?, f[2].parse().ok()?, f[3].parse().ok()?))
}

/// The highest keyword (by `key`) whose filesets are all found.
fn best<K: Ord>(sw: &Swvpd, key: impl Fn(&str) -> Option<K>) -> Option<String> {
    sw.fixes()
        .into_iter()
        .filter_map(|f| key(&f.name).map(|k| (k, f)))
        .filter(|(_, f)| fix_state(sw, f) == FixState::All)
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, f)| f.name)
}

fn bos_vr(sw: &Swvpd) -> (u32, u32) {
    sw.installed("bos.rte").map_or((0, 0), |i| (i.level.v, i.level.r))
}

/// `oslevel`: the highest `V.R.M.F_AIX_ML` keyword all found; \[I\] else `V.R.0.0` of bos.rte (`0.0.0.0`
/// without bos.rte).
pub fn oslevel(sw: &Swvpd) -> String {
    let key = |n: &str| n.strip_suffix("_AIX_ML").and_then(|l| l.parse::<Level>().ok());
    best(sw, key).and_then(|n| n.strip_suffix("_AIX_ML").map(str::to_string)).unwrap_or_else(|| {
        let (v, r) = bos_vr(sw);
        format!("{v}.{r}.0.0")
    })
}

/// `oslevel -r`: the highest `VVRR-TL_AIX_ML` keyword all found; \[I\] else `VVRR-00` from bos.rte.
pub fn oslevel_r(sw: &Swvpd) -> String {
    best(sw, ml_key).and_then(|n| n.strip_suffix("_AIX_ML").map(str::to_string)).unwrap_or_else(|| {
        let (v, r) = bos_vr(sw);
        format!("{v}{r}00-00")
    })
}

/// `oslevel -s`: the highest `VVRR-TL-SP-YYWW_SP` keyword all found; \[I\] else the `oslevel -r` level
/// followed by `-00-0000` (so `VVRR-00-00-0000` when no level keyword is found either).
pub fn oslevel_s(sw: &Swvpd) -> String {
    best(sw, sp_key)
        .and_then(|n| n.strip_suffix("_SP").map(str::to_string))
        .unwrap_or_else(|| format!("{}-00-0000", oslevel_r(sw)))
}

/// `oslevel -rl VVRR-TL`: the installed filesets below the levels the technology level keyword names
/// (`Fileset  Actual Level  Recommended ML`, \[R\] widths); nothing when none is below. A level that is not
/// in the fix database is an error \[I\].
pub fn oslevel_rl(sw: &Swvpd, tl: &str) -> Result<String, ViewError> {
    let name = format!("{tl}_AIX_ML");
    let Some(fix) = sw.fixes().into_iter().find(|f| f.name == name) else {
        return Err(ViewError {
            stdout: String::new(),
            message: format!("oslevel: The technology level {tl} is not in the fix database."),
            exit_code: 1,
        });
    };
    let mut rows = String::new();
    let mut below: Vec<(&String, Level, &Level)> = fix
        .filesets
        .iter()
        .filter_map(|(f, req)| sw.installed(f).filter(|i| i.level < *req).map(|i| (f, i.level, req)))
        .collect();
    below.sort_by(|a, b| a.0.cmp(b.0));
    for (f, have, req) in below {
        let _ = writeln!(rows, "{f:<40}{:<19}{req}", have.to_string());
    }
    if rows.is_empty() {
        return Ok(String::new());
    }
    Ok(format!(
        "Fileset                                 Actual Level       Recommended ML\n{}\n{rows}",
        "-".repeat(77)
    ))
}

#[cfg(test)]
mod tests {
    use super::super::swvpd::{InstallRecord, InvItem, State};
    use super::*;

    fn lv(s: &str) -> Level {
        s.parse().unwrap()
    }

    fn rec(fileset: &str, level: &str, state: State, part: Part, paths: &[&str], time: i64) -> InstallRecord {
        let level = lv(level);
        let update = level.f != 0;
        InstallRecord {
            fileset: fileset.into(),
            package: fileset.split('.').next().unwrap_or_default().into(),
            update,
            image_type: if update { 'S' } else { 'I' },
            level,
            description: if fileset == "bos.rte" { "Base Operating System Runtime" } else { "Hog Utilities" }
                .into(),
            state,
            prereq: String::new(),
            supersedes: String::new(),
            fixes: vec![],
            comp_id: String::new(),
            part,
            items: paths
                .iter()
                .map(|p| match p.split_once(" -> ") {
                    Some((l, t)) => InvItem {
                        path: l.into(),
                        kind: InvKind::Symlink,
                        size: 0,
                        checksum: 0,
                        target: Some(t.into()),
                        links: vec![],
                    },
                    None => InvItem {
                        path: p.to_string(),
                        kind: InvKind::File,
                        size: 1,
                        checksum: 1,
                        target: None,
                        links: vec![],
                    },
                })
                .collect(),
            time,
            login: "root".into(),
        }
    }

    /// 2026-04-15 08:00:00 UTC and 2026-05-04 10:00:00 UTC.
    const T1: i64 = 1_776_240_000;
    const T2: i64 = 1_777_888_800;

    fn small() -> Swvpd {
        let mut s = Swvpd::empty(std::path::Path::new("/nonexistent"));
        s.record(rec("bos.rte", "7.2.5.0", State::Committed, Part::Usr, &["/usr/bin/ls"], T1));
        s.record(rec("bos.rte", "7.2.5.0", State::Committed, Part::Root, &["/etc/inittab"], T1));
        s.record(rec(
            "ranch.apps.hog",
            "3.1.0.0",
            State::Committed,
            Part::Usr,
            &["/usr/lib/ranch", "/usr/bin/hog", "/usr/bin/hogstat -> /usr/bin/hog"],
            T1,
        ));
        s.record(rec("ranch.apps.hog", "3.1.0.2", State::Applied, Part::Usr, &["/usr/bin/hog"], T2));
        s
    }

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn dates_are_utc() {
        assert_eq!(date_time(T1), ("04/15/26".to_string(), "08:00:00".to_string()));
        assert_eq!(date_time(T2), ("05/04/26".to_string(), "10:00:00".to_string()));
        assert_eq!(date_time(0), ("01/01/70".to_string(), "00:00:00".to_string()));
        assert_eq!(date_time(951_782_400), ("02/29/00".to_string(), "00:00:00".to_string()));
    }

    #[test]
    fn globbing() {
        assert!(glob("bos.*", "bos.rte"));
        assert!(glob("*hog*", "/usr/bin/hogstat"));
        assert!(glob("bos.rt?", "bos.rte"));
        assert!(!glob("bos.*", "xlC.rte"));
        assert!(glob("bos.rte", "bos.rte"));
        assert!(!glob("bos.rte", "bos.rte.libc"));
    }

    #[test]
    fn lslpp_l_layout() {
        let s = small();
        let expect = "  Fileset                      Level  State      Description         
  ----------------------------------------------------------------------------
Path: /usr/lib/objrepos
  bos.rte                    7.2.5.0  COMMITTED  Base Operating System Runtime
  ranch.apps.hog             3.1.0.2  APPLIED    Hog Utilities

Path: /etc/objrepos
  bos.rte                    7.2.5.0  COMMITTED  Base Operating System Runtime\n";
        assert_eq!(lslpp_l(&s, &[], false).unwrap(), expect);
        let expect_a = "  Fileset                      Level  State      Description         
  ----------------------------------------------------------------------------
Path: /usr/lib/objrepos
  ranch.apps.hog             3.1.0.0  COMMITTED  Hog Utilities
                             3.1.0.2  APPLIED    Hog Utilities\n";
        assert_eq!(lslpp_l(&s, &names(&["ranch.*"]), true).unwrap(), expect_a);
        let e = lslpp_l(&s, &names(&["bos.rte", "nope"]), false).unwrap_err();
        assert_eq!(e.message, "lslpp: 0504-132  Fileset nope not installed.");
        assert_eq!(e.exit_code, 1);
        assert!(e.stdout.contains("Path: /etc/objrepos\n  bos.rte "));
        let e = lslpp_l(&s, &names(&["nope"]), false).unwrap_err();
        assert_eq!(e.stdout, "");
        // A long name pushes the level right by one blank.
        assert_eq!(
            name_level("devices.common.IBM.ethernet.rte", "7.2.4.0"),
            "  devices.common.IBM.ethernet.rte 7.2.4.0"
        );
        assert_eq!(name_level("openssh.base.client", "7.5.102.1800"), "  openssh.base.client   7.5.102.1800");
    }

    #[test]
    fn lslpp_big_l_layout() {
        let s = small();
        let expect = "  Fileset                      Level  State  Type  Description (Uninstaller)
  ----------------------------------------------------------------------------
  bos.rte                    7.2.5.0    C     F    Base Operating System Runtime
  ranch.apps.hog             3.1.0.2    A     F    Hog Utilities


State codes: \n A -- Applied. \n B -- Broken. \n C -- Committed. \n E -- EFIX Locked. \n \
O -- Obsolete.  (partially migrated to newer version) \n ? -- Inconsistent State...Run lppchk -v. 

Type codes: \n F -- Installp Fileset \n P -- Product \n C -- Component \n T -- Feature \n R -- RPM Package \n \
E -- Interim Fix \n";
        assert_eq!(lslpp_big_l(&s, &[]).unwrap(), expect);
    }

    #[test]
    fn lslpp_lc_layout() {
        let s = small();
        let expect = "#Path:Fileset:Level:PTF Id:State:Type:Description:EFIX Locked
/usr/lib/objrepos:bos.rte:7.2.5.0::COMMITTED:I:Base Operating System Runtime:
/usr/lib/objrepos:ranch.apps.hog:3.1.0.2::APPLIED:S:Hog Utilities:
/etc/objrepos:bos.rte:7.2.5.0::COMMITTED:I:Base Operating System Runtime:\n";
        assert_eq!(lslpp_lc(&s, &[], false).unwrap(), expect);
        assert_eq!(lslpp_lc(&s, &names(&["ranch.apps.hog"]), true).unwrap().lines().count(), 3);
    }

    #[test]
    fn lslpp_h_layout() {
        let s = small();
        let expect = "  Fileset         Level     Action       Status       Date         Time        
  ----------------------------------------------------------------------------
Path: /usr/lib/objrepos
  ranch.apps.hog
                 3.1.0.0  COMMIT       COMPLETE     04/15/26     08:00:00    
                 3.1.0.2  APPLY        COMPLETE     05/04/26     10:00:00    \n";
        assert_eq!(lslpp_h(&s, &names(&["ranch.apps.hog"])).unwrap(), expect);
        let all = lslpp_h(&s, &[]).unwrap();
        assert!(all.contains("\nPath: /etc/objrepos\n  bos.rte\n                 7.2.5.0  COMMIT "), "{all}");
    }

    #[test]
    fn lslpp_f_layout() {
        let s = small();
        let expect = "  Fileset               File
  ----------------------------------------------------------------------------
Path: /usr/lib/objrepos
  bos.rte 7.2.5.0       /usr/bin/ls
  ranch.apps.hog 3.1.0.2\x20/usr/lib/ranch
                        /usr/bin/hog
                        /usr/bin/hogstat -> /usr/bin/hog

Path: /etc/objrepos
  bos.rte 7.2.5.0       /etc/inittab\n";
        assert_eq!(lslpp_f(&s, &[]).unwrap(), expect);
    }

    #[test]
    fn lslpp_w_layout() {
        let s = small();
        let expect = "  File                                        Fileset               Type
  ----------------------------------------------------------------------------
  /usr/bin/hog                                ranch.apps.hog        File
  /usr/bin/hogstat                            ranch.apps.hog        Symlink
  /etc/inittab                                bos.rte               File\n";
        assert_eq!(lslpp_w(&s, &names(&["/usr/bin/hog*", "/etc/inittab"])).unwrap(), expect);
        let e = lslpp_w(&s, &names(&["/nope"])).unwrap_err();
        assert_eq!(e.message, "lslpp: 0504-132  File /nope not installed.");
    }

    fn with_fixes(mut s: Swvpd) -> Swvpd {
        let fx = |name: &str, abs: &str, list: &[(&str, &str)]| FixRec {
            name: name.into(),
            abstract_text: abs.into(),
            kind: FixRec::kind_of(name),
            filesets: list.iter().map(|(f, l)| (f.to_string(), lv(l))).collect(),
        };
        s.add_fix(fx("7.2.0.0_AIX_ML", "AIX 7.2 base level", &[("bos.rte", "7.2.0.0")]));
        s.add_fix(fx("7200-04_AIX_ML", "TL4", &[("bos.rte", "7.2.4.0"), ("ranch.apps.hog", "3.1.0.0")]));
        s.add_fix(fx("7200-05_AIX_ML", "TL5", &[("bos.rte", "7.2.5.0"), ("ranch.apps.hog", "3.1.0.2")]));
        s.add_fix(fx("7200-06_AIX_ML", "TL6", &[("bos.rte", "7.2.6.0"), ("not.here", "1.0.0.0")]));
        s.add_fix(fx("7200-05-01-2038_SP", "SP1", &[("bos.rte", "7.2.5.0")]));
        s.add_fix(fx("7200-05-02-2114_SP", "SP2", &[("bos.rte", "7.2.5.1")]));
        s.add_fix(fx("IV1", "HOG BITES", &[("ranch.apps.hog", "3.1.0.1"), ("not.here", "1.0.0.1")]));
        s.add_fix(fx("IV2", "PIG FLIES", &[("not.here", "1.0.0.1")]));
        s
    }

    #[test]
    fn oslevel_all_found_not_all_and_fallback() {
        let s = small();
        assert_eq!(oslevel(&s), "7.2.0.0");
        assert_eq!(oslevel_r(&s), "7200-00");
        assert_eq!(oslevel_s(&s), "7200-00-00-0000");
        let s = with_fixes(s);
        assert_eq!(oslevel(&s), "7.2.0.0");
        assert_eq!(oslevel_r(&s), "7200-05");
        assert_eq!(oslevel_s(&s), "7200-05-01-2038");
        assert_eq!(
            oslevel_rl(&s, "7200-06").unwrap(),
            format!(
                "Fileset                                 Actual Level       Recommended ML\n{}
bos.rte                                 7.2.5.0            7.2.6.0\n",
                "-".repeat(77)
            )
        );
        assert_eq!(oslevel_rl(&s, "7200-05").unwrap(), "");
        assert_eq!(oslevel_rl(&s, "7200-09").unwrap_err().exit_code, 1);
        // Only the ML without an SP found.
        let mut only_ml = small();
        only_ml.add_fix(FixRec {
            name: "7200-05_AIX_ML".into(),
            abstract_text: String::new(),
            kind: 'm',
            filesets: vec![("bos.rte".into(), lv("7.2.5.0"))],
        });
        assert_eq!(oslevel_s(&only_ml), "7200-05-00-0000");
        assert_eq!(oslevel(&Swvpd::empty(std::path::Path::new("/x"))), "0.0.0.0");
    }

    #[test]
    fn instfix_wordings() {
        let s = with_fixes(small());
        assert_eq!(instfix_ik(&s, "IV1", false), "    All filesets for IV1 were found.\n");
        assert_eq!(
            instfix_ik(&s, "7200-06_AIX_ML", false),
            "    Not all filesets for 7200-06_AIX_ML were found.\n"
        );
        assert_eq!(
            instfix_ik(&s, "IV2", false),
            "    No filesets which have fixes for IV2 are currently installed.\n"
        );
        assert_eq!(instfix_ik(&s, "IV9", false), "    There was no data for IV9 in the fix database.\n");
        assert_eq!(
            instfix_ik(&s, "IV1", true),
            "IV1 Abstract: HOG BITES\n
IV1 Fileset ranch.apps.hog:3.1.0.1 is applied on the system.
IV1 Fileset not.here:1.0.0.1 is not applied on the system.
    All filesets for IV1 were found.\n"
        );
        assert_eq!(
            instfix_i(&s),
            "    All filesets for 7.2.0.0_AIX_ML were found.
    All filesets for 7200-04_AIX_ML were found.
    All filesets for 7200-05-01-2038_SP were found.
    Not all filesets for 7200-05-02-2114_SP were found.
    All filesets for 7200-05_AIX_ML were found.
    Not all filesets for 7200-06_AIX_ML were found.
    All filesets for IV1 were found.
    No filesets which have fixes for IV2 are currently installed.\n"
        );
        assert_eq!(
            instfix_icq(&s, Some(&names(&["IV1", "7200-05_AIX_ML", "7200-05-02-2114_SP"]))),
            "7200-05-02-2114_SP:bos.rte:7.2.5.1:7.2.5.0:-:SP2
7200-05_AIX_ML:bos.rte:7.2.5.0:7.2.5.0:=:TL5
7200-05_AIX_ML:ranch.apps.hog:3.1.0.2:3.1.0.2:=:TL5
IV1:ranch.apps.hog:3.1.0.1:3.1.0.2:+:HOG BITES
IV1:not.here:1.0.0.1::!:HOG BITES\n"
        );
    }
}
