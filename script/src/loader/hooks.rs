//! The [`Resolver`] and [`Loader`] QuickJS calls, and the state they share.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::{Ctx, Function, Module, Runtime};

use super::commonjs::{self, Kind};
use super::specifier::{resolve, ModuleId};
use super::ModuleError;
use super::{sourcemap, typescript};
use crate::files::Files;
use crate::js;
use crate::modules;

/// A module that could not be resolved or loaded, kept until the top
/// level turns the exception QuickJS propagates back into an [`Error`](crate::Error).
#[derive(Debug)]
pub(crate) struct Failure {
    /// The URL of the importing module.
    pub importer: String,
    /// What went wrong.
    pub error: ModuleError,
}

/// What the resolver and the loader of one runtime share.
#[derive(Debug)]
pub(crate) struct LoaderState {
    files: Arc<dyn Files>,
    /// Where relative imports go when the importer is not a file (code
    /// run by `eval`): the entry script's directory.
    fallback_dir: PathBuf,
    /// canonical name → (specifier as written, importer), first seen;
    /// the loader only gets the canonical name but k6's messages quote
    /// the specifier.
    origins: RefCell<HashMap<String, (String, String)>>,
    failures: RefCell<Vec<Failure>>,
    /// What each module loaded so far is, so that a file is tried as
    /// CommonJS once per runtime, not once per VU.
    kinds: RefCell<HashMap<String, Kind>>,
}

impl LoaderState {
    /// Takes the recorded failure whose message is `message`, if any.
    pub(crate) fn take_failure(&self, message: &str) -> Option<Failure> {
        let mut failures = self.failures.borrow_mut();
        let index = failures
            .iter()
            .rposition(|failure| failure.error.to_string() == message)?;
        Some(failures.swap_remove(index))
    }

    /// Remembers that `name` was asked for as `specifier` by `importer`
    /// (for k6's messages), unless it was asked for before.
    pub(crate) fn note_origin(&self, name: &str, specifier: &str, importer: &str) {
        self.origins
            .borrow_mut()
            .entry(name.to_owned())
            .or_insert_with(|| (specifier.to_owned(), importer.to_owned()));
    }

    /// The CommonJS wrapper of the module `name` whose code is `source`,
    /// or `None` when it is an ES module (see [`commonjs`]).
    pub(crate) fn commonjs<'js>(
        &self,
        ctx: &Ctx<'js>,
        name: &str,
        source: &[u8],
    ) -> rquickjs::Result<Option<Function<'js>>> {
        if self.kinds.borrow().get(name) == Some(&Kind::Esm) {
            return Ok(None);
        }
        let function = commonjs::compile(ctx, name, source)?;
        let kind = match function {
            Some(_) => Kind::CommonJs,
            None => Kind::Esm,
        };
        self.kinds.borrow_mut().insert(name.to_owned(), kind);
        Ok(function)
    }

    /// Declares the module `name` from its `source`: as it is when it is
    /// an ES module; when it is CommonJS, runs it (unless this context
    /// already has) and declares its ES module facade.
    fn declare<'js>(
        &self,
        ctx: &Ctx<'js>,
        name: &str,
        source: Vec<u8>,
    ) -> rquickjs::Result<Module<'js>> {
        let source = javascript(ctx, name, source)?;
        let exports = match commonjs::exports(ctx, name)? {
            Some(exports) => exports,
            None => match self.commonjs(ctx, name, &source)? {
                Some(function) => commonjs::evaluate(ctx, name, function)?,
                None => return Module::declare(ctx.clone(), name, source),
            },
        };
        Module::declare(ctx.clone(), name, commonjs::facade(name, &exports)?)
    }

    fn fail(&self, ctx: &Ctx<'_>, importer: &str, error: ModuleError) -> rquickjs::Error {
        let message = error.to_string();
        self.failures.borrow_mut().push(Failure {
            importer: importer.to_owned(),
            error,
        });
        js::throw_go_error(ctx, &message)
    }
}

/// Installs k6's module resolution on `runtime`, reading local modules
/// from `files`.
pub(crate) fn install(
    runtime: &Runtime,
    files: Arc<dyn Files>,
    fallback_dir: PathBuf,
) -> Rc<LoaderState> {
    let state = Rc::new(LoaderState {
        files,
        fallback_dir,
        origins: RefCell::default(),
        failures: RefCell::default(),
        kinds: RefCell::default(),
    });
    runtime.set_loader(Hooks(state.clone()), Hooks(state.clone()));
    state
}

/// The JavaScript of the module `name`: `source`, with its types stripped
/// when it is TypeScript (k6's `GoError` when that fails). Its source map
/// (oxc's, or the inline one of a bundle) is kept for stack traces.
pub(crate) fn javascript(ctx: &Ctx<'_>, name: &str, source: Vec<u8>) -> rquickjs::Result<Vec<u8>> {
    if !typescript::is_typescript(name) {
        sourcemap::keep_inline(name, &source);
        return Ok(source);
    }
    let (code, map) = typescript::strip(name, &source)
        .map_err(|message| js::throw_go_error(ctx, &format!("{name}: {message}")))?;
    if let Some(map) = map.filter(|_| !sourcemap::has(name)) {
        sourcemap::keep(name, map);
    }
    Ok(code)
}

struct Hooks(Rc<LoaderState>);

impl Resolver for Hooks {
    fn resolve<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        base: &str,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<String> {
        match resolve(base, name, &self.0.fallback_dir) {
            Ok(id) => {
                let canonical = id.name();
                self.0.note_origin(&canonical, name, base);
                Ok(canonical)
            }
            Err(error) => Err(self.0.fail(ctx, base, error)),
        }
    }
}

impl Loader for Hooks {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<Module<'js>> {
        let (specifier, importer) = self
            .0
            .origins
            .borrow()
            .get(name)
            .cloned()
            .unwrap_or_else(|| (name.to_owned(), String::new()));
        match ModuleId::parse(name) {
            Some(ModuleId::Builtin(builtin)) => modules::declare(ctx, builtin),
            Some(ModuleId::File(path)) => match self.0.files.read(&path) {
                Ok(source) => self.0.declare(ctx, name, source),
                Err(error) => {
                    let error = if error.kind() == io::ErrorKind::NotFound {
                        ModuleError::NotFound { specifier, path }
                    } else {
                        ModuleError::Unreadable {
                            specifier,
                            path,
                            reason: error.to_string(),
                        }
                    };
                    Err(self.0.fail(ctx, &importer, error))
                }
            },
            Some(ModuleId::Remote(url)) => match self.0.files.fetch(&url) {
                Ok(source) => self.0.declare(ctx, name, source),
                Err(error) => {
                    let error = ModuleError::Unretrievable {
                        specifier,
                        url,
                        error,
                    };
                    Err(self.0.fail(ctx, &importer, error))
                }
            },
            None => Err(self
                .0
                .fail(ctx, &importer, ModuleError::Unrecognised { specifier })),
        }
    }
}
