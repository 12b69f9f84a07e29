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

use super::host::HostArg;

/// AIX's synopsis (spec alt-disk.md §1.5).
pub const USAGE: &str = "alt_disk_install {-d device | -C} [-i image.data] [-s script] [-R resolv_conf] \
[-D] [-B] [-V] [-r] [-O]
                 [-p platform] [-L mksysb_level] [-b bundle_name] [-I installp_flags]
                 [-l images_location] [-f fix_bundle] [-F fixes] [-e exclude_list] [-w filesets]
                 [-n] [-P phase_option] target_disks...
       alt_disk_install -X [volume_group]
       alt_disk_install -q disk | -S | -v new_vg_name disk | -W disk";

/// Flags parsed, in the order the modern commands are given them: the letter and its value.
pub type Flags = Vec<(char, Option<String>)>;

/// Legacy front end: -C clone, -d mksysb install, -X/-q/-S/-v/-W (runs the modern command).
#[derive(clap::Args, Debug)]
#[command(override_usage = USAGE)]
pub struct Args {
    /// Install this mksysb device or file (alt_disk_mksysb -m).
    #[arg(short = 'd', value_name = "device")]
    device: Option<String>,
    /// Clone the running rootvg (alt_disk_copy).
    #[arg(short = 'C')]
    clone: bool,
    /// Use this image.data (full path name).
    #[arg(short = 'i', value_name = "image.data")]
    image_data: Option<String>,
    /// Customization script (full path name).
    #[arg(short = 's', value_name = "script")]
    script: Option<String>,
    /// Replaces /etc/resolv.conf on the clone (full path name).
    #[arg(short = 'R', value_name = "resolv_conf")]
    resolv_conf: Option<String>,
    /// Debug: trace the steps.
    #[arg(short = 'D')]
    trace: bool,
    /// Do not run bootlist at the end.
    #[arg(short = 'B')]
    no_bootlist: bool,
    /// Verbose.
    #[arg(short = 'V')]
    verbose: bool,
    /// Reboot from the new disk when done.
    #[arg(short = 'r')]
    reboot: bool,
    /// Device reset.
    #[arg(short = 'O')]
    device_reset: bool,
    /// Platform (only with -d).
    #[arg(short = 'p', value_name = "platform")]
    platform: Option<String>,
    /// mksysb level (only with -d).
    #[arg(short = 'L', value_name = "mksysb_level")]
    level: Option<String>,
    /// Bundle to install (only with -C, requires -l).
    #[arg(short = 'b', value_name = "bundle_name")]
    bundle: Option<String>,
    /// installp flags (only with -C, requires -l).
    #[arg(short = 'I', value_name = "installp_flags")]
    installp_flags: Option<String>,
    /// Images location (only with -C).
    #[arg(short = 'l', value_name = "images_location")]
    images: Option<String>,
    /// Fix bundle (only with -C, requires -l).
    #[arg(short = 'f', value_name = "fix_bundle")]
    fix_bundle: Option<String>,
    /// Fixes (only with -C, requires -l).
    #[arg(short = 'F', value_name = "fixes")]
    fixes: Option<String>,
    /// Exclude list (only with -C; full path name).
    #[arg(short = 'e', value_name = "exclude_list")]
    exclude: Option<String>,
    /// Filesets (only with -C, requires -l).
    #[arg(short = 'w', value_name = "filesets")]
    filesets: Option<String>,
    /// Stay a NIM client.
    #[arg(short = 'n')]
    nim_client: bool,
    /// Phases: 1, 2, 3, 12, 23 or all.
    #[arg(short = 'P', value_name = "phase_option")]
    phases: Option<String>,
    /// Remove an alternate volume group (alt_rootvg_op -X).
    #[arg(short = 'X')]
    remove: bool,
    /// Report the boot disk of the volume group on disk (alt_rootvg_op -q).
    #[arg(short = 'q')]
    query: bool,
    /// Put the woken volume group back to sleep (alt_rootvg_op -S).
    #[arg(short = 'S')]
    sleep: bool,
    /// Rename the alternate volume group on disk (alt_rootvg_op -v).
    #[arg(short = 'v', value_name = "new_vg_name")]
    rename: Option<String>,
    /// Wake up the volume group on disk (alt_rootvg_op -W).
    #[arg(short = 'W')]
    wake: bool,
    /// Target disks (or the disk / volume group of -X, -q, -v, -W).
    #[arg(value_name = "target_disks")]
    operands: Vec<String>,
    #[command(flatten)]
    host: HostArg,
}

impl Args {
    /// The flags given, in AIX's synopsis order (the modern commands get them in that order).
    fn flags(&self) -> Flags {
        let val = |c: char, v: &Option<String>| v.as_ref().map(|v| (c, Some(v.clone())));
        let flag = |c: char, on: bool| on.then_some((c, None));
        [
            val('d', &self.device),
            val('i', &self.image_data),
            val('s', &self.script),
            val('R', &self.resolv_conf),
            flag('C', self.clone),
            flag('D', self.trace),
            flag('B', self.no_bootlist),
            flag('V', self.verbose),
            flag('r', self.reboot),
            flag('O', self.device_reset),
            val('p', &self.platform),
            val('L', &self.level),
            val('b', &self.bundle),
            val('I', &self.installp_flags),
            val('l', &self.images),
            val('f', &self.fix_bundle),
            val('F', &self.fixes),
            val('e', &self.exclude),
            val('w', &self.filesets),
            flag('n', self.nim_client),
            val('P', &self.phases),
            val('v', &self.rename),
            flag('X', self.remove),
            flag('q', self.query),
            flag('S', self.sleep),
            flag('W', self.wake),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

fn refuse(msg: String) -> anyhow::Result<i32> {
    eprintln!("alt_disk_install: {msg}");
    crate::render::json::error(&format!("alt_disk_install: {msg}"));
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
pub fn run(a: Args) -> anyhow::Result<i32> {
    let f = a.flags();
    if f.is_empty() {
        eprintln!("{}", super::usage_of("alt_disk_install"));
        crate::render::json::error("alt_disk_install: no flags");
        return Ok(crate::exit::USAGE);
    }
    match translate(&f, &a.operands) {
        Ok((cmd, args)) => {
            let mut argv: Vec<OsString> = vec!["altdisk".into(), cmd.into()];
            if let Some(h) = &a.host.host {
                argv.extend([OsString::from("--host"), h.clone().into_os_string()]);
            }
            argv.extend(args.into_iter().map(OsString::from));
            Ok(super::run_argv(argv))
        }
        Err(m) => refuse(m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(args: &[&str]) -> Result<(&'static str, Vec<String>), String> {
        let argv = ["altdisk", "alt_disk_install"].iter().chain(args).map(OsString::from).collect();
        match super::super::parse(argv).map_err(|e| e.to_string())?.0.command {
            super::super::Cmd::AltDiskInstall(a) => translate(&a.flags(), &a.operands),
            other => Err(format!("parsed as {other:?}")),
        }
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
