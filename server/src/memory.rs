//! Allocator settings for the binaries, which use mimalloc as their global
//! allocator (`sqla-analyzer` and the benchmark).
//!
//! The language server relinks a whole graph on each change that alters a
//! fact, so its memory churns: what it keeps resident beyond its live heap
//! is decided here.

use std::ffi::c_void;

extern "C" {
    fn mi_malloc(size: usize) -> *mut c_void;
    fn mi_calloc(count: usize, size: usize) -> *mut c_void;
    fn mi_realloc(p: *mut c_void, size: usize) -> *mut c_void;
    fn mi_free(p: *mut c_void);
}

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
            Some(ts_malloc),
            Some(ts_calloc),
            Some(ts_realloc),
            Some(ts_free),
        );
    }
}

unsafe extern "C" fn ts_malloc(size: usize) -> *mut c_void {
    mi_malloc(size)
}

unsafe extern "C" fn ts_calloc(count: usize, size: usize) -> *mut c_void {
    mi_calloc(count, size)
}

unsafe extern "C" fn ts_realloc(p: *mut c_void, size: usize) -> *mut c_void {
    mi_realloc(p, size)
}

unsafe extern "C" fn ts_free(p: *mut c_void) {
    mi_free(p)
}
