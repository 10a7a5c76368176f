//! What k6r's tests share instead of each keeping a copy: a raw HTTP/1.1
//! exchange (to see status lines, headers and bodies exactly as sent),
//! a real `redis-server`, and the parts of a REST API served over a real engine whose VUs only
//! sleep (what `k6r-cli run -a` does, minus the script).
//!
//! # Layout
//! - [`http`]: [`http::raw`], one request on its own connection.
//! - [`coordinator`]: [`coordinator::TestCoordinator`], a coordinator in
//!   the test's process.
//! - [`engine_api`]: [`engine_api::serve`], and its [`engine_api::SleepFactory`], [`engine_api::Gauges`],
//!   [`engine_api::NoSetup`] and [`engine_api::plan`].
//! - [`redis`]: [`redis::RedisServer`], a real `redis-server` on a free
//!   port, killed on drop.
//! - [`nginx`]: [`nginx::RateLimited`], a real nginx whose capacity is
//!   set by `limit_req`, on a free port, killed on drop.
#![warn(missing_docs)]

pub mod coordinator;
pub mod engine_api;
pub mod http;
pub mod nginx;
pub mod redis;
