//! The contract's wire behaviour that the coordinator and agents rely on.

use k6r_proto::v1::{
    agent_message, control, coordinator_message, sink, AgentMessage, Archive, Assign, Control,
    CoordinatorMessage, Hello, Metric, MetricDelta, MetricType, Options, RateSink, Scale, Sink,
    ValueType,
};
use prost::Message;

#[test]
fn an_assignment_survives_the_wire() {
    let assign = Assign {
        run_id: "r1".into(),
        archive: Some(Archive {
            entry: "/s/script.js".into(),
            files: [(
                "/s/script.js".to_string(),
                b"export default () => {}".to_vec().into(),
            )]
            .into(),
        }),
        options: Some(Options {
            vus: Some(2),
            ..Options::default()
        }),
        execution_segment: "1/3:2/3".into(),
        execution_segment_sequence: "0,1/3,2/3,1".into(),
        pinned_scenarios: vec!["ext".into()],
        ..Assign::default()
    };
    let msg = CoordinatorMessage {
        kind: Some(coordinator_message::Kind::Assign(assign.clone())),
    };
    let back = CoordinatorMessage::decode(msg.encode_to_vec().as_slice()).unwrap();
    assert_eq!(back.kind, Some(coordinator_message::Kind::Assign(assign)));
}

#[test]
fn an_assignment_without_options_leaves_them_absent() {
    // Absent options: the agent runs the script's own.
    let assign = Assign {
        run_id: "r1".into(),
        ..Assign::default()
    };
    let back = Assign::decode(assign.encode_to_vec().as_slice()).unwrap();
    assert_eq!(back.options, None);
    // Present but empty: options where no layer set anything.
    let assign = Assign {
        options: Some(Options::default()),
        ..assign
    };
    let back = Assign::decode(assign.encode_to_vec().as_slice()).unwrap();
    assert_eq!(back.options, Some(Options::default()));
}

#[test]
fn an_unset_scale_field_stays_distinguishable_from_zero() {
    let scale = Control {
        run_id: "r".into(),
        action: Some(control::Action::Scale(Scale {
            vus: Some(0),
            vus_max: None,
        })),
        seq: 7,
    };
    let back = Control::decode(scale.encode_to_vec().as_slice()).unwrap();
    let Some(control::Action::Scale(s)) = back.action else {
        panic!("not a scale")
    };
    assert_eq!((s.vus, s.vus_max), (Some(0), None));
    assert_eq!(back.seq, 7);
}

#[test]
fn a_metric_delta_survives_the_wire() {
    let delta = MetricDelta {
        run_id: "r".into(),
        seq: 1,
        metrics: vec![Metric {
            name: "checks".into(),
            kind: MetricType::Rate.into(),
            contains: ValueType::Default.into(),
            sink: Some(Sink {
                kind: Some(sink::Kind::Rate(RateSink {
                    passes: 2,
                    total: 3,
                })),
            }),
            submetrics: Vec::new(),
        }],
        groups: vec!["::g".into()],
        ..MetricDelta::default()
    };
    let back = MetricDelta::decode(delta.encode_to_vec().as_slice()).unwrap();
    assert_eq!(back, delta);
}

#[test]
fn an_empty_message_decodes_as_no_kind() {
    // A newer peer's unknown oneof case decodes as `None`, never an error.
    let msg = AgentMessage::decode(&[][..]).unwrap();
    assert_eq!(msg.kind, None);
    let hello = AgentMessage {
        kind: Some(agent_message::Kind::Hello(Hello {
            name: "a".into(),
            ..Hello::default()
        })),
    };
    assert!(!hello.encode_to_vec().is_empty());
}
