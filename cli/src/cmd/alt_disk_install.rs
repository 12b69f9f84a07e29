//! `alt_disk_install`: the legacy front end (a wrapper since AIX 5.3). Its flags are checked by its own rules
//! (spec alt-disk.md §1.5) and the call is translated to the modern command, which then runs:
//!
//! | alt_disk_install form | runs |
//! |---|---|
//! | `-C [opts] disks` | `alt_disk_copy [opts] -d "disks"` |
//! | `-d dev [opts] disks` | `alt_disk_mksysb -m dev [opts] -d "disks"` |
//! | `-X [vg]` | `alt_rootvg_op -X [vg]` |
//! | `-q disk` | `alt_rootvg_op -q -d disk` |
//! | `-S` | `alt_rootvg_op -S` |
//! | `-v name disk` | `alt_rootvg_op -v name -d disk` |
//! | `-W disk` | `alt_rootvg_op -W -d disk` |

use std::ffi::OsString;

use super::getopt::{flags, Flags};
use super::host::host_dir;

const USAGE: &str = "usage: alt_disk_install {-d device | -C} [-i image.data] [-s script] [-R resolv_conf] \
[-D] [-B] [-V] [-r] [-O] [-p platform] [-L mksysb_level] [-b bundle_name] [-I installp_flags] \
[-l images_location] [-f fix_bundle] [-F fixes] [-e exclude_list] [-w filesets] [-n] [-P phase] target_disks...
       alt_disk_install -X [volume_group]
       alt_disk_install -q disk | -S | -v new_vg_name disk | -W disk";

/// Flags that take a value.
const WITH_ARG: &str = "disRpLbIlfFewPv";
/// Flags that do not.
const BOOLS: &str = "CDBVrOnXSWq";

fn refuse(msg: String) -> anyhow::Result<i32> {
    eprintln!("alt_disk_install: {msg}");
    Ok(crate::exit::USAGE)
}

/// The modern command and its arguments for a legacy call, or a refusal message.
pub fn translate(f: &Flags, operands: &[String]) -> Result<(&'static str, Vec<String>), String> {
    let has = |c: char| f.iter().any(|(x, _)| *x == c);
    let val = |c: char| f.iter().rev().find(|(x, _)| *x == c).and_then(|(_, v)| v.clone());
    let ops = ['X', 'q', 'S', 'v', 'W'].into_iter().filter(|c| has(*c)).collect::<Vec<_>>();
    if let Some(&op) = ops.first() {
        if ops.len() > 1 || has('C') || has('d') {
            return Err(format!(
                "-{op} cannot be combined with {}",
                if has('C') { "-C" } else { "other operations" }
            ));
        }
        let mut a = vec![format!("-{op}")];
        match op {
            'X' => a.extend(operands.iter().take(1).cloned()),
            'S' => {}
            'v' => {
                let disk = operands.first().ok_or("-v needs a new volume group name and a disk")?;
                a.push(val('v').unwrap_or_default());
                a.extend(["-d".into(), disk.clone()]);
            }
            _ => {
                let disk = operands.first().ok_or_else(|| format!("-{op} needs a disk"))?;
                a.extend(["-d".into(), disk.clone()]);
            }
        }
        if has('D') {
            a.push("-D".into());
        }
        return Ok(("alt_rootvg_op", a));
    }
    let (clone, mksysb) = (has('C'), has('d'));
    if clone == mksysb {
        return Err(
            "give exactly one of -C (clone the running rootvg) and -d device (install a mksysb)".into()
        );
    }
    if operands.is_empty() {
        return Err("no target disks: they are given after the flags, e.g. alt_disk_install -C hdisk1".into());
    }
    for c in ['b', 'e', 'f', 'F', 'I', 'l', 'w'] {
        if has(c) && !clone {
            return Err(format!("-{c} is only valid with -C"));
        }
    }
    for c in ['b', 'f', 'F', 'I', 'w'] {
        if has(c) && !has('l') {
            return Err(format!("-{c} requires -l images_location"));
        }
    }
    for c in ['p', 'L'] {
        if has(c) && !mksysb {
            return Err(format!("-{c} is only valid with -d device"));
        }
    }
    let mut a = Vec::new();
    if mksysb {
        a.extend(["-m".into(), val('d').unwrap_or_default()]);
    }
    a.extend(["-d".into(), operands.join(" ")]);
    for (c, v) in f {
        if matches!(c, 'C' | 'd') {
            continue;
        }
        a.push(format!("-{c}"));
        if let Some(v) = v {
            a.push(v.clone());
        }
    }
    Ok((if clone { "alt_disk_copy" } else { "alt_disk_mksysb" }, a))
}

/// Runs `alt_disk_install ...` by translating it.
pub fn run(mut args: Vec<OsString>) -> anyhow::Result<i32> {
    let host = host_dir(&mut args).ok();
    let (f, operands) = flags(&args, WITH_ARG, BOOLS)?;
    if f.is_empty() {
        eprintln!("{USAGE}");
        return Ok(crate::exit::USAGE);
    }
    match translate(&f, &operands) {
        Ok((cmd, mut a)) => {
            if let Some(h) = host {
                a.extend(["--host".into(), h.display().to_string()]);
            }
            super::dispatch(cmd, a.into_iter().map(OsString::from).collect())
        }
        Err(m) => refuse(m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(args: &[&str]) -> Result<(&'static str, Vec<String>), String> {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let (f, o) = flags(&args, WITH_ARG, BOOLS).map_err(|e| e.to_string())?;
        translate(&f, &o)
    }

    #[test]
    fn translates_every_documented_form() {
        assert_eq!(
            t(&["-C", "-B", "-e", "/ex", "hdisk1", "hdisk2"]).unwrap(),
            ("alt_disk_copy", ["-d", "hdisk1 hdisk2", "-B", "-e", "/ex"].map(String::from).to_vec())
        );
        assert_eq!(
            t(&["-d", "/mksysb", "-P2", "hdisk1"]).unwrap(),
            ("alt_disk_mksysb", ["-m", "/mksysb", "-d", "hdisk1", "-P", "2"].map(String::from).to_vec())
        );
        assert_eq!(t(&["-X"]).unwrap(), ("alt_rootvg_op", vec!["-X".to_string()]));
        assert_eq!(t(&["-X", "old_rootvg"]).unwrap().1, ["-X", "old_rootvg"]);
        assert_eq!(t(&["-q", "hdisk1"]).unwrap().1, ["-q", "-d", "hdisk1"]);
        assert_eq!(t(&["-S"]).unwrap().1, ["-S"]);
        assert_eq!(t(&["-v", "newvg", "hdisk1"]).unwrap().1, ["-v", "newvg", "-d", "hdisk1"]);
        assert_eq!(t(&["-W", "hdisk1"]).unwrap().1, ["-W", "-d", "hdisk1"]);
    }

    #[test]
    fn refuses_what_the_legacy_rules_forbid() {
        assert!(t(&["-C", "-d", "/m", "hdisk1"]).unwrap_err().contains("exactly one"));
        assert!(t(&["-d", "/m", "-e", "/ex", "hdisk1"]).unwrap_err().contains("only valid with -C"));
        assert!(t(&["-C", "-b", "b", "hdisk1"]).unwrap_err().contains("requires -l"));
        assert!(t(&["-C", "-p", "chrp", "hdisk1"]).unwrap_err().contains("only valid with -d"));
        assert!(t(&["-C"]).unwrap_err().contains("no target disks"));
        assert!(t(&["-q"]).unwrap_err().contains("needs a disk"));
    }
}
