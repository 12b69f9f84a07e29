//! `altdisk`: the AIX alternate-disk tools on Linux. This binary is thin: it parses arguments (one clap
//! command tree, `cmd::command`), renders events and maps errors to exit codes; all behaviour is in
//! `altdisk_engine`.

mod cmd;
mod exit;
mod render;

use std::ffi::OsString;

/// Entries are allocated on the reader's threads and freed on the writer's: mimalloc handles that
/// cross-thread pattern far better than glibc malloc (it was ~40% of clone's user time).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` of mimalloc.h: the binding does not name it; in the header's enum (v2 and v3 alike)
/// it comes right before `mi_option_use_numa_nodes`.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = libmimalloc_sys::mi_option_use_numa_nodes - 1;

fn main() {
    // Behave like every Unix command when the reader of our output goes away (`lspv | head`): die quietly by
    // SIGPIPE instead of panicking on a failed print.
    // SAFETY: restoring the default disposition of SIGPIPE before any thread exists has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // Return freed pages to the system after 100 ms: file data is allocated by the reader stage and freed by
    // the writer's workers, and with mimalloc's default (v3) purge delay that memory piled up past the 64 MiB
    // bound of a run (restore of 80k files: 75 MB). Shorter is dearer: at 10 ms a restore of 80k files took
    // 40k page faults and madvise calls, ~10% of its CPU time, for 26 MB instead of 33 MB peak RSS (1000 ms:
    // backup reached 59 MB). An explicit MIMALLOC_PURGE_DELAY in the environment wins.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: setting an allocator option has no memory-safety preconditions.
        unsafe {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 100);
        }
    }
    // No transparent huge pages for this process: the allocator hands memory back every 100 ms (above) and
    // takes it again, and every fresh 2 MiB huge page is zeroed whole for the few KiB a batch of entries
    // needs (a clone of 80k files spent ~5% of its CPU time in clear_page). With 4 KiB pages only what is
    // touched is zeroed, and peak RSS halves (clone 38 -> 19 MB, restore 44 -> 22 MB).
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and only sets a flag of this process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    // Use the descriptors the system allows: walking and writing trees keeps directories (and, when the limit
    // is large enough, source files) open, and the engine sizes its caches from the soft limit, which is
    // often 1024 under a hard limit far above it.
    let nofile = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    if let Some(hard) = nofile.maximum {
        let want = hard.min(1 << 20);
        if nofile.current.is_some_and(|cur| cur < want) {
            let _ = rustix::process::setrlimit(
                rustix::process::Resource::Nofile,
                rustix::process::Rlimit { current: Some(want), maximum: nofile.maximum },
            );
        }
    }
    // Before any thread exists (see the function for why).
    altdisk_engine::fdtable::grow(altdisk_engine::fdtable::SLOTS);
    let args: Vec<OsString> = std::env::args_os().collect();
    let code = cmd::main(args);
    std::process::exit(code);
}
