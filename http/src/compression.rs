//! The `compression` param: the request body compressed by one or more
//! algorithms, in the order given, with `Content-Encoding` naming them.

use std::io::Write as _;

/// One algorithm of the `compression` param.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// `gzip`.
    Gzip,
    /// `deflate` (zlib-wrapped, as Go's `compress/zlib` writes it).
    Deflate,
    /// `zstd`.
    Zstd,
    /// `br` (Brotli).
    Brotli,
}

/// k6's list of supported algorithms, as its error shows it.
const SUPPORTED: &str = "[gzip deflate zstd br]";

impl Compression {
    /// The `Content-Encoding` token.
    pub fn token(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Deflate => "deflate",
            Compression::Zstd => "zstd",
            Compression::Brotli => "br",
        }
    }

    /// Parses `"gzip, br"`: comma-separated, each token trimmed, case
    /// sensitive; an empty string is no compression. The error is k6's text.
    pub fn parse_list(text: &str) -> Result<Vec<Compression>, String> {
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        text.split(',')
            .map(|token| match token.trim() {
                "gzip" => Ok(Compression::Gzip),
                "deflate" => Ok(Compression::Deflate),
                "zstd" => Ok(Compression::Zstd),
                "br" => Ok(Compression::Brotli),
                other => Err(format!(
                    "unknown compression algorithm {other}, supported algorithms are {SUPPORTED}"
                )),
            })
            .collect()
    }

    /// `body` compressed with this algorithm.
    pub fn compress(self, body: &[u8]) -> std::io::Result<Vec<u8>> {
        match self {
            Compression::Gzip => {
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                encoder.write_all(body)?;
                encoder.finish()
            }
            Compression::Deflate => {
                let mut encoder =
                    flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
                encoder.write_all(body)?;
                encoder.finish()
            }
            Compression::Zstd => zstd::stream::encode_all(body, 0),
            Compression::Brotli => {
                let mut out = Vec::new();
                {
                    let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
                    writer.write_all(body)?;
                }
                Ok(out)
            }
        }
    }
}

/// The `Content-Encoding` value of `list` (`gzip, br`).
pub fn header_value(list: &[Compression]) -> String {
    list.iter()
        .map(|c| c.token())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `body` through every algorithm of `list`, in order.
pub fn compress_all(list: &[Compression], body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = body.to_vec();
    for algorithm in list {
        out = algorithm.compress(&out)?;
    }
    Ok(out)
}
