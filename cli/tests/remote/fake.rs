//! The fake coordinator of the remote-run tests: an axum server on
//! 127.0.0.1:0 that answers `POST /v1/runs` as told, serves the run's
//! views (a finished one with a merged result) and notes what it saw.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use k6r_api::{ErrorsBody, RunAgent, RunOutcome, RunRequest, RunState, RunView};
use k6r_core::metrics::{Builtin, MetricType, Registry, Sample, Tags, ValueType};

/// How the fake answers `POST /v1/runs`.
#[derive(Clone, Copy)]
pub(crate) enum Answer {
    /// 201, then one running view, then the finished one.
    Run,
    /// 409 with k6's error body.
    Conflict,
    /// 401.
    Unauthorized,
    /// 400 with k6's error body.
    BadRequest,
    /// 201, then running views until a stop, then the finished one.
    UntilStopped,
    /// 201, then running views forever.
    Forever,
    /// 201, then 404 for the run.
    UnknownRun,
}

#[derive(Default)]
pub(crate) struct Seen {
    pub(crate) requests: Vec<RunRequest>,
    pub(crate) auth: Vec<Option<String>>,
    pub(crate) polls: usize,
    pub(crate) stops: usize,
}

/// What the fake saw, and a bell rung on every change.
#[derive(Default)]
pub(crate) struct Log {
    pub(crate) seen: Mutex<Seen>,
    changed: Condvar,
}

impl Log {
    fn note<R>(&self, f: impl FnOnce(&mut Seen) -> R) -> R {
        let r = f(&mut self.seen.lock().unwrap());
        self.changed.notify_all();
        r
    }
}

pub(crate) struct Fake {
    pub(crate) url: String,
    pub(crate) seen: Arc<Log>,
    _runtime: tokio::runtime::Runtime,
}

impl Fake {
    pub(crate) fn start(answer: Answer) -> Fake {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let seen = Arc::new(Log::default());
        let app = Router::new()
            .route("/v1/runs", post(submit))
            .route("/v1/runs/{id}", get(view))
            .route("/v1/runs/{id}/stop", post(stop))
            .with_state((answer, Arc::clone(&seen)));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        runtime.spawn(async move { axum::serve(listener, app).await });
        Fake {
            url,
            seen,
            _runtime: runtime,
        }
    }

    pub(crate) fn requests(&self) -> Vec<RunRequest> {
        self.seen.seen.lock().unwrap().requests.clone()
    }

    /// Waits (at most 30 s) until `what` holds.
    pub(crate) fn wait_for(&self, what: impl Fn(&Seen) -> bool) {
        let seen = self.seen.seen.lock().unwrap();
        let (_seen, timeout) = self
            .seen
            .changed
            .wait_timeout_while(seen, Duration::from_secs(30), |s| !what(s))
            .unwrap();
        assert!(!timeout.timed_out(), "the fake coordinator waited in vain");
    }
}

type Shared = (Answer, Arc<Log>);

async fn submit(
    State((answer, seen)): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, [(header::HeaderName, &'static str); 1], String) {
    let request: RunRequest = serde_json::from_slice(&body).expect("a RunRequest");
    let auth = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap().to_owned());
    seen.note(|seen| {
        seen.requests.push(request);
        seen.auth.push(auth);
    });
    let json = [(header::CONTENT_TYPE, "application/json")];
    match answer {
        Answer::Conflict => {
            let body = ErrorsBody::one(409, "a run is active", "run r0 is running");
            (
                StatusCode::CONFLICT,
                json,
                serde_json::to_string(&body).unwrap(),
            )
        }
        Answer::Unauthorized => (StatusCode::UNAUTHORIZED, json, String::new()),
        Answer::BadRequest => {
            // The coordinator's own error body.
            let body = r#"{"error":"invalid options: vus must be positive"}"#;
            (StatusCode::BAD_REQUEST, json, body.to_owned())
        }
        Answer::Run | Answer::UntilStopped | Answer::Forever | Answer::UnknownRun => {
            let view = run_view(RunState::Initializing, None);
            (
                StatusCode::CREATED,
                json,
                serde_json::to_string(&view).unwrap(),
            )
        }
    }
}

async fn view(
    State((answer, seen)): State<Shared>,
    UrlPath(id): UrlPath<String>,
) -> (StatusCode, String) {
    assert_eq!(id, "r1");
    let (polls, stops) = seen.note(|seen| {
        seen.polls += 1;
        (seen.polls, seen.stops)
    });
    if let Answer::UnknownRun = answer {
        let body = ErrorsBody::one(404, "no such run", &id);
        return (StatusCode::NOT_FOUND, serde_json::to_string(&body).unwrap());
    }
    let finished = match answer {
        Answer::UntilStopped => stops > 0,
        Answer::Forever => false,
        _ => polls >= 2,
    };
    let view = if finished {
        run_view(RunState::Finished, Some(outcome()))
    } else {
        run_view(RunState::Running, None)
    };
    (StatusCode::OK, serde_json::to_string(&view).unwrap())
}

async fn stop(State((_, seen)): State<Shared>, UrlPath(id): UrlPath<String>) -> StatusCode {
    assert_eq!(id, "r1");
    seen.note(|seen| seen.stops += 1);
    StatusCode::OK
}

fn run_view(state: RunState, result: Option<RunOutcome>) -> RunView {
    let agent = |name: &str, segment: &str, lead: bool| RunAgent {
        id: format!("id-{name}"),
        name: name.to_owned(),
        segment: segment.to_owned(),
        pinned: Vec::new(),
        lead,
        state: "running".to_owned(),
        vus: 1,
        vus_max: 1,
        iterations: 3,
    };
    RunView {
        id: "r1".to_owned(),
        state,
        elapsed_ms: 1500,
        vus: 2,
        vus_max: 2,
        iterations: 6,
        interrupted: 0,
        agents: vec![agent("a", "0:1/2", true), agent("b", "1/2:1", false)],
        scenarios: Vec::new(),
        start_skew_ms: Some(3.5),
        result,
        autopilot: None,
    }
}

/// A merged result: 7 iterations, 3 `my_counter`, checks 2/3, partial.
fn outcome() -> RunOutcome {
    let mut registry = Registry::new();
    let counter = registry
        .declare("my_counter", MetricType::Counter, ValueType::Default)
        .unwrap();
    let tags = Arc::new(Tags::new().with("scenario", "default"));
    let at = |ms: u64| UNIX_EPOCH + Duration::from_millis(ms);
    let mut samples: Vec<Sample> = (0..7)
        .map(|i| Sample {
            metric: Builtin::Iterations.metric(),
            tags: Arc::clone(&tags),
            time: at(i),
            value: 1.0,
        })
        .collect();
    samples.push(Sample {
        metric: counter,
        tags: Arc::clone(&tags),
        time: at(8),
        value: 3.0,
    });
    registry.add(&samples);
    RunOutcome {
        exit_code: 99,
        message: "thresholds on metrics 'my_counter' have been crossed".to_owned(),
        partial: true,
        lost_agents: vec!["b (1/2:1) at 1.5s".to_owned()],
        duration_ms: 2000,
        metrics: serde_json::to_value(registry.take_delta()).unwrap(),
        setup_data: Some(r#"{"token":"abc"}"#.to_owned()),
        changes: Vec::new(),
    }
}
