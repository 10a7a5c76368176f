//! Where a script's files come from: the local disk (and the network, for
//! remote modules), or an in-memory archive (script + local imports +
//! `open()`ed files + remote modules).
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

    /// The remote module at `url` (an `https://` URL). By default it is
    /// fetched from the network, as k6 does; a set of files that travels
    /// (an archive) serves what was fetched when it was packed instead.
    fn fetch(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        crate::loader::download(url)
    }
}

/// Why a remote module could not be fetched, in k6's words (the part k6
/// quotes after `Error :`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The request failed: no connection, TLS, a timeout.
    #[error("Get \"{url}\": {reason}")]
    Transport {
        /// The URL.
        url: String,
        /// The cause.
        reason: String,
    },
    /// The server answered 404.
    #[error("not found: {url}")]
    NotFound {
        /// The URL.
        url: String,
    },
    /// The server answered another status than 200.
    #[error("wrong status code ({status}) for: {url}")]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// A set of files that does not fetch (an unpacked archive) has no
    /// such module.
    #[error("{url} is not part of the script's archive")]
    NotInArchive {
        /// The URL.
        url: String,
    },
}

/// Shared files are files: e.g. a [`Script`](crate::Script)'s, recorded
/// through [`RecordingFiles`] without reading or fetching anything again.
impl<F: Files + ?Sized> Files for Arc<F> {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        (**self).read(path)
    }

    fn fetch(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        (**self).fetch(url)
    }
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
    /// Remote modules by URL.
    remote: BTreeMap<String, Arc<[u8]>>,
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

    /// Adds (or replaces) the remote module at `url`.
    pub fn insert_remote(&mut self, url: impl Into<String>, content: impl Into<Vec<u8>>) {
        self.remote.insert(url.into(), Arc::from(content.into()));
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

    /// Never from the network: only what was inserted.
    fn fetch(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        self.remote
            .get(url)
            .map(|content| content.to_vec())
            .ok_or_else(|| FetchError::NotInArchive {
                url: url.to_owned(),
            })
    }
}

/// Files read through another [`Files`], remembering every file that was
/// found: after a script's init context has run, what it recorded is the
/// script's archive (the entry, its local imports, its `open()`ed files).
#[derive(Debug)]
pub struct RecordingFiles<F> {
    inner: F,
    read: std::sync::Mutex<BTreeMap<PathBuf, Arc<[u8]>>>,
    fetched: std::sync::Mutex<BTreeMap<String, Arc<[u8]>>>,
}

impl<F: Files> RecordingFiles<F> {
    /// Records what is read from `inner`.
    pub fn new(inner: F) -> Self {
        Self {
            inner,
            read: Default::default(),
            fetched: Default::default(),
        }
    }

    /// Every file read so far, by absolute normalised path, with the
    /// content that was read.
    pub fn recorded(&self) -> BTreeMap<PathBuf, Arc<[u8]>> {
        self.read
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Every remote module fetched so far, by URL.
    pub fn recorded_remote(&self) -> BTreeMap<String, Arc<[u8]>> {
        self.fetched
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl<F: Files> Files for RecordingFiles<F> {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let content = self.inner.read(path)?;
        self.read
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(path.to_owned(), Arc::from(content.as_slice()));
        Ok(content)
    }

    fn fetch(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        let content = self.inner.fetch(url)?;
        self.fetched
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(url.to_owned(), Arc::from(content.as_slice()));
        Ok(content)
    }
}

impl FromIterator<(PathBuf, Arc<[u8]>)> for MemoryFiles {
    fn from_iter<I: IntoIterator<Item = (PathBuf, Arc<[u8]>)>>(iter: I) -> Self {
        Self {
            files: iter
                .into_iter()
                .map(|(path, content)| (normalize(&path), content))
                .collect(),
            remote: BTreeMap::new(),
        }
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

    #[test]
    fn recording_files_keep_what_was_found_and_nothing_else() {
        let inner = MemoryFiles::new()
            .with("/s/a.js", "a")
            .with("/s/b.bin", [0u8, 255]);
        let recording = RecordingFiles::new(inner);
        assert_eq!(recording.read(Path::new("/s/b.bin")).unwrap(), [0, 255]);
        assert!(recording.read(Path::new("/s/missing.js")).is_err());
        let recorded = recording.recorded();
        assert_eq!(recorded.keys().collect::<Vec<_>>(), [Path::new("/s/b.bin")]);
        let replay: MemoryFiles = recorded.into_iter().collect();
        assert_eq!(replay.read(Path::new("/s/b.bin")).unwrap(), [0, 255]);
        assert!(replay.read(Path::new("/s/a.js")).is_err());
    }
}
