//! Specifier → canonical module name, and file paths ↔ `file://` URLs.

use std::path::{Path, PathBuf};

use super::ModuleError;
use crate::files::normalize;
use crate::modules;

/// A resolved module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ModuleId {
    /// A k6 built-in, by its canonical name.
    Builtin(&'static str),
    /// A local file, by absolute normalised path.
    File(PathBuf),
    /// A remote module, by its normalised `https://` URL.
    Remote(String),
}

impl ModuleId {
    /// The name QuickJS knows the module by.
    pub(crate) fn name(&self) -> String {
        match self {
            ModuleId::Builtin(name) => (*name).to_owned(),
            ModuleId::File(path) => file_url(path),
            ModuleId::Remote(url) => url.clone(),
        }
    }

    /// Back from a name produced by [`ModuleId::name`].
    pub(crate) fn parse(name: &str) -> Option<ModuleId> {
        if let Some(builtin) = modules::lookup(name) {
            return Some(ModuleId::Builtin(builtin));
        }
        if name.starts_with("https://") {
            return Some(ModuleId::Remote(name.to_owned()));
        }
        url_to_path(name).map(ModuleId::File)
    }
}

/// Resolves `specifier`, imported by the module named `base`, the way k6
/// does: `k6` and `k6/...` are built-ins; `./`, `../`, `/` and `file://`
/// are local files relative to the importer's directory (or URL, in a
/// remote module); `https://` is remote (`http://` is refused); anything else (a bare `lodash`) is not supported.
pub(crate) fn resolve(
    base: &str,
    specifier: &str,
    fallback_dir: &Path,
) -> Result<ModuleId, ModuleError> {
    if specifier == "k6" || specifier.starts_with("k6/") {
        if let Some(hint) = removed_hint(specifier) {
            return Err(ModuleError::Removed {
                specifier: specifier.to_owned(),
                hint,
            });
        }
        return modules::lookup(specifier)
            .map(ModuleId::Builtin)
            .ok_or_else(|| ModuleError::UnknownBuiltin {
                specifier: specifier.to_owned(),
            });
    }
    if specifier.starts_with("https://") || specifier.starts_with("http://") {
        return remote(specifier, None);
    }
    if specifier.starts_with("file://") {
        return url_to_path(specifier)
            .map(|path| ModuleId::File(normalize(&path)))
            .ok_or_else(|| ModuleError::Unrecognised {
                specifier: specifier.to_owned(),
            });
    }
    let relative = specifier.starts_with("./")
        || specifier.starts_with("../")
        || specifier == "."
        || specifier == "..";
    if specifier.starts_with('/') || relative {
        if base.starts_with("https://") {
            return remote(specifier, Some(base));
        }
        let dir = base_dir(base).unwrap_or_else(|| fallback_dir.to_owned());
        return Ok(ModuleId::File(normalize(&dir.join(specifier))));
    }
    Err(ModuleError::Unrecognised {
        specifier: specifier.to_owned(),
    })
}

/// The remote module `specifier`, absolute or relative to the remote
/// module `base`.
fn remote(specifier: &str, base: Option<&str>) -> Result<ModuleId, ModuleError> {
    let unrecognised = || ModuleError::Unrecognised {
        specifier: specifier.to_owned(),
    };
    let url = match base {
        Some(base) => url::Url::parse(base).and_then(|base| base.join(specifier)),
        None => url::Url::parse(specifier),
    }
    .map_err(|_| unrecognised())?;
    match url.scheme() {
        "https" => Ok(ModuleId::Remote(url.into())),
        scheme => Err(ModuleError::Scheme {
            scheme: scheme.to_owned(),
            url: url.into(),
        }),
    }
}

/// k6's migration hint for a module k6 has removed or moved (k6 v1.1.0's
/// words, typos included).
pub(crate) fn removed_hint(specifier: &str) -> Option<&'static str> {
    Some(match specifier {
        "k6/experimental/browser" => "k6/experimental/browser has been graduated, please use k6/browser instead.Please update your imports to use k6/browser instead of k6/experimental/browser, For more information, see the migration guide at the link: https://grafana.com/docs/k6/latest/using-k6-browser/migrating-to-k6-v0-52/",
        "k6/experimental/grpc" => "k6/experimental/grpc has been graduated, please use k6/net/grpc instead. See https://grafana.com/docs/k6/latest/javascript-api/k6-net-grpc/ for more information.",
        "k6/experimental/timers" => "k6/experimental/timers has been graduated, and it's now globally available as defined by standard WebAPIs. You just need to remove the import.",
        "k6/experimental/tracing" => "k6/experimental/tracing has been removed. All of it functionality is available as pure JavaScript module. More info available at the docs: https://grafana.com/docs/k6/latest/javascript-api/jslib/http-instrumentation-tempo",
        "k6/experimental/webcrypto" => "k6/experimental/webcrypto has been graduated and it's now globally available as defined by standard WebAPIs. You just need to remove the import.",
        _ => return None,
    })
}

/// The directory of the module named `name`, if it is a local file.
pub(crate) fn base_dir(name: &str) -> Option<PathBuf> {
    let path = url_to_path(name)?;
    path.parent().map(Path::to_owned)
}

/// `/abs/my file.js` → `file:///abs/my%20file.js` (Go's path escaping,
/// so URLs look like the ones k6 prints).
pub(crate) fn file_url(path: &Path) -> String {
    let raw = path.to_string_lossy();
    let mut url = String::with_capacity(raw.len() + 8);
    url.push_str("file://");
    for byte in raw.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-_.~$&+,/:;=@".contains(&byte);
        if keep {
            url.push(byte as char);
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}

/// `file:///abs/my%20file.js` (or `file://localhost/...`) → `/abs/my file.js`.
pub(crate) fn url_to_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("file://")?;
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let decoded = percent_decode(rest)?;
    Some(PathBuf::from(String::from_utf8(decoded).ok()?))
}

fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIN: &str = "file:///s/main.js";

    fn file(path: &str) -> Result<ModuleId, ModuleError> {
        Ok(ModuleId::File(PathBuf::from(path)))
    }

    #[test]
    fn local_specifiers_resolve_against_the_importer() {
        let fallback = Path::new("/fallback");
        assert_eq!(
            resolve(MAIN, "./lib/a.js", fallback).ok(),
            file("/s/lib/a.js").ok()
        );
        assert_eq!(
            resolve("file:///s/lib/a.js", "../b.js", fallback).ok(),
            file("/s/b.js").ok()
        );
        assert_eq!(
            resolve(MAIN, "/x/./y.js", fallback).ok(),
            file("/x/y.js").ok()
        );
        assert_eq!(
            resolve(MAIN, "file:///x/a%20b.js", fallback).ok(),
            file("/x/a b.js").ok()
        );
        assert_eq!(
            resolve("<input>", "./a.js", fallback).ok(),
            file("/fallback/a.js").ok()
        );
    }

    #[test]
    fn builtins_remote_and_bare_specifiers() {
        let fallback = Path::new("/");
        assert_eq!(
            resolve(MAIN, "k6/http", fallback).ok(),
            Some(ModuleId::Builtin("k6/http"))
        );
        assert!(matches!(
            resolve(MAIN, "k6/nope", fallback),
            Err(ModuleError::UnknownBuiltin { .. })
        ));
        assert_eq!(
            resolve(MAIN, "https://x/y/../z.js", fallback).ok(),
            Some(ModuleId::Remote("https://x/z.js".into()))
        );
        assert_eq!(
            resolve("https://x/lib/a.js", "./b.js", fallback).ok(),
            Some(ModuleId::Remote("https://x/lib/b.js".into()))
        );
        assert_eq!(
            resolve("https://x/lib/a.js", "/c.js", fallback).ok(),
            Some(ModuleId::Remote("https://x/c.js".into()))
        );
        assert_eq!(
            resolve("https://x/lib/a.js", "k6", fallback).ok(),
            Some(ModuleId::Builtin("k6"))
        );
        assert!(matches!(
            resolve(MAIN, "http://x/y.js", fallback),
            Err(ModuleError::Scheme { scheme, .. }) if scheme == "http"
        ));
        assert!(matches!(
            resolve(MAIN, "lodash", fallback),
            Err(ModuleError::Unrecognised { .. })
        ));
        assert!(matches!(
            resolve(MAIN, "nope.js", fallback),
            Err(ModuleError::Unrecognised { .. })
        ));
    }

    #[test]
    fn urls_round_trip() {
        let path = Path::new("/tmp/dir with space/ü+x.js");
        let url = file_url(path);
        assert_eq!(url, "file:///tmp/dir%20with%20space/%C3%BC+x.js");
        assert_eq!(url_to_path(&url).as_deref(), Some(path));
        assert_eq!(ModuleId::parse(&url), Some(ModuleId::File(path.to_owned())));
        assert_eq!(ModuleId::parse("k6"), Some(ModuleId::Builtin("k6")));
        assert_eq!(url_to_path("file://host/x"), None);
        assert_eq!(url_to_path("file:///bad%zz"), None);
    }
}
