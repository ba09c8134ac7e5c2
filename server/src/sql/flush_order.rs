//! The order of a flush's INSERTs and `post_update` UPDATEs, as
//! SQLAlchemy's unit of work runs them (`UOWTransaction.execute`).
//!
//! Each mapper with new objects gets a `SaveUpdateAll` action, each
//! relationship whose attribute changed a `ProcessAll` (after save) and a
//! `ProcessAll` (before delete), each mapper a `post_update` relationship
//! writes a `PostUpdateAll`; the relationship's dependency processor links
//! them (`per_property_dependencies`). The actions are sorted by their
//! `sort_key` and then topologically, in rounds: each round runs, in
//! `sort_key` order, every action whose predecessors ran in earlier rounds
//! (`topological.sort_as_subsets`). So a mapper's INSERT comes after those
//! of the mappers it depends on, and a `PostUpdateAll` may run before an
//! INSERT of a later round.

use crate::graph::{ClassId, Direction};

/// A relationship whose attribute the flush finds changed.
#[derive(Debug, Clone, Copy)]
pub struct Changed {
    /// The class the relationship is on.
    pub class: ClassId,
    pub target: ClassId,
    /// Many-to-one or one-to-many.
    pub direction: Direction,
    pub post_update: bool,
}

/// A flush action that emits statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `SaveUpdateAll`: the INSERTs of the class's new rows.
    Insert(ClassId),
    /// `PostUpdateAll`: the UPDATEs `post_update` relationships defer.
    PostUpdate(ClassId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Save(ClassId),
    PostUpdate(ClassId),
    AfterSave(usize),
    BeforeDelete(usize),
}

/// The steps in the order the unit of work runs them; `None` when the
/// dependencies between the mappers form a cycle (with one new row per
/// class, linked to each other, the rows do too: `CircularDependencyError`).
pub fn order(changed: &[Changed], sort_key: impl Fn(ClassId) -> String) -> Option<Vec<Step>> {
    let mut edges: Vec<(Action, Action)> = Vec::new();
    for (index, relationship) in changed.iter().enumerate() {
        let parent_saves = Action::Save(relationship.class);
        let child_saves = Action::Save(relationship.target);
        let after_save = Action::AfterSave(index);
        let before_delete = Action::BeforeDelete(index);
        match (relationship.direction, relationship.post_update) {
            (Direction::OneToMany, false) => edges.extend([
                (parent_saves, after_save),
                (after_save, child_saves),
                (before_delete, child_saves),
            ]),
            (Direction::OneToMany, true) => {
                let post_updates = Action::PostUpdate(relationship.target);
                edges.extend([
                    (child_saves, after_save),
                    (parent_saves, after_save),
                    (after_save, post_updates),
                    (child_saves, before_delete),
                    (before_delete, post_updates),
                ]);
            }
            (_, false) => edges.extend([(child_saves, after_save), (after_save, parent_saves)]),
            (_, true) => edges.extend([
                (child_saves, after_save),
                (parent_saves, after_save),
                (after_save, Action::PostUpdate(relationship.class)),
            ]),
        }
    }
    let mut actions: Vec<Action> = Vec::new();
    for &(from, to) in &edges {
        for action in [from, to] {
            if !actions.contains(&action) {
                actions.push(action);
            }
        }
    }
    // `sort_key`: ("PostUpdateAll", key, False) sorts before
    // ("ProcessAll", ...) and ("SaveUpdateAll", key).
    let key = |action: &Action| match *action {
        Action::PostUpdate(class) => (0, sort_key(class), 0),
        Action::AfterSave(index) => (1, String::new(), 2 * index),
        Action::BeforeDelete(index) => (1, String::new(), 2 * index + 1),
        Action::Save(class) => (2, sort_key(class), 0),
    };
    actions.sort_by_cached_key(key);
    let mut steps = Vec::new();
    let mut todo = actions;
    while !todo.is_empty() {
        let round: Vec<Action> = todo
            .iter()
            .copied()
            .filter(|&action| {
                !edges
                    .iter()
                    .any(|&(from, to)| to == action && todo.contains(&from))
            })
            .collect();
        if round.is_empty() {
            return None;
        }
        todo.retain(|action| !round.contains(action));
        steps.extend(round.into_iter().filter_map(|action| match action {
            Action::Save(class) => Some(Step::Insert(class)),
            Action::PostUpdate(class) => Some(Step::PostUpdate(class)),
            _ => None,
        }));
    }
    Some(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn many_to_one(class: ClassId, target: ClassId, post_update: bool) -> Changed {
        Changed {
            class,
            target,
            direction: Direction::ManyToOne,
            post_update,
        }
    }

    const KEYS: [&str; 3] = ["models.Author", "models.Book", "models.Image"];

    #[test]
    fn a_post_update_runs_in_the_round_after_both_inserts() {
        // Author.featured_book (post_update), Book.author, Image.book,
        // Book.cover (post_update): SQLAlchemy runs INSERT author,
        // INSERT book, UPDATE author, INSERT image, UPDATE book.
        let (author, book, image) = (0, 1, 2);
        let changed = [
            many_to_one(author, book, true),
            many_to_one(book, author, false),
            many_to_one(book, image, true),
            many_to_one(image, book, false),
        ];
        assert_eq!(
            order(&changed, |class| KEYS[class].to_string()),
            Some(vec![
                Step::Insert(author),
                Step::Insert(book),
                Step::PostUpdate(author),
                Step::Insert(image),
                Step::PostUpdate(book),
            ])
        );
    }

    #[test]
    fn unordered_inserts_follow_the_mapper_sort_key() {
        let changed = [many_to_one(2, 0, true), many_to_one(1, 2, true)];
        assert_eq!(
            order(&changed, |class| KEYS[class].to_string()),
            Some(vec![
                Step::Insert(0),
                Step::Insert(1),
                Step::Insert(2),
                Step::PostUpdate(1),
                Step::PostUpdate(2),
            ])
        );
    }

    #[test]
    fn a_cycle_without_post_update_cannot_be_ordered() {
        let changed = [
            many_to_one(0, 1, false),
            many_to_one(1, 2, false),
            many_to_one(2, 0, false),
        ];
        assert_eq!(order(&changed, |class| KEYS[class].to_string()), None);
    }
}
