//! `altdisk host init|reboot|show`: create and boot modelled AIX hosts; plus what every host command shares
//! (finding the host, printing engine events, AIX-style error lines).

use std::io::Write;
use std::path::PathBuf;

use altdisk_engine::host::{FsSpec, Host, HostLock};

/// `--host HOST`, flattened into every command that works on the modelled host.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct HostArg {
    /// The modelled AIX host directory (default: $ALTDISK_HOST).
    #[arg(long = "host", value_name = "HOST")]
    pub host: Option<PathBuf>,
}

impl HostArg {
    /// `--host HOST`, else `ALTDISK_HOST`; a usage error when neither is given.
    pub fn dir(&self) -> anyhow::Result<PathBuf> {
        match self.host.clone().or_else(|| std::env::var_os("ALTDISK_HOST").map(PathBuf::from)) {
            Some(p) => Ok(p),
            None => crate::exit::usage("no host: give --host HOST or set ALTDISK_HOST"),
        }
    }
}

/// A quoted, space-separated list (`-w "bos.rte bos.mp64"`, `-F "IV1 IV2"`) as words.
pub fn words(v: Option<String>) -> Vec<String> {
    v.map(|v| v.split_whitespace().map(str::to_string).collect()).unwrap_or_default()
}

/// The AIX transcript printer of every host command ([`crate::render::Transcript::aix`]).
pub type Printer = crate::render::Transcript;

/// `ALT_BAK_ERR_FAIL=1` / `ALT_BAK_ERR_REPORT=1` from the environment (spec alt-disk.md §1.2).
pub fn bak_err_from_env() -> altdisk_engine::altdisk::BakErrPolicy {
    use altdisk_engine::altdisk::BakErrPolicy;
    let on = |v: &str| std::env::var(v).as_deref() == Ok("1");
    if on("ALT_BAK_ERR_FAIL") {
        BakErrPolicy::Fail
    } else if on("ALT_BAK_ERR_REPORT") {
        BakErrPolicy::Report
    } else {
        BakErrPolicy::Continue
    }
}

/// The `--json` result of an alternate-disk run, known before it starts (so a failed run carries it too):
/// the target disks, the volume group it builds and the host's log file.
pub fn alt_result(dir: &std::path::Path, disks: &[String]) {
    use crate::render::json::result;
    result("targets", serde_json::json!(disks));
    result("vg", serde_json::json!("altinst_rootvg"));
    result("log", serde_json::json!(dir.join("alt_disk_inst.log")));
}

/// The exit code of an alternate-disk run: 1 when `ALT_BAK_ERR_REPORT` turned backup errors into a failure,
/// the error's code (after reporting it) when it failed.
pub fn outcome(
    name: &str,
    r: altdisk_engine::Result<altdisk_engine::altdisk::copy::CopyOutcome>,
) -> anyhow::Result<i32> {
    use crate::render::json::result;
    if let Ok(out) = &r {
        if let Some(s) = &out.stats {
            result("entries", serde_json::json!(s.entries));
            result("bytes", serde_json::json!(s.bytes));
            result("copy_errors", serde_json::json!(s.soft_errors.len()));
        }
        result("failed", serde_json::json!(out.failed));
        result("rebooted", serde_json::json!(out.boot.is_some()));
    }
    // `--verify`: the differences the copy has from its source, one `CLASS PATH: detail` line each, after the
    // transcript; any difference makes the run exit 1.
    let verified = match &r {
        Ok(out) => match out.stats.as_ref().and_then(|s| s.differences.as_ref()) {
            Some(diffs) => {
                let rd = crate::render::Renderer::new(name, None, false);
                let code = crate::cmd::verify::report(&rd, diffs);
                rd.finish();
                if !diffs.is_empty() {
                    crate::render::json::failure(&format!(
                        "{name}: --verify: the copy differs from its source in {} places (listed above)",
                        diffs.len()
                    ));
                }
                code
            }
            None => crate::exit::OK,
        },
        Err(_) => crate::exit::OK,
    };
    match r {
        Ok(out) if out.failed => Ok(crate::exit::FAILED),
        Ok(_) => Ok(verified),
        Err(e) => Ok(fail(name, e)),
    }
}

/// Reports an engine error: AIX catalogue messages (`0505-126 ...`, `0516-010 ...`) verbatim, others as
/// `NAME: message`. Returns the exit code.
pub fn fail(name: &str, e: altdisk_engine::Error) -> i32 {
    let msg = e.to_string();
    let e = anyhow::Error::from(e);
    let aix =
        msg.len() > 9 && msg.as_bytes()[..4].iter().all(u8::is_ascii_digit) && msg.as_bytes()[4] == b'-';
    if aix || msg.starts_with(&format!("{name}:")) {
        crate::render::json::flush();
        eprintln!("{msg}");
        crate::render::json::error(&msg);
        crate::exit::code_for(&e)
    } else {
        crate::exit::report(name, &e)
    }
}

/// Create, boot and show a modelled AIX host.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    cmd: HostCmd,
}

/// The `host` subcommands.
#[derive(clap::Subcommand, Debug)]
enum HostCmd {
    /// Create a host directory.
    Init {
        /// The host directory (created; must be empty).
        host: PathBuf,
        /// Build the sample AIX 7.2 rootvg with a generated tree.
        #[arg(long, conflicts_with = "root")]
        sample: bool,
        /// Adopt an existing tree as the running rootvg.
        #[arg(long)]
        root: Option<PathBuf>,
        /// Files in the sample tree.
        #[arg(long, default_value_t = 2000)]
        files: usize,
        /// A free disk NAME:SIZE_MB (repeatable; default hdisk1:20480 and hdisk2:20480).
        #[arg(long = "disk")]
        disks: Vec<String>,
        /// A filesystem of the adopted tree MOUNT_POINT:LV:SIZE_MB (repeatable; default: guessed).
        #[arg(long = "fs")]
        fs: Vec<String>,
    },
    /// Boot from the first bootable disk of the bootlist.
    Reboot {
        /// The host directory.
        host: PathBuf,
    },
    /// Print host.json.
    Show {
        /// The host directory.
        host: PathBuf,
    },
    /// Build, with mkinstallp, the AIX 7200-05 SP1 update of the sample host (at 7200-04 SP2) in DIR: build
    /// roots and templates (DIR/build), images and .toc (DIR/images), a bundle (DIR/TL5.bnd).
    SampleUpdate {
        /// The work directory (created).
        dir: PathBuf,
    },
}

fn parse_disk(s: &str) -> anyhow::Result<(String, u64)> {
    // NAME:SIZE as before, and NAME=SIZE as most tools write it.
    match s.split_once(':').or_else(|| s.split_once('=')) {
        Some((n, mb)) if n.starts_with("hdisk") => match mb.parse() {
            Ok(mb) => Ok((n.to_string(), mb)),
            Err(_) => crate::exit::usage(format!("--disk {s}: size must be a number of MB")),
        },
        _ => crate::exit::usage(format!("--disk {s}: expected hdiskN:SIZE_MB or hdiskN=SIZE_MB")),
    }
}

fn parse_fs(s: &str) -> anyhow::Result<FsSpec> {
    let parts: Vec<&str> = s.split(':').collect();
    match parts.as_slice() {
        [mp, lv, mb] if mp.starts_with('/') => match mb.parse() {
            Ok(size_mb) => Ok(FsSpec { mount_point: mp.to_string(), lv: lv.to_string(), size_mb }),
            Err(_) => crate::exit::usage(format!("--fs {s}: size must be a number of MB")),
        },
        _ => crate::exit::usage(format!("--fs {s}: expected /MOUNT_POINT:LV:SIZE_MB")),
    }
}

/// `altdisk host ...`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    let cmd = a.cmd;
    let printer = Printer::aix();
    let res = match cmd {
        HostCmd::Init { host, sample, root, files, disks, fs } => {
            let disks = disks.iter().map(|d| parse_disk(d)).collect::<anyhow::Result<Vec<_>>>()?;
            let fs = fs.iter().map(|f| parse_fs(f)).collect::<anyhow::Result<Vec<_>>>()?;
            match (sample, root) {
                (_, Some(r)) => Host::init_root(&host, &r, &fs).map(|_| ()),
                (true, None) => Host::init_sample(&host, files, &disks).map(|h| {
                    let free: Vec<String> = h
                        .state
                        .disks
                        .iter()
                        .filter(|d| d.vg.is_none())
                        .map(|d| format!("{} ({} MB)", d.name, d.size_mb))
                        .collect();
                    crate::render::json::result("host", serde_json::json!(host));
                    crate::render::json::result("disks", super::lspv::disks_json(&h.state));
                    crate::render::json::print(&format!(
                        "host init: made a sample AIX 7.2 host in {}: rootvg on hdisk0 ({files} generated files, \
                         oslevel 7200-04-02-2016), free disks {}.\nnext:      export ALTDISK_HOST={}; lspv; \
                         alt_disk_copy -d hdisk1   (the AIX names: altdisk install-links DIR)",
                        host.display(),
                        free.join(", "),
                        host.display()
                    ));
                }),
                (false, None) => return crate::exit::usage("host init: give --sample or --root DIR"),
            }
        }
        HostCmd::Reboot { host } => HostLock::acquire(&host)
            .and_then(|lock| Ok((lock, Host::open(&host)?)))
            .and_then(|(_lock, mut h)| {
                let r = h.reboot(&printer)?;
                crate::render::json::result("booted_from", serde_json::json!(h.state.booted_from));
                Ok(r)
            })
            .map(|r| {
                if let Some((p, code)) = r.firstboot {
                    crate::render::json::print(&format!("first-boot script {} exited {code}\n", p.display()));
                    crate::render::json::result("firstboot", serde_json::json!({"script": p, "exit": code}));
                }
            }),
        HostCmd::SampleUpdate { dir } => altdisk_engine::installp::sample::build_tl5(&dir).map(|u| {
            for l in &u.lines {
                crate::render::json::print(&format!("{l}\n"));
            }
            crate::render::json::result("images", serde_json::json!(u.location));
            crate::render::json::result("bundle", serde_json::json!(u.bundle));
            crate::render::json::print(&format!(
                "images: {}\nbundle: {}\nnext:   alt_disk_copy -d hdisk1 -l {} -b {}\n",
                u.location.display(),
                u.bundle.display(),
                u.location.display(),
                u.bundle.display()
            ));
        }),
        HostCmd::Show { host } => Host::open(&host).map(|h| {
            if crate::render::json::on() {
                crate::render::json::result("state", serde_json::to_value(&h.state).unwrap_or_default());
            } else {
                // A closed pipe (`| head`) is not an error worth a panic.
                let _ = writeln!(
                    std::io::stdout(),
                    "{}",
                    serde_json::to_string_pretty(&h.state).unwrap_or_default()
                );
            }
        }),
    };
    match res {
        Ok(()) => Ok(crate::exit::OK),
        Err(e) => Ok(fail("host", e)),
    }
}
