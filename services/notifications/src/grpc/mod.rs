//! The gRPC face of the notifications service: thin handlers that validate
//! into domain types, perform the operation in one transaction, and map
//! every error through [`ApiError::into_status`].

pub mod access;
pub mod audit;
mod broadcasts;
pub mod convert;
mod messages;
mod recipients;
mod templates;

pub use broadcasts::{MAX_ADDED, MAX_LISTED};

use std::sync::Arc;

use redress_platform::auth::Caller;
use redress_platform::clock::SharedClock;
use redress_platform::error::{ApiError, ErrorDomain, FieldViolations};
use redress_platform::names;
use redress_platform::page::{self, Fingerprint};
use redress_proto::notifications::v1 as pb;
use sqlx::PgPool;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::delivery::Transports;
use crate::directory::CustomerDirectory;

/// The error domain of this service.
pub const DOMAIN: ErrorDomain = "notifications.redress";

/// The NotificationService implementation.
#[derive(Debug, Clone)]
pub struct NotificationApi {
    pool: PgPool,
    clock: SharedClock,
    transports: Arc<Transports>,
    directory: CustomerDirectory,
}

impl NotificationApi {
    /// An API over `pool`.
    pub fn new(
        pool: PgPool,
        clock: SharedClock,
        transports: Arc<Transports>,
        directory: CustomerDirectory,
    ) -> Self {
        Self {
            pool,
            clock,
            transports,
            directory,
        }
    }
}

type Answer<T> = Result<Response<T>, Status>;

fn reply<T>(result: Result<T, ApiError>) -> Answer<T> {
    result.map(Response::new).map_err(|e| e.into_status(DOMAIN))
}

/// The id of a name of `shape` (such as `messages/{uuid}`) in `field`.
pub(crate) fn id_of(name: &str, shape: &'static str, field: &str) -> Result<Uuid, ApiError> {
    names::parse_id(name, shape.trim_end_matches("{uuid}"), shape)
        .map_err(|e| ApiError::invalid(field, e.to_string()))
}

/// Page size and the decoded cursor of a page token (the platform's
/// reading, as one error).
pub(crate) fn paging(
    size: i32,
    token: &str,
    fingerprint: Fingerprint,
) -> Result<(u32, Option<Vec<u8>>), ApiError> {
    let mut v = FieldViolations::new();
    let (size, cursor) = page::page_args(&mut v, size, token, fingerprint);
    v.into_result()?;
    Ok((size.unwrap_or(page::DEFAULT_PAGE_SIZE), cursor))
}

/// The `(time, id)` of a page token's cursor.
pub(crate) fn time_id(cursor: &[u8]) -> Result<(jiff::Timestamp, Uuid), ApiError> {
    page::decode_time_id(cursor)
        .map_err(|_| ApiError::invalid("page_token", "is not a token of this list"))
}

#[tonic::async_trait]
impl pb::notification_service_server::NotificationService for NotificationApi {
    async fn create_template(
        &self,
        r: Request<pb::CreateTemplateRequest>,
    ) -> Answer<pb::CreateTemplateResponse> {
        let caller = Caller::from_request(&r)?.clone();
        reply(self.create_template(&caller, r.into_inner()).await)
    }
    async fn get_template(
        &self,
        r: Request<pb::GetTemplateRequest>,
    ) -> Answer<pb::GetTemplateResponse> {
        reply(self.get_template(r.into_inner()).await)
    }
    async fn list_templates(
        &self,
        r: Request<pb::ListTemplatesRequest>,
    ) -> Answer<pb::ListTemplatesResponse> {
        reply(self.list_templates(r.into_inner()).await)
    }
    async fn update_template(
        &self,
        r: Request<pb::UpdateTemplateRequest>,
    ) -> Answer<pb::UpdateTemplateResponse> {
        let caller = Caller::from_request(&r)?.clone();
        reply(self.update_template(&caller, r.into_inner()).await)
    }
    async fn preview_template(
        &self,
        r: Request<pb::PreviewTemplateRequest>,
    ) -> Answer<pb::PreviewTemplateResponse> {
        reply(self.preview_template(r.into_inner()).await)
    }
    async fn get_preferences(
        &self,
        r: Request<pb::GetPreferencesRequest>,
    ) -> Answer<pb::GetPreferencesResponse> {
        reply(self.get_preferences(r.into_inner()).await)
    }
    async fn update_preferences(
        &self,
        r: Request<pb::UpdatePreferencesRequest>,
    ) -> Answer<pb::UpdatePreferencesResponse> {
        reply(self.update_preferences(r.into_inner()).await)
    }
    async fn get_staff_contact(
        &self,
        r: Request<pb::GetStaffContactRequest>,
    ) -> Answer<pb::GetStaffContactResponse> {
        reply(self.get_staff_contact(r.into_inner()).await)
    }
    async fn update_staff_contact(
        &self,
        r: Request<pb::UpdateStaffContactRequest>,
    ) -> Answer<pb::UpdateStaffContactResponse> {
        reply(self.update_staff_contact(r.into_inner()).await)
    }
    async fn send_message(
        &self,
        r: Request<pb::SendMessageRequest>,
    ) -> Answer<pb::SendMessageResponse> {
        let caller = redress_platform::auth::Caller::from_request(&r)?
            .acting_subject()
            .to_owned();
        reply(self.send_message(&caller, r.into_inner()).await)
    }
    async fn get_message(
        &self,
        r: Request<pb::GetMessageRequest>,
    ) -> Answer<pb::GetMessageResponse> {
        reply(self.get_message(r.into_inner()).await)
    }
    async fn list_messages(
        &self,
        r: Request<pb::ListMessagesRequest>,
    ) -> Answer<pb::ListMessagesResponse> {
        reply(self.list_messages(r.into_inner()).await)
    }
    async fn cancel_message(
        &self,
        r: Request<pb::CancelMessageRequest>,
    ) -> Answer<pb::CancelMessageResponse> {
        reply(self.cancel_message(r.into_inner()).await)
    }
    async fn create_broadcast(
        &self,
        r: Request<pb::CreateBroadcastRequest>,
    ) -> Answer<pb::CreateBroadcastResponse> {
        let caller = Caller::from_request(&r)?.clone();
        reply(self.create_broadcast(&caller, r.into_inner()).await)
    }
    async fn get_broadcast(
        &self,
        r: Request<pb::GetBroadcastRequest>,
    ) -> Answer<pb::GetBroadcastResponse> {
        reply(self.get_broadcast(r.into_inner()).await)
    }
    async fn get_broadcast_progress(
        &self,
        r: Request<pb::GetBroadcastProgressRequest>,
    ) -> Answer<pb::GetBroadcastProgressResponse> {
        reply(self.get_broadcast_progress(r.into_inner()).await)
    }
    async fn cancel_broadcast(
        &self,
        r: Request<pb::CancelBroadcastRequest>,
    ) -> Answer<pb::CancelBroadcastResponse> {
        let caller = Caller::from_request(&r)?.clone();
        reply(self.cancel_broadcast(&caller, r.into_inner()).await)
    }
    async fn add_broadcast_members(
        &self,
        r: Request<pb::AddBroadcastMembersRequest>,
    ) -> Answer<pb::AddBroadcastMembersResponse> {
        reply(self.add_broadcast_members(r.into_inner()).await)
    }
    async fn start_broadcast(
        &self,
        r: Request<pb::StartBroadcastRequest>,
    ) -> Answer<pb::StartBroadcastResponse> {
        let caller = Caller::from_request(&r)?.clone();
        reply(self.start_broadcast(&caller, r.into_inner()).await)
    }
    async fn list_inbox(&self, r: Request<pb::ListInboxRequest>) -> Answer<pb::ListInboxResponse> {
        reply(self.list_inbox(r.into_inner()).await)
    }
    async fn mark_inbox_read(
        &self,
        r: Request<pb::MarkInboxReadRequest>,
    ) -> Answer<pb::MarkInboxReadResponse> {
        reply(self.mark_inbox_read(r.into_inner()).await)
    }
    async fn list_audit_entries(
        &self,
        r: Request<pb::ListAuditEntriesRequest>,
    ) -> Answer<pb::ListAuditEntriesResponse> {
        reply(self.list_audit_entries(r.into_inner()).await)
    }
}
