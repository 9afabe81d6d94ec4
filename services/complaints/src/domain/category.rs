//! The category tree complaints are classified under: configurable, seeded
//! with the failure causes from DOMAIN.md.
//!
//! Categories are what makes complaints market research: counted by cause,
//! trended, and searched for repeats. A company names its own, so the tree is
//! configuration (`[[complaints.categories]]`, each with nested `children`);
//! a configured list replaces the seeded tree as a whole rather than merging
//! with it. A category is named by its path, the codes from the root joined
//! by `/` (`too_slow/late_delivery`), and statistics roll up to the top-level
//! cause ([`CategoryTree::root_of`]). [`CategoryTree::new`] checks the
//! configuration once, so every tree in hand is valid.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// The deepest a category may be nested; top-level categories are depth 1.
pub const MAX_DEPTH: usize = 4;

/// The longest a category code may be.
pub const MAX_CODE_LEN: usize = 40;

/// One category as configured, with its subcategories. In TOML:
///
/// ```toml
/// [[complaints.categories]]
/// code = "too_slow"
/// title = "Too slow or too late"
///   [[complaints.categories.children]]
///   code = "late_delivery"
///   title = "Late delivery"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryNode {
    /// 1 to [`MAX_CODE_LEN`] characters of `a-z`, `0-9` and `_`; unique among
    /// its siblings. Stored in complaints as part of the path, so renaming it
    /// orphans existing complaints.
    pub code: String,
    /// What agents and reports show; not empty.
    pub title: String,
    /// Subcategories, in display order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<CategoryNode>,
}

impl CategoryNode {
    /// A category without subcategories.
    pub fn leaf(code: &str, title: &str) -> CategoryNode {
        CategoryNode::branch(code, title, Vec::new())
    }

    /// A category with subcategories.
    pub fn branch(code: &str, title: &str, children: Vec<CategoryNode>) -> CategoryNode {
        CategoryNode {
            code: code.to_owned(),
            title: title.to_owned(),
            children,
        }
    }
}

/// One category in a listing (for a ListCategories RPC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryEntry {
    /// The codes from the root joined by `/`.
    pub path: String,
    /// The category's title.
    pub title: String,
    /// The parent's path; `None` for a top-level category.
    pub parent: Option<String>,
    /// 1 for a top-level category, up to [`MAX_DEPTH`].
    pub depth: usize,
}

/// Why a configured category tree was refused; each names the node.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CategoryError {
    /// No category at all.
    #[error("no complaint categories are configured; configure at least one")]
    Empty,
    /// A code is empty, too long or has characters other than `a-z0-9_`.
    #[error(
        "category code {code:?} {}: a code is 1 to {MAX_CODE_LEN} characters of a-z, 0-9 and _",
        place(.parent.as_deref())
    )]
    BadCode {
        /// The code as configured.
        code: String,
        /// The parent's path; `None` at the top level.
        parent: Option<String>,
    },
    /// Two siblings share a code.
    #[error("category {path} is configured twice; codes must be unique among siblings")]
    DuplicateCode {
        /// The path both share.
        path: String,
    },
    /// A title is empty or blank.
    #[error("category {path} has an empty title")]
    EmptyTitle {
        /// The category's path.
        path: String,
    },
    /// A category is nested deeper than [`MAX_DEPTH`].
    #[error("category {path} is nested deeper than {max} levels")]
    TooDeep {
        /// The first category found too deep.
        path: String,
        /// The limit, [`MAX_DEPTH`].
        max: usize,
    },
}

fn place(parent: Option<&str>) -> String {
    match parent {
        Some(parent) => format!("under {parent}"),
        None => "at the top level".to_owned(),
    }
}

/// A checked category tree, looked up by path. Deserialises from the list of
/// top-level [`CategoryNode`]s, refusing an invalid one, and serialises back
/// to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<CategoryNode>", into = "Vec<CategoryNode>")]
pub struct CategoryTree {
    /// The top-level nodes as configured; valid by [`CategoryTree::new`].
    nodes: Vec<CategoryNode>,
    /// Every category, depth first in configured order.
    entries: Vec<CategoryEntry>,
    /// Path → position in `entries`.
    by_path: HashMap<String, usize>,
}

impl CategoryTree {
    /// A tree from configured top-level nodes, if valid: at least one node;
    /// codes of 1 to [`MAX_CODE_LEN`] characters of `a-z0-9_`, unique among
    /// siblings; non-blank titles; depth at most [`MAX_DEPTH`].
    pub fn new(nodes: Vec<CategoryNode>) -> Result<CategoryTree, CategoryError> {
        if nodes.is_empty() {
            return Err(CategoryError::Empty);
        }
        check(&nodes, None, 1)?;
        Ok(CategoryTree::indexed(nodes))
    }

    /// The seeded tree of [`default_nodes`].
    pub fn seeded() -> CategoryTree {
        CategoryTree::indexed(default_nodes())
    }

    /// Indexes nodes already checked.
    fn indexed(nodes: Vec<CategoryNode>) -> CategoryTree {
        let mut entries = Vec::new();
        walk(&nodes, None, 1, &mut entries);
        let by_path = entries
            .iter()
            .enumerate()
            .map(|(at, entry)| (entry.path.clone(), at))
            .collect();
        CategoryTree {
            nodes,
            entries,
            by_path,
        }
    }

    /// The top-level nodes, as configured.
    pub fn nodes(&self) -> &[CategoryNode] {
        &self.nodes
    }

    /// Whether `path` names a category. A category path is the codes from the
    /// root joined by `/`: `too_slow/late_delivery`.
    pub fn contains(&self, path: &str) -> bool {
        self.by_path.contains_key(path)
    }

    /// The title of the category at `path`, if there is one.
    pub fn title(&self, path: &str) -> Option<&str> {
        self.by_path
            .get(path)
            .and_then(|at| self.entries.get(*at))
            .map(|entry| entry.title.as_str())
    }

    /// Every category, depth first, with its title, parent and depth — for a
    /// ListCategories RPC.
    pub fn entries(&self) -> Vec<CategoryEntry> {
        self.entries.clone()
    }

    /// The top-level category of a path (`too_slow` for
    /// `too_slow/late_delivery`) — for statistics.
    pub fn root_of(path: &str) -> &str {
        path.split_once('/').map_or(path, |(root, _)| root)
    }
}

/// The seeded tree.
impl Default for CategoryTree {
    fn default() -> Self {
        CategoryTree::seeded()
    }
}

impl TryFrom<Vec<CategoryNode>> for CategoryTree {
    type Error = CategoryError;

    fn try_from(nodes: Vec<CategoryNode>) -> Result<Self, Self::Error> {
        CategoryTree::new(nodes)
    }
}

impl From<CategoryTree> for Vec<CategoryNode> {
    fn from(tree: CategoryTree) -> Self {
        tree.nodes
    }
}

/// Whether `code` is 1 to [`MAX_CODE_LEN`] characters of `a-z0-9_`.
fn is_valid_code(code: &str) -> bool {
    (1..=MAX_CODE_LEN).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn path_of(parent: Option<&str>, code: &str) -> String {
    match parent {
        Some(parent) => format!("{parent}/{code}"),
        None => code.to_owned(),
    }
}

/// Checks `nodes`, siblings at `depth` under `parent`, and their descendants.
fn check(nodes: &[CategoryNode], parent: Option<&str>, depth: usize) -> Result<(), CategoryError> {
    let mut seen: Vec<&str> = Vec::with_capacity(nodes.len());
    for node in nodes {
        if !is_valid_code(&node.code) {
            return Err(CategoryError::BadCode {
                code: node.code.clone(),
                parent: parent.map(str::to_owned),
            });
        }
        let path = path_of(parent, &node.code);
        if depth > MAX_DEPTH {
            return Err(CategoryError::TooDeep {
                path,
                max: MAX_DEPTH,
            });
        }
        if seen.contains(&node.code.as_str()) {
            return Err(CategoryError::DuplicateCode { path });
        }
        seen.push(&node.code);
        if node.title.trim().is_empty() {
            return Err(CategoryError::EmptyTitle { path });
        }
        check(&node.children, Some(&path), depth + 1)?;
    }
    Ok(())
}

/// Appends an entry for each of `nodes` and their descendants, depth first.
fn walk(
    nodes: &[CategoryNode],
    parent: Option<&str>,
    depth: usize,
    entries: &mut Vec<CategoryEntry>,
) {
    for node in nodes {
        let path = path_of(parent, &node.code);
        entries.push(CategoryEntry {
            path: path.clone(),
            title: node.title.clone(),
            parent: parent.map(str::to_owned),
            depth,
        });
        walk(&node.children, Some(&path), depth + 1, entries);
    }
}

/// The seeded categories: the failure causes from DOMAIN.md, each with a few
/// common cases, and `other`.
pub fn default_nodes() -> Vec<CategoryNode> {
    use CategoryNode as N;
    vec![
        N::branch(
            "not_provided",
            "The promised service was not provided",
            vec![
                N::leaf(
                    "missed_appointment",
                    "Appointment missed or cancelled by us",
                ),
                N::leaf("no_show", "Nobody came for a booked visit"),
                N::leaf("not_delivered", "Ordered goods or service never delivered"),
            ],
        ),
        N::branch(
            "too_slow",
            "Too slow or too late",
            vec![
                N::leaf("late_delivery", "Late delivery"),
                N::leaf("long_wait", "Long wait in a queue or on the phone"),
                N::leaf("slow_response", "Slow answer to a request or complaint"),
            ],
        ),
        N::branch(
            "incorrect",
            "Incorrect or incomplete",
            vec![
                N::leaf("billing_error", "Billing error"),
                N::leaf("wrong_item", "Wrong item or service"),
                N::leaf("incomplete", "Incomplete delivery or work"),
                N::leaf("defective", "Defective product or poor workmanship"),
                N::leaf("wrong_information", "Wrong or misleading information"),
            ],
        ),
        N::leaf("staff_impolite", "Staff impolite"),
        N::branch(
            "other_harm",
            "Other interests of the customer harmed",
            vec![
                N::leaf("privacy", "Personal data mishandled"),
                N::leaf("property_damage", "Property damaged"),
                N::leaf("safety_risk", "Health or safety put at risk"),
            ],
        ),
        N::leaf("other", "Other"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Config {
        complaints: ComplaintsConfig,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct ComplaintsConfig {
        #[serde(default)]
        categories: CategoryTree,
    }

    fn refused(nodes: Vec<CategoryNode>) -> String {
        CategoryTree::new(nodes).expect_err("refused").to_string()
    }

    #[test]
    fn the_seeded_tree_holds_every_failure_cause_from_the_domain() {
        let tree = CategoryTree::seeded();

        for (path, title) in [
            ("not_provided", "The promised service was not provided"),
            ("too_slow", "Too slow or too late"),
            ("incorrect", "Incorrect or incomplete"),
            ("staff_impolite", "Staff impolite"),
            ("other_harm", "Other interests of the customer harmed"),
            ("other", "Other"),
        ] {
            assert_eq!(tree.title(path), Some(title), "{path}");
        }
        for path in [
            "too_slow/late_delivery",
            "too_slow/long_wait",
            "incorrect/billing_error",
            "incorrect/wrong_item",
            "incorrect/incomplete",
            "not_provided/missed_appointment",
            "not_provided/no_show",
        ] {
            assert!(tree.contains(path), "{path}");
        }
    }

    #[test]
    fn the_seeded_nodes_pass_the_checks_a_configured_tree_must_pass() {
        let checked = CategoryTree::new(default_nodes()).expect("valid");

        assert_eq!(checked, CategoryTree::seeded());
        assert_eq!(CategoryTree::default(), CategoryTree::seeded());
    }

    #[test]
    fn a_category_is_found_only_by_its_full_path() {
        let tree = CategoryTree::seeded();

        assert_eq!(tree.title("too_slow/late_delivery"), Some("Late delivery"));
        assert!(!tree.contains("late_delivery"));
        assert!(!tree.contains("too_slow/"));
        assert!(!tree.contains("/too_slow"));
        assert!(!tree.contains(""));
        assert_eq!(tree.title("incorrect/late_delivery"), None);
    }

    #[test]
    fn entries_list_every_category_depth_first_with_parent_and_depth() {
        let tree = CategoryTree::new(vec![
            CategoryNode::branch(
                "a",
                "A",
                vec![CategoryNode::branch(
                    "b",
                    "B",
                    vec![CategoryNode::leaf("c", "C")],
                )],
            ),
            CategoryNode::leaf("d", "D"),
        ])
        .expect("valid");

        let entries = tree.entries();

        let entry = |path: &str, title: &str, parent: Option<&str>, depth| CategoryEntry {
            path: path.into(),
            title: title.into(),
            parent: parent.map(Into::into),
            depth,
        };
        assert_eq!(
            entries,
            [
                entry("a", "A", None, 1),
                entry("a/b", "B", Some("a"), 2),
                entry("a/b/c", "C", Some("a/b"), 3),
                entry("d", "D", None, 1),
            ]
        );
        assert_eq!(CategoryTree::seeded().entries().len(), 6 + 3 + 3 + 5 + 3);
    }

    #[test]
    fn the_root_of_a_path_is_its_first_code() {
        assert_eq!(CategoryTree::root_of("too_slow/late_delivery"), "too_slow");
        assert_eq!(CategoryTree::root_of("a/b/c"), "a");
        assert_eq!(CategoryTree::root_of("other"), "other");
        assert_eq!(CategoryTree::root_of(""), "");
    }

    #[test]
    fn an_empty_tree_is_refused() {
        assert_eq!(CategoryTree::new(Vec::new()), Err(CategoryError::Empty));
    }

    #[test]
    fn a_bad_code_is_refused_naming_the_code_and_its_parent() {
        let long = "x".repeat(MAX_CODE_LEN + 1);
        for code in [
            "",
            "Too_Slow",
            "late delivery",
            "a/b",
            "späte",
            long.as_str(),
        ] {
            let message = refused(vec![CategoryNode::branch(
                "too_slow",
                "Too slow",
                vec![CategoryNode::leaf(code, "Child")],
            )]);
            assert!(
                message.starts_with(&format!("category code {code:?} under too_slow:")),
                "{message}"
            );
        }
        let top = refused(vec![CategoryNode::leaf("Bad", "Bad")]);
        assert!(top.contains("\"Bad\" at the top level"), "{top}");
        assert!(
            CategoryTree::new(vec![CategoryNode::leaf(&"x".repeat(MAX_CODE_LEN), "Long")]).is_ok()
        );
    }

    #[test]
    fn a_code_repeated_among_siblings_is_refused_but_allowed_under_other_parents() {
        let twice = refused(vec![CategoryNode::branch(
            "incorrect",
            "Incorrect",
            vec![
                CategoryNode::leaf("billing_error", "Billing"),
                CategoryNode::leaf("billing_error", "Billing again"),
            ],
        )]);
        let cousins = CategoryTree::new(vec![
            CategoryNode::branch("a", "A", vec![CategoryNode::leaf("other", "Other")]),
            CategoryNode::branch("b", "B", vec![CategoryNode::leaf("other", "Other")]),
        ]);

        assert!(
            twice.contains("incorrect/billing_error is configured twice"),
            "{twice}"
        );
        assert!(cousins.is_ok());
    }

    #[test]
    fn a_blank_title_is_refused_naming_the_category() {
        let message = refused(vec![CategoryNode::branch(
            "too_slow",
            "Too slow",
            vec![CategoryNode::leaf("long_wait", "  ")],
        )]);

        assert_eq!(message, "category too_slow/long_wait has an empty title");
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_refused_naming_the_category() {
        let deep = |levels: usize| {
            let mut node = CategoryNode::leaf(&format!("level{levels}"), "Deepest");
            for level in (1..levels).rev() {
                node = CategoryNode::branch(&format!("level{level}"), "Level", vec![node]);
            }
            vec![node]
        };

        let message = refused(deep(MAX_DEPTH + 1));

        assert_eq!(
            message,
            "category level1/level2/level3/level4/level5 is nested deeper than 4 levels"
        );
        assert!(CategoryTree::new(deep(MAX_DEPTH)).is_ok());
    }

    #[test]
    fn the_documented_toml_shape_reads_as_a_tree() {
        let text = r#"
            [[complaints.categories]]
            code = "too_slow"
            title = "Too slow or too late"
              [[complaints.categories.children]]
              code = "late_delivery"
              title = "Late delivery"

            [[complaints.categories]]
            code = "other"
            title = "Other"
        "#;

        let config: Config = toml::from_str(text).expect("parses");

        let tree = config.complaints.categories;
        assert_eq!(tree.title("too_slow/late_delivery"), Some("Late delivery"));
        assert!(tree.contains("other"));
        assert!(!tree.contains("incorrect"));
    }

    #[test]
    fn an_invalid_or_misspelt_toml_tree_is_refused_at_load() {
        let invalid = "[[complaints.categories]]\ncode = \"Too Slow\"\ntitle = \"Slow\"\n";
        let misspelt = "[[complaints.categories]]\ncode = \"a\"\ntitle = \"A\"\nchildern = []\n";

        let invalid = toml::from_str::<Config>(invalid).expect_err("refused");
        let misspelt = toml::from_str::<Config>(misspelt).expect_err("refused");

        assert!(
            invalid
                .to_string()
                .contains("\"Too Slow\" at the top level"),
            "{invalid}"
        );
        assert!(misspelt.to_string().contains("childern"), "{misspelt}");
    }

    #[test]
    fn a_missing_categories_section_gives_the_seeded_tree() {
        let config: Config = toml::from_str("[complaints]\n").expect("parses");

        assert_eq!(config.complaints.categories, CategoryTree::seeded());
    }

    #[test]
    fn the_seeded_tree_survives_a_toml_round_trip() {
        let config = Config {
            complaints: ComplaintsConfig {
                categories: CategoryTree::seeded(),
            },
        };

        let text = toml::to_string(&config).expect("serialises");
        let back: Config = toml::from_str(&text).expect("parses");

        assert_eq!(back, config);
        assert!(
            text.contains("[[complaints.categories.children]]"),
            "{text}"
        );
        assert_eq!(back.complaints.categories.nodes(), default_nodes());
    }
}
