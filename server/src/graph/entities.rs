//! A graph's entities, shared in chunks.

use std::ops::Index;
use std::sync::Arc;

/// How many entities a chunk holds.
pub(crate) const CHUNK: usize = 64;

/// A list of entities kept in shared chunks of [`CHUNK`]: copying it copies
/// a pointer per chunk, and changing an entity copies that entity's chunk
/// alone. A graph patched after an edit (see `patch`) so copies only the
/// chunks that hold the edited file's entities. One allocation per chunk,
/// rather than per entity, keeps linking (which makes every entity anew)
/// as cheap as with a plain vector.
#[derive(Debug, Clone)]
pub struct Entities<T> {
    /// Full chunks but the last.
    chunks: Vec<Arc<[T]>>,
}

pub type Iter<'a, T> =
    std::iter::FlatMap<std::slice::Iter<'a, Arc<[T]>>, std::slice::Iter<'a, T>, ChunkIter<'a, T>>;
type ChunkIter<'a, T> = fn(&'a Arc<[T]>) -> std::slice::Iter<'a, T>;

impl<T> Entities<T> {
    pub fn len(&self) -> usize {
        self.chunks
            .last()
            .map_or(0, |last| (self.chunks.len() - 1) * CHUNK + last.len())
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    pub fn iter(&self) -> Iter<'_, T> {
        let chunk: ChunkIter<'_, T> = |chunk| chunk.iter();
        self.chunks.iter().flat_map(chunk)
    }

    /// Whether entity `index` is the very one `other` holds there: neither
    /// list changed its chunk since one was copied from the other.
    pub fn shares(&self, other: &Self, index: usize) -> bool {
        match (
            self.chunks.get(index / CHUNK),
            other.chunks.get(index / CHUNK),
        ) {
            (Some(mine), Some(theirs)) => Arc::ptr_eq(mine, theirs),
            _ => false,
        }
    }
}

impl<T: Clone> Entities<T> {
    /// The first `len` entities: their full chunks shared, the last one
    /// copied if cut.
    pub fn truncated(&self, len: usize) -> Self {
        let mut chunks: Vec<Arc<[T]>> = self.chunks[..len / CHUNK].to_vec();
        if len % CHUNK != 0 {
            chunks.push(self.chunks[len / CHUNK][..len % CHUNK].into());
        }
        Entities { chunks }
    }

    /// Appends entities, filling the last chunk first.
    pub fn extend(&mut self, entities: Vec<T>) {
        let mut rest = entities.into_iter();
        if let Some(last) = self.chunks.last_mut().filter(|last| last.len() < CHUNK) {
            let room = CHUNK - last.len();
            *last = last
                .iter()
                .cloned()
                .chain(rest.by_ref().take(room))
                .collect();
        }
        while rest.len() > 0 {
            self.chunks.push(rest.by_ref().take(CHUNK).collect());
        }
    }

    /// Entity `index`, its chunk copied first if it is shared.
    pub fn make_mut(&mut self, index: usize) -> &mut T {
        &mut Arc::make_mut(&mut self.chunks[index / CHUNK])[index % CHUNK]
    }
}

impl<T> Default for Entities<T> {
    fn default() -> Self {
        Entities { chunks: Vec::new() }
    }
}

impl<T> From<Vec<T>> for Entities<T> {
    fn from(entities: Vec<T>) -> Self {
        let mut chunks = Vec::with_capacity(entities.len().div_ceil(CHUNK));
        let mut rest = entities.into_iter();
        while rest.len() > 0 {
            chunks.push(rest.by_ref().take(CHUNK).collect());
        }
        Entities { chunks }
    }
}

impl<T> Index<usize> for Entities<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        &self.chunks[index / CHUNK][index % CHUNK]
    }
}

impl<'a, T> IntoIterator for &'a Entities<T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_are_found_in_order_across_chunks() {
        let count = CHUNK * 2 + 5;
        let entities = Entities::from((0..count).collect::<Vec<usize>>());
        assert_eq!(entities.len(), count);
        assert!((0..count).all(|i| entities[i] == i));
        assert!(entities.iter().copied().eq(0..count));
        assert!(Entities::<u8>::from(Vec::new()).is_empty());
    }

    #[test]
    fn truncating_and_extending_keeps_the_order_and_shares_full_chunks() {
        let original = Entities::from((0..CHUNK * 2 + 7).collect::<Vec<usize>>());
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 3, CHUNK * 2, CHUNK * 2 + 7] {
            let mut cut = original.truncated(len);
            assert!(cut.iter().copied().eq(0..len), "{len}");
            assert_eq!(cut.shares(&original, 0), len >= CHUNK, "{len}");
            cut.extend((len..len + CHUNK + 5).collect());
            assert_eq!(cut.len(), len + CHUNK + 5);
            assert!(cut.iter().copied().eq(0..len + CHUNK + 5), "{len}");
            assert!(cut.chunks[..cut.chunks.len() - 1]
                .iter()
                .all(|c| c.len() == CHUNK));
        }
    }

    #[test]
    fn a_change_copies_its_chunk_alone() {
        let original = Entities::from((0..CHUNK * 3).collect::<Vec<usize>>());
        let mut copy = original.clone();
        *copy.make_mut(CHUNK + 1) = 0;
        assert_eq!((original[CHUNK + 1], copy[CHUNK + 1]), (CHUNK + 1, 0));
        let shared: Vec<bool> = (0..CHUNK * 3)
            .step_by(CHUNK)
            .map(|i| copy.shares(&original, i))
            .collect();
        assert_eq!(shared, [true, false, true]);
    }
}
