//! The authenticated caller handed to every handler. The [`AuthLayer`]
//! builds it from a verified bearer token and puts it in the request's
//! extensions, so a handler never parses a token itself: it asks
//! [`Caller::from_request`] and decides with [`Caller::has_role`] or
//! [`Caller::has_any`]. When another service calls on behalf of a person,
//! that person is [`Caller::end_user`], and [`Caller::acting_subject`] is the
//! person whose action is being recorded.
//!
//! [`AuthLayer`]: super::AuthLayer

use std::collections::HashMap;

use tonic::{Code, Request, Status};

use super::Role;
use super::error::status_with_error_info;
use crate::secret::Secret;

/// ErrorInfo domain used by [`Caller::from_request`], which does not know
/// which service it runs in.
pub const CALLER_MISSING_DOMAIN: &str = "auth.redress";

/// Who is calling, as established from a verified token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The token's `sub`: the identity provider's stable id for the person or
    /// service. Never empty.
    pub subject: String,
    /// The roles the token grants, sorted and without duplicates; unknown role
    /// strings in the token were dropped.
    pub roles: Vec<Role>,
    /// The caller's team, from the `team` claim.
    pub team: Option<String>,
    /// The caller's preferred locale (BCP 47), from the `locale` claim.
    pub locale: Option<String>,
    /// The person a `service` caller acts for, verified from the
    /// `x-redress-end-user` metadata. Only ever set on callers with
    /// [`Role::Service`], and never nested (an end user has no end user).
    pub end_user: Option<Box<Caller>>,
    /// The bearer token this caller presented, kept so that a service can pass
    /// the end user along to the next service (see
    /// [`Caller::end_user_token`]). Never log it.
    pub token: Secret,
}

impl Caller {
    /// Whether the caller itself holds `role` (an end user's roles do not count).
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the caller itself holds at least one of `roles`.
    pub fn has_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|role| self.has_role(*role))
    }

    /// The subject on whose behalf this call is made: the end user's when a
    /// service acts for one, otherwise the caller's own. Use it for ownership,
    /// audit trails and "who did this".
    pub fn acting_subject(&self) -> &str {
        match &self.end_user {
            Some(end_user) => &end_user.subject,
            None => &self.subject,
        }
    }

    /// The token to send as `x-redress-end-user` when this service calls
    /// another on this caller's behalf: the end user's token if this caller is
    /// itself a service acting for someone, otherwise the caller's own token.
    /// Passing it along keeps the original person through a chain of services.
    pub fn end_user_token(&self) -> &Secret {
        match &self.end_user {
            Some(end_user) => &end_user.token,
            None => &self.token,
        }
    }

    /// The caller the [`AuthLayer`](super::AuthLayer) attached to `request`.
    ///
    /// Fails with `UNAUTHENTICATED` (reason `CALLER_MISSING`) when there is
    /// none, which means the layer is not mounted in front of this service or
    /// the method is one of the unauthenticated health or reflection methods.
    pub fn from_request<T>(request: &Request<T>) -> Result<&Caller, Status> {
        request.extensions().get::<Caller>().ok_or_else(|| {
            status_with_error_info(
                Code::Unauthenticated,
                "the request carries no authenticated caller",
                "CALLER_MISSING",
                CALLER_MISSING_DOMAIN,
                HashMap::new(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use tonic_types::StatusExt;

    use super::*;

    fn caller(subject: &str, roles: &[Role]) -> Caller {
        Caller {
            subject: subject.to_owned(),
            roles: roles.to_vec(),
            team: None,
            locale: None,
            end_user: None,
            token: Secret::new(format!("token-of-{subject}")),
        }
    }

    #[test]
    fn a_service_acting_for_a_person_records_the_person() {
        let mut service = caller("svc-complaints", &[Role::Service]);
        assert_eq!(service.acting_subject(), "svc-complaints");
        service.end_user = Some(Box::new(caller("agent-7", &[Role::Agent])));

        assert_eq!(service.acting_subject(), "agent-7");
        assert_eq!(service.end_user_token().expose(), "token-of-agent-7");
        assert!(service.has_role(Role::Service));
        assert!(!service.has_role(Role::Agent));
        assert!(service.has_any(&[Role::Admin, Role::Service]));
        assert!(!service.has_any(&[]));
    }

    #[test]
    fn a_request_without_a_caller_is_unauthenticated() {
        let mut request = Request::new(());
        let status = Caller::from_request(&request).expect_err("no caller");
        assert_eq!(status.code(), Code::Unauthenticated);
        let info = status.get_error_details().error_info().cloned();
        assert_eq!(info.map(|i| i.reason), Some("CALLER_MISSING".to_owned()));

        request
            .extensions_mut()
            .insert(caller("agent-7", &[Role::Agent]));
        let found = Caller::from_request(&request).expect("caller");
        assert_eq!(found.subject, "agent-7");
    }
}
