//! AIX-style short options: clustered flags (`-iqpf out`, `-ivf-`), an option's argument either attached
//! (`-fout`) or in the next word, `--` ends options. Long options are passed through for the caller.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// One parsed option.
#[derive(Debug, PartialEq, Eq)]
pub enum Opt {
    /// A flag letter, with its argument when the letter takes one.
    Short(char, Option<OsString>),
    /// A `--long` option (no argument handling).
    Long(String),
    /// An operand.
    Operand(OsString),
}

/// Parses `args`; `with_arg` lists the letters that take an argument, `flags` those that do not.
pub fn parse(args: Vec<OsString>, flags: &str, with_arg: &str) -> Result<Vec<Opt>, String> {
    let mut out = Vec::new();
    let mut it = args.into_iter();
    let mut only_operands = false;
    while let Some(a) = it.next() {
        let b = a.as_bytes();
        if only_operands || b.len() < 2 || b[0] != b'-' {
            out.push(Opt::Operand(a));
            continue;
        }
        if b == b"--" {
            only_operands = true;
            continue;
        }
        if let Some(long) = b.strip_prefix(b"--") {
            out.push(Opt::Long(String::from_utf8_lossy(long).into_owned()));
            continue;
        }
        let mut i = 1;
        while i < b.len() {
            let c = b[i] as char;
            if with_arg.contains(c) {
                let arg = if i + 1 < b.len() {
                    OsString::from_vec(b[i + 1..].to_vec())
                } else {
                    it.next().ok_or_else(|| format!("option -{c} needs an argument"))?
                };
                out.push(Opt::Short(c, Some(arg)));
                break;
            } else if flags.contains(c) {
                out.push(Opt::Short(c, None));
            } else {
                return Err(format!("unknown option -{c}"));
            }
            i += 1;
        }
    }
    Ok(out)
}

/// Parsed flags, in command-line order: the letter and its value for flags that take one.
pub type Flags = Vec<(char, Option<String>)>;

/// [`parse`] for commands that want the flags and operands apart (operands may come between flags, as AIX
/// scripts write `alt_disk_copy -d hdisk4 hdisk14 -B`); a bad flag is a usage error (exit 2).
pub fn flags(args: &[OsString], with_arg: &str, bools: &str) -> anyhow::Result<(Flags, Vec<String>)> {
    let opts = match parse(args.to_vec(), bools, with_arg) {
        Ok(o) => o,
        Err(e) => return crate::exit::usage(e),
    };
    let mut flags = Vec::new();
    let mut operands = Vec::new();
    for o in opts {
        match o {
            Opt::Short(c, v) => flags.push((c, v.map(|v| v.to_string_lossy().into_owned()))),
            Opt::Operand(a) => operands.push(a.to_string_lossy().into_owned()),
            Opt::Long(l) => return crate::exit::usage(format!("unknown option --{l}")),
        }
    }
    Ok((flags, operands))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn clustered_flags_with_argument() {
        let o = parse(v(&["-iqpf", "out"]), "iqpv", "fbe").unwrap();
        assert_eq!(
            o,
            vec![
                Opt::Short('i', None),
                Opt::Short('q', None),
                Opt::Short('p', None),
                Opt::Short('f', Some("out".into()))
            ]
        );
        let o = parse(v(&["-ivf-"]), "iqpv", "fbe").unwrap();
        assert_eq!(o[2], Opt::Short('f', Some("-".into())));
        assert!(parse(v(&["-z"]), "iqpv", "fbe").is_err());
        assert!(parse(v(&["-f"]), "iqpv", "fbe").is_err());
    }
}
