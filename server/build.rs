//! Gives the binary a build identity: a hash of its sources and queries, so
//! that the facts cache is never read by a build with different extraction.

use std::hash::{Hash, Hasher};
use std::path::Path;

fn hash_dir(dir: &Path, hasher: &mut impl Hasher) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            hash_dir(&path, hasher);
        } else if let Ok(bytes) = std::fs::read(&path) {
            path.file_name().hash(hasher);
            bytes.hash(hasher);
        }
    }
}

fn main() {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for dir in ["src", "../queries"] {
        hash_dir(Path::new(dir), &mut hasher);
        println!("cargo:rerun-if-changed={dir}");
    }
    println!("cargo:rustc-env=SQLA_ANALYZER_BUILD={:016x}", hasher.finish());
}
