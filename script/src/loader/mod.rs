//! ES module resolution and loading, installed on each QuickJS runtime.
//!
//! QuickJS asks two questions for every `import`: *what is the module's
//! name* (resolution, [`specifier`]) and *what is its code* (loading,
//! [`hooks`]). Names are canonical so that QuickJS, which caches
//! modules per context by name, evaluates each module once however an
//! import spells it:
//!
//! - k6 built-ins keep their specifier (`k6`, `k6/http`, ...), declared by
//!   [`crate::modules`];
//! - local files become `file:///abs/normalised/path.js` URLs, read through
//!   the script's [`Files`](crate::Files);
//! - remote modules keep their `https://` URL (relative imports inside one
//!   resolve against it), fetched through the script's `Files` ([`remote`]).
//!
//! A `.ts` module is TypeScript, turned into JavaScript first
//! ([`typescript`]); its map, or the inline map a bundle carries, maps
//! stack frames back ([`sourcemap`]). A file without ES module syntax is CommonJS, run as k6 runs it
//! ([`commonjs`]); [`require`] is k6's `require()` global over the same
//! modules.
//!
//! A failure is thrown into the importing code as k6 throws it (a
//! `GoError` with k6's message) and also recorded in [`LoaderState`], so
//! that the top level can report it as a structured
//! [`Error::Import`](crate::Error::Import).

pub(crate) mod commonjs;
mod error;
mod hooks;
mod remote;
pub(crate) mod require;
pub(crate) mod sourcemap;
mod specifier;
pub(crate) mod typescript;

pub use error::ModuleError;
pub(crate) use hooks::{install, javascript, LoaderState};
pub(crate) use remote::{download, FetchOnce};
pub(crate) use specifier::{base_dir, file_url, url_to_path};
