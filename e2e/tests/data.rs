//! Shared data on a cluster (issue 12): a `SharedArray` filled from an
//! `open()`ed file and a `k6/experimental/csv` file work on agents, which
//! read only the script's bundle.

use k6r_e2e::{show, Cluster};

const SCRIPT: &str = r#"
import { check } from 'k6';
import { SharedArray } from 'k6/data';
import { open as openFile } from 'k6/experimental/fs';
import csv from 'k6/experimental/csv';
const users = new SharedArray('users', () => JSON.parse(open('./users.json')));
const rows = await csv.parse(await openFile('rows.csv'), { skipFirstLine: true });
export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 4, iterations: 40 } } };
export default function () {
  const user = users[__ITER % users.length];
  const row = rows[__ITER % rows.length];
  check(user, {
    'the shared array is there': () => users.length === 3 && user.name.startsWith('user'),
    'items are frozen': () => Object.isFrozen(user),
    'csv rows are there': () => rows.length === 2 && row[1] === 'x',
  });
}
"#;

#[test]
fn shared_arrays_and_csv_files_work_on_agents() {
    let cluster = Cluster::start(2);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("script.js"), SCRIPT).unwrap();
    std::fs::write(
        dir.path().join("users.json"),
        r#"[{"name":"user0"},{"name":"user1"},{"name":"user2"}]"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("rows.csv"), "id,flag\n1,x\n2,x\n").unwrap();
    let (out, export) = cluster.run_script(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(export["metrics"]["checks"]["passes"], 120, "{export}");
    assert_eq!(export["metrics"]["checks"]["fails"], 0, "{export}");
}

/// A script that `open()`s a 20 MB file runs on a cluster (the bundle
/// once stopped at 2 MiB on its way to the coordinator and 4 MiB on its
/// way to the agents), its content intact on every agent.
#[test]
fn a_script_with_a_20_mb_file_runs_on_a_cluster() {
    const SIZE: usize = 20_000_000;
    let cluster = Cluster::start(2);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("script.js"),
        format!(
            "import {{ check }} from 'k6';\n\
             const data = open('big.bin', 'b');\n\
             export const options = {{ vus: 2, iterations: 4 }};\n\
             export default function () {{\n\
               const bytes = new Uint8Array(data);\n\
               check(bytes, {{ 'all there': (b) => b.length === {SIZE} && b[0] === 1 && b[{SIZE} - 1] === 255 }});\n\
             }}\n"
        ),
    )
    .unwrap();
    let mut big = vec![7u8; SIZE];
    big[0] = 1;
    big[SIZE - 1] = 255;
    std::fs::write(dir.path().join("big.bin"), big).unwrap();
    let (out, export) = cluster.run_script(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(export["metrics"]["checks"]["passes"], 4, "{export}");
    assert_eq!(export["metrics"]["checks"]["fails"], 0, "{export}");
}
