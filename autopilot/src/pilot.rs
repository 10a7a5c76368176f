//! [`pilot`]: the task that owns the search and steers the run with it.

use std::time::Duration;

use k6r_core::autopilot::window::wanted;
use k6r_core::autopilot::{Measured, Report, Search};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::plant::{Plant, PlantError};

/// How often the plant is asked again while its scenario has not started.
const NOT_STARTED_RETRY: Duration = Duration::from_millis(100);

/// Steers `plant`'s scenario with `search` until the scenario ends or
/// `stop` fires; `names` are the SLOs' registry names, in order. The
/// report is published on `publish` after each window, and returned at
/// the end.
pub async fn pilot<P: Plant>(
    mut plant: P,
    mut search: Search,
    names: Vec<String>,
    publish: watch::Sender<Report>,
    stop: CancellationToken,
) -> Report {
    let metrics = wanted(&names);
    let window = search.settings().window;
    let mut settle = search.settings().settle;
    publish.send_replace(search.report().clone());
    // The rate last applied: the scenario's own until the first change.
    let Some(mut applied) = started(&mut plant, &stop).await else {
        return search.report().clone();
    };
    'steering: loop {
        let rate = search.rate();
        while applied != rate {
            match plant.set_rate(rate).await {
                Ok(()) => applied = rate,
                Err(PlantError::NotStarted | PlantError::Unavailable) => {
                    if !pause(&stop, NOT_STARTED_RETRY).await {
                        break 'steering;
                    }
                }
                Err(PlantError::Ended) => break 'steering,
                Err(PlantError::Refused(why)) => {
                    tracing::warn!(rate, %why, "the autopilot stops: its rate change was refused");
                    break 'steering;
                }
            }
        }
        if !pause(&stop, settle.max(plant.min_settle())).await {
            break;
        }
        let before = match plant.read(&metrics).await {
            Ok(reading) => reading,
            Err(PlantError::Ended | PlantError::Refused(_)) => break,
            Err(PlantError::NotStarted | PlantError::Unavailable) => {
                settle = window / 4;
                continue;
            }
        };
        if !pause(&stop, window).await {
            break;
        }
        let measured = loop {
            match plant.read(&metrics).await {
                Ok(after) => {
                    let measured = Measured::between(&before, &after, rate, search.slos(), &names);
                    if search.ready(&measured) {
                        break measured;
                    }
                }
                Err(PlantError::Ended | PlantError::Refused(_)) => break 'steering,
                Err(PlantError::NotStarted | PlantError::Unavailable) => {}
            }
            if !pause(&stop, window / 4).await {
                break 'steering;
            }
        };
        let decision = search.observe(measured);
        let report = search.report();
        if let Some(last) = report.windows.last() {
            tracing::info!(
                rate = last.rate,
                achieved = last.achieved,
                outcome = %last.outcome,
                next = decision.rate,
                "autopilot window"
            );
        }
        publish.send_replace(report.clone());
        settle = decision.settle;
    }
    search.report().clone()
}

/// The scenario's rate once it has started; `None` when it ended first,
/// `stop` fired, or the plant refused.
async fn started<P: Plant>(plant: &mut P, stop: &CancellationToken) -> Option<f64> {
    loop {
        match plant.started().await {
            Ok(rate) => return Some(rate),
            Err(PlantError::NotStarted | PlantError::Unavailable) => {
                if !pause(stop, NOT_STARTED_RETRY).await {
                    return None;
                }
            }
            Err(PlantError::Ended) => return None,
            Err(PlantError::Refused(why)) => {
                tracing::warn!(%why, "the autopilot stops: its scenario can't be read");
                return None;
            }
        }
    }
}

/// Waits `d`; `false` when `stop` fired first.
async fn pause(stop: &CancellationToken, d: Duration) -> bool {
    tokio::select! {
        () = stop.cancelled() => false,
        () = tokio::time::sleep(d) => true,
    }
}
