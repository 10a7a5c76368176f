//! k6's built-in metrics (§6.1 of the reference), with their types.

use std::sync::{Arc, OnceLock};

use super::sample::{Metric, MetricType, ValueType};

macro_rules! builtins {
    ($($variant:ident => $name:literal, $kind:ident, $contains:ident;)*) => {
        /// A metric k6 emits by itself.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Builtin {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        impl Builtin {
            /// Every built-in metric, in k6's order of HTTP emission where
            /// it applies.
            pub const ALL: &'static [Builtin] = &[$(Builtin::$variant),*];

            /// Its name.
            pub fn name(self) -> &'static str {
                match self { $(Builtin::$variant => $name,)* }
            }

            /// Its type.
            pub fn kind(self) -> MetricType {
                match self { $(Builtin::$variant => MetricType::$kind,)* }
            }

            /// What its values are.
            pub fn contains(self) -> ValueType {
                match self { $(Builtin::$variant => ValueType::$contains,)* }
            }
        }
    };
}

builtins! {
    Vus => "vus", Gauge, Default;
    VusMax => "vus_max", Gauge, Default;
    Iterations => "iterations", Counter, Default;
    IterationDuration => "iteration_duration", Trend, Time;
    DroppedIterations => "dropped_iterations", Counter, Default;
    DataSent => "data_sent", Counter, Data;
    DataReceived => "data_received", Counter, Data;
    Checks => "checks", Rate, Default;
    GroupDuration => "group_duration", Trend, Time;
    HttpReqs => "http_reqs", Counter, Default;
    HttpReqDuration => "http_req_duration", Trend, Time;
    HttpReqBlocked => "http_req_blocked", Trend, Time;
    HttpReqConnecting => "http_req_connecting", Trend, Time;
    HttpReqTlsHandshaking => "http_req_tls_handshaking", Trend, Time;
    HttpReqSending => "http_req_sending", Trend, Time;
    HttpReqWaiting => "http_req_waiting", Trend, Time;
    HttpReqReceiving => "http_req_receiving", Trend, Time;
    HttpReqFailed => "http_req_failed", Rate, Default;
    GrpcReqDuration => "grpc_req_duration", Trend, Time;
    GrpcStreams => "grpc_streams", Counter, Default;
    GrpcStreamsMsgsSent => "grpc_streams_msgs_sent", Counter, Default;
    GrpcStreamsMsgsReceived => "grpc_streams_msgs_received", Counter, Default;
    WsSessions => "ws_sessions", Counter, Default;
    WsMsgsSent => "ws_msgs_sent", Counter, Default;
    WsMsgsReceived => "ws_msgs_received", Counter, Default;
    WsPing => "ws_ping", Trend, Time;
    WsSessionDuration => "ws_session_duration", Trend, Time;
    WsConnecting => "ws_connecting", Trend, Time;
    // k6r's own: one sample per applied live change (`k6r_core::steer`),
    // at its instant, tagged `scenario` and `change` (its summary line);
    // the value is the instant's offset from the scenario's start, in
    // seconds.
    ScenarioChange => "k6r_scenario_change", Gauge, Default;
}

impl Builtin {
    /// The shared [`Metric`] (one allocation per built-in per process).
    pub fn metric(self) -> Arc<Metric> {
        static ALL: OnceLock<Vec<Arc<Metric>>> = OnceLock::new();
        let all = ALL.get_or_init(|| {
            Builtin::ALL
                .iter()
                .map(|b| Arc::new(Metric::new(b.name(), b.kind(), b.contains())))
                .collect()
        });
        Arc::clone(&all[self as usize])
    }

    /// The metrics charted for each part of a run (a scenario, an agent):
    /// requests, their failures and latency, and checks. A registry keeps
    /// them per scenario with [`Breakdown::Headline`](super::Breakdown).
    pub const HEADLINE: [Builtin; 4] = [
        Builtin::HttpReqs,
        Builtin::HttpReqFailed,
        Builtin::HttpReqDuration,
        Builtin::Checks,
    ];

    /// Whether it is one of [`Builtin::HEADLINE`].
    pub fn is_headline(self) -> bool {
        Builtin::HEADLINE.contains(&self)
    }

    /// The built-in metric called `name`.
    pub fn from_name(name: &str) -> Option<Builtin> {
        Builtin::ALL.iter().copied().find(|b| b.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_resolves_to_itself() {
        for &b in Builtin::ALL {
            let m = b.metric();
            assert_eq!(&*m.name, b.name());
            assert_eq!(m.kind, b.kind());
            assert_eq!(Builtin::from_name(b.name()), Some(b));
        }
        assert_eq!(Builtin::HttpReqDuration.contains(), ValueType::Time);
        assert_eq!(Builtin::DataSent.contains(), ValueType::Data);
        assert_eq!(Builtin::from_name("nope"), None);
    }
}
