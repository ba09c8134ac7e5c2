//! Strongly connected components (Tarjan), iteratively so that deep graphs
//! cannot exhaust the stack.

/// Components of two or more nodes, each sorted, in order of their smallest node.
pub fn strongly_connected(node_count: usize, edges: &[(usize, usize)]) -> Vec<Vec<usize>> {
    // Successors in one sorted array, each node's a slice of it: a graph of
    // thousands of nodes, nearly all alone, is walked without allocating
    // per node.
    let mut sorted: Vec<(usize, usize)> = edges
        .iter()
        .copied()
        .filter(|&(from, to)| from != to && from < node_count && to < node_count)
        .collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut first = vec![0usize; node_count + 1];
    for &(from, _) in &sorted {
        first[from + 1] += 1;
    }
    for node in 0..node_count {
        first[node + 1] += first[node];
    }
    let successors = |node: usize| &sorted[first[node]..first[node + 1]];

    const UNVISITED: usize = usize::MAX;
    let mut index = vec![UNVISITED; node_count];
    let mut low = vec![0; node_count];
    let mut on_stack = vec![false; node_count];
    let mut stack = Vec::new();
    let mut work: Vec<(usize, usize)> = Vec::new();
    let mut next_index = 0;
    let mut components = Vec::new();
    for root in 0..node_count {
        if index[root] != UNVISITED {
            continue;
        }
        work.push((root, 0));
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (node, ref mut child)) = work.last_mut() {
            if let Some(&(_, next)) = successors(node).get(*child) {
                *child += 1;
                if index[next] == UNVISITED {
                    index[next] = next_index;
                    low[next] = next_index;
                    next_index += 1;
                    stack.push(next);
                    on_stack[next] = true;
                    work.push((next, 0));
                } else if on_stack[next] {
                    low[node] = low[node].min(index[next]);
                }
            } else {
                work.pop();
                if let Some(&(parent, _)) = work.last() {
                    low[parent] = low[parent].min(low[node]);
                }
                if low[node] == index[node] {
                    // A node alone is its own component, not a cycle.
                    if stack.last() == Some(&node) {
                        stack.pop();
                        on_stack[node] = false;
                        continue;
                    }
                    let mut component = Vec::new();
                    while let Some(member) = stack.pop() {
                        on_stack[member] = false;
                        component.push(member);
                        if member == node {
                            break;
                        }
                    }
                    component.sort_unstable();
                    components.push(component);
                }
            }
        }
    }
    components.sort();
    components
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cycles_and_ignores_self_loops() {
        let edges = [(0, 1), (1, 0), (2, 2), (2, 3), (3, 4), (4, 2), (5, 0)];
        assert_eq!(
            strongly_connected(6, &edges),
            vec![vec![0, 1], vec![2, 3, 4]]
        );
    }

    #[test]
    fn long_chains_do_not_overflow() {
        let n = 200_000;
        let mut edges: Vec<(usize, usize)> = (0..n - 1).map(|i| (i, i + 1)).collect();
        edges.push((n - 1, 0));
        assert_eq!(strongly_connected(n, &edges)[0].len(), n);
    }

    /// Against components read off the transitive closure, on graphs from a
    /// fixed pseudo-random sequence.
    #[test]
    fn equals_components_of_the_transitive_closure() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |bound: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % bound as u64) as usize
        };
        for _ in 0..300 {
            let n = 1 + next(12);
            let edges: Vec<(usize, usize)> = (0..next(3 * n + 1))
                .map(|_| (next(n + 1), next(n + 1)))
                .collect();
            let mut reaches = vec![vec![false; n]; n];
            for &(from, to) in &edges {
                if from < n && to < n {
                    reaches[from][to] = true;
                }
            }
            for k in 0..n {
                for i in 0..n {
                    for j in 0..n {
                        if reaches[i][k] && reaches[k][j] {
                            reaches[i][j] = true;
                        }
                    }
                }
            }
            let mut expected: Vec<Vec<usize>> = Vec::new();
            for (node, from_node) in reaches.iter().enumerate() {
                let component: Vec<usize> = (0..n)
                    .filter(|&other| other == node || (from_node[other] && reaches[other][node]))
                    .collect();
                if component.len() > 1 && component[0] == node {
                    expected.push(component);
                }
            }
            assert_eq!(strongly_connected(n, &edges), expected, "edges {edges:?}");
        }
    }
}
