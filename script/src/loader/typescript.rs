//! TypeScript modules (`.ts`), which k6 v1 runs natively: the types are
//! stripped (and TypeScript-only constructs such as `enum` turned into
//! JavaScript) by oxc before QuickJS sees the code, for the entry script
//! and every import whose name ends in `.ts`. The code is generated anew,
//! with a source map that maps stack frames back to the `.ts` file, as k6
//! does.

use std::path::Path;

use oxc::allocator::Allocator;
use oxc::codegen::{Codegen, CodegenOptions};
use oxc::parser::Parser;
use oxc::semantic::SemanticBuilder;
use oxc::span::SourceType;
use oxc::transformer::{TransformOptions, Transformer};

/// Whether the module named `name` (a path or URL) is TypeScript.
pub(crate) fn is_typescript(name: &str) -> bool {
    let path = name.split(['?', '#']).next().unwrap_or(name);
    path.ends_with(".ts") || path.ends_with(".mts") || path.ends_with(".cts")
}

/// `source` as JavaScript and its source map, or the first error found in
/// it, located as k6 locates it (`Line 1:7 message`: 1-based line,
/// 0-based column).
pub(crate) fn strip(
    name: &str,
    source: &[u8],
) -> Result<(Vec<u8>, Option<oxc_sourcemap::SourceMap>), String> {
    let text = std::str::from_utf8(source).map_err(|error| error.to_string())?;
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, text, SourceType::ts()).parse();
    if let Some(error) = parsed.errors.first() {
        let offset = error
            .labels
            .as_ref()
            .and_then(|labels| labels.first())
            .map(|label| label.offset());
        return Err(match offset {
            Some(offset) => {
                let before = &text.as_bytes()[..offset.min(text.len())];
                let line = before.iter().filter(|b| **b == b'\n').count() + 1;
                let start = before
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |i| i + 1);
                format!("Line {line}:{} {error}", before.len() - start)
            }
            None => error.to_string(),
        });
    }
    let mut program = parsed.program;
    let scoping = SemanticBuilder::new()
        .build(&program)
        .semantic
        .into_scoping();
    let options = TransformOptions::default();
    let transformed = Transformer::new(&allocator, Path::new(name), &options)
        .build_with_scoping(scoping, &mut program);
    if let Some(error) = transformed.errors.first() {
        return Err(error.to_string());
    }
    let options = CodegenOptions {
        source_map_path: Some(name.into()),
        ..CodegenOptions::default()
    };
    let generated = Codegen::new().with_options(options).build(&program);
    Ok((generated.code.into_bytes(), generated.map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_go_and_enums_become_javascript() {
        let source = b"import { type A } from './a.ts';\n\
            interface P { x: number }\n\
            enum Color { Red, Green = 5 }\n\
            export const p: P = { x: 1 as number };\n\
            export default function (n?: number): void { console.log(Color.Green, n!); }\n";
        let code = String::from_utf8(strip("/s/main.ts", source).unwrap().0).unwrap();
        assert!(!code.contains("interface"), "{code}");
        assert!(!code.contains(": number"), "{code}");
        assert!(!code.contains("./a.ts"), "{code}");
        assert!(code.contains("Color[Color[\"Green\"] = 5]"), "{code}");
    }

    #[test]
    fn bad_typescript_is_an_error_located_as_k6_locates_it() {
        let error = strip("/s/bad.ts", b"// x\nlet x: = 1;").unwrap_err();
        assert!(error.starts_with("Line 2:7 "), "{error}");
    }

    #[test]
    fn typescript_is_told_by_the_name() {
        assert!(is_typescript("file:///s/main.ts"));
        assert!(is_typescript("https://x/lib.ts?v=1"));
        assert!(!is_typescript("file:///s/main.js"));
        assert!(!is_typescript("file:///s/ts"));
    }
}
