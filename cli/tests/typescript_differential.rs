//! TypeScript scripts and imports (`.ts`) against the reference k6
//! v1.1.0, which runs them natively: the same output for types, enums,
//! interfaces and parameter properties across an import, and a syntax
//! error reported with the file, line and column k6 names (exit 107).

use std::path::Path;
use std::process::Command;

const LIB: &str = "export enum Color { Red = 1, Green }\n\
export interface Named { name: string }\n\
export class Box { constructor(private readonly size: number) {} area(): number { return this.size * this.size; } }\n\
export namespace Shapes { export const sides: number = 4; }\n";

const MAIN: &str = "import { Color, Box, Named, Shapes } from './lib.ts';\n\
type Pair<T> = [T, T];\n\
const who: Named = { name: 'x' };\n\
export const options = { iterations: 1 };\n\
export default function (): void {\n\
  const pair: Pair<number> = [new Box(3).area(), Shapes.sides];\n\
  const sum = <T extends number>(values: T[]): number => values.reduce((a, b) => a + b, 0);\n\
  console.log(`${who.name} ${pair.join('/')} ${sum(pair)} ${Color.Green} ${Color[2]} ${Color.Red as number}`);\n\
}\n";

const BAD: &str = "let a: number = 1;\nlet b: = 2;\nexport default function () {}\n";

/// The exit code, console lines and error lines of `entry` in `binary`.
fn run(binary: &str, dir: &Path, entry: &str) -> (Option<i32>, Vec<String>, String) {
    let out = Command::new(binary)
        .current_dir(dir)
        // No REST API: k6's default port may be taken by a parallel test.
        .args(["run", "-q", "--no-summary", "-a", "", entry])
        .output()
        .expect("binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let console = stderr
        .lines()
        .filter(|line| line.contains("source=console"))
        .map(|line| line.split(" msg=").nth(1).unwrap_or_default().to_owned())
        .collect();
    (out.status.code(), console, stderr)
}

#[test]
fn typescript_runs_as_in_k6() {
    let k6r = env!("CARGO_BIN_EXE_k6r-cli");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lib.ts"), LIB).unwrap();
    std::fs::write(dir.path().join("main.ts"), MAIN).unwrap();
    std::fs::write(dir.path().join("bad.ts"), BAD).unwrap();
    let (code, expected, stderr) = run("k6", dir.path(), "main.ts");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(expected.len(), 1, "{stderr}");
    let (code, found, stderr) = run(k6r, dir.path(), "main.ts");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(found, expected);

    // The message's wording is the parser's own; its place is k6's.
    let bad = dir.path().join("bad.ts");
    let place = format!("file://{}: Line 2:7 ", bad.display());
    for binary in ["k6", k6r] {
        let (code, _, stderr) = run(binary, dir.path(), "bad.ts");
        assert_eq!(code, Some(107), "{binary}: {stderr}");
        assert!(stderr.contains(&place), "{binary}: {stderr}");
    }
}
