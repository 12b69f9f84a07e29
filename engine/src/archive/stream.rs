//! The byte stream under an archive: plain, or zstd-compressed as a whole (`backup -Z`, `mksysb --zstd`).
//!
//! Compression is a wrapper, not a second archive format: [`OutStream`] sits between the
//! [`super::ArchiveWriter`] and its output, [`open_stream`] between any input and the
//! [`super::ArchiveReader`]. A reader never needs to be told: a zstd stream is recognised by its frame magic
//! (`28 B5 2F FD`) in the first four bytes and decompressed on the fly, with no seek, so files, pipes and
//! standard input all work. Damage inside the compressed stream surfaces as [`ZstdDamage`] carrying both the
//! compressed and the uncompressed offset; the archive reader turns it into
//! [`super::ArchiveError::Zstd`].

use crossbeam_channel as chan;
use std::io::{self, BufReader, Read, Write};
use std::ops::RangeInclusive;

use zstd::stream::raw::{InBuffer, Operation, OutBuffer};

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
        /// Compression worker threads: 0 compresses on the writing thread; 1 and 2 (up to
        /// [`ZSTD_OWN_THREAD_MAX`]) on one thread of its own, fed in chunks; more use zstd's own workers.
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
    Piped(Box<Piped<W>>),
}

/// Up to this many compression threads, one thread compresses with a single-threaded zstd context (see
/// [`Compression::Zstd`]). zstd's own workers copy the input into jobs of 8 MiB, fault in some 64 MiB of job
/// buffers and re-read an overlap per job: with two workers a backup took about a fifth more CPU than with
/// this thread (docs/BENCHMARKS.md), CPU that on two cores the walk and the writer need.
pub const ZSTD_OWN_THREAD_MAX: u32 = 2;

/// Input handed to the compressing thread at a time.
const CHUNK: usize = 1 << 20;
/// Chunks in flight (queued, being compressed, or their output waiting to be written), besides the one
/// being filled.
const IN_FLIGHT: usize = 3;
/// Room kept free in a chunk's output buffer while compressing into it (zstd's block size and a margin).
const OUT_ROOM: usize = 160 << 10;

/// What the compressing thread is to do after a chunk's input.
#[derive(Clone, Copy, PartialEq, Eq)]
enum After {
    /// Nothing: more input follows.
    Continue,
    /// Flush what zstd holds (`Write::flush`).
    Flush,
    /// End the frame (its epilogue and checksum).
    End,
}

/// One chunk going to the compressing thread: its input, and an output buffer to append to.
struct Job {
    input: Vec<u8>,
    out: Vec<u8>,
    after: After,
}

/// Compression on a thread of its own: the writing thread gathers input in chunks of [`CHUNK`] bytes, the
/// compressing thread turns each into compressed bytes, and the writing thread writes them out in order.
/// Buffers go round (at most [`IN_FLIGHT`] + 1 of each), so nothing is allocated per chunk.
struct Piped<W: Write> {
    out: Counted<W>,
    cur: Vec<u8>,
    free_in: Vec<Vec<u8>>,
    free_out: Vec<Vec<u8>>,
    in_flight: usize,
    tx: Option<chan::Sender<Job>>,
    rx: chan::Receiver<io::Result<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn compressor_gone() -> io::Error {
    io::Error::other("the zstd compression thread stopped")
}

impl<W: Write> Piped<W> {
    fn new(out: Counted<W>, enc: zstd::stream::raw::Encoder<'static>) -> io::Result<Self> {
        let (tx, jobs) = chan::unbounded::<Job>();
        let (done, rx) = chan::unbounded();
        let thread = std::thread::Builder::new()
            .name("zstd".into())
            .spawn(move || compress_chunks(enc, jobs, done))?;
        Ok(Piped {
            out,
            cur: Vec::with_capacity(CHUNK),
            free_in: Vec::new(),
            free_out: Vec::new(),
            in_flight: 0,
            tx: Some(tx),
            rx,
            thread: Some(thread),
        })
    }

    /// Writes out one finished chunk and keeps its buffers.
    fn take(&mut self, r: Result<io::Result<Job>, chan::RecvError>) -> io::Result<()> {
        let mut job = r.map_err(|_| compressor_gone())??;
        self.in_flight -= 1;
        self.out.write_all(&job.out)?;
        job.out.clear();
        job.input.clear();
        self.free_out.push(job.out);
        self.free_in.push(job.input);
        Ok(())
    }

    /// Hands the chunk being filled to the compressing thread and takes a free one.
    fn send(&mut self, after: After) -> io::Result<()> {
        let input = std::mem::take(&mut self.cur);
        let out = self.free_out.pop().unwrap_or_default();
        let tx = self.tx.as_ref().ok_or_else(compressor_gone)?;
        tx.send(Job { input, out, after }).map_err(|_| compressor_gone())?;
        self.in_flight += 1;
        // Write what is ready without waiting.
        while let Ok(r) = self.rx.try_recv() {
            self.take(Ok(r))?;
        }
        self.cur = loop {
            if let Some(b) = self.free_in.pop() {
                break b;
            }
            if self.in_flight < IN_FLIGHT {
                break Vec::with_capacity(CHUNK);
            }
            let r = self.rx.recv();
            self.take(r)?;
        };
        Ok(())
    }

    /// Waits for every chunk sent and writes its output.
    fn drain(&mut self) -> io::Result<()> {
        while self.in_flight > 0 {
            let r = self.rx.recv();
            self.take(r)?;
        }
        Ok(())
    }

    fn finish(mut self) -> io::Result<Counted<W>> {
        self.send(After::End)?;
        self.drain()?;
        self.tx = None;
        if let Some(t) = self.thread.take() {
            t.join().map_err(|_| compressor_gone())?;
        }
        Ok(self.out)
    }
}

impl<W: Write> Write for Piped<W> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let k = (CHUNK - self.cur.len()).min(b.len());
        self.cur.extend_from_slice(&b[..k]);
        if self.cur.len() == CHUNK {
            self.send(After::Continue)?;
        }
        Ok(k)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.send(After::Flush)?;
        self.drain()?;
        self.out.flush()
    }
}

/// The compressing thread: compresses each chunk in turn and sends it back, until the writing side hangs up
/// or a chunk fails (the error is sent back).
fn compress_chunks(
    mut enc: zstd::stream::raw::Encoder<'static>,
    jobs: chan::Receiver<Job>,
    done: chan::Sender<io::Result<Job>>,
) {
    for mut job in jobs {
        let r = compress_chunk(&mut enc, &mut job).map(|()| job);
        let failed = r.is_err();
        if done.send(r).is_err() || failed {
            return;
        }
    }
}

fn compress_chunk(enc: &mut zstd::stream::raw::Encoder<'static>, job: &mut Job) -> io::Result<()> {
    let mut input = InBuffer::around(&job.input);
    let out = &mut job.out;
    loop {
        if out.capacity() - out.len() < OUT_ROOM {
            out.reserve(OUT_ROOM.max(zstd::zstd_safe::compress_bound(CHUNK) - out.len()));
        }
        let at = out.len();
        let mut o = OutBuffer::around_pos(out, at);
        if input.pos() < job.input.len() {
            enc.run(&mut input, &mut o)?;
            continue;
        }
        let left = match job.after {
            After::Continue => return Ok(()),
            After::Flush => enc.flush(&mut o)?,
            After::End => enc.finish(&mut o, true)?,
        };
        if left == 0 {
            return Ok(());
        }
    }
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
                use zstd::zstd_safe::CParameter;
                let mut enc = zstd::stream::raw::Encoder::new(level)?;
                // The frame checksum lets a reader tell corrupted data from good data, as the header
                // checksums do for the records.
                enc.set_parameter(CParameter::ChecksumFlag(true))?;
                match threads {
                    0 => Out::Zstd(Box::new(zstd::stream::write::Encoder::with_encoder(counted, enc))),
                    1..=ZSTD_OWN_THREAD_MAX => Out::Piped(Box::new(Piped::new(counted, enc)?)),
                    _ => {
                        enc.set_parameter(CParameter::NbWorkers(threads))?;
                        Out::Zstd(Box::new(zstd::stream::write::Encoder::with_encoder(counted, enc)))
                    }
                }
            }
        }))
    }

    /// Ends the stream (the zstd epilogue) and flushes it; returns the inner writer and the bytes written to
    /// it (compressed bytes for zstd).
    pub fn finish(self) -> io::Result<(W, u64)> {
        let mut c = match self.0 {
            Out::Plain(c) => c,
            Out::Zstd(enc) => enc.finish()?,
            Out::Piped(p) => p.finish()?,
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
            Out::Piped(p) => p.write(b),
        }
    }
    fn write_all(&mut self, b: &[u8]) -> io::Result<()> {
        match &mut self.0 {
            Out::Plain(c) => c.write_all(b),
            Out::Zstd(e) => e.write_all(b),
            Out::Piped(p) => p.write_all(b),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.0 {
            Out::Plain(c) => c.flush(),
            Out::Zstd(e) => e.flush(),
            Out::Piped(p) => p.flush(),
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
        for threads in [0, 1, 2, 3] {
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

    /// Data over several chunks, compressible but not trivially so.
    fn big_data() -> Vec<u8> {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        (0..(3 * CHUNK + 12_345))
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if i % 3 == 0 {
                    (x % 7) as u8 + b'a'
                } else {
                    b"etaoin shrdlu"[i % 13]
                }
            })
            .collect()
    }

    fn decompress(z: &[u8]) -> Vec<u8> {
        let mut s = open_stream(z).unwrap();
        assert!(s.is_zstd());
        let mut got = Vec::new();
        s.read_to_end(&mut got).unwrap();
        got
    }

    /// The compressing thread (1 and 2 threads) writes the very bytes compression on the writing thread
    /// writes, however the input is cut, and more threads (zstd's workers) read back the same.
    #[test]
    fn own_thread_writes_what_the_writing_thread_would() {
        let d = big_data();
        let inline = compress(&d, 3, 0);
        for threads in 1..=ZSTD_OWN_THREAD_MAX {
            assert_eq!(compress(&d, 3, threads), inline, "threads {threads}");
            let mut o = OutStream::new(Vec::new(), Compression::Zstd { level: 3, threads }).unwrap();
            for piece in d.chunks(51_200) {
                o.write_all(piece).unwrap();
            }
            let (z, n) = o.finish().unwrap();
            assert_eq!((z.as_slice(), n), (inline.as_slice(), inline.len() as u64));
        }
        let mt = compress(&d, 3, ZSTD_OWN_THREAD_MAX + 1);
        assert_eq!(decompress(&mt), d);
        assert_eq!(decompress(&inline), d);
    }

    /// A flush in the middle pushes out everything written so far, and the stream still reads back whole.
    #[test]
    fn own_thread_flushes() {
        let d = big_data();
        let mut o = OutStream::new(Vec::new(), Compression::Zstd { level: 3, threads: 2 }).unwrap();
        o.write_all(&d[..1000]).unwrap();
        o.flush().unwrap();
        let Out::Piped(p) = &o.0 else { panic!("not on its own thread") };
        let mut dec = zstd::stream::read::Decoder::new(&p.out.inner[..]).unwrap();
        let mut head = [0u8; 1000];
        dec.read_exact(&mut head).unwrap();
        assert_eq!(head[..], d[..1000]);
        o.write_all(&d[1000..]).unwrap();
        let (z, _) = o.finish().unwrap();
        assert_eq!(decompress(&z), d);
    }

    /// An output that fails stops the writing with its error, and nothing hangs.
    #[test]
    fn own_thread_reports_a_failing_output() {
        struct Full(usize);
        impl Write for Full {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
                }
                let n = b.len().min(self.0);
                self.0 -= n;
                Ok(n)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let d = big_data();
        let mut o = OutStream::new(Full(10_000), Compression::Zstd { level: 3, threads: 2 }).unwrap();
        let e = d.chunks(51_200).try_for_each(|p| o.write_all(p)).and_then(|()| o.finish().map(|_| ()));
        assert_eq!(e.unwrap_err().kind(), io::ErrorKind::StorageFull);
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
