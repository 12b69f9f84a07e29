//! `altdisk convert IN OUT`: by-name ⇄ tar, as a stream. All the work is in `altdisk_engine::convert`; this
//! picks the formats, opens the files and reports what the target format could not hold.
//!
//! IN's format is recognised by its content (by-name, tar, either compressed with zstd); `-` is standard
//! input. OUT's format is `--to`, else its name: `.tar`, `.tar.zst`/`.tzst` (tar, zstd), `.bff`, `.mksysb`,
//! `.byname` (by-name), with `.zst` after them for zstd; `-` is standard output (give `--to`).
//!
//! Exit status: 0 done (metadata the target cannot hold is listed per class on standard error); 1 soft
//! errors (an entry skipped or incomplete) or another failure; 2 bad command line; 3 the input is damaged or
//! not an archive (the message names the byte offset; an OUT file cut short is removed).

use std::ffi::OsString;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;
use std::sync::Arc;

use altdisk_engine::archive::writer::remove_incomplete;
use altdisk_engine::convert::{convert, ConvertOptions, Format};
use altdisk_engine::Error;

use crate::exit;
use crate::render::{json, Renderer};

/// Convert an archive between the by-name format and tar (pax), in either direction, as a stream.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The input archive (by-name or tar, plain or zstd), or - for standard input.
    #[arg(value_name = "IN")]
    input: OsString,
    /// The output archive, or - for standard output.
    #[arg(value_name = "OUT")]
    output: OsString,
    /// The output format (default: from OUT's name).
    #[arg(long, value_name = "FORMAT", value_enum)]
    to: Option<To>,
    /// Compress the output with zstd at level 3 (the same as --zstd).
    #[arg(short = 'Z')]
    zstd_default: bool,
    #[command(flatten)]
    zstd: super::common::ZstdArg,
    /// By-name output: Huffman-pack files as backup -p does.
    #[arg(long)]
    pack: bool,
}

/// An output format.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum To {
    /// POSIX pax tar (GNU headers and long names).
    Tar,
    /// The AIX by-name format (backup -i, mksysb).
    Byname,
}

/// The format and compression OUT's name asks for.
fn from_name(out: &Path) -> Option<(Format, bool)> {
    let n = out.file_name()?.to_string_lossy().to_ascii_lowercase();
    let (base, zstd) = match n.strip_suffix(".zst") {
        Some(b) => (b.to_string(), true),
        None if n.ends_with(".tzst") => return Some((Format::Tar, true)),
        None => (n, false),
    };
    let ext = Path::new(&base).extension()?.to_str()?.to_string();
    match ext.as_str() {
        "tar" => Some((Format::Tar, zstd)),
        "bff" | "mksysb" | "byname" => Some((Format::ByName, zstd)),
        _ => None,
    }
}

/// Runs `convert`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    let (to_stdout, from_stdin) = (a.output == "-", a.input == "-");
    let named = if to_stdout { None } else { from_name(Path::new(&a.output)) };
    let to = match (a.to, named) {
        (Some(To::Tar), _) => Format::Tar,
        (Some(To::Byname), _) => Format::ByName,
        (None, Some((f, _))) => f,
        (None, None) => {
            return exit::usage(format!(
                "cannot tell the output format from {:?}: give --to tar or --to byname",
                a.output
            ))
        }
    };
    let z = a.zstd_default || named.is_some_and(|(_, z)| z) && a.zstd.zstd.is_none();
    let compression = match crate::cmd::common::compression(z, a.zstd.level(), None) {
        Ok(c) => c,
        Err(m) => return exit::usage(m),
    };
    if a.pack && to != Format::ByName {
        return exit::usage("--pack goes with by-name output only");
    }
    if to_stdout && json::on() {
        return exit::usage("--json writes JSON lines to standard output: give OUT as a file, not -");
    }
    if !from_stdin && !to_stdout && same_file(Path::new(&a.input), Path::new(&a.output)) {
        return exit::usage("IN and OUT are the same file");
    }
    let input: Box<dyn Read + Send> = if from_stdin {
        Box::new(io::stdin())
    } else {
        Box::new(std::fs::File::open(&a.input).map_err(|e| Error::io("open", &a.input, e))?)
    };
    let out_name = if to_stdout { "-".to_string() } else { a.output.to_string_lossy().into_owned() };
    let output: Box<dyn Write + Send> = if to_stdout {
        Box::new(io::stdout())
    } else {
        Box::new(std::fs::File::create(&a.output).map_err(|e| Error::io("create", &a.output, e))?)
    };
    let output = BufWriter::with_capacity(256 << 10, output);
    let date = altdisk_engine::clock::now_secs().clamp(0, i64::from(i32::MAX)) as i32;
    let opts = ConvertOptions { to, compression, pack: a.pack, date };
    // A bar on a terminal: the input file's size is the total (progress counts bytes of the archive read).
    let r = Arc::new(Renderer::new("convert", None, true));
    if let Some(total) = (!from_stdin).then(|| super::common::archive_total(Path::new(&a.input))).flatten() {
        r.planned(None, total);
    }
    let res = convert(input, output, &out_name, &opts, r.clone());
    r.finish();
    let (out, s) = match res {
        Ok(v) => v,
        Err(e) => {
            if !to_stdout && remove_incomplete(Path::new(&a.output)) {
                eprintln!("convert: {} was not finished and has been removed", out_name);
            }
            // A damaged input: name it in front of the offset.
            let in_name = if from_stdin {
                "standard input".to_string()
            } else {
                a.input.to_string_lossy().into_owned()
            };
            return Err(match e {
                Error::Archive(_) => anyhow::Error::from(e).context(in_name),
                e => e.into(),
            });
        }
    };
    let mut out = out;
    out.flush().map_err(|e| Error::io("write", &out_name, e))?;
    let classes = s.lost.classes();
    json::result("from", serde_json::json!(s.from.map(|f| f.name())));
    json::result("to", serde_json::json!(to.name()));
    json::result("output", serde_json::json!(out_name));
    json::result("entries", serde_json::json!(s.entries));
    json::result("bytes", serde_json::json!(s.bytes));
    json::result(
        "lost",
        serde_json::Value::Object(
            classes.iter().map(|(c, n)| ((*c).to_string(), serde_json::json!(n))).collect(),
        ),
    );
    if !classes.is_empty() {
        let list: Vec<String> = classes.iter().map(|(c, n)| format!("{c}: {n}")).collect();
        json::warning(&format!(
            "convert: not in the {} output (the format cannot hold them): {}",
            to.name(),
            list.join(", ")
        ));
    }
    let soft = s.soft_errors.max(r.soft_errors.load(std::sync::atomic::Ordering::Relaxed));
    if soft > 0 {
        json::failure(&format!("convert: {soft} entries could not be converted completely"));
        return Ok(exit::FAILED);
    }
    Ok(exit::OK)
}

/// True when both paths name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}
