//! Selection and requisite resolution: which filesets of an image location get installed, in which order,
//! and why the others do not (spec installp.md §7.1, §7.4, §7.5).
//!
//! The input is plain data (what is on the media, what the target tree has installed, what was asked), so
//! the rules can be tested without images or trees. Nothing here writes: a [`Plan`] with failures refuses the
//! whole install before a byte is written (issue 10 §2: "anything unresolvable refuses the install").

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::level::{Level, LevelReq, ReqExpr, ReqKind, Requisite};

/// One installable fileset level found on the media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Fileset name.
    pub name: String,
    /// Package (the `usr/lpp/PKG` name).
    pub package: String,
    /// Level.
    pub level: Level,
    /// True for an update image (lpp_name type other than `I`).
    pub update: bool,
    /// Description, for the reports.
    pub description: String,
    /// The requisite section.
    pub requisites: Vec<ReqExpr>,
    /// Fix keywords delivered (APARs, `_ML`, `_SP`).
    pub fixes: Vec<String>,
    /// Which image it comes from (index into the caller's list), for the apply step.
    pub image: usize,
}

/// What the target has installed: the highest level of each fileset.
pub type Installed = BTreeMap<String, Level>;

/// One thing asked for: a fileset or package name, optionally with a level (`bos.rte 7.2.5.0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    /// Fileset name, package name, or `all`.
    pub name: String,
    /// An exact level, when given.
    pub level: Option<Level>,
}

impl Wanted {
    /// A name without a level.
    pub fn name(n: impl Into<String>) -> Wanted {
        Wanted { name: n.into(), level: None }
    }
}

/// The options that change resolution (`installp -g`, `-F`, `-B`, `-I`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResolveOptions {
    /// `-g`: pull requisites from the media automatically (never `*instreq` ones).
    pub auto_requisites: bool,
    /// `-F`: reinstall a base level that is already installed.
    pub force: bool,
    /// `-B`: consider updates only.
    pub updates_only: bool,
    /// `-I`: consider base levels only.
    pub bases_only: bool,
}

/// Why a selected fileset is not installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Nothing on the media has that name (or level).
    NotFound(Wanted),
    /// The fileset (or a newer level) is already installed: skipped, not an error.
    AlreadyInstalled {
        /// Fileset.
        name: String,
        /// The level asked for.
        level: Level,
        /// The level installed.
        installed: Level,
    },
    /// An update whose base level is neither installed nor on the media.
    MissingBase {
        /// The update.
        name: String,
        /// Its level.
        level: Level,
    },
    /// Requisites that are not installed and could not be found (or pulled without `-g`).
    Requisites {
        /// The fileset that needs them.
        name: String,
        /// Its level.
        level: Level,
        /// What is missing.
        missing: Vec<Requisite>,
    },
    /// Prerequisites that require each other: no order exists.
    Cycle(Vec<String>),
}

/// One fileset level to install, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Index into the media list given to [`resolve`].
    pub candidate: usize,
    /// Pulled in as a requisite (`-g`), not asked for.
    pub requisite: bool,
}

/// The result of [`resolve`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// What will be installed, in install order (requisites and base levels first).
    pub steps: Vec<Step>,
    /// Everything that failed verification. Only [`Failure::AlreadyInstalled`] entries leave the plan usable.
    pub failures: Vec<Failure>,
}

impl Plan {
    /// True when verification failed: something is unresolvable, so nothing may be installed.
    pub fn refused(&self) -> bool {
        self.failures.iter().any(|f| !matches!(f, Failure::AlreadyInstalled { .. }))
    }
}

/// Resolves `wanted` against `media` and `installed` (spec §7.5):
///
/// 1. each name selects a fileset (or every fileset of a package, or everything with `all`): the base level
///    when the fileset is not installed (or `-F`), and the newest update on the media above what will be
///    there (a newer update supersedes older ones, §7.4); a name with a level selects exactly that level;
/// 2. an update needs its base level (`V.R.0.0` or any installed level of the same `V.R`) installed or
///    selected, otherwise "Missing Base Levels";
/// 3. `*prereq`/`*coreq` must be met by what is installed or selected; `*ifreq` only when the fileset is
///    installed or selected; `*instreq` only by what is installed or explicitly asked for. With `-g` the
///    missing ones (except `*instreq`) are pulled from the media, recursively; groups `N { }` pull members in
///    order until more than N hold;
/// 4. the order is topological over prerequisites and base-before-update, ties in media order; a prereq
///    cycle is a failure.
pub fn resolve(media: &[Candidate], installed: &Installed, wanted: &[Wanted], o: &ResolveOptions) -> Plan {
    let mut r = Resolver {
        media,
        installed,
        o,
        chosen: BTreeMap::new(),
        explicit: BTreeSet::new(),
        failures: vec![],
    };
    for w in wanted {
        r.want(w);
    }
    // Requisites, until nothing more is pulled in.
    let mut checked: BTreeSet<usize> = BTreeSet::new();
    loop {
        let pending: Vec<usize> = r.chosen.keys().copied().filter(|i| !checked.contains(i)).collect();
        if pending.is_empty() {
            break;
        }
        for i in pending {
            checked.insert(i);
            r.pull_requisites(i);
        }
    }
    // Final check with everything chosen; a failed fileset also fails what needs it.
    let mut failed: BTreeSet<usize> = BTreeSet::new();
    loop {
        let mut changed = false;
        for &i in r.chosen.keys() {
            if failed.contains(&i) {
                continue;
            }
            let c = &media[i];
            let missing = r.missing(i, &failed);
            let base_ok = !c.update || r.base_available(c, &failed);
            if !base_ok {
                r.failures.push(Failure::MissingBase { name: c.name.clone(), level: c.level.clone() });
                failed.insert(i);
                changed = true;
            } else if !missing.is_empty() {
                r.failures.push(Failure::Requisites {
                    name: c.name.clone(),
                    level: c.level.clone(),
                    missing,
                });
                failed.insert(i);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let keep: Vec<usize> = r.chosen.keys().copied().filter(|i| !failed.contains(i)).collect();
    let steps = match order(media, &keep) {
        Ok(ix) => ix
            .into_iter()
            .map(|i| Step { candidate: i, requisite: r.chosen.get(&i) == Some(&true) })
            .collect(),
        Err(cycle) => {
            r.failures.push(Failure::Cycle(cycle));
            Vec::new()
        }
    };
    Plan { steps, failures: r.failures }
}

struct Resolver<'a> {
    media: &'a [Candidate],
    installed: &'a Installed,
    o: &'a ResolveOptions,
    /// Chosen candidates -> pulled in as a requisite (true) or asked for (false).
    chosen: BTreeMap<usize, bool>,
    /// Names asked for explicitly (they satisfy `*instreq`).
    explicit: BTreeSet<String>,
    failures: Vec<Failure>,
}

impl Resolver<'_> {
    fn considered(&self, c: &Candidate) -> bool {
        !(self.o.updates_only && !c.update || self.o.bases_only && c.update)
    }

    /// The level the fileset will have after the chosen steps (or has now).
    fn planned(&self, name: &str, skip: &BTreeSet<usize>) -> Option<Level> {
        let chosen = self
            .chosen
            .keys()
            .filter(|i| !skip.contains(i))
            .map(|&i| &self.media[i])
            .filter(|c| c.name == name)
            .map(|c| c.level.clone())
            .max();
        chosen.into_iter().chain(self.installed.get(name).cloned()).max()
    }

    fn want(&mut self, w: &Wanted) {
        let names: Vec<String> = if w.name == "all" {
            let mut seen = Vec::new();
            for c in self.media.iter().filter(|c| self.considered(c)) {
                if !seen.contains(&c.name) {
                    seen.push(c.name.clone());
                }
            }
            seen
        } else if self.media.iter().any(|c| c.name == w.name) {
            vec![w.name.clone()]
        } else {
            let mut seen = Vec::new();
            for c in self.media.iter().filter(|c| c.package == w.name) {
                if !seen.contains(&c.name) {
                    seen.push(c.name.clone());
                }
            }
            seen
        };
        if names.is_empty() {
            self.failures.push(Failure::NotFound(w.clone()));
            return;
        }
        for n in names {
            self.explicit.insert(n.clone());
            match &w.level {
                Some(l) => {
                    let found = self.media.iter().position(|c| c.name == n && &c.level == l);
                    match found {
                        Some(i) => self.choose_exact(i, false),
                        None => {
                            self.failures.push(Failure::NotFound(Wanted { name: n, level: Some(l.clone()) }))
                        }
                    }
                }
                None => {
                    self.choose_newest(&n, None, false);
                }
            }
        }
    }

    /// Chooses one exact candidate, unless that level (or a newer one) is installed already.
    fn choose_exact(&mut self, i: usize, requisite: bool) {
        let c = &self.media[i];
        if let Some(have) = self.installed.get(&c.name) {
            let same_base_again = !c.update && self.o.force;
            if have >= &c.level && !same_base_again {
                self.failures.push(Failure::AlreadyInstalled {
                    name: c.name.clone(),
                    level: c.level.clone(),
                    installed: have.clone(),
                });
                return;
            }
        }
        self.chosen.entry(i).or_insert(requisite);
    }

    /// Chooses what brings `name` to its newest level on the media (meeting `need` when given): the base level
    /// when nothing of it is installed (or with `-F`), then the newest update of that base.
    fn choose_newest(&mut self, name: &str, need: Option<&LevelReq>, requisite: bool) -> bool {
        let have = self.installed.get(name).cloned();
        let cands: Vec<usize> = (0..self.media.len())
            .filter(|&i| self.media[i].name == name && self.considered(&self.media[i]))
            .collect();
        if cands.is_empty() {
            return false;
        }
        let mut picked = Vec::new();
        let base_idx = cands
            .iter()
            .copied()
            .filter(|&i| !self.media[i].update)
            .max_by(|&a, &b| self.media[a].level.cmp(&self.media[b].level));
        let need_base = have.is_none() || self.o.force && base_idx.is_some();
        if need_base {
            if let Some(b) = base_idx {
                picked.push(b);
            }
        }
        let base_level = if need_base { base_idx.map(|b| self.media[b].level.clone()) } else { have.clone() };
        // The newest update of the same V.R above what will be there.
        if let Some(bl) = &base_level {
            let newest = cands
                .iter()
                .copied()
                .filter(|&i| {
                    let c = &self.media[i];
                    c.update && c.level.v == bl.v && c.level.r == bl.r && c.level > *bl
                })
                .max_by(|&a, &b| self.media[a].level.cmp(&self.media[b].level));
            if let Some(u) = newest {
                picked.push(u);
            }
        } else if let Some(u) =
            cands.iter().copied().max_by(|&a, &b| self.media[a].level.cmp(&self.media[b].level))
        {
            // Only updates on the media and no base anywhere: chosen, and verification reports the base.
            picked.push(u);
        }
        if let Some(need) = need {
            // Choose the lowest set that meets the requirement: drop the update when the base alone does.
            if picked.len() == 2 && need.satisfied_by(&self.media[picked[0]].level) && requisite {
                picked.truncate(1);
            }
        }
        if picked.is_empty() {
            // Everything on the media is at or below what is installed.
            if let (Some(have), false) = (have, requisite) {
                let top = cands.iter().map(|&i| self.media[i].level.clone()).max().unwrap_or_default();
                self.failures.push(Failure::AlreadyInstalled {
                    name: name.to_string(),
                    level: top,
                    installed: have,
                });
            }
            return false;
        }
        let before = self.chosen.len() + self.failures.len();
        for i in picked {
            self.choose_exact(i, requisite);
        }
        self.chosen.len() + self.failures.len() > before
    }

    fn base_available(&self, c: &Candidate, failed: &BTreeSet<usize>) -> bool {
        let same_vr = |l: &Level| l.v == c.level.v && l.r == c.level.r;
        self.installed.get(&c.name).is_some_and(same_vr)
            || self
                .chosen
                .keys()
                .filter(|i| !failed.contains(i))
                .map(|&i| &self.media[i])
                .any(|o| o.name == c.name && !o.update && same_vr(&o.level))
    }

    fn req_met(&self, r: &Requisite, skip: &BTreeSet<usize>) -> bool {
        match r.kind {
            ReqKind::Ifreq => match self.planned(&r.fileset, skip) {
                None => true,
                Some(l) => r.level.satisfied_by(&l),
            },
            ReqKind::Instreq => {
                let ok_installed = self.installed.get(&r.fileset).is_some_and(|l| r.level.satisfied_by(l));
                ok_installed
                    || self.explicit.contains(&r.fileset)
                        && self.planned(&r.fileset, skip).is_some_and(|l| r.level.satisfied_by(&l))
            }
            ReqKind::Prereq | ReqKind::Coreq => {
                self.planned(&r.fileset, skip).is_some_and(|l| r.level.satisfied_by(&l))
            }
        }
    }

    /// The requisites of candidate `i` that are not met, flattened from unmet groups.
    fn missing(&self, i: usize, skip: &BTreeSet<usize>) -> Vec<Requisite> {
        let mut out = Vec::new();
        for e in &self.media[i].requisites {
            if !e.holds(&mut |r| self.req_met(r, skip)) {
                for r in e.requisites() {
                    if !self.req_met(r, skip) && !out.contains(r) {
                        out.push(r.clone());
                    }
                }
            }
        }
        out
    }

    /// With `-g`, chooses from the media what candidate `i` needs; an update also pulls its base.
    fn pull_requisites(&mut self, i: usize) {
        let c = self.media[i].clone();
        if c.update && !self.base_available(&c, &BTreeSet::new()) && self.o.auto_requisites {
            if let Some(b) = (0..self.media.len()).find(|&j| {
                let o = &self.media[j];
                o.name == c.name && !o.update && o.level.v == c.level.v && o.level.r == c.level.r
            }) {
                self.chosen.entry(b).or_insert(true);
            }
        }
        if !self.o.auto_requisites {
            return;
        }
        for e in &c.requisites {
            self.pull_expr(e);
        }
    }

    fn pull_expr(&mut self, e: &ReqExpr) {
        let none = BTreeSet::new();
        if e.holds(&mut |r| self.req_met(r, &none)) {
            return;
        }
        match e {
            ReqExpr::One(r) => {
                let pull = match r.kind {
                    ReqKind::Instreq => false,
                    ReqKind::Ifreq => self.planned(&r.fileset, &none).is_some(),
                    ReqKind::Prereq | ReqKind::Coreq => true,
                };
                if pull {
                    self.choose_newest(&r.fileset.clone(), Some(&r.level.clone()), true);
                }
            }
            ReqExpr::Group { items, .. } => {
                for item in items.clone() {
                    if e.holds(&mut |r| self.req_met(r, &none)) {
                        break;
                    }
                    self.pull_expr(&item);
                }
            }
        }
    }
}

/// Orders `keep` (media indexes): an update after its fileset's lower levels, a fileset after its `*prereq`s
/// that are in the set; ties in media order. `Err` names the filesets of a cycle.
fn order(media: &[Candidate], keep: &[usize]) -> Result<Vec<usize>, Vec<String>> {
    let mut deps: HashMap<usize, BTreeSet<usize>> = HashMap::new();
    for &i in keep {
        let c = &media[i];
        let mut d = BTreeSet::new();
        for &j in keep {
            if j == i {
                continue;
            }
            let o = &media[j];
            if o.name == c.name && o.level < c.level {
                d.insert(j);
            }
            let prereq = c
                .requisites
                .iter()
                .flat_map(|e| e.requisites())
                .any(|r| r.kind == ReqKind::Prereq && r.fileset == o.name);
            if prereq && o.name != c.name {
                d.insert(j);
            }
        }
        deps.insert(i, d);
    }
    let mut done: Vec<usize> = Vec::new();
    let mut left: Vec<usize> = keep.to_vec();
    left.sort_unstable();
    while !left.is_empty() {
        let ready = left.iter().position(|i| deps[i].iter().all(|d| done.contains(d)));
        match ready {
            Some(p) => done.push(left.remove(p)),
            None => {
                let mut names: Vec<String> = left.iter().map(|&i| media[i].name.clone()).collect();
                names.dedup();
                return Err(names);
            }
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lv(s: &str) -> Level {
        s.parse().unwrap()
    }

    fn req(kind: ReqKind, f: &str, l: &str) -> ReqExpr {
        ReqExpr::One(Requisite { kind, fileset: f.into(), level: LevelReq::AtLeast(lv(l)) })
    }

    fn cand(name: &str, level: &str, update: bool, reqs: Vec<ReqExpr>) -> Candidate {
        Candidate {
            name: name.into(),
            package: name.split('.').take(2).collect::<Vec<_>>().join("."),
            level: lv(level),
            update,
            description: String::new(),
            requisites: reqs,
            fixes: vec![],
            image: 0,
        }
    }

    fn names(media: &[Candidate], p: &Plan) -> Vec<String> {
        p.steps.iter().map(|s| format!("{} {}", media[s.candidate].name, media[s.candidate].level)).collect()
    }

    #[test]
    fn base_then_newest_update_in_prereq_order() {
        let media = vec![
            cand("ranch.apps.hog", "3.1.0.0", false, vec![req(ReqKind::Prereq, "ranch.apps.pig", "3.1.0.0")]),
            cand("ranch.apps.hog", "3.1.0.1", true, vec![]),
            cand("ranch.apps.hog", "3.1.0.2", true, vec![]),
            cand("ranch.apps.pig", "3.1.0.0", false, vec![]),
        ];
        let p = resolve(&media, &Installed::new(), &[Wanted::name("all")], &ResolveOptions::default());
        assert!(!p.refused(), "{:?}", p.failures);
        assert_eq!(
            names(&media, &p),
            ["ranch.apps.pig 3.1.0.0", "ranch.apps.hog 3.1.0.0", "ranch.apps.hog 3.1.0.2"]
        );
    }

    #[test]
    fn missing_requisite_refuses_without_g_and_pulls_with_g() {
        let media = vec![
            cand("ranch.apps.hog", "3.1.0.0", false, vec![req(ReqKind::Prereq, "ranch.apps.pig", "3.1.0.0")]),
            cand("ranch.apps.pig", "3.1.0.0", false, vec![]),
        ];
        let w = [Wanted::name("ranch.apps.hog")];
        let p = resolve(&media, &Installed::new(), &w, &ResolveOptions::default());
        assert!(p.refused());
        assert!(
            matches!(&p.failures[0], Failure::Requisites { missing, .. } if missing[0].fileset == "ranch.apps.pig")
        );
        let g = ResolveOptions { auto_requisites: true, ..Default::default() };
        let p = resolve(&media, &Installed::new(), &w, &g);
        assert!(!p.refused());
        assert_eq!(names(&media, &p), ["ranch.apps.pig 3.1.0.0", "ranch.apps.hog 3.1.0.0"]);
        assert!(p.steps[0].requisite && !p.steps[1].requisite);
    }

    #[test]
    fn update_needs_base_and_installed_levels_are_skipped() {
        let media = vec![cand("bos.rte", "7.2.5.0", true, vec![])];
        let p = resolve(&media, &Installed::new(), &[Wanted::name("bos.rte")], &ResolveOptions::default());
        assert_eq!(p.failures, vec![Failure::MissingBase { name: "bos.rte".into(), level: lv("7.2.5.0") }]);
        let mut inst = Installed::new();
        inst.insert("bos.rte".into(), lv("7.2.4.2"));
        let p = resolve(&media, &inst, &[Wanted::name("bos.rte")], &ResolveOptions::default());
        assert!(!p.refused());
        assert_eq!(names(&media, &p), ["bos.rte 7.2.5.0"]);
        inst.insert("bos.rte".into(), lv("7.2.5.1"));
        let p = resolve(&media, &inst, &[Wanted::name("bos.rte")], &ResolveOptions::default());
        assert!(!p.refused() && p.steps.is_empty());
        assert!(matches!(&p.failures[0], Failure::AlreadyInstalled { .. }));
    }

    #[test]
    fn cycles_ifreq_instreq_groups_and_unknown_names() {
        let media = vec![
            cand("a.x", "1.0.0.0", false, vec![req(ReqKind::Prereq, "b.x", "1.0.0.0")]),
            cand("b.x", "1.0.0.0", false, vec![req(ReqKind::Prereq, "a.x", "1.0.0.0")]),
        ];
        let p = resolve(&media, &Installed::new(), &[Wanted::name("all")], &ResolveOptions::default());
        assert!(matches!(&p.failures[0], Failure::Cycle(n) if n.len() == 2));

        let media = vec![
            cand("c.x", "1.0.0.0", false, vec![req(ReqKind::Ifreq, "d.x", "2.0.0.0")]),
            cand("d.x", "2.0.0.0", false, vec![]),
            cand("e.x", "1.0.0.0", false, vec![req(ReqKind::Instreq, "d.x", "2.0.0.0")]),
        ];
        let g = ResolveOptions { auto_requisites: true, ..Default::default() };
        // ifreq of an absent fileset: no requirement.
        let p = resolve(&media, &Installed::new(), &[Wanted::name("c.x")], &g);
        assert_eq!(names(&media, &p), ["c.x 1.0.0.0"]);
        // ifreq of an installed fileset below the level: pulled with -g.
        let mut inst = Installed::new();
        inst.insert("d.x".into(), lv("1.0.0.0"));
        let p = resolve(&media, &inst, &[Wanted::name("c.x")], &g);
        assert!(p.refused(), "d.x 2.0.0.0 is a base, not an update of 1.0: {:?}", p);
        // instreq is never pulled, but is met by an explicit selection.
        let p = resolve(&media, &Installed::new(), &[Wanted::name("e.x")], &g);
        assert!(p.refused());
        let p = resolve(&media, &Installed::new(), &[Wanted::name("e.x"), Wanted::name("d.x")], &g);
        assert!(!p.refused());

        let grp = ReqExpr::Group {
            more_than: 0,
            items: vec![req(ReqKind::Prereq, "x.none", "1.0.0.0"), req(ReqKind::Prereq, "d.x", "2.0.0.0")],
        };
        let media2 = vec![cand("f.x", "1.0.0.0", false, vec![grp]), cand("d.x", "2.0.0.0", false, vec![])];
        let p = resolve(&media2, &Installed::new(), &[Wanted::name("f.x")], &g);
        assert!(!p.refused(), "{:?}", p.failures);
        assert_eq!(names(&media2, &p), ["d.x 2.0.0.0", "f.x 1.0.0.0"]);

        let p = resolve(&media2, &Installed::new(), &[Wanted::name("no.such")], &g);
        assert_eq!(p.failures, vec![Failure::NotFound(Wanted::name("no.such"))]);
    }
}
