//! `altdisk man DIR`: one man page per command (clap_mangen), from the same clap definitions that parse the
//! command lines, with the AIX synopsis of each AIX command and an EXIT STATUS section (`crate::exit::TABLE`).

use std::path::{Path, PathBuf};

use altdisk_engine::Error;

/// Write one man page per command into DIR (alt_disk_copy.1, ..., altdisk.1, altdisk-clone.1, ...).
#[derive(clap::Args, Debug)]
#[command(after_help = "Example: altdisk man /usr/local/share/man/man1 && man alt_disk_copy")]
pub struct Args {
    /// The directory for the pages (created if missing).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

/// Runs `altdisk man DIR`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    std::fs::create_dir_all(&a.dir).map_err(|e| Error::io("create", &a.dir, e))?;
    let root = super::command();
    let mut pages = vec![("altdisk".to_string(), root.clone())];
    for c in root.get_subcommands() {
        let name = c.get_name();
        let aix = super::install_links::AIX_NAMES.contains(&name);
        let page = if aix { name.to_string() } else { format!("altdisk-{name}") };
        let bin = if aix { name.to_string() } else { format!("altdisk {name}") };
        pages.push((page, c.clone().bin_name(bin)));
    }
    for (page, cmd) in &pages {
        write_page(&a.dir, page, cmd.clone())?;
    }
    println!("{} man pages written in {}", pages.len(), a.dir.display());
    Ok(crate::exit::OK)
}

/// Renders `cmd` as `DIR/PAGE.1`.
fn write_page(dir: &Path, page: &str, mut cmd: clap::Command) -> anyhow::Result<()> {
    let usage = cmd.render_usage().to_string();
    let usage = usage.strip_prefix("Usage: ").unwrap_or(&usage).to_string();
    let man = clap_mangen::Man::new(cmd.clone())
        .title(page.to_uppercase())
        .section("1")
        .source(format!("altdisk {}", env!("CARGO_PKG_VERSION")))
        .manual("altdisk manual");
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    out.extend_from_slice(b".SH SYNOPSIS\n.nf\n");
    for line in usage.lines() {
        out.extend_from_slice(roff_line(line).as_bytes());
        out.push(b'\n');
    }
    out.extend_from_slice(b".fi\n");
    man.render_description_section(&mut out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut out)?;
    }
    if cmd.get_after_help().is_some() {
        man.render_extra_section(&mut out)?;
    }
    out.extend_from_slice(b".SH \"EXIT STATUS\"\n");
    for (code, what) in crate::exit::TABLE {
        out.extend_from_slice(format!(".TP\n.B {code}\n{}\n", roff_line(what)).as_bytes());
    }
    let path = dir.join(format!("{page}.1"));
    std::fs::write(&path, out).map_err(|e| Error::io("write", &path, e))?;
    Ok(())
}

/// One line of plain text as roff: backslashes and hyphens escaped, no control character at its start.
fn roff_line(s: &str) -> String {
    let t = s.replace('\\', "\\e").replace('-', "\\-");
    if t.starts_with('.') || t.starts_with('\'') {
        format!("\\&{t}")
    } else {
        t
    }
}
