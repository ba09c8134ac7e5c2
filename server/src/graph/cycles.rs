//! Strongly connected components (Tarjan), iteratively so that deep graphs
//! cannot exhaust the stack.

/// Components of two or more nodes, each sorted, in order of their smallest node.
pub fn strongly_connected(node_count: usize, edges: &[(usize, usize)]) -> Vec<Vec<usize>> {
    let mut adjacency = vec![Vec::new(); node_count];
    for &(from, to) in edges {
        if from != to && from < node_count && to < node_count {
            adjacency[from].push(to);
        }
    }
    for list in &mut adjacency {
        list.sort_unstable();
        list.dedup();
    }
    const UNVISITED: usize = usize::MAX;
    let mut index = vec![UNVISITED; node_count];
    let mut low = vec![0; node_count];
    let mut on_stack = vec![false; node_count];
    let mut stack = Vec::new();
    let mut next_index = 0;
    let mut components = Vec::new();
    for root in 0..node_count {
        if index[root] != UNVISITED {
            continue;
        }
        // (node, next child position)
        let mut work = vec![(root, 0usize)];
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (node, ref mut child)) = work.last_mut() {
            if *child < adjacency[node].len() {
                let next = adjacency[node][*child];
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
                    let mut component = Vec::new();
                    while let Some(member) = stack.pop() {
                        on_stack[member] = false;
                        component.push(member);
                        if member == node {
                            break;
                        }
                    }
                    if component.len() > 1 {
                        component.sort_unstable();
                        components.push(component);
                    }
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
}
