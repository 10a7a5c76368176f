//! Whatever a client sends, the server answers with one of k6's codes and
//! a well-formed body, and keeps answering.

mod common;

use common::{raw, start, Fake, Kind};
use proptest::prelude::*;

fn json_ish() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        Just("-1".to_string()),
        Just("1e400".to_string()),
        Just("99999999999999999999".to_string()),
        Just("\"x\"".to_string()),
        Just("\"5\"".to_string()),
        Just("{}".to_string()),
        Just("[]".to_string()),
        "-?[0-9]{1,12}",
        "\"[a-z\\\\\"]{0,5}\"",
    ];
    let key = prop_oneof![
        Just("data"),
        Just("attributes"),
        Just("vus"),
        Just("vus-max"),
        Just("paused"),
        Just("stopped"),
        Just("status"),
        Just("Int64"),
        Just("x"),
    ];
    atom.prop_recursive(4, 32, 4, move |inner| {
        prop_oneof![
            prop::collection::vec((key.clone(), inner.clone()), 0..4).prop_map(|fields| {
                let body: Vec<String> =
                    fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                format!("{{{}}}", body.join(","))
            }),
            prop::collection::vec(inner, 0..3).prop_map(|items| format!("[{}]", items.join(","))),
        ]
    })
}

fn body_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        json_ish().prop_map(String::into_bytes),
        // Well-formed JSON cut short or corrupted at a random place.
        (json_ish(), any::<prop::sample::Index>(), any::<u8>()).prop_map(|(s, at, b)| {
            let mut bytes = s.into_bytes();
            let i = at.index(bytes.len());
            bytes[i] = b;
            bytes
        }),
        prop::collection::vec(any::<u8>(), 0..64),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bodies_get_k6_answers(bodies in prop::collection::vec(body_strategy(), 1..4)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let server = start(Fake::new(Kind::External)).await;
            for body in &bodies {
                for (method, path) in [("PATCH", "/v1/status"), ("PUT", "/v1/setup")] {
                    let r = raw(server.addr, method, path, body).await;
                    assert!(matches!(r.status, 200 | 400 | 500), "{method} {body:?}: {}", r.status);
                    let json: serde_json::Value = serde_json::from_str(&r.body)
                        .unwrap_or_else(|e| panic!("{method} {body:?}: {e}: {}", r.body));
                    if r.status == 200 {
                        assert!(json.get("data").is_some());
                    } else {
                        assert_eq!(json["errors"][0]["status"], r.status.to_string());
                    }
                }
            }
            let r = raw(server.addr, "GET", "/v1/status", b"").await;
            assert_eq!(r.status, 200);
        });
    }
}

#[tokio::test]
async fn deeply_nested_bodies() {
    let server = start(Fake::new(Kind::External)).await;
    for depth in [100, 10_000, 10_001, 200_000] {
        let mut body = "[".repeat(depth);
        body.push_str(&"]".repeat(depth));
        let r = raw(server.addr, "PATCH", "/v1/status", body.as_bytes()).await;
        assert_eq!(r.status, 400, "{depth}");
        let expected = if depth > 10_000 {
            "invalid character '[' exceeded max depth"
        } else {
            "json: cannot unmarshal array into Go value of type v1.StatusJSONAPI"
        };
        assert!(r.body.contains(expected), "{depth}: {}", r.body);
        let nested = format!(r#"{{"data":{{"attributes":{{"vus":{}}}}}}}"#, body);
        let r = raw(server.addr, "PATCH", "/v1/status", nested.as_bytes()).await;
        assert_eq!(r.status, 400, "{depth}");
        let r = raw(server.addr, "PUT", "/v1/setup", body.as_bytes()).await;
        assert!(matches!(r.status, 200 | 400), "{depth}: {}", r.status);
    }
}
