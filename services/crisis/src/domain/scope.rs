//! A crisis's scope as the complaint feed meets it: which products, regions
//! and complaint categories the crisis hits. A new complaint whose product,
//! region and category all fall within the scope is linked to the crisis
//! automatically, so the count of complaints tells how the crisis grows.

/// The parts of a scope a complaint is matched against. Each non-empty
/// list must match; a scope with all three empty matches nothing (a crisis
/// scoped only by a customer selector does not take every complaint).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Products or services, as complaints name them.
    pub products: Vec<String>,
    /// Regions, as complaints name them.
    pub regions: Vec<String>,
    /// Category paths (`billing/overcharge`); a parent takes its children.
    pub categories: Vec<String>,
}

/// What a new complaint says about itself, from its `complaint.created`
/// event's routing attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComplaintFacts<'a> {
    /// Its product.
    pub product: &'a str,
    /// Its region.
    pub region: &'a str,
    /// Its category path.
    pub category: &'a str,
}

impl Scope {
    /// Whether the scope names no product, region or category.
    pub fn is_empty(&self) -> bool {
        self.products.is_empty() && self.regions.is_empty() && self.categories.is_empty()
    }

    /// Whether a complaint with `facts` falls within the scope.
    pub fn matches(&self, facts: &ComplaintFacts<'_>) -> bool {
        if self.is_empty() {
            return false;
        }
        let listed =
            |list: &[String], value: &str| list.is_empty() || list.iter().any(|item| item == value);
        listed(&self.products, facts.product)
            && listed(&self.regions, facts.region)
            && (self.categories.is_empty()
                || self.categories.iter().any(|c| is_within(facts.category, c)))
    }
}

/// Whether the category path `category` is `scope` or one of its
/// descendants (`billing/overcharge` is within `billing`, `billingx` is not).
pub fn is_within(category: &str, scope: &str) -> bool {
    !scope.is_empty()
        && category
            .strip_prefix(scope)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(product: &'a str, region: &'a str, category: &'a str) -> ComplaintFacts<'a> {
        ComplaintFacts {
            product,
            region,
            category,
        }
    }

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn an_empty_scope_matches_no_complaint() {
        assert!(!Scope::default().matches(&facts("router", "north", "billing")));
    }

    #[test]
    fn every_listed_dimension_must_match() {
        let scope = Scope {
            products: list(&["router"]),
            regions: list(&["north", "east"]),
            categories: vec![],
        };

        assert!(scope.matches(&facts("router", "east", "anything")));
        assert!(!scope.matches(&facts("router", "south", "anything")));
        assert!(!scope.matches(&facts("modem", "north", "anything")));
    }

    #[test]
    fn a_category_takes_its_children_but_not_its_namesakes() {
        let scope = Scope {
            categories: list(&["billing"]),
            ..Scope::default()
        };

        assert!(scope.matches(&facts("p", "r", "billing")));
        assert!(scope.matches(&facts("p", "r", "billing/overcharge")));
        assert!(!scope.matches(&facts("p", "r", "billingx")));
        assert!(!scope.matches(&facts("p", "r", "delivery/billing")));
    }
}
