//! The page and its assets (compiled in: the dashboard works offline),
//! the run's history as JSON, and the self-contained report.
//!
//! The page and the report share one body, one stylesheet and one
//! script; the report inlines them with the history as JSON, and the
//! script, finding that JSON, draws it instead of following the run.

use axum::{
    extract::State,
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
    Json,
};
use k6r_api::dashboard::History;
use k6r_rest::Problem;

use super::Dashboard;

const STYLE: &str = include_str!("assets/style.css");
const CHART: &str = include_str!("assets/chart.js");
const SCRIPT: &str = include_str!("assets/app.js");
const BODY: &str = include_str!("assets/body.html");

/// The live page: the body, with the stylesheet and script by path.
const INDEX: &str = concat!(
    "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
    "<title>k6r dashboard</title>\n<link rel=\"icon\" href=\"data:,\">\n",
    "<link rel=\"stylesheet\" href=\"/dashboard/style.css\">\n</head>\n<body>\n",
    include_str!("assets/body.html"),
    "<script src=\"/dashboard/chart.js\"></script>\n",
    "<script src=\"/dashboard/app.js\"></script>\n</body>\n</html>\n",
);

fn typed(content_type: &'static str, body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

pub(super) async fn index() -> Response {
    typed("text/html; charset=utf-8", INDEX)
}

pub(super) async fn style() -> Response {
    typed("text/css; charset=utf-8", STYLE)
}

pub(super) async fn chart() -> Response {
    typed("text/javascript; charset=utf-8", CHART)
}

pub(super) async fn script() -> Response {
    typed("text/javascript; charset=utf-8", SCRIPT)
}

pub(super) async fn history(State(dashboard): State<Dashboard>) -> Result<Json<History>, Problem> {
    Ok(Json(dashboard.history().await.map_err(Problem::from)?))
}

/// The last run's history as one HTML file, to save.
pub(super) async fn report(State(dashboard): State<Dashboard>) -> Result<Response, Problem> {
    let history = dashboard.history().await.map_err(Problem::from)?;
    let run = history.frame.run.as_ref().map_or("", |r| r.id.as_str());
    let name = if run.is_empty() { "k6r-report" } else { run };
    let html = report_html(&history);
    let mut response = typed("text/html; charset=utf-8", html);
    if let Ok(value) = HeaderValue::from_str(&format!("inline; filename=\"{name}.html\"")) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// The report: everything inline, the history as JSON in a data block.
pub fn report_html(history: &History) -> String {
    let json = serde_json::to_string(history).unwrap_or_else(|_| "{}".into());
    // Inside <script>, `</script>` (any `</`) would end the block early;
    // `<` as a JSON escape keeps the same value.
    let json = json.replace('<', "\\u003c");
    let title = history.frame.run.as_ref().map_or_else(
        || "k6r report".to_owned(),
        |r| format!("k6r report: {}", r.id),
    );
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n<link rel=\"icon\" href=\"data:,\">\n\
         <style>\n{STYLE}</style>\n</head>\n<body class=\"report\">\n{BODY}\
         <script type=\"application/json\" id=\"k6r-report\">{json}</script>\n\
         <script>\n{CHART}</script>\n<script>\n{SCRIPT}</script>\n</body>\n</html>\n"
    )
}

#[cfg(test)]
mod tests {
    use k6r_api::dashboard::{Frame, FrameRun, Point};
    use k6r_api::RunState;

    use super::*;

    #[test]
    fn the_report_inlines_everything_and_cannot_be_broken_out_of() {
        let history = History {
            frame: Frame {
                tick: 3,
                run: Some(FrameRun {
                    id: "run-1".into(),
                    state: RunState::Finished,
                    paused: false,
                    stopped: false,
                    exit_code: Some(0),
                    message: "</script><script>alert(1)</script>".into(),
                    point: Point::default(),
                    iterations: 1,
                    http_reqs: 2,
                    thresholds: Vec::new(),
                    autopilot: None,
                }),
                agents: Vec::new(),
            },
            points: vec![Point::default(); 3],
        };
        let html = report_html(&history);
        assert_eq!(html.matches("</script>").count(), 3, "{html}");
        assert!(html.contains(STYLE) && html.contains(CHART) && html.contains(SCRIPT));
        assert!(!html.contains("src=\"/") && !html.contains("href=\"/"));
        let start = html.find("id=\"k6r-report\">").unwrap() + "id=\"k6r-report\">".len();
        let end = start + html[start..].find("</script>").unwrap();
        let back: History = serde_json::from_str(&html[start..end]).unwrap();
        assert_eq!(back, history);
    }
}
