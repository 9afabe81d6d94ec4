//! Who may call which RPC, declared once per service. A service writes its
//! table as a constant of full method paths and the roles allowed on each;
//! the [`AuthLayer`](super::AuthLayer) consults it on every request and
//! refuses any method the table does not name (fail closed), and the
//! service's matrix test walks [`AccessPolicy::methods`] to prove each cell.

use super::Role;

/// A full gRPC method path and the roles that may call it.
pub type MethodRoles = (&'static str, &'static [Role]);

/// The access table of one service.
///
/// ```ignore
/// pub const POLICY: AccessPolicy = AccessPolicy::new(&[
///     ("/redress.customers.v1.CustomerService/GetCustomer", &[Role::Agent, Role::Service]),
/// ]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct AccessPolicy {
    /// Method paths (`/package.Service/Method`) with their allowed roles. A
    /// path appearing twice is answered by its first entry.
    entries: &'static [MethodRoles],
}

impl AccessPolicy {
    /// A policy from its table.
    pub const fn new(entries: &'static [MethodRoles]) -> Self {
        Self { entries }
    }

    /// The roles allowed on `path`, or `None` when the policy does not declare
    /// it (such a call is refused).
    pub fn allowed(&self, path: &str) -> Option<&'static [Role]> {
        self.entries
            .iter()
            .find(|(method, _)| *method == path)
            .map(|(_, roles)| *roles)
    }

    /// Every declared method and its roles, in declaration order.
    pub fn methods(&self) -> impl Iterator<Item = (&'static str, &'static [Role])> + '_ {
        self.entries.iter().copied()
    }

    /// Paths declared more than once: a policy should have none (a matrix
    /// test can assert this is empty).
    pub fn duplicate_methods(&self) -> Vec<&'static str> {
        let mut duplicates: Vec<&'static str> = self
            .entries
            .iter()
            .enumerate()
            .filter(|(index, (path, _))| self.entries[..*index].iter().any(|(p, _)| p == path))
            .map(|(_, (path, _))| *path)
            .collect();
        duplicates.dedup();
        duplicates
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: AccessPolicy = AccessPolicy::new(&[
        (
            "/redress.customers.v1.CustomerService/GetCustomer",
            &[Role::Agent, Role::Service],
        ),
        (
            "/redress.customers.v1.CustomerService/DeleteCustomer",
            &[Role::Admin],
        ),
    ]);

    #[test]
    fn a_policy_answers_only_for_declared_methods() {
        assert_eq!(
            POLICY.allowed("/redress.customers.v1.CustomerService/GetCustomer"),
            Some(&[Role::Agent, Role::Service][..])
        );
        assert_eq!(
            POLICY.allowed("/redress.customers.v1.CustomerService/Other"),
            None
        );
        assert_eq!(POLICY.methods().count(), 2);
        assert!(POLICY.duplicate_methods().is_empty());
    }

    #[test]
    fn a_method_declared_twice_is_reported() {
        const TWICE: AccessPolicy =
            AccessPolicy::new(&[("/a.B/C", &[Role::Agent]), ("/a.B/C", &[Role::Admin])]);
        assert_eq!(TWICE.duplicate_methods(), vec!["/a.B/C"]);
        assert_eq!(TWICE.allowed("/a.B/C"), Some(&[Role::Agent][..]));
    }
}
