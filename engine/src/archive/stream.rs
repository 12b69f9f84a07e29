//! The byte stream under an archive: plain, or zstd-compressed as a whole (`backup -Z`, `mksysb --zstd`).
//!
//! Compression is a wrapper, not a second archive format: [`OutStream`] sits between the
//! [`super::ArchiveWriter`] and its output, [`open_stream`] between any input and the
//! [`super::ArchiveReader`]. A reader never needs to be told: a zstd stream is recognised by its frame magic
//! (`28 B5 2F FD`) in the first four bytes and decompressed on the fly, with no seek, so files, pipes and
//! standard input all work. Damage inside the compressed stream surfaces as [`ZstdDamage`] carrying both the
//! compressed and the uncompressed offset; the archive reader turns it into
//! [`super::ArchiveError::Zstd`].

use std::io::{self, BufReader, Read, Write};
use std::ops::RangeInclusive;

/// The zstd frame magic number as it appears on the medium (little-endian 0xFD2FB528).
pub const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

/// Compression levels accepted (`--zstd=LEVEL`); the upper levels beyond 19 need far more memory and are
/// left out, as zstd's own command does without `--ultra`.
pub const ZSTD_LEVELS: RangeInclusive<i32> = 1..=19;

/// The level used when none is given (zstd's own default).
pub const ZSTD_DEFAULT_LEVEL: i32 = 3;

/// How the archive byte stream is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compression {
    /// As is: the by-name stream AIX restore reads.
    #[default]
    None,
    /// The whole stream as one zstd frame.
    Zstd {
        /// Compression level, within [`ZSTD_LEVELS`].
        level: i32,
        /// Compression worker threads (0: compress on the writing thread).
        threads: u32,
    },
}

/// Counts the bytes that pass, and remembers whether the underlying stream itself failed (so a reader can
/// tell an I/O error of the medium from damage in the compressed data).
struct Counted<T> {
    inner: T,
    bytes: u64,
    failed: bool,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(b)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(b) {
            Ok(n) => {
                self.bytes += n as u64;
                Ok(n)
            }
            Err(e) => {
                if e.kind() != io::ErrorKind::Interrupted {
                    self.failed = true;
                }
                Err(e)
            }
        }
    }
}

/// The output side: the archive writer writes into this, which passes the bytes on as they are or
/// compresses them. Call [`OutStream::finish`] once the archive writer is finished: a zstd frame is only
/// complete when its epilogue has been written.
pub struct OutStream<W: Write>(Out<W>);

enum Out<W: Write> {
    Plain(Counted<W>),
    Zstd(Box<zstd::stream::write::Encoder<'static, Counted<W>>>),
}

impl<W: Write> OutStream<W> {
    /// Wraps `out`. Fails when the compressor cannot be set up (an unsupported level or thread count).
    pub fn new(out: W, c: Compression) -> io::Result<Self> {
        let counted = Counted { inner: out, bytes: 0, failed: false };
        Ok(OutStream(match c {
            Compression::None => Out::Plain(counted),
            Compression::Zstd { level, threads } => {
                if !ZSTD_LEVELS.contains(&level) {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("zstd level {level} is not within 1..=19"),
                    ));
                }
                let mut enc = zstd::stream::write::Encoder::new(counted, level)?;
                // The frame checksum lets a reader tell corrupted data from good data, as the header
                // checksums do for the records.
                enc.include_checksum(true)?;
                if threads > 0 {
                    enc.multithread(threads)?;
                }
                Out::Zstd(Box::new(enc))
            }
        }))
    }

    /// Ends the stream (the zstd epilogue) and flushes it; returns the inner writer and the bytes written to
    /// it (compressed bytes for zstd).
    pub fn finish(self) -> io::Result<(W, u64)> {
        let mut c = match self.0 {
            Out::Plain(c) => c,
            Out::Zstd(enc) => enc.finish()?,
        };
        c.flush()?;
        Ok((c.inner, c.bytes))
    }
}

impl<W: Write> Write for OutStream<W> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        match &mut self.0 {
            Out::Plain(c) => c.write(b),
            Out::Zstd(e) => e.write(b),
        }
    }
    fn write_all(&mut self, b: &[u8]) -> io::Result<()> {
        match &mut self.0 {
            Out::Plain(c) => c.write_all(b),
            Out::Zstd(e) => e.write_all(b),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.0 {
            Out::Plain(c) => c.flush(),
            Out::Zstd(e) => e.flush(),
        }
    }
}

/// Damage in a zstd stream: the decoder failed, or the stream ended inside the frame. Travels inside an
/// [`io::Error`] from [`InStream`] so any reader above can recognise it.
#[derive(Debug, thiserror::Error)]
#[error("zstd stream damaged at compressed byte offset {compressed} (uncompressed offset {uncompressed}): {message}")]
pub struct ZstdDamage {
    /// Compressed bytes consumed before the input chunk the decoder failed in (the decoder takes its input
    /// in chunks of up to 128 KiB, so the damage lies at most that far beyond).
    pub compressed: u64,
    /// Uncompressed bytes it had produced by then.
    pub uncompressed: u64,
    /// What the decoder reported.
    pub message: String,
}

/// Buffer between the input and the zstd decoder.
const IN_BUF: usize = 128 * 1024;

type Head<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

/// The input side, from [`open_stream`]: the bytes as they are, or decompressed.
pub struct InStream<R: Read>(In<R>);

enum In<R: Read> {
    Plain(Head<R>),
    Zstd { dec: Box<zstd::stream::read::Decoder<'static, BufReader<Counted<Head<R>>>>>, out: u64 },
}

impl<R: Read> InStream<R> {
    /// True when the stream is zstd-compressed.
    pub fn is_zstd(&self) -> bool {
        matches!(self.0, In::Zstd { .. })
    }
}

impl<R: Read> Read for InStream<R> {
    fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
        let (dec, out) = match &mut self.0 {
            In::Plain(r) => return r.read(b),
            In::Zstd { dec, out } => (dec, out),
        };
        match dec.read(b) {
            Ok(n) => {
                *out += n as u64;
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted || dec.get_ref().get_ref().failed => Err(e),
            Err(e) => {
                let buffered = dec.get_ref().buffer().len() as u64;
                let compressed = dec.get_ref().get_ref().bytes - buffered;
                let message = if e.kind() == io::ErrorKind::UnexpectedEof {
                    "the stream ends inside a zstd frame (truncated)".to_string()
                } else {
                    e.to_string()
                };
                let kind = e.kind();
                Err(io::Error::new(kind, ZstdDamage { compressed, uncompressed: *out, message }))
            }
        }
    }
}

/// Reads the first bytes of `input` and returns a stream of the archive bytes: `input` itself when it does not
/// start with the zstd magic, a decompressing reader when it does. Only an I/O error of `input` fails here;
/// an empty or short stream is returned as it is, for the archive reader to judge.
pub fn open_stream<R: Read>(mut input: R) -> io::Result<InStream<R>> {
    let mut head = [0u8; 4];
    let mut got = 0;
    while got < head.len() {
        match input.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let zstd = got == 4 && head == ZSTD_MAGIC;
    let chained = io::Cursor::new(head[..got].to_vec()).chain(input);
    if !zstd {
        return Ok(InStream(In::Plain(chained)));
    }
    let buffered = BufReader::with_capacity(IN_BUF, Counted { inner: chained, bytes: 0, failed: false });
    let dec = zstd::stream::read::Decoder::with_buffer(buffered)?;
    Ok(InStream(In::Zstd { dec: Box::new(dec), out: 0 }))
}

/// True when `e` (from an [`InStream`]) reports damage in the compressed stream.
pub fn zstd_damage(e: &io::Error) -> Option<&ZstdDamage> {
    e.get_ref().and_then(|inner| inner.downcast_ref::<ZstdDamage>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compress(data: &[u8], level: i32, threads: u32) -> Vec<u8> {
        let mut o = OutStream::new(Vec::new(), Compression::Zstd { level, threads }).unwrap();
        o.write_all(data).unwrap();
        let (v, n) = o.finish().unwrap();
        assert_eq!(n, v.len() as u64);
        v
    }

    fn data() -> Vec<u8> {
        (0..300_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect()
    }

    #[test]
    fn plain_passes_through_and_counts() {
        let mut o = OutStream::new(Vec::new(), Compression::None).unwrap();
        o.write_all(b"abc").unwrap();
        assert_eq!(o.finish().unwrap(), (b"abc".to_vec(), 3));
        for input in [&b""[..], b"ab", b"abcdef"] {
            let mut s = open_stream(input).unwrap();
            assert!(!s.is_zstd());
            let mut got = Vec::new();
            s.read_to_end(&mut got).unwrap();
            assert_eq!(got, input);
        }
    }

    #[test]
    fn zstd_round_trips_single_and_multi_threaded() {
        let d = data();
        for threads in [0, 2] {
            let z = compress(&d, 3, threads);
            assert_eq!(z[..4], ZSTD_MAGIC);
            assert!(z.len() < d.len() / 10);
            let mut s = open_stream(&z[..]).unwrap();
            assert!(s.is_zstd());
            let mut got = Vec::new();
            s.read_to_end(&mut got).unwrap();
            assert_eq!(got, d);
        }
    }

    #[test]
    fn a_bad_level_is_refused() {
        for level in [0, 20, -1] {
            assert!(OutStream::new(Vec::new(), Compression::Zstd { level, threads: 0 }).is_err());
        }
    }

    #[test]
    fn truncation_names_both_offsets() {
        let d = data();
        let z = compress(&d, 3, 0);
        let cut = &z[..z.len() - 5];
        let mut s = open_stream(cut).unwrap();
        let mut got = Vec::new();
        let e = s.read_to_end(&mut got).unwrap_err();
        let dmg = zstd_damage(&e).expect("damage");
        assert!(dmg.message.contains("truncated"), "{dmg}");
        assert!(dmg.compressed <= cut.len() as u64 && dmg.compressed > 0, "{dmg}");
        assert_eq!(dmg.uncompressed, got.len() as u64);
    }

    #[test]
    fn corruption_names_both_offsets() {
        let d = data();
        let mut z = compress(&d, 3, 0);
        let at = z.len() / 2;
        for b in &mut z[at..at + 64] {
            *b ^= 0x5a;
        }
        let mut s = open_stream(&z[..]).unwrap();
        let mut got = Vec::new();
        let e = s.read_to_end(&mut got).unwrap_err();
        let dmg = zstd_damage(&e).expect("damage");
        assert!(dmg.compressed > 0 && dmg.compressed <= z.len() as u64, "{dmg}");
        assert_eq!(dmg.uncompressed, got.len() as u64);
    }

    /// A packed archive written through the zstd wrapper reads back whole; cut short, the reader reports
    /// [`crate::archive::ArchiveError::Zstd`] even from inside a packed member.
    #[test]
    fn packed_archive_inside_zstd() {
        use crate::archive::{ArchiveError, ArchiveReader, ArchiveWriter, ReaderOptions, WriterOptions};
        use crate::entry::{Entry, EntryData, Kind, Meta};
        let text: Vec<u8> = (0..400_000u32).map(|i| b"etaoin shrdlu"[(i * 7 % 13) as usize]).collect();
        let meta = Meta { mode: 0o644, nlink: 1, size: text.len() as u64, ..Meta::default() };
        let mut e = Entry::new(b"./big".to_vec(), Kind::File, meta);
        e.data = EntryData::Bytes(text.clone().into());
        let out = OutStream::new(Vec::new(), Compression::Zstd { level: 3, threads: 0 }).unwrap();
        let mut w =
            ArchiveWriter::new(out, WriterOptions { pack: true, ..WriterOptions::default() }).unwrap();
        w.write_entry(&e).unwrap();
        let (out, summary) = w.finish().unwrap();
        assert_eq!(summary.packed_files, 1);
        let (z, n) = out.finish().unwrap();
        assert_eq!(n, z.len() as u64);
        let read = |bytes: &[u8]| -> Result<Vec<u8>, ArchiveError> {
            let mut r = ArchiveReader::new(open_stream(bytes).unwrap(), ReaderOptions::default());
            let mut data = Vec::new();
            while let Some(rec) = r.next_record()? {
                if let crate::archive::Record::Entry(a) = rec {
                    assert!(a.packed);
                    r.read_data(&mut data)?;
                }
            }
            Ok(data)
        };
        assert_eq!(read(&z).unwrap(), text);
        match read(&z[..z.len() * 2 / 3]) {
            Err(ArchiveError::Zstd { compressed, message, .. }) => {
                assert!(compressed <= z.len() as u64 * 2 / 3);
                assert!(message.contains("truncated"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}
