//! `k6/experimental/csv`: `parse(file, options)`, the whole file as a
//! `SharedArray` of rows made once per process, and `new Parser(file,
//! options)`, one row per `next()`, streamed from the file's shared
//! content. Files come from `k6/experimental/fs`'s `open`.
//!
//! Options, as k6 takes them: `delimiter` (one character, `,` by
//! default), `skipFirstLine`, `fromLine`/`toLine` (0-based record
//! indexes, both included) and `asObjects` (the first record names the
//! fields; `parse` sorts an object's keys, as k6's JSON does).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use rquickjs::function::Opt;
use rquickjs::{Ctx, Function, Object, Symbol, Value};

use super::{data, BuiltinModule};
use crate::compiled::Compiled;
use crate::js;
use crate::shared::Items;
use crate::state::VuState;

/// The `k6/experimental/csv` module.
pub(crate) struct Csv;

static GLUE: Compiled = Compiled::new(
    "k6r:csv",
    r#"(function (natives) {
  return {
    Parser: function Parser(file, options) {
      const next = natives.parser(file, options);
      return {
        async next() {
          const value = next();
          return value === undefined ? { done: true, value: [] } : { done: false, value };
        },
      };
    },
    async parse(file, options) {
      return natives.parse(file, options);
    },
  };
})"#,
);

impl BuiltinModule for Csv {
    const NAME: &'static str = "k6/experimental/csv";
    const EXPORTS: &'static [&'static str] = &["default", "parse", "Parser"];

    fn build<'js>(ctx: &Ctx<'js>, vu: &Rc<VuState>) -> rquickjs::Result<Object<'js>> {
        let natives = Object::new(ctx.clone())?;
        let state = vu.clone();
        let parse = move |ctx: Ctx<'js>, file: Opt<Value<'js>>, options: Opt<Value<'js>>| {
            parse(&ctx, &state, file.0, options.0)
        };
        natives.set("parse", js::function(ctx, "parse", parse)?)?;
        let state = vu.clone();
        let parser = move |ctx: Ctx<'js>, file: Opt<Value<'js>>, options: Opt<Value<'js>>| {
            parser(&ctx, &state, file.0, options.0)
        };
        natives.set("parser", js::function(ctx, "parser", parser)?)?;
        let glue: Function = GLUE.load(ctx)?;
        glue.call((natives,))
    }
}

/// What a script asked for.
#[derive(Debug, Clone, PartialEq)]
struct Options {
    delimiter: u8,
    skip_first_line: bool,
    from_line: u64,
    to_line: Option<u64>,
    as_objects: bool,
}

const OPTIONS_ERROR: &str = "encountered an error while interpreting Parser options; reason:";

impl Options {
    fn read<'js>(ctx: &Ctx<'js>, value: Option<Value<'js>>) -> rquickjs::Result<Self> {
        let mut options = Options {
            delimiter: b',',
            skip_first_line: false,
            from_line: 0,
            to_line: None,
            as_objects: false,
        };
        let Some(object) = value.and_then(|value| value.into_object()) else {
            return Ok(options);
        };
        let delimiter: Value = object.get("delimiter")?;
        if !delimiter.is_undefined() && !delimiter.is_null() {
            let text = js::to_string(&delimiter)?;
            match text.as_bytes() {
                [byte] if *byte != b'\r' && *byte != b'\n' && *byte != b'"' => {
                    options.delimiter = *byte
                }
                _ => {
                    return Err(js::throw_go_error(
                        ctx,
                        &format!("{OPTIONS_ERROR} delimiter must be a single character"),
                    ))
                }
            }
        }
        options.skip_first_line = truthy(&object.get("skipFirstLine")?);
        options.as_objects = truthy(&object.get("asObjects")?);
        if let Some(from) = line(ctx, &object.get("fromLine")?, "fromLine")? {
            options.from_line = from;
        }
        options.to_line = line(ctx, &object.get("toLine")?, "toLine")?;
        if let Some(to) = options.to_line {
            if options.from_line >= to {
                return Err(js::throw_go_error(
                    ctx,
                    &format!("{OPTIONS_ERROR} fromLine must be less than or equal to toLine"),
                ));
            }
        }
        if options.as_objects && options.from_line > 0 {
            return Err(js::throw_go_error(ctx, "failed to create a new parser; reason: the 'header' option cannot be enabled when 'fromLine' is set to a value greater than 0"));
        }
        Ok(options)
    }
}

fn truthy(value: &Value<'_>) -> bool {
    match value.as_bool() {
        Some(b) => b,
        None => !(value.is_undefined() || value.is_null()),
    }
}

/// A line option: a whole number, 0 or more.
fn line<'js>(ctx: &Ctx<'js>, value: &Value<'js>, name: &str) -> rquickjs::Result<Option<u64>> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    match value.as_number() {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n < 9e15 => Ok(Some(n as u64)),
        _ => Err(js::throw_go_error(
            ctx,
            &format!("{OPTIONS_ERROR} {name} must be a positive integer"),
        )),
    }
}

/// One parsed row.
enum Row {
    Fields(Vec<String>),
    Object(Vec<(String, String)>),
}

impl Row {
    /// The row as JSON; `sorted` orders an object's keys (k6's `parse`).
    fn json(&self, sorted: bool) -> String {
        match self {
            Row::Fields(fields) => serde_json::Value::from(fields.clone()).to_string(),
            Row::Object(pairs) if sorted => {
                let map: BTreeMap<&str, &str> = pairs
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                serde_json::to_string(&map).unwrap_or_default()
            }
            Row::Object(pairs) => {
                let map: serde_json::Map<String, serde_json::Value> = pairs
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::from(v.as_str())))
                    .collect();
                serde_json::Value::Object(map).to_string()
            }
        }
    }
}

/// The rows of a file, as the options select them.
struct Rows {
    reader: csv::Reader<Cursor<Arc<[u8]>>>,
    options: Options,
    /// The index of the next record.
    index: u64,
    header: Option<Vec<String>>,
}

impl Rows {
    /// The rows of `content` from byte `start` on.
    fn new(content: Arc<[u8]>, start: u64, options: Options) -> Self {
        let mut cursor = Cursor::new(content);
        cursor.set_position(start);
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .delimiter(options.delimiter)
            .from_reader(cursor);
        Rows {
            reader,
            options,
            index: 0,
            header: None,
        }
    }

    fn next_row(&mut self) -> Option<Result<Row, csv::Error>> {
        let mut record = csv::StringRecord::new();
        loop {
            if self.options.to_line.is_some_and(|to| self.index > to) {
                return None;
            }
            match self.reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => return None,
                Err(error) => return Some(Err(error)),
            }
            let index = self.index;
            self.index += 1;
            let fields: Vec<String> = record.iter().map(str::to_owned).collect();
            if self.options.as_objects {
                match &self.header {
                    None => self.header = Some(fields),
                    Some(header) => {
                        let pairs = header.iter().cloned().zip(fields).collect();
                        return Some(Ok(Row::Object(pairs)));
                    }
                }
                continue;
            }
            if (self.options.skip_first_line && index == 0) || index < self.options.from_line {
                continue;
            }
            return Some(Ok(Row::Fields(fields)));
        }
    }
}

/// An `fs.File`'s shared content and where its offset is: k6 reads a
/// CSV file from the file's offset and leaves the offset at its end.
struct Opened<'js> {
    path: PathBuf,
    content: Arc<[u8]>,
    /// The file's `{ path, offset }` (see `fs.rs`).
    state: Object<'js>,
    offset: u64,
}

impl<'js> Opened<'js> {
    /// Moves the file's offset to its end.
    fn consume(&self) -> rquickjs::Result<()> {
        self.state.set("offset", self.content.len() as f64)
    }
}

/// The shared content of an `fs.File`, k6's error for anything else.
fn file_content<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    file: Option<Value<'js>>,
) -> rquickjs::Result<Opened<'js>> {
    let key = Symbol::new_global(ctx.clone(), "k6r.fs.file")?;
    let state = match &file {
        Some(value) => match value.as_object() {
            Some(object) => object.get::<_, Option<Object>>(key)?,
            None => None,
        },
        None => None,
    };
    let Some(state) = state else {
        let got = file.map_or("undefined", |v| v.type_name());
        return Err(js::throw_go_error(
            ctx,
            &format!("first argument expected to be a fs.File instance, got {got} instead"),
        ));
    };
    let path = PathBuf::from(state.get::<_, String>("path")?);
    let offset = state.get::<_, f64>("offset")?.max(0.0) as u64;
    let content = vu
        .config
        .shared
        .file(&path, || vu.files.read(&path))
        .map_err(|error| js::throw_go_error(ctx, &format!("open {}: {error}", path.display())))?;
    Ok(Opened {
        path,
        content,
        state,
        offset,
    })
}

fn parse<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    file: Option<Value<'js>>,
    options: Option<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let opened = file_content(ctx, vu, file)?;
    let options = Options::read(ctx, options)?;
    // One parse per file, offset and options for the whole process.
    let name = format!(
        "k6r:csv:{}:{}:{options:?}",
        opened.path.display(),
        opened.offset
    );
    let content = Arc::clone(&opened.content);
    let items = vu.config.shared.array(&name, || {
        let mut rows = Rows::new(content, opened.offset, options);
        let mut items = Vec::new();
        while let Some(row) = rows.next_row() {
            let row = row.map_err(|error| js::throw_go_error(ctx, &error.to_string()))?;
            items.push(Some(row.json(true).into_boxed_str()));
        }
        Ok::<_, rquickjs::Error>(Items::new(items))
    })?;
    opened.consume()?;
    data::view(ctx, items)
}

fn parser<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    file: Option<Value<'js>>,
    options: Option<Value<'js>>,
) -> rquickjs::Result<Function<'js>> {
    let opened = file_content(ctx, vu, file)?;
    let options = Options::read(ctx, options)?;
    let content = Arc::clone(&opened.content);
    let rows = RefCell::new(Rows::new(content, opened.offset, options));
    // k6's parser reads the file ahead in large blocks: for the files
    // scripts stream, the offset is at the end once parsing starts.
    opened.consume()?;
    let next = move |ctx: Ctx<'js>| -> rquickjs::Result<Value<'js>> {
        let row = rows.borrow_mut().next_row();
        match row {
            None => Ok(Value::new_undefined(ctx.clone())),
            Some(Ok(row)) => ctx.json_parse(row.json(false)),
            Some(Err(error)) => Err(js::throw_go_error(&ctx, &error.to_string())),
        }
    };
    js::function(ctx, "next", next)
}
