//! The session's messages, both ways: the bytes decoded by prost as an
//! `AgentMessage` (what the coordinator receives) and as a
//! `CoordinatorMessage` (what an agent receives), then taken through the
//! conversions and parsers each side applies before acting on them. An
//! Assign's options that convert must also convert back unchanged.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use k6r_coordinator::registry::{AgentId, Hello};
use k6r_coordinator::run::merge::Merged;
use k6r_core::metrics::{Breakdown, Metric, MetricType, ValueType};
use k6r_core::options::Options;
use k6r_core::segment::{Segment, Sequence};
use k6r_proto::convert::from_unix_nanos;
use k6r_proto::v1::{
    self, agent_message, coordinator_message, AgentMessage, CoordinatorMessage, MetricDelta,
};
use prost::Message;
use serde_json::{json, Map, Value};

/// Decodes the input both ways.
pub fn run(data: &[u8]) {
    let bytes = crate::capped(data);
    if let Ok(message) = AgentMessage::decode(bytes) {
        at_coordinator(message);
    }
    if let Ok(message) = CoordinatorMessage::decode(bytes) {
        at_agent(message);
    }
}

/// Thresholds on built-in and custom metrics, submetrics included, so
/// merged deltas meet them.
/// The custom metrics the thresholds name, as a script declares them.
fn custom_metrics() -> Vec<Arc<Metric>> {
    vec![
        Arc::new(Metric::new(
            "custom_trend",
            MetricType::Trend,
            ValueType::Default,
        )),
        Arc::new(Metric::new(
            "custom_gauge",
            MetricType::Gauge,
            ValueType::Default,
        )),
    ]
}

fn thresholds() -> Map<String, Value> {
    let option = json!({
        "http_req_duration": ["p(95)<500", "avg<200"],
        "http_req_duration{status:200}": ["max<1000"],
        "checks": ["rate>0.9"],
        "iterations": ["count>1"],
        "custom_trend": ["med<3"],
        "custom_gauge": ["value>0"],
    });
    match option {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn at_coordinator(message: AgentMessage) {
    let Some(kind) = message.kind else {
        return;
    };
    match kind {
        agent_message::Kind::Hello(hello) => {
            let _ = Hello::try_from(hello);
        }
        agent_message::Kind::Heartbeat(heartbeat) => {
            let at = SystemTime::from(&heartbeat);
            let _ = at.duration_since(SystemTime::UNIX_EPOCH);
        }
        agent_message::Kind::Status(status) => {
            let _ = from_unix_nanos(status.started_unix_nanos);
        }
        agent_message::Kind::Metrics(delta) => {
            let agent = AgentId::new("agent-1");
            for breakdown in [Breakdown::None, Breakdown::Headline, Breakdown::Full] {
                let Ok(mut merged) = Merged::new(&custom_metrics(), Some(&thresholds()), breakdown)
                else {
                    return;
                };
                let _ = merged.apply(&agent, &delta);
                // The same delta again, as the next one: merging is exact.
                let next = MetricDelta {
                    seq: delta.seq.saturating_add(1),
                    ..delta.clone()
                };
                let _ = merged.apply(&agent, &next);
                merged.record_vus(3, 5);
                for during_run in [true, false] {
                    let _ = merged.evaluate(Duration::from_secs(10), during_run);
                }
                let _ = merged.tainted();
                let _ = merged.resources(Duration::from_secs(10));
                let _ = merged.to_json();
            }
        }
        _ => {}
    }
}

fn at_agent(message: CoordinatorMessage) {
    let Some(kind) = message.kind else {
        return;
    };
    match kind {
        coordinator_message::Kind::Welcome(welcome) => {
            let _ = welcome.heartbeat_interval();
            let _ = from_unix_nanos(welcome.unix_nanos);
        }
        coordinator_message::Kind::Assign(assign) => {
            // Absent options are the script's own; there is no script here.
            let options = match &assign.options {
                None => Options::default(),
                Some(wire) => match Options::try_from(wire) {
                    Ok(options) => options,
                    Err(_) => return,
                },
            };
            // Options that came off the wire go back onto it and return
            // unchanged (their thresholds are in the form they re-parse).
            let again =
                v1::Options::try_from(&options).expect("options from the wire convert back");
            let back = Options::try_from(&again).expect("and off the wire again");
            assert_eq!(back, options, "options changed on a round trip");
            // As the agent reads its Assign: a bad segment refuses it.
            let segment = given(&assign.execution_segment).map(Segment::parse);
            let sequence = given(&assign.execution_segment_sequence).map(Sequence::parse);
            let (Ok(segment), Ok(sequence)) = (segment.transpose(), sequence.transpose()) else {
                return;
            };
            let part = options.part(segment, sequence, &assign.excluded_scenarios);
            crate::options::consume(part, &assign.pinned_scenarios);
        }
        coordinator_message::Kind::Start(start) => {
            let _ = from_unix_nanos(start.start_unix_nanos);
        }
        _ => {}
    }
}

/// A wire string that is set (proto3 has no absent strings).
fn given(text: &str) -> Option<&str> {
    Some(text).filter(|t| !t.is_empty())
}
