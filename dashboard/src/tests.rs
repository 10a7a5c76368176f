//! The sampler task with paused time: one frame a period, serialized
//! once for every viewer, and the end of the frames at stop.

use k6r_api::dashboard::Frame;
use tokio::time::Instant;

use super::*;

/// A source with no run yet and no agents.
struct Idle;

impl Source for Idle {
    async fn sample(&mut self) -> Option<Sampled> {
        Some(Sampled::default())
    }
}

fn parse(event: &Bytes) -> Frame {
    let text = std::str::from_utf8(event).unwrap();
    let json = text
        .strip_prefix("event: frame\ndata: ")
        .and_then(|t| t.strip_suffix("\n\n"))
        .unwrap_or_else(|| panic!("not one event: {text:?}"));
    serde_json::from_str(json).unwrap()
}

#[tokio::test(start_paused = true)]
async fn one_frame_a_period_shared_by_every_viewer_until_stop() {
    let stop = CancellationToken::new();
    let (dashboard, task) = Dashboard::spawn(Idle, SAMPLE_PERIOD, stop.clone());
    let (mut a, mut b) = (dashboard.frames.clone(), dashboard.frames.clone());

    a.changed().await.unwrap();
    let first = a.borrow_and_update().clone();
    let at = Instant::now();
    assert_eq!(parse(&first).tick, 1);
    assert_eq!(parse(&first).run, None);

    a.changed().await.unwrap();
    assert_eq!(at.elapsed(), SAMPLE_PERIOD);
    let second = a.borrow_and_update().clone();
    assert_eq!(parse(&second).tick, 2);
    // The other viewer gets the very same bytes: serialized once.
    b.changed().await.unwrap();
    assert_eq!(b.borrow_and_update().as_ptr(), second.as_ptr());

    let history = dashboard.history().await.unwrap();
    assert_eq!(history.frame.tick, 2);
    assert!(history.points.is_empty());

    stop.cancel();
    task.await.unwrap();
    // The sender is gone with the task: every viewer's stream ends.
    assert!(a.changed().await.is_err());
    assert_eq!(dashboard.history().await, Err(DashboardError::Stopped));
}
