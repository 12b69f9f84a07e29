//! A technology-level update for the sample host (`altdisk host init --sample`, at 7200-04 SP 2): build
//! roots and mkinstallp templates for AIX 7200-05 SP 1 (`7200-05-01-2038`), built with [`super::mkinstallp`]
//! into an image directory with its `.toc` and a bundle. The demo and the tests use it; a newcomer can read the
//! templates it writes to learn the format.

use std::path::{Path, PathBuf};

use super::mkinstallp::mkinstallp;
use crate::error::{Error, Result};

/// One fileset of the update: (package, fileset, level, description, files it delivers again).
type UpdateFileset = (&'static str, &'static str, &'static str, &'static str, &'static [&'static str]);

/// The 7200-05 SP1 update: the sample's AIX filesets, each with new content for some of its files.
/// `bos.rte` carries 7.2.5.1 (the service pack); the others 7.2.5.0 (the technology level).
const TL5: &[UpdateFileset] = &[
    (
        "bos",
        "bos.rte",
        "7.2.5.1",
        "Base Operating System Runtime",
        &["/usr/bin/ksh", "/usr/bin/ls", "/etc/profile"],
    ),
    ("bos", "bos.rte.libc", "7.2.5.0", "libc Library", &["/usr/lib/libc.a"]),
    (
        "bos",
        "bos.mp64",
        "7.2.5.0",
        "Base Operating System 64-bit Multiprocessor Runtime",
        &["/usr/lib/boot/unix_64"],
    ),
    (
        "bos.net",
        "bos.net.tcp.client",
        "7.2.5.0",
        "TCP/IP Client Support",
        &["/usr/sbin/ifconfig", "/etc/rc.tcpip"],
    ),
    ("bos.net", "bos.net.tcp.server", "7.2.5.0", "TCP/IP Server", &["/usr/sbin/inetd"]),
    ("bos.perf", "bos.perf.tools", "7.2.5.0", "Base Performance Tools", &["/usr/bin/svmon"]),
    (
        "devices.common.IBM.ethernet",
        "devices.common.IBM.ethernet.rte",
        "7.2.5.0",
        "Common Ethernet Software",
        &["/usr/lib/methods/cfgent"],
    ),
];

/// The service-pack and technology-level keywords the update delivers.
pub(crate) const TL5_ML: &str = "7200-05_AIX_ML";
/// The service pack keyword: `oslevel -s` shows `7200-05-01-2038` once it is installed.
pub(crate) const TL5_SP: &str = "7200-05-01-2038_SP";

/// What [`build_tl5`] made.
#[derive(Debug, Clone)]
pub struct SampleUpdate {
    /// The image directory (holds the images and `.toc`).
    pub location: PathBuf,
    /// A bundle file naming every update fileset (`I:` lines).
    pub bundle: PathBuf,
    /// The images, one per package.
    pub images: Vec<PathBuf>,
    /// What mkinstallp printed, image by image.
    pub lines: Vec<String>,
}

fn write(path: &Path, data: &[u8]) -> Result<()> {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).map_err(|e| Error::io("create", p, e))?;
    }
    std::fs::write(path, data).map_err(|e| Error::io("write", path, e))
}

/// Builds the 7200-05 SP1 update under `work` (build roots and templates in `work/build/PKG`, images in
/// `work/images`) with mkinstallp, writes `work/images/.toc` and the bundle `work/TL5.bnd`.
pub fn build_tl5(work: &Path) -> Result<SampleUpdate> {
    let images_dir = work.join("images");
    std::fs::create_dir_all(&images_dir).map_err(|e| Error::io("create", &images_dir, e))?;
    let mut packages: Vec<&str> = TL5.iter().map(|f| f.0).collect();
    packages.dedup();
    let mut out = SampleUpdate {
        location: images_dir.clone(),
        bundle: work.join("TL5.bnd"),
        images: vec![],
        lines: vec![],
    };
    let mut bundle = String::from("# AIX 7200-05 Service Pack 1 for the altdisk sample host\n");
    for pkg in packages {
        let root = work.join("build").join(pkg);
        let mut tmpl = format!("Package Name: {pkg}\nPackage VRMF: 7.2.5.0\nUpdate: Y\n");
        for (_, fileset, level, description, files) in TL5.iter().filter(|f| f.0 == pkg) {
            bundle.push_str(&format!("I:{fileset}\n"));
            let (mut usr, mut rootp) = (String::new(), String::new());
            for f in *files {
                let text = format!("{f} from {fileset} {level} (AIX 7200-05-01-2038)\n").repeat(24);
                write(&root.join(f.trim_start_matches('/')), text.as_bytes())?;
                if f.starts_with("/etc/") || f.starts_with("/var/") {
                    rootp.push_str(&format!("    {f}\n"));
                } else {
                    usr.push_str(&format!("    {f}\n"));
                }
            }
            let sp = if *fileset == "bos.rte" {
                format!("  Fix Information: {TL5_SP} AIX 7200-05 Service Pack 1\n")
            } else {
                String::new()
            };
            tmpl.push_str(&format!(
                "Fileset\n  Fileset Name: {fileset}\n  Fileset VRMF: {level}\n  Fileset Description: {description}\n  \
                 Bosboot required: {}\n  Requisites: *prereq bos.rte 7.2.5.0\n  Fix Information: {TL5_ML} AIX 7200-05 Technology Level\n{sp}  \
                 USRFiles\n{usr}  EOUSRFiles\n  ROOT Part: {}\n  ROOTFiles\n{rootp}  EOROOTFiles\nEOFileset\n",
                if *fileset == "bos.mp64" { "Y" } else { "N" },
                if rootp.is_empty() { "N" } else { "Y" },
            ));
        }
        // bos.rte itself has no prereq on bos.rte 7.2.5.0: its own base level is enough.
        let tmpl = tmpl.replace(
            "Fileset Name: bos.rte\n  Fileset VRMF: 7.2.5.1\n  Fileset Description: Base Operating System Runtime\n  Bosboot required: N\n  Requisites: *prereq bos.rte 7.2.5.0\n",
            "Fileset Name: bos.rte\n  Fileset VRMF: 7.2.5.1\n  Fileset Description: Base Operating System Runtime\n  Bosboot required: N\n",
        );
        let tpath = work.join("build").join(format!("{pkg}.template"));
        write(&tpath, tmpl.as_bytes())?;
        let built = mkinstallp(&root, &tpath)?;
        let dst = images_dir.join(format!("{pkg}.7.2.5.0.U"));
        std::fs::rename(&built.image, &dst).map_err(|e| Error::io("move", &built.image, e))?;
        out.lines.extend(built.lines);
        out.images.push(dst);
    }
    write(&out.bundle, bundle.as_bytes())?;
    super::location::inutoc(&images_dir)?;
    Ok(out)
}
