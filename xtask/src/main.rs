//! `cargo xtask <task>`: see the library docs for the tasks.

use anyhow::bail;

fn main() -> anyhow::Result<()> {
    let task = std::env::args().nth(1).unwrap_or_default();
    match task.as_str() {
        "gen-proto" => {
            let out = xtask::workspace_root().join("proto/src/gen");
            xtask::gen_proto(&out)?;
            println!("generated {}", out.display());
            Ok(())
        }
        _ => bail!("usage: cargo xtask gen-proto"),
    }
}
