//! Linking unit by unit gives the graph that linking every file together
//! gives, up to the order of entities: over every fixture workspace, over
//! all of them side by side in one workspace (where units share external
//! bases and SQLModel, and some file hides definitions), and after edits
//! relinked unit by unit.

use std::sync::Arc;

use rayon::prelude::*;

use super::*;
use crate::analysis;
use crate::config::Dialect;
use crate::facts::{self, FileFacts};
use crate::test_support::{python_files, workspaces};

/// The files as one link sees them: path, text, facts.
type Files = Vec<(String, String, Arc<FileFacts>)>;

fn facts_of(files: &[(String, String)]) -> Files {
    files
        .iter()
        .map(|(path, text)| {
            let facts = Arc::new(facts::extract(path, text));
            (path.clone(), text.clone(), facts)
        })
        .collect()
}

/// Every fixture workspace's files, each workspace in its own directory.
fn side_by_side() -> Vec<(String, String)> {
    workspaces()
        .iter()
        .enumerate()
        .flat_map(|(index, root)| {
            python_files(root)
                .into_iter()
                .map(move |(path, text)| (format!("w{index}/{path}"), text))
        })
        .collect()
}

/// Every file linked in one link, told which unit each file is in (the
/// scopes a syntax error's hidden definitions may belong to are those of
/// its unit).
fn link_together(files: &Files, layout: &Layout) -> Graph {
    let facts: Vec<Arc<FileFacts>> = files.iter().map(|(_, _, f)| f.clone()).collect();
    let units = layout.unit_of_each(facts.len());
    let outside = Outside::default();
    link_unit(&facts, None, Some(&units), &LinkOptions::default(), outside)
        .linking
        .into_graph(facts)
}

fn link_in_units(files: &Files, last: Option<FileId>) -> (Graph, Layout) {
    let facts: Vec<Arc<FileFacts>> = files.iter().map(|(_, _, f)| f.clone()).collect();
    // Both ways of linking units, in turn.
    let cores = if last.is_some_and(|f| f % 2 == 1) {
        Cores::Calling
    } else {
        Cores::All
    };
    link_laid_out(facts, &LinkOptions::default(), last, cores)
}

/// A numbering by sorted keys: the same entities get the same numbers
/// whatever order a link made them in.
struct ByKey {
    scopes: Vec<ScopeId>,
    classes: Vec<ClassId>,
    tables: Vec<TableId>,
    foreign_keys: Vec<ForeignKeyId>,
    relationships: Vec<RelationshipId>,
}

impl Numbering for ByKey {
    fn file(&self, id: FileId) -> FileId {
        id
    }
    fn scope(&self, id: ScopeId) -> ScopeId {
        self.scopes[id]
    }
    fn class(&self, id: ClassId) -> ClassId {
        self.classes[id]
    }
    fn table(&self, id: TableId) -> TableId {
        self.tables[id]
    }
    fn foreign_key(&self, id: ForeignKeyId) -> ForeignKeyId {
        self.foreign_keys[id]
    }
    fn relationship(&self, id: RelationshipId) -> RelationshipId {
        self.relationships[id]
    }
}

/// For each id, its rank among the keys (which must be distinct).
fn ranks<K: Ord + std::fmt::Debug>(keys: Vec<K>, what: &str) -> Vec<usize> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
    for pair in order.windows(2) {
        assert_ne!(keys[pair[0]], keys[pair[1]], "two {what} have one key");
    }
    let mut rank = vec![0; keys.len()];
    for (place, &id) in order.iter().enumerate() {
        rank[id] = place;
    }
    rank
}

/// The graph's entities, numbered by key, as text, in key order.
fn canonical(graph: &Graph) -> Vec<String> {
    let path = |file: FileId| graph.files[file].path.clone();
    let place = |l: &Location| (path(l.file), l.range.start, l.range.end);
    let class_key = |c: &MappedClass| (path(c.file), c.index, c.imperative);
    let table_key = |t: &Table| (place(&t.location), t.schema.clone(), t.name.clone());
    let numbering = ByKey {
        scopes: ranks(
            graph.scopes.iter().map(|s| s.key.clone()).collect(),
            "scopes",
        ),
        classes: ranks(graph.classes.iter().map(class_key).collect(), "classes"),
        tables: ranks(graph.tables.iter().map(table_key).collect(), "tables"),
        foreign_keys: ranks(
            (graph.foreign_keys.iter())
                .map(|fk| {
                    let table = table_key(&graph.tables[fk.table]);
                    (table, place(&fk.location), fk.columns.clone())
                })
                .collect(),
            "foreign keys",
        ),
        relationships: ranks(
            (graph.relationships.iter())
                .map(|r| {
                    let class = class_key(&graph.classes[r.class]);
                    let attribute = r.attribute().to_string();
                    (class, attribute, place(&r.location), r.backref_of.is_some())
                })
                .collect(),
            "relationships",
        ),
    };
    let mut linking = Linking {
        scopes: graph.scopes.clone(),
        classes: graph.classes.iter().cloned().collect(),
        tables: graph.tables.iter().cloned().collect(),
        foreign_keys: graph.foreign_keys.iter().cloned().collect(),
        relationships: graph.relationships.iter().cloned().collect(),
        table_cycles: graph.table_cycles.clone(),
        row_cycles: graph.row_cycles.clone(),
    };
    renumber_with(&mut linking, &numbering);
    fn in_order<T: std::fmt::Debug>(entities: &[T], ranks: &[usize], kind: &str) -> Vec<String> {
        let mut texts = vec![String::new(); entities.len()];
        for (id, entity) in entities.iter().enumerate() {
            texts[ranks[id]] = format!("{kind} {}: {entity:?}", ranks[id]);
        }
        texts
    }
    let mut text = in_order(&linking.scopes, &numbering.scopes, "scope");
    text.extend(in_order(&linking.classes, &numbering.classes, "class"));
    text.extend(in_order(&linking.tables, &numbering.tables, "table"));
    text.extend(in_order(
        &linking.foreign_keys,
        &numbering.foreign_keys,
        "foreign key",
    ));
    text.extend(in_order(
        &linking.relationships,
        &numbering.relationships,
        "relationship",
    ));
    // A cycle keeps its order (the unit's numbers keep the workspace's
    // relative order); the list of cycles is sorted.
    let mut cycles: Vec<String> = (linking.table_cycles.iter())
        .map(|c| format!("table cycle {c:?}"))
        .chain(
            linking
                .row_cycles
                .iter()
                .map(|c| format!("row cycle {c:?}")),
        )
        .collect();
    cycles.sort();
    text.extend(cycles);
    text
}

fn diagnostics(graph: &Graph, files: &Files) -> Vec<crate::diagnostic::Diagnostic> {
    let texts: Vec<&str> = files.iter().map(|(_, t, _)| t.as_str()).collect();
    analysis::find(graph, &texts, Dialect::Postgresql, |_, _| true)
}

/// Linking in units and together give the same entities and findings.
fn assert_links_alike((in_units, layout): (&Graph, &Layout), files: &Files, case: &str) {
    let together = link_together(files, layout);
    let (units, together_text) = (canonical(in_units), canonical(&together));
    if units != together_text {
        let first = (units.iter().zip(&together_text))
            .position(|(a, b)| a != b)
            .unwrap_or(units.len().min(together_text.len()));
        panic!(
            "{case}: linked in units\n  {}\nlinked together\n  {}",
            units.get(first).map_or("(none)", String::as_str),
            together_text.get(first).map_or("(none)", String::as_str),
        );
    }
    assert_eq!(
        diagnostics(in_units, files),
        diagnostics(&together, files),
        "{case}"
    );
}

#[test]
fn each_fixture_workspace_links_alike_in_units() {
    workspaces().par_iter().for_each(|root| {
        let files = facts_of(&python_files(root));
        let (graph, layout) = link_in_units(&files, None);
        assert_links_alike((&graph, &layout), &files, &root.display().to_string());
    });
}

#[test]
fn all_fixture_workspaces_side_by_side_link_alike_in_units() {
    let files = facts_of(&side_by_side());
    let (graph, layout) = link_in_units(&files, None);
    // Far fewer units than files would say the partition joins too much;
    // one unit would test nothing.
    assert!(
        layout.len() > workspaces().len() / 2,
        "{} units",
        layout.len()
    );
    assert_links_alike((&graph, &layout), &files, "side by side");
    for last in [0, files.len() / 2, files.len() - 1] {
        let (graph, layout) = link_in_units(&files, Some(last));
        let case = format!("unit of file {last} last");
        assert_links_alike((&graph, &layout), &files, &case);
    }
}

/// Edits that change what the linker reads: a class pasted, a table
/// renamed, a class's line removed, an import added.
fn structural_edits(text: &str) -> Vec<String> {
    let mut edited = Vec::new();
    edited.push(format!(
        "{text}\n\nclass PastedNote(Base):\n    __tablename__ = \"pasted_note\"\n    id = Column(Integer, primary_key=True)\n    owner = relationship(\"Parent\", backref=\"pasted_notes\")\n"
    ));
    if let Some(at) = text.find("__tablename__ = \"") {
        let at = at + "__tablename__ = \"".len();
        edited.push(format!("{}renamed_{}", &text[..at], &text[at..]));
    }
    if let Some(at) = text.find("\nclass ") {
        let end = text[at + 1..].find('\n').map_or(text.len(), |e| at + 1 + e);
        edited.push(format!("{}{}", &text[..at], &text[end..]));
    }
    edited.push(format!("from sqlmodel import SQLModel\n{text}"));
    edited.push(format!("{text}\nclass Broken(Base:\n"));
    edited
}

#[test]
fn an_edited_unit_relinked_alone_links_alike() {
    let all = side_by_side();
    // The first file of every tenth workspace, edited.
    let firsts: Vec<usize> = (0..all.len())
        .filter(|&i| i == 0 || all[i].0.split('/').next() != all[i - 1].0.split('/').next())
        .step_by(10)
        .collect();
    let files = facts_of(&all);
    let relinked: usize = firsts
        .par_iter()
        .map(|&edited| {
            // Each edit from the graph of the one before, as in the editor;
            // the first from the workspace linked in its own order (the
            // edited unit moves last), or with the edited unit last.
            let last = (edited % 2 == 0).then_some(edited);
            let (mut previous, mut layout) = link_in_units(&files, last);
            let mut relinked = 0;
            for text in structural_edits(&all[edited].1) {
                let mut new_files = files.clone();
                let path = &all[edited].0;
                new_files[edited] = (
                    path.clone(),
                    text.clone(),
                    Arc::new(facts::extract(path, &text)),
                );
                let facts: Vec<Arc<FileFacts>> =
                    new_files.iter().map(|(_, _, f)| f.clone()).collect();
                let options = LinkOptions::default();
                let case = format!("{path} edited to\n{text}");
                let (graph, new_layout) =
                    match relink_unit(&previous, &layout, facts, &[edited], &options) {
                        Some(relink) => {
                            relinked += 1;
                            relink
                        }
                        None => link_in_units(&new_files, Some(edited)),
                    };
                assert_links_alike((&graph, &new_layout), &new_files, &case);
                (previous, layout) = (graph, new_layout);
            }
            relinked
        })
        .sum();
    // Most of those edits keep to their unit.
    assert!(
        relinked > firsts.len() * 2,
        "{relinked} of {} relinked alone",
        firsts.len() * 5
    );
}

/// A module name that two packages end with means neither in the
/// workspace (`app.models` below), so it means neither in a unit that
/// holds one of them only.
#[test]
fn a_unit_resolves_module_names_as_the_workspace_does() {
    let models = "from sqlalchemy import Column, Integer\nfrom sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n    pass\n\n\nclass User(Base):\n    __tablename__ = \"user\"\n    id = Column(Integer, primary_key=True)\n";
    let extra = "from sqlalchemy import Column, ForeignKey, Integer\nfrom sqlalchemy.orm import relationship\n\nfrom app.models import Base\nfrom one.app.models import User\n\n\nclass Post(Base):\n    __tablename__ = \"post\"\n    id = Column(Integer, primary_key=True)\n    user_id = Column(Integer, ForeignKey(\"user.id\"))\n    user = relationship(User)\n";
    let files = facts_of(&[
        ("one/app/models.py".to_string(), models.to_string()),
        ("one/app/extra.py".to_string(), extra.to_string()),
        ("two/app/models.py".to_string(), models.to_string()),
    ]);
    let (graph, layout) = link_in_units(&files, None);
    assert_eq!(layout.len(), 2);
    assert_links_alike((&graph, &layout), &files, "two packages with app.models");
}

/// A syntax error that hides a class silences what is missing in its own
/// unit only, unless it hides an import too (the hidden class may then
/// come from anywhere).
#[test]
fn hidden_definitions_silence_their_unit_unless_an_import_is_hidden() {
    let blog = "from sqlalchemy import Column, Integer\nfrom sqlalchemy.orm import declarative_base, relationship\n\nBase = declarative_base()\n\n\nclass Post(Base):\n    __tablename__ = \"post\"\n    id = Column(Integer, primary_key=True)\n    author = relationship(\"Autor\")\n";
    let shop = |after_error: &str| {
        format!("from sqlalchemy import Column, Integer, String\nfrom sqlalchemy.orm import declarative_base\n\nBase = declarative_base()\n\n\nclass Order(Base):\n    __tablename__ = \"orders\"\n    id = Column(Integer, primary_key=True)\n    note = Column(String(40), nul\n{after_error}\n\nclass Invoice(Base):\n    __tablename__ = \"invoices\"\n    id = Column(Integer, primary_key=True)\n")
    };
    for (after_error, blog_reported) in [("", true), ("import blog.extra", false)] {
        let files = facts_of(&[
            ("blog/models.py".to_string(), blog.to_string()),
            ("shop/models.py".to_string(), shop(after_error)),
        ]);
        assert!(files[1].2.hides_definitions);
        let (graph, layout) = link_in_units(&files, None);
        assert_links_alike((&graph, &layout), &files, after_error);
        let codes: Vec<&str> = diagnostics(&graph, &files)
            .iter()
            .filter(|d| d.location.file == 0)
            .map(|d| d.code)
            .collect();
        assert_eq!(
            codes.contains(&"SA201"),
            blog_reported,
            "{after_error:?}: {codes:?}"
        );
    }
}
