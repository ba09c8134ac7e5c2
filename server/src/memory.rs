//! Allocator settings for the binaries, which use mimalloc as their global
//! allocator (`sqla-analyzer` and the benchmark).
//!
//! The language server relinks a whole graph on each change that alters a
//! fact, so its memory churns: what it keeps resident beyond its live heap
//! is decided here.

use std::ffi::{c_int, c_long, c_void};

// The functions below are mimalloc's C API, which the `mimalloc` crate links
// in; named here so that it is linked wherever this module is, including
// the test binaries that keep the system allocator.
extern crate mimalloc;

extern "C" {
    fn mi_malloc(size: usize) -> *mut c_void;
    fn mi_calloc(count: usize, size: usize) -> *mut c_void;
    fn mi_realloc(p: *mut c_void, size: usize) -> *mut c_void;
    fn mi_free(p: *mut c_void);
    fn mi_collect(force: bool);
    #[cfg(test)]
    fn mi_option_get(option: c_int) -> c_long;
    fn mi_option_set(option: c_int, value: c_long);
}

/// `mi_option_purge_delay` in mimalloc 2's `mi_option_e` (its `mimalloc.h`;
/// the crate names no constant for it): how long freed memory stays
/// resident, in milliseconds, before it is given back. Default 10.
const MI_OPTION_PURGE_DELAY: c_int = 15;

/// Applies the settings. Call it first thing in `main`, before anything
/// parses: tree-sitter's allocator must not change under live trees.
pub fn configure() {
    // Tree-sitter's C code allocates with the C library's malloc, apart from
    // the rest of the process. With glibc, the trees of a scan and of every
    // reparse left about 40 MiB free but resident in its arenas, which it
    // does not give back while the server runs. Through mimalloc, that
    // memory is reused by the next graph instead.
    //
    // SAFETY: no tree-sitter object exists yet (see above), so none is
    // freed by another allocator than the one that made it.
    unsafe {
        tree_sitter::set_allocator(
            Some(mi_malloc),
            Some(mi_calloc),
            Some(mi_realloc),
            Some(mi_free),
        );
    }
}

/// Settings for a long-running language server, applied when it starts
/// and before it reads the workspace.
///
/// mimalloc asks the kernel for transparent huge pages on its arenas. A
/// 2 MiB page stays resident while any of its 4 KiB is in use, and each
/// freed graph leaves its pages sparsely used: the server kept 60 to 80 MiB
/// more resident with them, and was no faster. A one-shot `check` keeps
/// them: it frees nothing until it exits, and without them a check that
/// reads its facts from the cache took 40% longer (page faults). Disabled
/// for this process only; mimalloc's own switch (MIMALLOC_ALLOW_THP=0) is
/// read before `main` and cannot be set here.
///
/// Each change that relinks frees a whole graph, which the next one
/// allocates again. Memory freed is given back after the purge delay: with
/// mimalloc's 10 ms, nearly every relink found its pages given back and
/// faulted them in again (three times the page faults of a 200-edit
/// session); with 100 ms, a burst of edits reuses them and a resting server
/// still gives them back (see [`release`]). Peak RSS in that session: 138-142
/// MiB with 10 ms, 143-145 MiB with 100 ms, 146 MiB with 1 s.
pub fn configure_server() {
    #[cfg(target_os = "linux")]
    // SAFETY: a plain system call with integer arguments.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    // SAFETY: integer arguments; mimalloc reads its options on each use.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, 100) }
}

/// Hands the memory freed since the last time back to the system.
///
/// mimalloc gives freed memory back only once its purge delay has passed
/// (see [`configure_server`]), and only when it is next called: a server
/// that rests after a burst of edits would keep what the last analyses
/// freed, tens of MiB, until the next edit. The server calls this once when
/// it has rested a moment (not during a burst: returning memory that the
/// next analysis touches again costs page faults).
pub fn release() {
    // SAFETY: no arguments but a flag; safe on any thread, whichever the
    // global allocator (mimalloc is linked in either way).
    unsafe { mi_collect(true) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option's number is read from mimalloc's header, not from the
    /// crate: a mimalloc whose options are numbered otherwise would take
    /// the server's purge delay for another setting. Its documented
    /// default tells it apart.
    #[test]
    fn the_purge_delay_option_is_mimallocs() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reads an option.
        assert_eq!(unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) }, 10);
    }
}
