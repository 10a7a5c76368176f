//! TypeScript modules (`.ts`), which k6 v1 runs as they are: their types
//! are stripped and TypeScript's own syntax (enums, namespaces, parameter
//! properties) turned into JavaScript by oxc's transformer before QuickJS
//! sees the module.
//!
//! The code is regenerated, so line and column numbers in stack traces
//! refer to the JavaScript k6r runs, not to the `.ts` file.

use oxc::allocator::Allocator;
use oxc::codegen::Codegen;
use oxc::parser::Parser;
use oxc::semantic::SemanticBuilder;
use oxc::span::SourceType;
use oxc::transformer::{TransformOptions, Transformer};
use std::path::Path;

use crate::loader::ModuleError;

/// Whether the module at `path` is TypeScript (by its extension, as k6
/// decides).
pub(crate) fn is_typescript(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("ts"))
}

/// A TypeScript module that does not parse or transform: the first
/// diagnostic, with its place in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeScriptError {
    /// What oxc reported.
    pub message: String,
    /// 1-based line of the first problem, when oxc gave a place.
    pub line: Option<usize>,
    /// 0-based column of the first problem (as k6 counts them), when oxc
    /// gave a place.
    pub column: Option<usize>,
}

impl std::fmt::Display for TypeScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, "{} ({line}:{column})", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

/// `source` as JavaScript: transformed when `path` is a TypeScript
/// module, as it is otherwise. The error is k6's (file, line, column).
pub(crate) fn prepare(url: &str, path: &Path, source: Vec<u8>) -> Result<Vec<u8>, ModuleError> {
    if !is_typescript(path) {
        return Ok(source);
    }
    let text = String::from_utf8_lossy(&source);
    to_javascript(path, &text)
        .map(String::into_bytes)
        .map_err(|error| ModuleError::TypeScript {
            url: url.to_owned(),
            line: error.line.unwrap_or_default(),
            column: error.column.unwrap_or_default(),
            message: error.message,
        })
}

/// The JavaScript of the TypeScript module `source` at `path`. A panic in
/// the transformer (a bug of its own on some input) is an error of this
/// module, not the end of the process.
pub(crate) fn to_javascript(path: &Path, source: &str) -> Result<String, TypeScriptError> {
    std::panic::catch_unwind(|| transform(path, source)).unwrap_or_else(|_| {
        Err(TypeScriptError {
            message: "the TypeScript transformer failed on this module".to_owned(),
            line: None,
            column: None,
        })
    })
}

fn transform(path: &Path, source: &str) -> Result<String, TypeScriptError> {
    let allocator = Allocator::default();
    let source_type = SourceType::ts().with_module(true);
    let parsed = Parser::new(&allocator, source, source_type).parse();
    if let Some(error) = parsed.diagnostics.first() {
        return Err(diagnostic(source, error));
    }
    let mut program = parsed.program;
    let scoping = SemanticBuilder::new()
        .with_enum_eval(true)
        .build(&program)
        .semantic
        .into_scoping();
    let options = TransformOptions::default();
    let transformed =
        Transformer::new(&allocator, path, &options).build_with_scoping(scoping, &mut program);
    if let Some(error) = transformed.diagnostics.first() {
        return Err(diagnostic(source, error));
    }
    Ok(Codegen::new().build(&program).code)
}

fn diagnostic(source: &str, error: &oxc::diagnostics::OxcDiagnostic) -> TypeScriptError {
    let offset = error.labels.first().map(|label| label.offset());
    let (line, column) = match offset {
        Some(offset) => {
            // Bytes, not chars: an offset off a char boundary can't panic.
            let before = &source.as_bytes()[..(offset as usize).min(source.len())];
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let start = before
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |at| at + 1);
            let column = String::from_utf8_lossy(&before[start..]).chars().count();
            (Some(line), Some(column))
        }
        None => (None, None),
    };
    TypeScriptError {
        message: error.message.to_string(),
        line,
        column,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_go_and_typescript_syntax_becomes_javascript() {
        let source = "enum Color { Red = 1, Green }\n\
            interface P { name: string }\n\
            class Box { constructor(private readonly size: number) {} area(): number { return this.size * this.size; } }\n\
            export function greet(p: P, n: number = 2): string { return `${p.name}:${n}:${Color.Green}:${new Box(3).area()}`; }\n\
            const typed = <T,>(x: T): T => x;\n\
            export type Alias = string | number;\n";
        let js = to_javascript(Path::new("/s.ts"), source).unwrap();
        assert!(!js.contains("interface"), "{js}");
        assert!(!js.contains(": string"), "{js}");
        assert!(!js.contains("type Alias"), "{js}");
        assert!(
            js.contains("Color[Color[\"Green\"] = 2]") || js.contains("Green"),
            "{js}"
        );
        assert!(js.contains("this.size = size"), "{js}");
    }

    #[test]
    fn a_syntax_error_names_its_place() {
        let error =
            to_javascript(Path::new("/s.ts"), "let a: number = 1;\nlet b: = 2;\n").unwrap_err();
        assert_eq!(error.line, Some(2), "{error}");
    }
}
