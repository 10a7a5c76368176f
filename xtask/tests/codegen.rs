//! The checked-in generated code in `proto/src/gen/` matches what the
//! `.proto` files generate today: edit a `.proto`, run `cargo xtask
//! gen-proto`, commit both.

#[test]
fn generated_proto_code_is_up_to_date() {
    let fresh = tempfile::tempdir().unwrap();
    xtask::gen_proto(fresh.path()).unwrap();
    let checked_in = xtask::workspace_root().join("proto/src/gen");
    let mut names: Vec<_> = std::fs::read_dir(fresh.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert!(!names.is_empty(), "codegen wrote nothing");
    for name in names {
        let want = std::fs::read_to_string(fresh.path().join(&name)).unwrap();
        let have = std::fs::read_to_string(checked_in.join(&name)).unwrap_or_default();
        assert!(
            want == have,
            "proto/src/gen/{} is stale: run `cargo xtask gen-proto` and commit it",
            name.to_string_lossy()
        );
    }
}
