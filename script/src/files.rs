//! Where a script's files come from: the local disk today, an in-memory
//! archive (script + local imports + `open()`ed files) later.
//!
//! Every path handed to a [`Files`] is absolute and lexically normalised
//! (no `.` or `..` components, see [`normalize`]), so an archive can key
//! its entries by path and find them no matter how an import spelled them.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// A source of script files: modules and `open()`ed data.
///
/// Implementations are shared by every VU of a test (possibly on several
/// threads), hence `Send + Sync`.
pub trait Files: Send + Sync + fmt::Debug {
    /// The whole content of the file at `path` (absolute, normalised).
    /// A file that does not exist must give [`io::ErrorKind::NotFound`]:
    /// that is what turns into k6's "couldn't be found on local disk".
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
}

/// Files read from the local file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct DiskFiles;

impl Files for DiskFiles {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }
}

/// Files held in memory, keyed by absolute path: the shape of a k6
/// archive once unpacked, and a convenient fixture for tests.
#[derive(Clone, Debug, Default)]
pub struct MemoryFiles {
    files: BTreeMap<PathBuf, Arc<[u8]>>,
}

impl MemoryFiles {
    /// An empty set of files.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a file. `path` is normalised; it should be
    /// absolute, as every path the runtime asks for is.
    pub fn insert(&mut self, path: impl AsRef<Path>, content: impl Into<Vec<u8>>) {
        self.files
            .insert(normalize(path.as_ref()), Arc::from(content.into()));
    }

    /// [`MemoryFiles::insert`] as a builder.
    pub fn with(mut self, path: impl AsRef<Path>, content: impl Into<Vec<u8>>) -> Self {
        self.insert(path, content);
        self
    }
}

impl Files for MemoryFiles {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.files
            .get(path)
            .map(|content| content.to_vec())
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    }
}

/// Removes `.` components and folds `..` into the previous component,
/// without touching the file system (so symlinks are not followed, as in
/// k6). `..` above the root stays at the root.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                let at_parent = matches!(out.components().next_back(), Some(Component::ParentDir));
                if at_parent || (!out.pop() && !out.has_root()) {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_lexically() {
        assert_eq!(normalize(Path::new("/a/./b/../c.js")), Path::new("/a/c.js"));
        assert_eq!(normalize(Path::new("/../a.js")), Path::new("/a.js"));
        assert_eq!(normalize(Path::new("a/../../b")), Path::new("../b"));
        assert_eq!(normalize(Path::new("../../b")), Path::new("../../b"));
    }

    #[test]
    fn memory_files_are_found_by_normalised_path() {
        let files = MemoryFiles::new().with("/s/lib/../main.js", "x");
        assert_eq!(files.read(Path::new("/s/main.js")).unwrap(), b"x");
        let missing = files.read(Path::new("/s/nope.js")).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
    }
}
