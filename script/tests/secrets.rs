//! `k6/secrets`: `get` and `source(name).get` over the run's sources,
//! k6's rejections, and the values read redacted from every log line
//! (checked against k6 v1.1.0 in `cli/tests/data_differential.rs`).

mod common;

use std::sync::Arc;

use common::config;
use k6r_script::{Call, CallKind, Env, MemoryFiles, MemoryLog, Outcome, Script, Secrets, Vu};
use tokio_util::sync::CancellationToken;

fn setup() -> Call {
    Call {
        function: "setup".into(),
        kind: CallKind::Setup,
        data: None,
        cancel: CancellationToken::new(),
        timeout: None,
    }
}

const SCRIPT: &str = r#"
    import secrets from 'k6/secrets';
    console.log('before: some');
    export async function setup() {
        const out = [Object.keys(secrets).join()];
        const value = await secrets.get('cool');
        console.log(`got ${value}, then some`);
        out.push(value, await secrets.source('b').get('cool'));
        for (const attempt of [() => secrets.get('nope'), () => secrets.source('zzz').get('cool'), () => secrets.get()]) {
            try { await attempt(); out.push('no error'); } catch (e) { out.push(`${typeof e} ${e.name} ${String(e)}`); }
        }
        return out;
    }
"#;

fn run(flags: &[&str], source: &str) -> (serde_json::Value, Vec<String>) {
    let files = |path: &str| -> std::io::Result<Vec<u8>> {
        match path {
            "a.txt" => Ok(b"cool=some\nother=x=y\n".to_vec()),
            "b.txt" => Ok(b"cool=from-b\n".to_vec()),
            _ => Err(std::io::ErrorKind::NotFound.into()),
        }
    };
    let flags: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
    let secrets = Arc::new(Secrets::from_flags(&flags, files).unwrap());
    let log = Arc::new(MemoryLog::default());
    let config = config(log.clone()).with_secrets(secrets);
    let script = Script::new(
        Arc::new(MemoryFiles::new().with("/t/main.js", source)),
        "/t/main.js",
    );
    let vu = Vu::new(&script, 1, &Env::new(), &config).expect("init");
    let result = vu.call(&setup());
    assert!(
        matches!(result.outcome, Outcome::Returned),
        "{:?}",
        result.outcome
    );
    let value = serde_json::from_str(result.value.as_deref().unwrap()).unwrap();
    (value, log.lines())
}

#[test]
fn get_reads_the_default_source_and_redacts_what_it_read() {
    let (value, lines) = run(
        &[
            "file=name=a,filename=a.txt,default",
            "file=name=b,filename=b.txt",
        ],
        SCRIPT,
    );
    assert_eq!(
        value,
        serde_json::json!([
            "get,source",
            "some",
            "from-b",
            "object undefined no value",
            "object undefined no secret source with name \"zzz\" is configured",
            "object undefined no value",
        ])
    );
    assert!(lines[0].contains("msg=\"before: some\""), "{lines:?}");
    assert!(
        lines[1].contains("msg=\"got ***SECRET_REDACTED***, then ***SECRET_REDACTED***\""),
        "{lines:?}"
    );
}

#[test]
fn without_sources_get_rejects() {
    let (value, lines) = run(
        &[],
        r#"
        import secrets from 'k6/secrets';
        export async function setup() {
            try { await secrets.get('cool'); } catch (e) { console.log(`${e}`); return String(e); }
        }
    "#,
    );
    assert_eq!(value, "no secret sources are configured");
    assert!(lines[0].contains("no secret sources are configured"));
}
