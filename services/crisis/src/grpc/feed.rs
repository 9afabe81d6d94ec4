//! The crisis feed on the wire: list from a cursor, and watch.

use redress_platform::outbox;
use redress_proto::crisis::v1 as pb;
use tonic::{Response, Status};

use super::{CrisisApi, DOMAIN, WatchStream};

impl CrisisApi {
    pub(super) async fn list_events(
        &self,
        r: pb::ListCrisisEventsRequest,
    ) -> Result<Response<pb::ListCrisisEventsResponse>, Status> {
        let pb::ListCrisisEventsRequest {
            after_position,
            page_size,
            types,
        } = r;
        let answer =
            outbox::grpc::list(&self.feed, after_position, page_size, types, DOMAIN).await?;
        Ok(Response::new(pb::ListCrisisEventsResponse {
            events: answer.events,
            last_position: answer.last_position,
        }))
    }

    pub(super) fn watch_events(
        &self,
        r: pb::WatchCrisisEventsRequest,
    ) -> Result<Response<WatchStream<pb::WatchCrisisEventsResponse>>, Status> {
        let pb::WatchCrisisEventsRequest {
            after_position,
            types,
        } = r;
        outbox::grpc::watch(&self.feed, after_position, types, DOMAIN, |answer| {
            let outbox::grpc::WatchAnswer {
                events,
                last_position,
                head_position,
            } = answer;
            pb::WatchCrisisEventsResponse {
                events,
                last_position,
                head_position,
            }
        })
    }
}
