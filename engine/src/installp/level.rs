//! Fileset levels (`V.R.M.F`, optionally `.PTF`) and requisite expressions (spec installp.md §2.3, §2.4,
//! §2.10).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A fileset level `V.R.M.F`. IBM writes it zero-padded (`07.02.0005.0000`), hand-built images plainly
/// (`7.2.5.0`); both parse to the same value. An optional fifth part (a PTF id) is kept but never compared.
#[derive(Debug, Clone, Default, Eq, serde::Serialize, serde::Deserialize)]
pub struct Level {
    /// Version.
    pub v: u32,
    /// Release.
    pub r: u32,
    /// Modification (the technology level of AIX's own filesets).
    pub m: u32,
    /// Fix.
    pub f: u32,
    /// The PTF id of `vv.rr.mmmm.ffff.ppppppp`, if given.
    pub ptf: Option<String>,
}

impl Level {
    /// A level from its four numbers.
    pub const fn new(v: u32, r: u32, m: u32, f: u32) -> Level {
        Level { v, r, m, f, ptf: None }
    }

    /// The zero-padded form IBM writes in `lpp_name`: `07.02.0005.0000`.
    pub(crate) fn padded(&self) -> String {
        format!("{:02}.{:02}.{:04}.{:04}", self.v, self.r, self.m, self.f)
    }

    /// The four numbers, for comparisons.
    pub fn parts(&self) -> [u32; 4] {
        [self.v, self.r, self.m, self.f]
    }

    /// The base level this update level belongs to (`V.R.0.0`). \[I\] installp treats an update as applying
    /// onto the base of the same version and release.
    pub fn base(&self) -> Level {
        Level::new(self.v, self.r, 0, 0)
    }

    /// True for a base level (`F` = 0 and `M` = 0): \[I\] what lpp_name type `I` ships; updates (`S`, `ML`)
    /// have another M or F.
    pub fn is_base(&self) -> bool {
        self.m == 0 && self.f == 0
    }
}

impl PartialEq for Level {
    fn eq(&self, o: &Level) -> bool {
        self.parts() == o.parts()
    }
}

impl PartialOrd for Level {
    fn partial_cmp(&self, o: &Level) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for Level {
    fn cmp(&self, o: &Level) -> Ordering {
        self.parts().cmp(&o.parts())
    }
}

impl std::hash::Hash for Level {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.parts().hash(h)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}.{}", self.v, self.r, self.m, self.f)
    }
}

/// Why a level string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid level '{text}': {why}")]
pub struct LevelError {
    /// The text given.
    pub text: String,
    /// What is wrong with it.
    pub why: &'static str,
}

impl FromStr for Level {
    type Err = LevelError;

    /// `V.R.M.F` or `V.R.M.F.PTF`; V and R 1–2 digits, M and F 1–4 digits (spec §2.3).
    fn from_str(s: &str) -> Result<Level, LevelError> {
        let err = |why| LevelError { text: s.to_string(), why };
        let parts: Vec<&str> = s.split('.').collect();
        if parts.len() != 4 && parts.len() != 5 {
            return Err(err("a level has four parts, V.R.M.F (or five with a PTF id)"));
        }
        let mut n = [0u32; 4];
        for (i, p) in parts.iter().take(4).enumerate() {
            let max = if i < 2 { 2 } else { 4 };
            if p.is_empty() || p.len() > max || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err("V and R take 1-2 digits, M and F 1-4 digits"));
            }
            n[i] = p.parse().map_err(|_| err("not a number"))?;
        }
        let ptf = match parts.get(4) {
            Some(p) if p.is_empty() || !p.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                return Err(err("the PTF id must be letters and digits"))
            }
            Some(p) => Some(p.to_string()),
            None => None,
        };
        Ok(Level { v: n[0], r: n[1], m: n[2], f: n[3], ptf })
    }
}

/// The kind of a requisite (`*prereq`, `*coreq`, `*ifreq`, `*instreq`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ReqKind {
    /// Installed at the level before this fileset (or earlier in the same run).
    Prereq,
    /// Installed in the same run or already; no order.
    Coreq,
    /// Only if the fileset is installed (or selected): then at least this level.
    Ifreq,
    /// Installed already or explicitly selected; `-g` does not pull it in.
    Instreq,
}

impl ReqKind {
    /// The keyword as written in `lpp_name`, with its `*`.
    pub fn keyword(self) -> &'static str {
        match self {
            ReqKind::Prereq => "*prereq",
            ReqKind::Coreq => "*coreq",
            ReqKind::Ifreq => "*ifreq",
            ReqKind::Instreq => "*instreq",
        }
    }

    /// The kind for a keyword (`*prereq`, ...).
    pub(crate) fn from_keyword(k: &str) -> Option<ReqKind> {
        Some(match k {
            "*prereq" => ReqKind::Prereq,
            "*coreq" => ReqKind::Coreq,
            "*ifreq" => ReqKind::Ifreq,
            "*instreq" => ReqKind::Instreq,
            _ => return None,
        })
    }
}

/// A comparison in the old expression form (`v=4`, `m>0`, `r>=3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `>`
    Gt,
    /// `<`
    Lt,
    /// `>=`
    Ge,
    /// `<=`
    Le,
}

impl CmpOp {
    /// The operator's text.
    pub fn text(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Gt => ">",
            CmpOp::Lt => "<",
            CmpOp::Ge => ">=",
            CmpOp::Le => "<=",
        }
    }

    fn holds(self, a: u32, b: u32) -> bool {
        match self {
            CmpOp::Eq => a == b,
            CmpOp::Gt => a > b,
            CmpOp::Lt => a < b,
            CmpOp::Ge => a >= b,
            CmpOp::Le => a <= b,
        }
    }
}

/// What level a requisite asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum LevelReq {
    /// No level given: any installed level.
    Any,
    /// `V.R.M.F`: this level or higher.
    AtLeast(Level),
    /// `v=4 r=3 m>0`: each part tested on its own (part index 0..4 = v, r, m, f).
    Parts(Vec<(u8, CmpOp, u32)>),
}

impl LevelReq {
    /// True when `l` meets this requirement.
    pub(crate) fn satisfied_by(&self, l: &Level) -> bool {
        match self {
            LevelReq::Any => true,
            LevelReq::AtLeast(min) => l >= min,
            LevelReq::Parts(tests) => {
                let p = l.parts();
                tests.iter().all(|(i, op, n)| op.holds(p[usize::from(*i).min(3)], *n))
            }
        }
    }

    /// The lowest level that meets the requirement when there is one obvious (`AtLeast`), for messages.
    pub fn minimum(&self) -> Option<&Level> {
        match self {
            LevelReq::AtLeast(l) => Some(l),
            _ => None,
        }
    }

    /// Parses the level tokens after a requisite's fileset name: none, one `V.R.M.F`, or `v=.. r=..` tests.
    pub fn parse(tokens: &[&str]) -> Result<LevelReq, LevelError> {
        match tokens {
            [] => Ok(LevelReq::Any),
            [one] if one.contains('.') => Ok(LevelReq::AtLeast(one.parse()?)),
            many => {
                let mut tests = Vec::new();
                for t in many {
                    let err = |why| LevelError { text: t.to_string(), why };
                    let mut chars = t.chars();
                    let part = match chars.next() {
                        Some('v') => 0u8,
                        Some('r') => 1,
                        Some('m') => 2,
                        Some('f') => 3,
                        _ => return Err(err("a level test starts with v, r, m or f")),
                    };
                    let rest = chars.as_str();
                    let (op, num) = if let Some(n) = rest.strip_prefix(">=") {
                        (CmpOp::Ge, n)
                    } else if let Some(n) = rest.strip_prefix("<=") {
                        (CmpOp::Le, n)
                    } else if let Some(n) = rest.strip_prefix('=') {
                        (CmpOp::Eq, n)
                    } else if let Some(n) = rest.strip_prefix('>') {
                        (CmpOp::Gt, n)
                    } else if let Some(n) = rest.strip_prefix('<') {
                        (CmpOp::Lt, n)
                    } else {
                        return Err(err("a level test is PART OP NUMBER, e.g. v=7 or m>=2"));
                    };
                    let n: u32 = num.parse().map_err(|_| err("a level test needs a number"))?;
                    tests.push((part, op, n));
                }
                Ok(LevelReq::Parts(tests))
            }
        }
    }
}

impl fmt::Display for LevelReq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LevelReq::Any => Ok(()),
            LevelReq::AtLeast(l) => write!(f, "{l}"),
            LevelReq::Parts(t) => {
                let names = ['v', 'r', 'm', 'f'];
                for (i, (p, op, n)) in t.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{}{}{n}", names[usize::from(*p).min(3)], op.text())?;
                }
                Ok(())
            }
        }
    }
}

/// One requisite line: `*prereq bos.rte 7.2.0.0`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Requisite {
    /// prereq, coreq, ifreq, instreq.
    pub kind: ReqKind,
    /// The fileset required.
    pub fileset: String,
    /// The level required.
    pub level: LevelReq,
}

impl fmt::Display for Requisite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.keyword(), self.fileset)?;
        if self.level != LevelReq::Any {
            write!(f, " {}", self.level)?;
        }
        Ok(())
    }
}

/// The requisite section: single requisites and groups `N { ... }` ("more than N of these are met").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ReqExpr {
    /// One requisite.
    One(Requisite),
    /// A group: satisfied when more than `more_than` of `items` are.
    Group {
        /// The N of `N {`.
        more_than: u32,
        /// The members, requisites or nested groups.
        items: Vec<ReqExpr>,
    },
}

impl ReqExpr {
    /// True when the expression holds, given a test for single requisites.
    pub fn holds(&self, one: &mut dyn FnMut(&Requisite) -> bool) -> bool {
        match self {
            ReqExpr::One(r) => one(r),
            ReqExpr::Group { more_than, items } => {
                let met = items.iter().filter(|i| i.holds(one)).count();
                met > *more_than as usize
            }
        }
    }

    /// Every single requisite inside, groups flattened (for listing what is missing).
    pub fn requisites(&self) -> Vec<&Requisite> {
        match self {
            ReqExpr::One(r) => vec![r],
            ReqExpr::Group { items, .. } => items.iter().flat_map(|i| i.requisites()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_and_plain_levels_are_equal() {
        let a: Level = "07.02.0005.0000".parse().unwrap();
        let b: Level = "7.2.5.0".parse().unwrap();
        assert_eq!(a, b);
        assert_eq!(a.padded(), "07.02.0005.0000");
        assert_eq!(b.to_string(), "7.2.5.0");
        let p: Level = "7.2.5.1.U812345".parse().unwrap();
        assert_eq!(p, "7.2.5.1".parse().unwrap());
        assert_eq!(p.ptf.as_deref(), Some("U812345"));
        assert!("7.2.5".parse::<Level>().is_err());
        assert!("123.2.5.0".parse::<Level>().is_err());
        assert!("7.2.x.0".parse::<Level>().is_err());
        assert!("7.2.5.10".parse::<Level>().unwrap() > "7.2.5.9".parse().unwrap());
    }

    #[test]
    fn level_tests_and_groups() {
        let l: Level = "4.3.2.0".parse().unwrap();
        assert!(LevelReq::parse(&["v=4", "r=3", "m=2"]).unwrap().satisfied_by(&l));
        assert!(!LevelReq::parse(&["m>2"]).unwrap().satisfied_by(&l));
        assert!(LevelReq::parse(&["4.3.0.0"]).unwrap().satisfied_by(&l));
        assert!(!LevelReq::parse(&["4.3.2.1"]).unwrap().satisfied_by(&l));
        assert!(LevelReq::parse(&[]).unwrap().satisfied_by(&l));
        assert!(LevelReq::parse(&["x=1"]).is_err());
        let r = |f: &str| {
            ReqExpr::One(Requisite { kind: ReqKind::Prereq, fileset: f.into(), level: LevelReq::Any })
        };
        let g = ReqExpr::Group { more_than: 0, items: vec![r("a"), r("b")] };
        assert!(g.holds(&mut |q| q.fileset == "b"));
        assert!(!g.holds(&mut |_| false));
        let both = ReqExpr::Group { more_than: 1, items: vec![r("a"), r("b")] };
        assert!(!both.holds(&mut |q| q.fileset == "b"));
        assert_eq!(LevelReq::parse(&["v=4", "m>=2"]).unwrap().to_string(), "v=4 m>=2");
    }
}
