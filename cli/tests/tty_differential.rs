//! `k6r-cli run` under a real terminal against the reference `k6 run`
//! (k6 v1.1.0) under the same one: both run the same short script in a
//! pty made by util-linux `script` (`TERM=xterm`, 120 columns), and what
//! they wrote is replayed through a tiny terminal emulator ([`Screen`])
//! to get the screen each left behind.
//!
//! Compared:
//! - the banner's `scenarios:` block (ANSI escapes and `\r` removed),
//!   byte for byte;
//! - that both redraw in place (a cursor-up and an erase-line escape);
//! - the final progress block (the last one, printed after the summary):
//!   its header's VU column, and per scenario row the name, the status
//!   glyph, the bar (its width and that it is full), the VU column, the
//!   iteration counters and the total duration (`5s` of `0.5s/5s`, or
//!   the `2s` a finished constant-vus scenario shows).
//!
//! Timing-dependent, not compared: the header's elapsed time and its
//! complete / interrupted counts (how many 100ms sleeps fit in 2s, and
//! whether a constant-vus iteration was cut at its end), and the elapsed
//! part of a row's time column (when a scenario finished).
//!
//! - the bars' width on narrower terminals (k6 narrows them so the
//!   longest row ends before the last column: 33 characters at 80
//!   columns; the percentage below 7);
//! - k6's colours (SGR sequences, in order) on the final rows, the
//!   banner's values, and every line of a summary with thresholds,
//!   checks and each kind of metric.
//!
//! Known differences, not compared:
//! - k6 writes its log lines on a terminal as `ERRO[0000] message`, its
//!   level in colour; k6r writes them as on any stream
//!   (`time=.. level=error msg=..`).
//! - k6 draws each frame itself (an empty line, the header, the rows,
//!   each ended by `ESC[K`, then `\r ESC[J ESC[nA` back up); k6r lets
//!   indicatif draw (lines padded to the width, `ESC[2K` and `ESC[1A`/
//!   `ESC[1B` per line, no empty line above the header), and its final
//!   block is plain text. The screens left behind are the same shape.

use std::path::Path;
use std::process::Command;

/// Three executors: one done early, one running to its end, one starting
/// late. `sleep`-based, no network, about 2s.
const SCRIPT: &str = "import { sleep } from 'k6';\n\
export const options = { scenarios: {\n\
  a_si: { executor: 'shared-iterations', vus: 2, iterations: 10, maxDuration: '5s' },\n\
  b_cv: { executor: 'constant-vus', vus: 2, duration: '2s', gracefulStop: '0s' },\n\
  c_pvi: { executor: 'per-vu-iterations', vus: 2, iterations: 3, startTime: '500ms', maxDuration: '5s' },\n\
} };\n\
export default function () { sleep(0.1); }\n";

const COLUMNS: usize = 120;

/// The final screen of a terminal fed a byte stream: `\r`, `\n`, cursor
/// up / down (`ESC[nA`, `ESC[nB`), erase in line (`ESC[K`, `ESC[1K`,
/// `ESC[2K`) and below (`ESC[J`); colours and every other CSI sequence
/// are ignored, as are two-character escapes. Lines do not wrap and the
/// screen has no height (no scrolling), which is enough for frames a few
/// lines tall. Trailing spaces are trimmed from the lines returned.
struct Screen {
    lines: Vec<Vec<char>>,
    row: usize,
    col: usize,
}

impl Screen {
    fn replay(text: &str) -> Vec<String> {
        let mut screen = Screen {
            lines: vec![Vec::new()],
            row: 0,
            col: 0,
        };
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            match c {
                '\r' => screen.col = 0,
                '\n' => screen.down(1),
                // A CSI sequence; a two-character escape (or a stray
                // ESC) is dropped.
                '\x1b' => {
                    if chars.next() == Some('[') {
                        let mut params = String::new();
                        for c in chars.by_ref() {
                            if ('@'..='~').contains(&c) {
                                screen.csi(&params, c);
                                break;
                            }
                            params.push(c);
                        }
                    }
                }
                c => screen.put(c),
            }
        }
        screen
            .lines
            .iter()
            .map(|l| l.iter().collect::<String>().trim_end().to_string())
            .collect()
    }

    fn line(&mut self) -> &mut Vec<char> {
        &mut self.lines[self.row]
    }

    fn down(&mut self, n: usize) {
        self.row += n;
        while self.lines.len() <= self.row {
            self.lines.push(Vec::new());
        }
    }

    fn put(&mut self, c: char) {
        let col = self.col;
        let line = self.line();
        if line.len() <= col {
            line.resize(col + 1, ' ');
        }
        line[col] = c;
        self.col += 1;
    }

    fn csi(&mut self, params: &str, last: char) {
        let n: usize = params.parse().unwrap_or(0);
        let col = self.col;
        match last {
            'A' => self.row = self.row.saturating_sub(n.max(1)),
            'B' => self.down(n.max(1)),
            'K' => match n {
                0 => self.line().truncate(col),
                1 => {
                    let line = self.line();
                    for c in line.iter_mut().take(col + 1) {
                        *c = ' ';
                    }
                }
                _ => self.line().clear(),
            },
            'J' => {
                self.line().truncate(col);
                self.lines.truncate(self.row + 1);
            }
            _ => {} // Colours (`m`) and the rest.
        }
    }
}

/// `text` without ANSI escape sequences and `\r`.
fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {}
            '\x1b' => {
                if chars.next() == Some('[') {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// What `binary run script.js` wrote to a 120-column pty.
fn under_a_pty(binary: &str, dir: &Path) -> String {
    under_a_pty_with(binary, dir, "", 0)
}

/// What `binary run FLAGS script.js` wrote to a 120-column pty, which
/// exits with `code`.
fn under_a_pty_with(binary: &str, dir: &Path, flags: &str, code: i32) -> String {
    under_a_pty_of(binary, dir, flags, code, COLUMNS)
}

/// What `binary run FLAGS script.js` wrote to a pty of `columns`, which
/// exits with `code`.
fn under_a_pty_of(binary: &str, dir: &Path, flags: &str, code: i32, columns: usize) -> String {
    let extra = if binary == "k6" {
        " --no-usage-report"
    } else {
        ""
    };
    // No REST API: k6's default port may be taken by a parallel test.
    let command =
        format!("stty cols {columns} rows 50; '{binary}' run -a ''{extra} {flags} script.js");
    let out = Command::new("timeout")
        .current_dir(dir)
        .env("TERM", "xterm")
        .env("COLUMNS", columns.to_string())
        .env_remove("NO_COLOR")
        .args(["120", "script", "-qec", &command, "/dev/null"])
        .output()
        .expect("util-linux script runs");
    let raw = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(code), "{binary}: {raw:?}");
    raw
}

/// The banner's `scenarios:` block: from its header to the first empty
/// line.
fn scenarios_block(raw: &str) -> String {
    let plain = plain(raw);
    plain
        .lines()
        .skip_while(|l| !l.starts_with("     scenarios: "))
        .take_while(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether `raw` has a CSI sequence ending in `last` (any parameters).
fn has_csi(raw: &str, last: char) -> bool {
    raw.match_indices("\x1b[").any(|(at, _)| {
        raw[at + 2..]
            .trim_start_matches(|c: char| c.is_ascii_digit() || c == ';')
            .starts_with(last)
    })
}

/// One scenario row of the final block, in its deterministic parts.
#[derive(Debug, PartialEq)]
struct Final {
    name: String,
    glyph: char,
    /// Characters inside the brackets.
    bar_width: usize,
    /// Every one of them `=`.
    bar_full: bool,
    vus: String,
    /// The time column with its elapsed part (before `/`) masked.
    total: String,
    /// The rest (the iteration counters or a rate), if any.
    counters: Option<String>,
}

/// A row as `name glyph [bar] VUs  time  counters`.
fn parse_row(line: &str) -> Final {
    let (left, rest) = line.split_once('[').expect("a bar");
    let (bar, right) = rest.split_once(']').expect("a bar's end");
    let mut left = left.split_whitespace();
    let name = left.next().expect("a name").to_string();
    let glyph = left.next().and_then(|g| g.chars().next()).unwrap_or(' ');
    let columns: Vec<&str> = right
        .trim()
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    let time = columns.get(1).copied().unwrap_or("");
    let total = match time.split_once('/') {
        Some((_, total)) => format!("*/{total}"),
        None => time.to_string(),
    };
    Final {
        name,
        glyph,
        bar_width: bar.chars().count(),
        bar_full: bar.chars().all(|c| c == '='),
        vus: columns.first().copied().unwrap_or("").to_string(),
        total,
        counters: columns.get(2).map(|c| c.to_string()),
    }
}

/// The last progress block of a final screen: its header, then its rows.
fn final_block(screen: &[String]) -> (String, Vec<String>) {
    let at = screen
        .iter()
        .rposition(|l| l.starts_with("running ("))
        .expect("a progress block");
    let rows = screen[at + 1..]
        .iter()
        .take_while(|l| !l.is_empty())
        .cloned()
        .collect();
    (screen[at].clone(), rows)
}

/// The header's `n/m VUs`.
fn header_vus(header: &str) -> String {
    header
        .split(", ")
        .find(|p| p.ends_with(" VUs"))
        .unwrap_or("")
        .to_string()
}

#[test]
fn the_screen_replays_redraws() {
    // Two frames of k6's kind, then k6r's (indicatif's) kind, colours in.
    let raw = "banner\r\n\r\n\x1b[K\r\nrunning (0.1s)\x1b[K\r\na \x1b[2m•\x1b[22m [--]\x1b[K\r\n\
        \r\x1b[J\x1b[3A\x1b[K\r\nrunning (0.2s)\x1b[K\r\na \x1b[32m✓\x1b[0m [==]\x1b[K\r\n\
        line one   \r\x1b[2Kx\r\nline two\x1b[1A\r\x1b[2K\x1b[1B\r\x1b[2K\x1b[1Ay\r\nz\r\n\
        abcdef\rQR\x1b[K";
    assert_eq!(
        Screen::replay(raw),
        [
            "banner",
            "",
            "",
            "running (0.2s)",
            "a ✓ [==]",
            "y",
            "z",
            "QR",
        ]
    );
    assert_eq!(plain("a\x1b[32m✓\x1b[0m\r\n\x1b[0K"), "a✓\n");
    assert_eq!(
        parse_row("c_pvi ✓ [====] 2 VUs  0.3s/5s  6/6 iters, 3 per VU"),
        Final {
            name: "c_pvi".into(),
            glyph: '✓',
            bar_width: 4,
            bar_full: true,
            vus: "2 VUs".into(),
            total: "*/5s".into(),
            counters: Some("6/6 iters, 3 per VU".into()),
        }
    );
    assert_eq!(parse_row("b_cv    [=>-] 2 VUs  2s").glyph, ' ');
}

/// The colours (SGR sequences, `\x1b[..m`) of the last raw line that
/// starts with `start`, in order.
fn colours_of_last(raw: &str, start: &str) -> Vec<String> {
    let line = raw
        .split(['\n', '\r'])
        .rfind(|l| l.trim_start().starts_with(start))
        .unwrap_or_default();
    colours(line)
}

/// The colours (SGR parameters) in `line`, in order.
fn colours(line: &str) -> Vec<String> {
    let mut codes = Vec::new();
    for (at, _) in line.match_indices("\x1b[") {
        let rest = &line[at + 2..];
        let params = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == ';');
        if params.starts_with('m') {
            codes.push(rest[..rest.len() - params.len()].to_owned());
        }
    }
    codes
}

#[test]
fn the_terminal_matches_k6() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("script.js"), SCRIPT).unwrap();
    let k6 = under_a_pty("k6", dir.path());
    let k6r = under_a_pty(env!("CARGO_BIN_EXE_k6r-cli"), dir.path());

    let expected = scenarios_block(&k6);
    assert!(!expected.is_empty(), "{k6:?}");
    assert_eq!(scenarios_block(&k6r), expected);

    for (who, raw) in [("k6", &k6), ("k6r", &k6r)] {
        assert!(has_csi(raw, 'A'), "{who} moved no cursor up: {raw:?}");
        assert!(has_csi(raw, 'K'), "{who} erased no line: {raw:?}");
        assert!(raw.matches("running (").count() >= 3, "{who}: {raw:?}");
    }

    let k6_screen = Screen::replay(&k6);
    let k6r_screen = Screen::replay(&k6r);
    let (k6_header, k6_rows) = final_block(&k6_screen);
    let (k6r_header, k6r_rows) = final_block(&k6r_screen);
    let shown = format!(
        "k6:\n{k6_header}\n{}\nk6r:\n{k6r_header}\n{}",
        k6_rows.join("\n"),
        k6r_rows.join("\n")
    );
    assert_eq!(header_vus(&k6_header), "0/6 VUs", "{shown}");
    assert_eq!(header_vus(&k6r_header), header_vus(&k6_header), "{shown}");

    let expected: Vec<Final> = k6_rows.iter().map(|r| parse_row(r)).collect();
    let got: Vec<Final> = k6r_rows.iter().map(|r| parse_row(r)).collect();
    // k6 itself: three done, full 38-wide bars.
    let names: Vec<&str> = expected.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["a_si", "b_cv", "c_pvi"], "{shown}");
    for row in &expected {
        assert_eq!((row.glyph, row.bar_width, row.bar_full), ('✓', 38, true));
    }
    assert_eq!(got, expected, "{shown}");
    // In k6's colours: the mark, the bar's dimmed rest, the banner's
    // values.
    for start in ["a_si", "b_cv", "c_pvi", "execution:", "scenarios:"] {
        let k6_colours = colours_of_last(&k6, start);
        assert!(!k6_colours.is_empty(), "k6 painted no {start}: {k6:?}");
        assert_eq!(colours_of_last(&k6r, start), k6_colours, "{start}");
    }

    // Every scenario had a bar while it ran, in both.
    for (who, raw) in [("k6", &k6), ("k6r", &k6r)] {
        let plain = plain(raw);
        for name in names.iter() {
            assert!(
                plain
                    .lines()
                    .any(|l| l.starts_with(name) && l.contains('[')),
                "{who} drew no bar of {name}"
            );
        }
    }
}

/// Thresholds that pass and fail, checks that pass and fail, a custom
/// gauge, a trend with a submetric: every kind of summary line.
const SUMMARY_SCRIPT: &str = "import { check, group } from 'k6';\n\
import { Gauge } from 'k6/metrics';\n\
const g = new Gauge('my_gauge');\n\
export const options = { vus: 1, iterations: 3, thresholds: {\n\
  checks: ['rate>0.9'], iterations: ['count>1'],\n\
  'iteration_duration{scenario:default}': ['p(95)<1000'], my_gauge: ['value<10'],\n\
} };\n\
export default function () {\n\
  g.add(3);\n\
  group('g1', () => { check(1, { one: (v) => v === 1, two: (v) => v === 2 }); });\n\
}\n";

/// The summary's lines (from its first title to the last metric),
/// each as its text without colours and its colours.
fn summary_lines(raw: &str) -> Vec<(String, Vec<String>)> {
    raw.split(['\n', '\r'])
        .map(|l| (plain(l).trim_end().to_owned(), colours(l)))
        .skip_while(|(text, _)| !text.contains("THRESHOLDS"))
        .filter(|(text, _)| !text.is_empty())
        // k6's log line on a terminal is its own (see above).
        .take_while(|(text, _)| !text.starts_with("ERRO") && !text.starts_with("time="))
        .collect()
}

#[test]
fn the_summary_s_colours_match_k6() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("script.js"), SUMMARY_SCRIPT).unwrap();
    // A crossed threshold: exit 99.
    let k6 = summary_lines(&under_a_pty_with("k6", dir.path(), "-q", 99));
    let k6r = summary_lines(&under_a_pty_with(
        env!("CARGO_BIN_EXE_k6r-cli"),
        dir.path(),
        "-q",
        99,
    ));
    let label = |lines: &[(String, Vec<String>)]| -> Vec<String> {
        lines
            .iter()
            .map(|(text, _)| text.split_whitespace().next().unwrap_or("").to_owned())
            .collect()
    };
    assert_eq!(label(&k6r), label(&k6), "k6r {k6r:#?}\nk6 {k6:#?}");
    assert!(
        k6.iter().any(|(_, c)| c.contains(&"31".to_owned())),
        "{k6:#?}"
    );
    for ((text, theirs), (_, ours)) in k6.iter().zip(&k6r) {
        assert_eq!(ours, theirs, "the colours of {text:?}");
    }
    // Refused colours: plain.
    let plain_run = under_a_pty_with(
        env!("CARGO_BIN_EXE_k6r-cli"),
        dir.path(),
        "-q --no-color",
        99,
    );
    assert!(
        summary_lines(&plain_run).iter().all(|(_, c)| c.is_empty()),
        "{plain_run:?}"
    );
}

#[test]
fn narrower_terminals_get_k6_s_narrower_bars() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("script.js"), SCRIPT).unwrap();
    let k6r = env!("CARGO_BIN_EXE_k6r-cli");
    // 80 columns: a narrower bar; 53: too narrow, the percentage.
    for (columns, width) in [(80, 33), (53, 6)] {
        let rows = |binary: &str| -> Vec<Final> {
            let raw = under_a_pty_of(binary, dir.path(), "--no-summary", 0, columns);
            let (_, rows) = final_block(&Screen::replay(&raw));
            rows.iter().map(|r| parse_row(r)).collect()
        };
        let (theirs, ours) = (rows("k6"), rows(k6r));
        assert!(
            theirs.iter().all(|r| r.bar_width == width),
            "{columns} columns: {theirs:?}"
        );
        assert_eq!(ours, theirs, "{columns} columns");
    }
}
