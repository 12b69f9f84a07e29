//! Exclude-list filtering speed: 100 realistic grep patterns over ~200k rootvg-like names (paths/s).

use altdisk_engine::exclude::{ExcludeList, Syntax};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// 100 patterns of the kinds admins put in /etc/exclude.rootvg.
fn patterns() -> String {
    let mut p = Vec::new();
    let tops = ["usr", "var", "opt", "home", "tmp", "admin", "export", "srv"];
    let subs = ["lib", "share", "log", "cache", "spool", "local", "bin", "src", "db", "backup"];
    // Anchored prefixes.
    for (i, t) in tops.iter().enumerate() {
        for s in subs.iter().skip(i % 3).step_by(2) {
            p.push(format!("^\\./{t}/{s}/old"));
        }
    }
    // Directory names anywhere.
    for n in
        ["scratch", "cache", ".snapshot", "lost+found", "tmp", "Trash", ".git", "core.d", "dumps", "nobackup"]
    {
        p.push(format!("/{n}/"));
    }
    // Suffixes.
    for s in ["log", "tmp", "bak", "swp", "o", "old", "trc", "dmp", "iso", "tar", "gz", "Z"] {
        p.push(format!("\\.{s}$"));
    }
    // Classes and the IBM examples.
    p.extend(
        [
            "^./tmp/",
            "^./etc/motd$",
            "/core\\.[0-9][0-9]*$",
            "/[Tt]emp/",
            "/\\.[a-z]*_history$",
            "^./home/[a-z][a-z0-9]*/Downloads/",
            "^./var/adm/ras/[^/]*\\.[0-9]$",
            "/nmon/.*\\.nmon$",
            "[[:space:]]$",
            "~$",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    while p.len() < 100 {
        p.push(format!("^\\./opt/vendor{}/var/", p.len()));
    }
    p.truncate(100);
    p.join("\n") + "\n"
}

/// ~200k names shaped like a rootvg `find . -xdev` listing.
fn names() -> Vec<Vec<u8>> {
    let mut rng = SmallRng::seed_from_u64(42);
    let tops = ["usr", "var", "opt", "home", "etc", "admin", "tmp", "usr/share", "usr/lib", "opt/IBM"];
    let mids = [
        "lib",
        "share/man/man1",
        "log",
        "cache",
        "spool/mail",
        "local/bin",
        "bin",
        "include/sys",
        "lpp/bos",
        "adm/ras",
        "db2/instance",
        "java8_64/jre/lib",
        "websm/html",
        "scratch",
        "src/kernel",
        "locale/en_US",
    ];
    let leaves =
        ["libc.a", "ls.1", "errlog", "passwd", "core.1234", "app.log", "x.o", "README", "main.c", "data"];
    let mut out = Vec::with_capacity(200_000);
    for i in 0..200_000u32 {
        let depth = rng.gen_range(0..4);
        let mut n =
            format!("./{}/{}", tops[rng.gen_range(0..tops.len())], mids[rng.gen_range(0..mids.len())]);
        for d in 0..depth {
            n.push_str(&format!("/d{}_{}", d, rng.gen_range(0..50)));
        }
        n.push_str(&format!("/{}{}", i % 97, leaves[rng.gen_range(0..leaves.len())]));
        out.push(n.into_bytes());
    }
    out
}

fn bench(c: &mut Criterion) {
    let list = ExcludeList::from_bytes("bench.list", patterns().as_bytes(), Syntax::Basic).unwrap();
    assert_eq!(list.len(), 100);
    let names = names();
    let excluded = names.iter().filter(|n| list.is_excluded(n)).count();
    eprintln!("exclude bench: {excluded} of {} names excluded by {} patterns", names.len(), list.len());
    let mut g = c.benchmark_group("exclude");
    g.throughput(Throughput::Elements(names.len() as u64));
    g.sample_size(20);
    g.bench_function("is_excluded_100_patterns_200k_paths", |b| {
        b.iter(|| names.iter().filter(|n| list.is_excluded(black_box(n))).count())
    });
    g.bench_function("prunes_subtree_100_patterns_200k_dirs", |b| {
        b.iter(|| names.iter().filter(|n| list.prunes_subtree(black_box(n))).count())
    });
    g.finish();
    c.bench_function("exclude_compile_100_patterns", |b| {
        let text = patterns();
        b.iter(|| ExcludeList::from_bytes("bench.list", black_box(text.as_bytes()), Syntax::Basic).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
