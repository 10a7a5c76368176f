//! The bodies of k6's v1 REST control API, as plain serde types shared by
//! the server (`k6r-rest`) and its clients (`k6r-cli status|scale|...`),
//! and of k6r's own run submission on the coordinator.
//!
//! The envelopes look like JSON:API (`data` / `type` / `id` /
//! `attributes`, `errors[]`) and use k6's exact field names (`vus-max`,
//! `p(95)`) and field order. Nothing here does I/O or validation: building
//! the values is the server's job, reading them the client's.
//!
//! # Layout
//! - [`status`]: `GET/PATCH /v1/status` ([`StatusEnvelope`], [`Status`],
//!   [`ExecutionStatus`]).
//! - [`metrics`]: `GET /v1/metrics[/{id}]` ([`Metric`], its type and
//!   contents enums).
//! - [`groups`]: `GET /v1/groups[/{id}]` ([`Group`], [`Check`]).
//! - [`setup`]: `/v1/setup` ([`SetupEnvelope`]).
//! - [`scenarios`]: k6r's `GET /v1/scenarios` and `PATCH
//!   /v1/scenarios/{name}` (live changes of any scenario).
//! - [`errors`]: the error body ([`ErrorsBody`]).
//! - [`envelope`]: the generic `{"data": ...}` wrapper and resource object.
//! - [`dashboard`]: the coordinator's live dashboard (`Frame`,
//!   `Point`, `History`).
//! - [`run`]: k6r's own `/v1/runs` on the coordinator ([`RunRequest`],
//!   [`RunView`]): a distributed run submitted and followed.
#![warn(missing_docs)]

pub mod dashboard;
pub mod envelope;
pub mod errors;
pub mod groups;
pub mod metrics;
pub mod run;
pub mod scenarios;
pub mod setup;
pub mod status;

pub use envelope::{Envelope, Resource};
pub use errors::{ErrorObject, ErrorsBody};
pub use groups::{
    Check, Group, GroupEnvelope, GroupRef, GroupResource, GroupsEnvelope, Relationships,
};
pub use metrics::{
    go_float, Metric, MetricEnvelope, MetricResource, MetricType, MetricsEnvelope, ValueType,
};
pub use run::{
    ArchiveBody, AutopilotRequest, MetricDeclaration, OnAgentLoss, RunAgent, RunOutcome,
    RunRequest, RunState, RunView, ScenarioView,
};
pub use setup::{SetupAttributes, SetupEnvelope};
pub use status::{ExecutionStatus, Status, StatusEnvelope};
