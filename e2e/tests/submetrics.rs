//! Thresholds on submetrics (`metric{tag:value}`) in a cluster: the
//! agents, which see the samples, fill the submetrics, and the
//! coordinator evaluates the thresholds on the merged result as one k6
//! process would.

use k6r_e2e::Cluster;

#[test]
fn a_threshold_on_a_tag_submetric_sees_every_agents_samples() {
    let cluster = Cluster::start(2);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("script.js"),
        "import { Counter } from 'k6/metrics';\n\
         const hits = new Counter('hits');\n\
         export const options = {\n\
           scenarios: { s: { executor: 'shared-iterations', vus: 4, iterations: 20 } },\n\
           thresholds: { 'hits{kind:a}': ['count==20'], 'hits{kind:b}': ['count==0'] },\n\
         };\n\
         export default function () { hits.add(1, { kind: 'a' }); }\n",
    )
    .unwrap();
    let (out, export) = cluster.run_script(dir.path(), &[]);
    assert_eq!(
        export["metrics"]["hits{kind:a}"]["count"],
        20,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
