//! The complaint feed on the wire: list from a cursor, and watch.

use redress_platform::outbox;
use redress_proto::complaints::v1 as pb;
use tonic::{Response, Status};

use super::{ComplaintApi, DOMAIN, WatchStream};

impl ComplaintApi {
    pub(super) async fn list_events(
        &self,
        r: pb::ListComplaintEventsRequest,
    ) -> Result<Response<pb::ListComplaintEventsResponse>, Status> {
        let pb::ListComplaintEventsRequest {
            after_position,
            page_size,
            types,
        } = r;
        let answer =
            outbox::grpc::list(&self.feed, after_position, page_size, types, DOMAIN).await?;
        Ok(Response::new(pb::ListComplaintEventsResponse {
            events: answer.events,
            last_position: answer.last_position,
        }))
    }

    pub(super) fn watch_events(
        &self,
        r: pb::WatchComplaintEventsRequest,
    ) -> Result<Response<WatchStream>, Status> {
        let pb::WatchComplaintEventsRequest {
            after_position,
            types,
        } = r;
        outbox::grpc::watch(&self.feed, after_position, types, DOMAIN, |answer| {
            let outbox::grpc::WatchAnswer {
                events,
                last_position,
                head_position,
            } = answer;
            pb::WatchComplaintEventsResponse {
                events,
                last_position,
                head_position,
            }
        })
    }
}
