//! AIX pack codec throughput on ~8 MiB of realistic data (text lines, binary tables, zero runs), the kind of
//! files mksysb packs. Targets: decode >= 300 MB/s, byte-identical encode >= 150 MB/s.

use altdisk_engine::archive::pack::{pack, pack_to, unpack_stream, Frequencies, PackCode};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::io;

/// A deterministic text/binary mix: config-like text, ELF-like binary with small integers, some noise.
fn corpus(len: usize) -> Vec<u8> {
    let mut rng = SmallRng::seed_from_u64(0x5eed);
    let words: [&[u8]; 12] = [
        b"/usr/lib/",
        b"libc.a",
        b"  ",
        b"\n",
        b"root",
        b"system",
        b"export ",
        b"PATH=",
        b"# comment ",
        b"rootvg",
        b"hd4",
        b"jfs2 ",
    ];
    let mut v = Vec::with_capacity(len + 256);
    while v.len() < len {
        match rng.gen_range(0..10) {
            0..=5 => {
                for _ in 0..rng.gen_range(4..40) {
                    v.extend_from_slice(words[rng.gen_range(0..words.len())]);
                }
            }
            6..=8 => {
                for _ in 0..rng.gen_range(16..128) {
                    let x: u32 = rng.gen_range(0..4096);
                    v.extend_from_slice(&x.to_be_bytes());
                }
            }
            _ => v.extend((0..rng.gen_range(16..256)).map(|_| rng.gen::<u8>())),
        }
    }
    v.truncate(len);
    v
}

fn bench_pack(c: &mut Criterion) {
    let data = corpus(8 << 20);
    let packed = pack(&data).expect("corpus packs");
    eprintln!("corpus {} bytes packs to {} bytes", data.len(), packed.len());
    let mut g = c.benchmark_group("pack");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(20);
    g.bench_function("decode_8MiB", |b| {
        b.iter(|| {
            let mut src = &packed[..];
            unpack_stream(&mut src, packed.len() as u64, data.len() as u64, &mut io::sink()).expect("decode");
        })
    });
    g.bench_function("encode_8MiB", |b| {
        // Frequencies, code construction and the bit stream: everything `backup -p` does per file.
        b.iter(|| {
            let mut freq = Frequencies::new();
            freq.add(black_box(&data));
            let code = PackCode::build(&freq).expect("code");
            let mut src = &data[..];
            pack_to(&code, &mut src, &mut io::sink()).expect("encode")
        })
    });
    g.finish();

    // A typical small packed file: per-stream costs (header, decode tables, buffers) dominate.
    let small = &data[..8192];
    let small_packed = pack(small).expect("small file packs");
    let mut g = c.benchmark_group("pack_small");
    g.throughput(Throughput::Bytes(small.len() as u64));
    g.bench_function("decode_8KiB", |b| {
        b.iter(|| {
            let mut src = &small_packed[..];
            unpack_stream(&mut src, small_packed.len() as u64, small.len() as u64, &mut io::sink())
                .expect("decode");
        })
    });
    g.bench_function("encode_8KiB", |b| b.iter(|| pack(black_box(small)).expect("encode")));
    g.finish();
}

criterion_group!(benches, bench_pack);
criterion_main!(benches);
