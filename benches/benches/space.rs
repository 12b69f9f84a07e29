//! Space accounting throughput: how much the accountant costs per entry when it runs inline in the
//! pipeline, and how fast image.data parses and writes back.

use altdisk_engine::entry::{Entry, EntryData, Kind, Meta};
use altdisk_engine::imagedata::ImageData;
use altdisk_engine::space::{Accountant, FsTarget, FsType, Jfs2Params, JfsParams};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// A tree shaped like /usr: 1 directory per 20 files, names of 8–20 characters, sizes 0–256 KiB.
fn tree(n: usize) -> Vec<Entry> {
    let mut v = Vec::with_capacity(n);
    let mut dir = String::from("./usr");
    v.push(Entry {
        name: b".".to_vec(),
        kind: Kind::Dir,
        meta: Meta::default(),
        link_target: None,
        data: EntryData::None,
    });
    for i in 0..n {
        let (kind, name) = if i % 20 == 0 {
            dir = format!("./usr/lib/pkg{:06}", i / 20);
            (Kind::Dir, dir.clone())
        } else {
            (Kind::File, format!("{dir}/file_{:0width$}", i, width = 4 + i % 13))
        };
        let size = if kind == Kind::File { (i as u64 * 7919) % (256 << 10) } else { 0 };
        v.push(Entry {
            name: name.into_bytes(),
            kind,
            meta: Meta { size, nlink: 1, ino: i as u64 + 2, ..Meta::default() },
            link_target: None,
            data: EntryData::None,
        });
    }
    v
}

fn targets(jfs: bool) -> Vec<FsTarget> {
    let ty = if jfs { FsType::Jfs(JfsParams::default()) } else { FsType::Jfs2(Jfs2Params::default()) };
    ["/", "/usr", "/var", "/tmp", "/home", "/opt"]
        .iter()
        .map(|m| FsTarget { mount_point: m.to_string(), fs_type: ty, size: Some(8 << 30) })
        .collect()
}

fn accountant(c: &mut Criterion) {
    let entries = tree(100_000);
    let mut g = c.benchmark_group("space_accountant");
    g.throughput(Throughput::Elements(entries.len() as u64));
    for jfs in [false, true] {
        g.bench_with_input(
            BenchmarkId::new(if jfs { "jfs" } else { "jfs2" }, entries.len()),
            &entries,
            |b, es| {
                b.iter(|| {
                    let mut a = Accountant::new(targets(jfs));
                    for e in es {
                        a.add(e);
                    }
                    a.finish()
                })
            },
        );
    }
    g.finish();
}

fn imagedata(c: &mut Criterion) {
    let text = include_bytes!("../../testdata/imagedata/sample72.image.data");
    let mut g = c.benchmark_group("imagedata");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("parse_write_sample72", |b| {
        b.iter(|| ImageData::parse("sample72", text).map(|i| i.to_text().len()))
    });
    g.finish();
}

criterion_group!(benches, accountant, imagedata);
criterion_main!(benches);
