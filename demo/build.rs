//! Compiles `proto/demo.proto` and `proto/route_guide.proto` with protox
//! (no `protoc`): the Rust code of the demo's gRPC services and the
//! descriptor set its reflection serves.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/demo.proto");
    println!("cargo:rerun-if-changed=proto/route_guide.proto");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    let fds = protox::compile(["demo.proto", "route_guide.proto"], ["proto"])?;
    std::fs::write(
        out.join("demo_descriptor.bin"),
        prost::Message::encode_to_vec(&fds),
    )?;
    tonic_prost_build::configure()
        .build_client(false)
        .out_dir(&out)
        .compile_fds(fds)?;
    Ok(())
}
