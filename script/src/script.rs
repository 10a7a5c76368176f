//! A script to run: its entry module and where its files come from.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::files::{normalize, DiskFiles, Files};
use crate::loader::{file_url, FetchOnce};

/// A k6 script: an entry module plus the [`Files`] its imports and
/// `open()` calls read from. Cheap to clone; every VU of a test shares one,
/// and with it the remote modules fetched (each URL once).
#[derive(Clone, Debug)]
pub struct Script {
    files: Arc<dyn Files>,
    entry: PathBuf,
    specifier: String,
}

impl Script {
    /// A script on the local disk. A relative `path` is taken from the
    /// current directory; it is not read yet.
    pub fn from_path(path: &Path) -> Result<Self> {
        let absolute = std::path::absolute(path).map_err(|source| Error::Cwd {
            path: path.to_owned(),
            source,
        })?;
        Ok(Self {
            files: Arc::new(FetchOnce::new(Arc::new(DiskFiles))),
            entry: normalize(&absolute),
            specifier: path.display().to_string(),
        })
    }

    /// A script served by `files`, starting at the absolute path `entry`
    /// (e.g. an unpacked archive).
    pub fn new(files: Arc<dyn Files>, entry: impl AsRef<Path>) -> Self {
        let entry = entry.as_ref();
        Self {
            files: Arc::new(FetchOnce::new(files)),
            entry: normalize(entry),
            specifier: entry.display().to_string(),
        }
    }

    /// The entry module's absolute path.
    pub fn entry(&self) -> &Path {
        &self.entry
    }

    /// The entry module's URL, `file:///abs/path.js`, as it appears in
    /// stack traces.
    pub fn url(&self) -> String {
        file_url(&self.entry)
    }

    /// The entry as the user named it (used in "couldn't be found").
    pub fn specifier(&self) -> &str {
        &self.specifier
    }

    /// Where the script's files come from.
    pub fn files(&self) -> &Arc<dyn Files> {
        &self.files
    }
}
