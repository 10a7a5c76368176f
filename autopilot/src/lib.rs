//! The autopilot's task: steers one arrival-rate scenario with
//! [`k6r_core::autopilot::Search`] (the policy) through a [`Plant`] (the
//! run: on one machine, or a cluster behind its coordinator), one window
//! at a time, and publishes the [`Report`] after each.
//!
//! ```text
//! Plant ◀── set_rate ── pilot task (owns the Search) ── watch<Report> ──▶ GET /v1/autopilot,
//!       ── read ──────▶  settle, window, judge, decide                     the summary, the report file
//! ```
//!
//! # Layout
//! - `plant`: [`Plant`], what the task asks of the run, and [`PlantError`].
//! - `pilot`: [`pilot`], the task.
//! - `cpu`: [`generator_cpu`], this process's CPU time and its threads' (a load generator's
//!   own saturation).

mod cpu;
mod pilot;
mod plant;

pub use cpu::generator_cpu;
pub use k6r_core::autopilot::Report;
pub use pilot::pilot;
pub use plant::{Plant, PlantError};

#[cfg(test)]
mod tests;
