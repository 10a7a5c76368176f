//! k6r's developer tasks, run as `cargo xtask <task>`.
//!
//! # Layout
//! - [`gen_proto`]: regenerate `proto/src/gen/` from `proto/proto/`.
#![warn(missing_docs)]

use std::path::{Path, PathBuf};

use anyhow::Context;

/// The workspace root (xtask lives one level below it).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_owned()
}

/// The `.proto` files compiled into `k6r-proto`, relative to `proto/proto/`.
pub const PROTOS: &[&str] = &["k6r/v1/agent.proto"];

/// Compiles the k6r protos with protox (no `protoc`) and writes the Rust
/// code (prost messages, tonic client and server) into `out_dir`.
pub fn gen_proto(out_dir: &Path) -> anyhow::Result<()> {
    let include = workspace_root().join("proto/proto");
    let files: Vec<PathBuf> = PROTOS.iter().map(|p| include.join(p)).collect();
    let fds = protox::compile(&files, [&include]).context("compiling the .proto files")?;
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    tonic_prost_build::configure()
        // `bytes` fields as `bytes::Bytes`: the coordinator shares one
        // archive between every agent's Assign instead of copying it.
        .bytes(".")
        .build_client(true)
        .build_server(true)
        .out_dir(out_dir)
        .compile_fds(fds)
        .context("generating Rust code")?;
    Ok(())
}
