//! The methods a client knows: `client.load(importPaths, ...files)`
//! parses `.proto` files with protox (no `protoc`), `loadProtoset(path)`
//! decodes a binary `FileDescriptorSet`, and `connect` with `reflect`
//! asks the server (see `reflection`). Files are read through the VU's
//! [`Files`], so a bundle records them as it records `open()`'s.
//!
//! As in k6, import paths and protoset paths are relative to the main
//! script's directory, and with no import path that directory is the
//! only one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use prost::Message;
use prost_reflect::{DescriptorPool, MethodDescriptor};
use protox::file::{File, FileResolver, GoogleFileResolver};

use crate::files::{normalize, Files};

/// The methods known, by full name (`/package.Service/Method`).
#[derive(Default)]
pub(super) struct Methods {
    by_name: BTreeMap<String, MethodDescriptor>,
}

impl Methods {
    /// Adds every method of every service of `pool`.
    pub(super) fn add_pool(&mut self, pool: &DescriptorPool) -> Vec<MethodDescriptor> {
        let mut added = Vec::new();
        for service in pool.services() {
            for method in service.methods() {
                let name = format!("/{}/{}", service.full_name(), method.name());
                self.by_name.insert(name, method.clone());
                added.push(method);
            }
        }
        added
    }

    /// The method `name` (a leading `/` added if missing, as k6 does).
    pub(super) fn find(&self, name: &str) -> Option<MethodDescriptor> {
        if name.starts_with('/') {
            self.by_name.get(name).cloned()
        } else {
            self.by_name.get(&format!("/{name}")).cloned()
        }
    }
}

/// Resolves `import`s (and the files named) against the import paths,
/// reading through the VU's files; the well-known `google/protobuf/*`
/// types are built in.
struct Resolver {
    files: Arc<dyn Files>,
    paths: Vec<PathBuf>,
    google: GoogleFileResolver,
}

impl FileResolver for Resolver {
    /// A name that climbs out of the import paths (`../x.proto`, which
    /// k6 takes) is its own name: protox refuses it otherwise.
    fn resolve_path(&self, path: &Path) -> Option<String> {
        let climbs = path
            .components()
            .any(|c| c == std::path::Component::ParentDir);
        climbs.then(|| path.to_str().map(str::to_owned)).flatten()
    }

    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        let candidates = under(&self.paths, name);
        for path in &candidates {
            if let Ok(content) = self.files.read(path) {
                let source = String::from_utf8_lossy(&content);
                return File::from_source(name, &source);
            }
        }
        if let Ok(file) = self.google.open_file(name) {
            return Ok(file);
        }
        Err(protox::Error::file_not_found(name))
    }
}

/// Where a `.proto` file named `name` may be: under each import path,
/// even when `name` is absolute (k6's protoparse joins them, so
/// `/a/b.proto` is `<import path>/a/b.proto`).
fn under(paths: &[PathBuf], name: &str) -> Vec<PathBuf> {
    let relative = name.trim_start_matches('/');
    paths
        .iter()
        .map(|dir| normalize(&dir.join(relative)))
        .collect()
}

/// Where a path the script names lives: absolute as it is (a `file://`
/// prefix dropped), relative to `base` otherwise.
pub(super) fn script_path(base: &Path, name: &str) -> PathBuf {
    let name = name.strip_prefix("file://").unwrap_or(name);
    normalize(&base.join(name))
}

/// `client.load`: the descriptors of `files` (and what they import),
/// searched in `import_paths` relative to `base`.
pub(super) fn load(
    files: Arc<dyn Files>,
    base: &Path,
    import_paths: &[String],
    names: &[String],
) -> Result<DescriptorPool, String> {
    let paths = if import_paths.is_empty() {
        vec![base.to_owned()]
    } else {
        import_paths.iter().map(|p| script_path(base, p)).collect()
    };
    // A file named that is nowhere: k6's words, with where it looked first.
    for name in names {
        let name = name.strip_prefix("file://").unwrap_or(name);
        let candidates = under(&paths, name);
        if candidates.iter().all(|path| files.read(path).is_err()) {
            if let Some(first) = candidates.first() {
                return Err(format!(
                    "stat {}: no such file or directory",
                    first.display()
                ));
            }
        }
    }
    let resolver = Resolver {
        files,
        paths,
        google: GoogleFileResolver::new(),
    };
    let mut compiler = protox::Compiler::with_file_resolver(resolver);
    compiler.include_imports(true);
    for name in names {
        let mut name = name
            .strip_prefix("file://")
            .unwrap_or(name)
            .trim_start_matches('/');
        // protox takes `./x.proto` for a path of the current directory.
        while let Some(rest) = name.strip_prefix("./") {
            name = rest;
        }
        compiler.open_file(name).map_err(|e| describe(&e, name))?;
    }
    Ok(compiler.descriptor_pool())
}

/// A protox error as k6's protoparse would word it, roughly: a missing
/// file is `open NAME: no such file or directory`.
fn describe(error: &protox::Error, name: &str) -> String {
    if error.is_file_not_found() || error.to_string().contains("not found") {
        let missing = error.file().unwrap_or(name);
        return format!("open {missing}: no such file or directory");
    }
    error.to_string()
}

/// `client.loadProtoset`: the descriptors of an encoded
/// `FileDescriptorSet`.
pub(super) fn load_protoset(content: &[u8]) -> Result<DescriptorPool, String> {
    let set = prost_types::FileDescriptorSet::decode(content)
        .map_err(|e| format!("couldn't unmarshal protoset file: {e}"))?;
    DescriptorPool::from_file_descriptor_set(set).map_err(|e| e.to_string())
}

/// A pool from the files a reflection server sent (each an encoded
/// `FileDescriptorProto`, in any order).
pub(super) fn pool_from_protos(
    protos: Vec<prost_types::FileDescriptorProto>,
) -> Result<DescriptorPool, String> {
    let mut pool = DescriptorPool::new();
    let mut left = protos;
    // Add files once their dependencies are in: the server sends them in
    // no particular order.
    while !left.is_empty() {
        let before = left.len();
        let mut rest = Vec::new();
        for file in left {
            let ready = file
                .dependency
                .iter()
                .all(|dep| pool.get_file_by_name(dep).is_some());
            if ready {
                pool.add_file_descriptor_proto(file)
                    .map_err(|e| e.to_string())?;
            } else {
                rest.push(file);
            }
        }
        if rest.len() == before {
            // A dependency the server never sent: let the pool name it.
            let set = prost_types::FileDescriptorSet { file: rest };
            pool.add_file_descriptor_set(set)
                .map_err(|e| e.to_string())?;
            break;
        }
        left = rest;
    }
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::{load, load_protoset, pool_from_protos, Methods};
    use crate::files::{MemoryFiles, RecordingFiles};

    const MAIN: &str = "syntax = \"proto3\";\npackage t;\nimport \"shared/point.proto\";\n\
        import \"google/protobuf/empty.proto\";\n\
        service S { rpc Get(shared.Point) returns (google.protobuf.Empty); }\n";
    const POINT: &str = "syntax = \"proto3\";\npackage shared;\nmessage Point { int32 x = 1; }\n";

    fn files() -> MemoryFiles {
        MemoryFiles::new()
            .with("/s/protos/main.proto", MAIN)
            .with("/s/protos/shared/point.proto", POINT)
    }

    #[test]
    fn load_reads_files_and_imports_through_the_vus_files_so_a_bundle_records_them() {
        let recording = Arc::new(RecordingFiles::new(files()));
        let pool = load(
            recording.clone(),
            Path::new("/s"),
            &["protos".to_owned()],
            &["./main.proto".to_owned()],
        )
        .unwrap();
        let recorded: Vec<_> = recording.recorded().into_keys().collect();
        assert_eq!(
            recorded,
            [
                Path::new("/s/protos/main.proto"),
                Path::new("/s/protos/shared/point.proto")
            ]
        );
        let mut methods = Methods::default();
        assert_eq!(methods.add_pool(&pool).len(), 1);
        assert!(methods.find("t.S/Get").is_some());
        assert!(methods.find("/t.S/Get").is_some());
        assert!(methods.find("/t.S/Nope").is_none());
    }

    #[test]
    fn an_absolute_name_is_looked_for_under_the_import_paths_as_k6_does() {
        let absolute = load(
            Arc::new(files()),
            Path::new("/s"),
            &["protos".to_owned()],
            &["/main.proto".to_owned()],
        );
        assert!(absolute.is_ok(), "{:?}", absolute.err());
        let elsewhere = load(
            Arc::new(files()),
            Path::new("/s"),
            &[],
            &["/s/protos/main.proto".to_owned()],
        );
        assert_eq!(
            elsewhere.err().unwrap(),
            "stat /s/s/protos/main.proto: no such file or directory"
        );
        let parent = load(
            Arc::new(MemoryFiles::new().with("/s/protos/point.proto", POINT)),
            Path::new("/s/scripts"),
            &[],
            &["../protos/point.proto".to_owned()],
        );
        assert!(parent.is_ok(), "{:?}", parent.err());
    }

    #[test]
    fn a_missing_file_or_import_is_an_error_not_a_panic() {
        let missing = load(
            Arc::new(files()),
            Path::new("/s"),
            &[],
            &["main.proto".to_owned()],
        );
        assert_eq!(
            missing.err().unwrap(),
            "stat /s/main.proto: no such file or directory"
        );
        let broken =
            MemoryFiles::new().with("/s/a.proto", "syntax = \"proto3\"; import \"gone.proto\";");
        let error = load(
            Arc::new(broken),
            Path::new("/s"),
            &[],
            &["a.proto".to_owned()],
        );
        assert!(error.is_err());
        let garbage = MemoryFiles::new().with("/s/a.proto", "message {");
        assert!(load(
            Arc::new(garbage),
            Path::new("/s"),
            &[],
            &["a.proto".to_owned()]
        )
        .is_err());
        assert!(load_protoset(b"\xff\xff\xff").is_err());
    }

    #[test]
    fn reflected_files_are_added_whatever_their_order() {
        let pool = load(
            Arc::new(files()),
            Path::new("/s"),
            &["protos".to_owned()],
            &["main.proto".to_owned()],
        )
        .unwrap();
        let mut protos: Vec<_> = pool.file_descriptor_protos().cloned().collect();
        protos.reverse();
        let rebuilt = pool_from_protos(protos).unwrap();
        assert!(rebuilt.get_service_by_name("t.S").is_some());
    }
}
