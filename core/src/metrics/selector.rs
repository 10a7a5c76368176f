//! Submetric selectors: `http_req_duration{status:200,scenario:a}`.
//!
//! Two steps, as in k6. [`parse_metric_name`] validates the expression
//! (braces in place, every comma-separated part a `key:value` with a
//! non-empty value). [`Selector::parse`] then builds the submetric: the
//! part inside the braces is trimmed and becomes the suffix (so the
//! submetric's name is `parent{suffix}`), each key and value is trimmed of
//! whitespace and then of surrounding `"`/`'` quotes, so
//! `{ status: "200" }` selects `status=200`.

use super::error::SelectorError;
use super::sample::Tags;

/// k6's `ParseMetricName`: the metric name and the trimmed `key:value`
/// parts of its selector (empty when there are no braces).
pub fn parse_metric_name(name: &str) -> Result<(&str, Vec<&str>), SelectorError> {
    let open = name.find('{');
    let close = name.rfind('}');
    let (open, close) = match (open, close) {
        (None, None) => return Ok((name, Vec::new())),
        (Some(o), Some(c)) => (o, c),
        _ => return Err(SelectorError::Unmatched(name.to_owned())),
    };
    if close < open {
        return Err(SelectorError::CloseBeforeOpen(name.to_owned()));
    }
    if close != name.len() - 1 {
        return Err(SelectorError::NotLast(name.to_owned()));
    }
    let mut parts = Vec::new();
    for part in name[open + 1..close].split(',') {
        match part.split_once(':') {
            Some((_, value)) if !value.is_empty() => parts.push(part.trim()),
            _ => return Err(SelectorError::MalformedTag(part.to_owned())),
        }
    }
    Ok((&name[..open], parts))
}

/// A parsed submetric selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    /// The parent metric's name.
    pub parent: String,
    /// The text between the braces, trimmed (`status:200`).
    pub suffix: String,
    /// The tags a sample must carry.
    pub tags: Tags,
}

fn unquote(s: &str) -> &str {
    s.trim().trim_matches(|c| c == '"' || c == '\'')
}

impl Selector {
    /// Parses `metric{key:value,...}`; `None` for a plain metric name.
    pub fn parse(name: &str) -> Result<Option<Selector>, SelectorError> {
        let (parent, parts) = parse_metric_name(name)?;
        if parts.is_empty() {
            return Ok(None);
        }
        let inner = &name[parent.len() + 1..name.len() - 1];
        Ok(Some(Selector::new(parent, inner)))
    }

    /// The selector of `parent` for the tag text `inner` (what is between
    /// the braces), without validation.
    pub fn new(parent: &str, inner: &str) -> Selector {
        let suffix = inner.trim().to_owned();
        let mut tags = Tags::new();
        for kv in suffix.split(',').filter(|kv| !kv.is_empty()) {
            match kv.split_once(':') {
                Some((k, v)) => tags.insert(unquote(k), unquote(v)),
                None => tags.insert(unquote(kv), ""),
            }
        }
        Selector {
            parent: parent.to_owned(),
            suffix,
            tags,
        }
    }

    /// `parent{suffix}`, the submetric's name.
    pub fn name(&self) -> String {
        format!("{}{{{}}}", self.parent, self.suffix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_k6() {
        let s = Selector::parse("http_req_duration{ status: \"200\" ,scenario:'a'}")
            .unwrap()
            .unwrap();
        assert_eq!(s.parent, "http_req_duration");
        assert_eq!(s.suffix, "status: \"200\" ,scenario:'a'");
        assert_eq!(
            s.tags,
            Tags::new().with("status", "200").with("scenario", "a")
        );
        let g = Selector::parse("checks{group:::g1}").unwrap().unwrap();
        assert_eq!(g.tags.get("group"), Some("::g1"));
        assert_eq!(g.name(), "checks{group:::g1}");
        assert_eq!(Selector::parse("iterations").unwrap(), None);
    }

    #[test]
    fn errors_carry_k6s_messages() {
        let msg = |n: &str| parse_metric_name(n).unwrap_err().to_string();
        assert_eq!(
            msg("my_trend{"),
            "parsing metric name failed, metric \"my_trend{\" has unmatched opening/close curly brace"
        );
        assert_eq!(
            msg("my_trend}a{"),
            "parsing metric name failed, metric \"my_trend}a{\" closing curly brace appears before opening one"
        );
        assert_eq!(
            msg("my_trend{}"),
            "parsing metric name failed, metric \"\" tag expression is malformed"
        );
        assert_eq!(
            msg("my_trend{ab}"),
            "parsing metric name failed, metric \"ab\" tag expression is malformed"
        );
        assert_eq!(
            msg("my_trend{a:1}x"),
            "parsing metric name failed, metric \"my_trend{a:1}x\" lacks a closing curly brace in its last position"
        );
        assert!(parse_metric_name("m{a:}").is_err());
    }
}
