//! The metric samples of gRPC calls, as k6 takes them:
//! `grpc_req_duration` for each unary call (none for one its own timeout
//! ended), tagged as [`call_tags`] says plus `status` (the code's number); and
//! for streams `grpc_streams`, `grpc_streams_msgs_sent` and
//! `grpc_streams_msgs_received`.

use std::sync::Arc;
use std::time::Duration;

use k6r_core::metrics::{Builtin, Tags};
use prost_reflect::MethodDescriptor;

use crate::state::VuState;

/// The tags of a call of `method` on `address`: the call's base tags,
/// then k6's request tags (`url`: the address and the method's path,
/// `name`: the path, `service`: the service's full name, `method`: the
/// method's own name), then the script's own (`params.tags`), which win.
pub(super) fn call_tags(
    base: &Tags,
    address: &str,
    method: &MethodDescriptor,
    own: &[(String, String)],
) -> Tags {
    let service = method.parent_service();
    let path = format!("/{}/{}", service.full_name(), method.name());
    let mut tags = base.clone();
    tags.insert(
        Arc::from("url"),
        Arc::from(format!("{address}{path}").as_str()),
    );
    tags.insert(Arc::from("name"), Arc::from(path.as_str()));
    tags.insert(Arc::from("service"), Arc::from(service.full_name()));
    tags.insert(Arc::from("method"), Arc::from(method.name()));
    for (key, value) in own {
        tags.insert(Arc::from(key.as_str()), Arc::from(value.as_str()));
    }
    tags
}

/// A unary call's `grpc_req_duration`, with its status.
pub(super) fn record_call(vu: &VuState, tags: &Tags, code: i32, elapsed: Duration) {
    let mut tags = tags.clone();
    tags.insert(Arc::from("status"), Arc::from(code.to_string().as_str()));
    vu.push_builtin(
        Builtin::GrpcReqDuration,
        Arc::new(tags),
        elapsed.as_secs_f64() * 1000.0,
    );
}

/// One of a stream's counters.
pub(super) fn count(vu: &VuState, metric: Builtin, tags: &Arc<Tags>) {
    vu.push_builtin(metric, Arc::clone(tags), 1.0);
}
