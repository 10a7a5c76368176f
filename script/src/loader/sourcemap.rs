//! Source maps, which k6 applies to stack traces: the frames of a
//! TypeScript module point into its `.ts` file (through oxc's map of the
//! JavaScript it generated, whose lines are not the file's), and those of
//! a module carrying an inline map (`//# sourceMappingURL=data:...;base64,`,
//! as bundlers write it) point into the sources that map names.
//!
//! Maps are kept for the process by module name, the name QuickJS puts in
//! frames: every VU's runtime loads the same modules.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, Engine};
use oxc_sourcemap::SourceMap;

/// A module's map, ready for lookups.
struct Mapped {
    map: SourceMap,
    /// Per generated line, its tokens by column.
    lookup: Vec<Vec<(u32, u32, u32)>>,
    /// Each source's URL as frames show it.
    sources: Vec<String>,
}

fn maps() -> &'static RwLock<HashMap<String, Arc<Mapped>>> {
    static MAPS: OnceLock<RwLock<HashMap<String, Arc<Mapped>>>> = OnceLock::new();
    MAPS.get_or_init(RwLock::default)
}

/// Whether a map of `module` is kept already.
pub(crate) fn has(module: &str) -> bool {
    maps()
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .contains_key(module)
}

/// Keeps `map`, the map of the code QuickJS runs as `module`. A source
/// that is an absolute URL or path is shown as it is, others relative to
/// `module` (as k6 shows them).
pub(crate) fn keep(module: &str, map: SourceMap) {
    let base = url::Url::parse(module).ok();
    let sources = map
        .get_sources()
        .map(|source| {
            if source.starts_with('/') || url::Url::parse(source).is_ok() {
                return source.to_owned();
            }
            base.as_ref()
                .and_then(|base| base.join(source).ok())
                .map_or_else(|| source.to_owned(), String::from)
        })
        .collect();
    let mapped = Mapped {
        lookup: map.generate_lookup_table(),
        map,
        sources,
    };
    maps()
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(module.to_owned(), Arc::new(mapped));
}

/// Keeps the inline map of `module`'s `code`, if its last
/// `sourceMappingURL` comment is a base64 `data:` URL of a valid map.
pub(crate) fn keep_inline(module: &str, code: &[u8]) {
    if has(module) {
        return;
    }
    if let Some(map) = inline_map(code) {
        keep(module, map);
    }
}

fn inline_map(code: &[u8]) -> Option<SourceMap> {
    const MARK: &[u8] = b"sourceMappingURL=data:";
    let at = code.windows(MARK.len()).rposition(|w| w == MARK)?;
    let comment = code[..at].strip_suffix(b"# ")?;
    if !comment.ends_with(b"//") {
        return None;
    }
    let url = &code[at + MARK.len()..];
    let url = &url[..url
        .iter()
        .position(|b| b.is_ascii_whitespace())
        .unwrap_or(url.len())];
    let (header, data) = std::str::from_utf8(url).ok()?.split_once(',')?;
    if !header.ends_with(";base64") {
        return None;
    }
    // Bundlers' maps are padded, some with a stray `=` too many.
    let lenient = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let json = lenient.decode(data.trim_end_matches('=')).ok()?;
    SourceMap::from_json_string(std::str::from_utf8(&json).ok()?).ok()
}

/// `frame` (`f (url:line:col)` or `url:line:col`, QuickJS's 1-based
/// positions) with its location mapped back through its module's map.
/// The mapped column is 0-based, as k6 (goja) shows it.
pub(crate) fn map_frame(frame: &str) -> Cow<'_, str> {
    let (prefix, location, suffix) = match frame.strip_suffix(')') {
        Some(rest) => match rest.rfind(" (") {
            Some(at) => (&frame[..at + 2], &rest[at + 2..], ")"),
            None => return Cow::Borrowed(frame),
        },
        None => ("", frame, ""),
    };
    let mut parts = location.rsplitn(3, ':');
    let (Some(column), Some(line), Some(module)) = (parts.next(), parts.next(), parts.next())
    else {
        return Cow::Borrowed(frame);
    };
    let (Ok(column), Ok(line)) = (column.parse::<u32>(), line.parse::<u32>()) else {
        return Cow::Borrowed(frame);
    };
    let Some(mapped) = maps()
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(module)
        .cloned()
    else {
        return Cow::Borrowed(frame);
    };
    let token = mapped.map.lookup_token(
        &mapped.lookup,
        line.saturating_sub(1),
        column.saturating_sub(1),
    );
    let Some((token, source)) = token.and_then(|token| {
        let source = mapped.sources.get(token.get_source_id()? as usize)?;
        Some((token, source))
    }) else {
        return Cow::Borrowed(frame);
    };
    Cow::Owned(format!(
        "{prefix}{source}:{}:{}{suffix}",
        token.get_src_line() + 1,
        token.get_src_col()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A map of one generated line whose two tokens come from lines 3
    /// and 7 of `src.ts`.
    fn two_token_map(source: &str) -> SourceMap {
        let json =
            format!(r#"{{"version":3,"sources":["{source}"],"names":[],"mappings":"AAEA,UAIA"}}"#);
        SourceMap::from_json_string(&json).unwrap()
    }

    #[test]
    fn frames_map_back_to_their_source() {
        keep("file:///m/bundle.js", two_token_map("./src/x.ts"));
        assert_eq!(
            map_frame("f (file:///m/bundle.js:1:3)"),
            "f (file:///m/src/x.ts:3:0)"
        );
        assert_eq!(
            map_frame("file:///m/bundle.js:1:20"),
            "file:///m/src/x.ts:7:0"
        );
        // No module map, no line, not a location: as it was.
        assert_eq!(
            map_frame("g (file:///m/other.js:1:3)"),
            "g (file:///m/other.js:1:3)"
        );
        assert_eq!(
            map_frame("file:///m/bundle.js:9:1"),
            "file:///m/bundle.js:9:1"
        );
        assert_eq!(map_frame("native"), "native");
    }

    #[test]
    fn absolute_sources_are_shown_as_written() {
        keep("file:///w/test1.js", two_token_map("webpack:///./test1.ts"));
        assert_eq!(
            map_frame("r (file:///w/test1.js:1:12)"),
            "r (webpack:///./test1.ts:7:0)"
        );
    }

    #[test]
    fn inline_maps_are_found_in_the_last_comment() {
        let map = two_token_map("a.ts").to_data_url();
        let code = format!("let a = 1;\n//# sourceMappingURL={map}=\n");
        keep_inline("file:///i/a.js", code.as_bytes());
        assert_eq!(map_frame("file:///i/a.js:1:1"), "file:///i/a.ts:3:0");
        keep_inline("file:///i/b.js", b"let b;\n//# sourceMappingURL=b.js.map\n");
        keep_inline(
            "file:///i/c.js",
            b"//# sourceMappingURL=data:text/plain,{}\n",
        );
        assert!(!has("file:///i/b.js") && !has("file:///i/c.js"));
    }
}
