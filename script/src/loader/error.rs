//! Why a module could not be resolved or loaded, with k6's messages.

use std::path::PathBuf;

use crate::files::FetchError;

/// Why a module (the entry script or an import) could not be resolved or
/// loaded. The messages are k6's, word for word where k6 has one.
#[derive(Debug, thiserror::Error)]
pub enum ModuleError {
    /// A local file that does not exist.
    #[error("The moduleSpecifier \"{specifier}\" couldn't be found on local disk. Make sure that you've specified the right path to the file. If you're running k6 using the Docker image make sure you have mounted the local directory (-v /local/path/:/inside/docker/path) containing your script and modules so that they're accessible by k6 from inside of the container, see https://grafana.com/docs/k6/latest/using-k6/modules/#use-modules-with-docker.")]
    NotFound {
        /// The specifier as written in the `import` (or the entry path as given).
        specifier: String,
        /// Where it was looked for.
        path: PathBuf,
    },

    /// A local file that exists but can't be read.
    #[error("The moduleSpecifier \"{specifier}\" couldn't be read from {}: {reason}", .path.display())]
    Unreadable {
        /// The specifier as written.
        specifier: String,
        /// The resolved path.
        path: PathBuf,
        /// The I/O error, as text.
        reason: String,
    },

    /// A remote module that could not be fetched.
    #[error("The moduleSpecifier \"{specifier}\" couldn't be retrieved from the resolved url \"{url}\". Error : \"{error}\"")]
    Unretrievable {
        /// The specifier as written.
        specifier: String,
        /// The URL it resolved to.
        url: String,
        /// Why it could not be fetched.
        error: FetchError,
    },

    /// A URL of a scheme k6 does not import from (`http://`).
    #[error("only supported schemes for imports are file and https, {url} has `{scheme}`")]
    Scheme {
        /// The URL.
        url: String,
        /// Its scheme.
        scheme: String,
    },

    /// A module k6 used to have and has since removed or moved: k6's
    /// migration hint (see `specifier::removed_hint`).
    #[error("{hint}")]
    Removed {
        /// The specifier.
        specifier: String,
        /// What to use instead, in k6's words.
        hint: &'static str,
    },

    /// A `k6/...` module that k6r does not provide.
    #[error("unknown module: {specifier}")]
    UnknownBuiltin {
        /// The specifier.
        specifier: String,
    },

    /// A specifier that is neither relative, absolute, a URL nor a k6
    /// module (e.g. a bare `lodash`).
    #[error(
        "The moduleSpecifier \"{specifier}\" couldn't be recognised as something k6 supports."
    )]
    Unrecognised {
        /// The specifier.
        specifier: String,
    },
}
