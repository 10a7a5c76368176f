//! Request bodies as they go on the wire: multipart with `http.file()`
//! parts, and the `compression` param (k6's algorithms, order, header and
//! errors).

use std::io::Read as _;

use k6r_http::prepare::prepare;
use k6r_http::{Body, ErrorKind, FormPart, FormValue, Request};

fn post(body: Body) -> Request {
    Request::new("POST", "http://h.test/").with_body(body)
}

#[test]
fn a_file_part_makes_a_multipart_body() {
    let request = post(Body::Multipart(vec![
        FormPart {
            name: "f".into(),
            value: FormValue::File {
                data: vec![0, 1, 255],
                filename: "b.bin".into(),
                content_type: "application/octet-stream".into(),
            },
        },
        FormPart {
            name: "a".into(),
            value: FormValue::Text("x".into()),
        },
    ]));
    let prepared = prepare(&request, None).unwrap();
    let content_type = prepared.headers["content-type"].to_str().unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap();
    assert_eq!(boundary.len(), 60);
    let mut expected = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"f\"; filename=\"b.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    expected.extend_from_slice(&[0, 1, 255]);
    expected.extend_from_slice(
        format!(
            "\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--{boundary}--\r\n"
        )
        .as_bytes(),
    );
    assert_eq!(&prepared.body[..], &expected[..]);
    assert_eq!(prepared.body, prepared.echo);
}

#[test]
fn a_script_content_type_wins_over_the_multipart_one() {
    let request = post(Body::Multipart(vec![]))
        .with_header("Content-Type", "multipart/form-data; boundary=x");
    let prepared = prepare(&request, None).unwrap();
    assert_eq!(
        prepared.headers["content-type"],
        "multipart/form-data; boundary=x"
    );
}

fn compressed(compression: &str) -> k6r_http::prepare::Prepared {
    let mut request = post(Body::Text("hello hello hello".into()));
    request.params.compression = Some(compression.into());
    prepare(&request, None).unwrap()
}

fn decode(algorithm: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match algorithm {
        "gzip" => flate2::read::GzDecoder::new(body).read_to_end(&mut out),
        "deflate" => flate2::read::ZlibDecoder::new(body).read_to_end(&mut out),
        "br" => brotli::Decompressor::new(body, 4096).read_to_end(&mut out),
        "zstd" => zstd::stream::read::Decoder::new(body).and_then(|mut d| d.read_to_end(&mut out)),
        other => panic!("{other}"),
    }
    .unwrap();
    out
}

#[test]
fn each_algorithm_and_chains_compress_in_order() {
    for (param, header) in [
        ("gzip", "gzip"),
        ("deflate", "deflate"),
        ("br", "br"),
        ("zstd", "zstd"),
        (" gzip ,br", "gzip, br"),
        ("zstd,deflate,gzip", "zstd, deflate, gzip"),
    ] {
        let prepared = compressed(param);
        assert_eq!(prepared.headers["content-encoding"], header, "{param}");
        let mut body = prepared.body.to_vec();
        for algorithm in header.split(", ").collect::<Vec<_>>().into_iter().rev() {
            body = decode(algorithm, &body);
        }
        assert_eq!(body, b"hello hello hello", "{param}");
        assert_eq!(&prepared.echo[..], b"hello hello hello");
    }
    let none = compressed("");
    assert!(!none.headers.contains_key("content-encoding"));
    assert_eq!(&none.body[..], b"hello hello hello");
}

#[test]
fn no_body_is_not_compressed() {
    let mut request = Request::get("http://h.test/");
    request.params.compression = Some("gzip".into());
    let prepared = prepare(&request, None).unwrap();
    assert!(prepared.body.is_empty());
    assert!(!prepared.headers.contains_key("content-encoding"));
}

#[test]
fn unknown_algorithms_fail_before_the_request() {
    for (param, bad) in [
        ("foo", "foo"),
        ("gzip,identity", "identity"),
        ("GZIP", "GZIP"),
    ] {
        let mut request = post(Body::Text("x".into()));
        request.params.compression = Some(param.into());
        let failure = prepare(&request, None).unwrap_err();
        assert_eq!(failure.kind, ErrorKind::InvalidParams);
        assert!(failure.kind.before_request());
        assert_eq!(
            failure.message,
            format!("unknown compression algorithm {bad}, supported algorithms are [gzip deflate zstd br]")
        );
    }
}

#[tokio::test]
async fn a_failure_before_the_request_has_no_metrics() {
    let client = k6r_http::Client::new(k6r_http::ClientOptions::default());
    let mut request = post(Body::Text("x".into()));
    request.params.compression = Some("nope".into());
    let exchange = client.execute(request).await;
    assert!(exchange.hops.is_empty());
    assert_eq!(exchange.response.error_code, 0);
    assert_eq!(exchange.response.status, 0);
    assert_eq!(exchange.response.url, "");
}
