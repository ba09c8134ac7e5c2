//! Disjoint sets of indices (union-find), for scopes united by the
//! linker and files united into units.

/// Disjoint sets of the indices `0..len`.
#[derive(Debug, Clone, Default)]
pub(super) struct Sets {
    parent: Vec<usize>,
}

impl Sets {
    pub fn new(len: usize) -> Self {
        Sets {
            parent: (0..len).collect(),
        }
    }

    /// Adds an index in a set of its own; returns it.
    pub fn push(&mut self) -> usize {
        let index = self.parent.len();
        self.parent.push(index);
        index
    }

    /// The representative of the set holding `index`.
    pub fn find(&mut self, mut index: usize) -> usize {
        while self.parent[index] != index {
            self.parent[index] = self.parent[self.parent[index]];
            index = self.parent[index];
        }
        index
    }

    /// Puts the set of `child` under the representative of `root`'s;
    /// whether they were apart.
    pub fn join_under(&mut self, child: usize, root: usize) -> bool {
        let (child, root) = (self.find(child), self.find(root));
        if child == root {
            return false;
        }
        self.parent[child] = root;
        true
    }

    /// Joins two sets, the smaller representative staying one; whether
    /// they were apart.
    pub fn union(&mut self, a: usize, b: usize) -> bool {
        let (a, b) = (self.find(a), self.find(b));
        self.join_under(a.max(b), a.min(b))
    }
}
