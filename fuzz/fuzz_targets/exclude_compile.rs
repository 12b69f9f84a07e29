//! Fuzz the exclude-list compiler: any bytes as a list, in both grep dialects, must either compile or be
//! refused with an error naming a line; never panic. When it compiles, matching and pruning must agree:
//! a pruned directory's descendants are excluded.
#![no_main]

use altdisk_engine::exclude::{translate_bre, translate_ere, ExcludeError, ExcludeList, Syntax};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Only the first lines: huge inputs only make the regex compiler slow, not the translator interesting.
    let data = &data[..data.len().min(4096)];
    for line in data.split(|&b| b == b'\n').take(8) {
        let _ = translate_bre(line);
        let _ = translate_ere(line);
    }
    for syntax in [Syntax::Basic, Syntax::Extended] {
        match ExcludeList::from_bytes("fuzz.list", data, syntax) {
            Ok(list) => {
                for name in [&b"./tmp/x"[..], b"./usr/lib/libc.a", b"", b"./a b/\xff"] {
                    let excluded = list.is_excluded(name);
                    assert_eq!(excluded, list.explain(name).is_some());
                    if list.prunes_subtree(name) {
                        let mut child = name.to_vec();
                        child.extend_from_slice(b"/child");
                        assert!(list.is_excluded(&child));
                    }
                }
            }
            Err(ExcludeError::Pattern { line, .. }) => assert!(line >= 1),
            Err(_) => {}
        }
    }
});
