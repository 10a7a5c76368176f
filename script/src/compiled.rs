//! JavaScript that k6r ships itself (module glue),
//! compiled once per process and loaded by every VU as bytecode.
//!
//! QuickJS keeps the source text of every function it compiles (for
//! `Function.prototype.toString`), so each VU compiling the same glue kept
//! a copy of it. A [`Compiled`] is compiled by the first VU that needs it
//! and written as bytecode without its source; every VU then reads that
//! bytecode (into its own copy: atoms are per runtime) instead of parsing.
//! Measured with 5,000 VUs importing `k6/http`: 1.4 KB less per VU.

use std::sync::OnceLock;

use rquickjs::module::WriteOptions;
use rquickjs::{Ctx, FromJs, Module};

/// A JavaScript expression shipped with k6r, evaluated in a VU's context
/// from bytecode shared by the whole process.
pub(crate) struct Compiled {
    /// The module name, shown as the file name in stack traces.
    name: &'static str,
    /// The expression (a class or a function).
    expression: &'static str,
    bytecode: OnceLock<Box<[u8]>>,
}

impl Compiled {
    /// `expression` under `name` (`k6r:...`).
    pub(crate) const fn new(name: &'static str, expression: &'static str) -> Self {
        Compiled {
            name,
            expression,
            bytecode: OnceLock::new(),
        }
    }

    /// The expression's value in `ctx`.
    pub(crate) fn load<'js, T: FromJs<'js>>(&'static self, ctx: &Ctx<'js>) -> rquickjs::Result<T> {
        let bytecode = match self.bytecode.get() {
            Some(bytecode) => bytecode,
            None => {
                let source = format!("export default {};", self.expression);
                let declared = Module::declare(ctx.clone(), self.name, source)?;
                let options = WriteOptions {
                    strip_source: true,
                    ..WriteOptions::default()
                };
                let written = declared.write(options)?.into_boxed_slice();
                self.bytecode.get_or_init(|| written)
            }
        };
        // SAFETY: the bytes are what this very QuickJS build wrote for a
        // module above, and they live as long as the process
        // (`&'static self`), as `load`'s read-only-data flag asks.
        #[allow(unsafe_code)]
        let module = unsafe { Module::load(ctx.clone(), bytecode) }?;
        let (module, evaluated) = module.eval()?;
        evaluated.finish::<()>()?;
        module.get("default")
    }
}

#[cfg(test)]
mod tests {
    use rquickjs::{Context, Function, Runtime};

    use super::Compiled;

    static GREETER: Compiled = Compiled::new(
        "k6r:test/greeter",
        "(class Greeter { constructor(name) { this.name = name; } greet() { return `hello ${this.name}`; } })",
    );

    /// Atoms are per runtime: the bytecode written from one runtime must
    /// work in another whose atom table differs, and keep no source.
    #[test]
    fn one_compilation_serves_runtimes_with_different_atoms() {
        for warm_up in [
            "",
            "globalThis.a1 = 1; globalThis.zz = { name: 2, greet: 3 };",
        ] {
            let runtime = Runtime::new().unwrap();
            let context = Context::full(&runtime).unwrap();
            context.with(|ctx| {
                ctx.eval::<(), _>(warm_up).unwrap();
                let class: Function = GREETER.load(&ctx).unwrap();
                ctx.globals().set("Greeter", class).unwrap();
                let greeting: String = ctx.eval("new Greeter('vu').greet()").unwrap();
                assert_eq!(greeting, "hello vu");
                let text: String = ctx.eval("Greeter.prototype.greet.toString()").unwrap();
                assert!(!text.contains("hello"), "source kept: {text}");
            });
        }
        assert!(GREETER.bytecode.get().is_some());
    }
}
