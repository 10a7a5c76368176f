//! Failures of init code: k6's messages and exit codes.

mod common;

use std::time::{Duration, Instant};

use common::{fixture, inspect_fixture, inspect_fixture_with, tag};
use k6r_script::{inspect, ConvertError, Env, Error, ModuleError};

fn url(relative: &str) -> String {
    format!("file://{}", fixture(relative).display())
}

#[test]
fn http_in_init_throws_k6s_message() {
    let error = inspect_fixture("errors/http_in_init.js", &Env::new()).err();
    assert_eq!(error.exit_code(), 107);
    assert_eq!(error.hint(), Some("script exception"));
    let Error::Exception(exception) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(exception.name.as_deref(), Some("GoError"));
    assert_eq!(
        exception.message,
        "Making http requests in the init context is not supported"
    );
    assert!(error
        .to_string()
        .starts_with("GoError: Making http requests in the init context is not supported\n\tat "));
    // The frame of the call in the script, with its file.
    let expected = format!("{}:3:", url("errors/http_in_init.js"));
    assert!(
        exception
            .stack
            .iter()
            .any(|frame| frame.starts_with(&expected)),
        "{exception:?}"
    );
}

#[test]
fn check_in_init_throws_k6s_message() {
    let error = inspect_fixture("errors/check_in_init.js", &Env::new()).err();
    assert_eq!(error.exit_code(), 107);
    assert!(error
        .to_string()
        .starts_with("GoError: Using check() in the init context is not supported"));
}

#[test]
fn syntax_errors_name_file_line_and_column() {
    let error = inspect_fixture("errors/syntax.js", &Env::new()).err();
    assert_eq!(error.exit_code(), 107);
    let Error::Syntax {
        file,
        line,
        column,
        message,
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(file, &url("errors/syntax.js"));
    assert_eq!((*line, *column), (3, 18));
    assert!(!message.is_empty());
    assert!(error
        .to_string()
        .starts_with(&format!("{}:3:18: SyntaxError: ", url("errors/syntax.js"))));
}

#[test]
fn syntax_errors_in_imported_modules_name_that_module() {
    let error = inspect_fixture("errors/imports_bad_syntax.js", &Env::new()).err();
    assert_eq!(error.exit_code(), 107);
    assert!(
        matches!(&error, Error::Syntax { file, line: 3, .. } if *file == url("errors/syntax.js")),
        "{error:?}"
    );
}

#[test]
fn exceptions_carry_message_and_stack() {
    let error = inspect_fixture("errors/throws.js", &Env::new()).err();
    assert_eq!(error.exit_code(), 107);
    let file = url("errors/throws.js");
    assert_eq!(
        error.to_string(),
        format!("Error: boom\n\tat explode ({file}:2:13)\n\tat {file}:4:1")
    );
}

#[test]
fn thrown_strings_are_reported_as_is() {
    let error = inspect_fixture("errors/throws_string.js", &Env::new()).err();
    assert_eq!(error.exit_code(), 107);
    assert_eq!(error.to_string(), "plain string");
}

#[test]
fn iter_is_not_defined_in_init() {
    let error = inspect_fixture("errors/iter.js", &Env::new()).err();
    assert_eq!(error.exit_code(), 107);
    assert!(
        error
            .to_string()
            .starts_with("ReferenceError: __ITER is not defined"),
        "{error}"
    );
}

#[test]
fn a_missing_entry_script_is_exit_255() {
    let error = inspect("does/not/exist.js".as_ref(), &Env::new()).unwrap_err();
    assert_eq!(error.exit_code(), 255);
    assert_eq!(error.hint(), None);
    assert!(matches!(&error, Error::Entry(ModuleError::NotFound { .. })));
    assert_eq!(
        error.to_string(),
        "The moduleSpecifier \"does/not/exist.js\" couldn't be found on local disk. Make sure that you've specified the right path to the file. If you're running k6 using the Docker image make sure you have mounted the local directory (-v /local/path/:/inside/docker/path) containing your script and modules so that they're accessible by k6 from inside of the container, see https://grafana.com/docs/k6/latest/using-k6/modules/#use-modules-with-docker."
    );
}

#[test]
fn a_missing_import_has_k6s_message() {
    let error = inspect_fixture("errors/missing_import.js", &Env::new()).err();
    // k6 throws this into init code: exit 107 like any init exception.
    assert_eq!(error.exit_code(), 107);
    let Error::Import {
        importer,
        error: ModuleError::NotFound { specifier, path },
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(importer, &url("errors/missing_import.js"));
    assert_eq!(specifier, "./nope.js");
    assert_eq!(path, &fixture("errors/nope.js"));
    assert!(error
        .to_string()
        .starts_with("The moduleSpecifier \"./nope.js\" couldn't be found on local disk."));
}

#[test]
fn a_missing_nested_import_names_its_importer() {
    let error = inspect_fixture("errors/missing_nested.js", &Env::new()).err();
    let Error::Import {
        importer,
        error: ModuleError::NotFound { specifier, .. },
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(importer, &url("errors/nested/has_missing.js"));
    assert_eq!(specifier, "../../does/not/exist.js");
}

#[test]
fn unsupported_specifiers() {
    let bare = inspect_fixture("errors/bare_import.js", &Env::new()).err();
    assert_eq!(bare.exit_code(), 107);
    assert_eq!(
        bare.to_string(),
        "The moduleSpecifier \"lodash\" couldn't be recognised as something k6 supports."
    );

    let remote = inspect_fixture("errors/remote_import.js", &Env::new()).err();
    assert!(
        matches!(
            &remote,
            Error::Import {
                error: ModuleError::Unretrievable { .. },
                ..
            }
        ),
        "{remote:?}"
    );
    assert_eq!(
        remote.to_string(),
        "The moduleSpecifier \"https://127.0.0.1:1/k6-utils/index.js\" couldn't be retrieved from the resolved url \"https://127.0.0.1:1/k6-utils/index.js\". Error : \"Get \"https://127.0.0.1:1/k6-utils/index.js\": dial tcp 127.0.0.1:1: connect: connection refused\""
    );

    let unknown = inspect_fixture("errors/unknown_builtin.js", &Env::new()).err();
    assert_eq!(unknown.to_string(), "unknown module: k6/x/nope");
}

#[test]
fn an_infinite_loop_is_interrupted_by_the_deadline() {
    let short = |config: k6r_script::Config| config.with_init_timeout(Duration::from_millis(200));
    let start = Instant::now();
    let error = inspect_fixture_with("errors/infinite_loop.js", &Env::new(), short).err();
    assert!(start.elapsed() < Duration::from_secs(20));
    assert!(
        matches!(error, Error::Timeout { after } if after == Duration::from_millis(200)),
        "{error:?}"
    );
    assert_eq!(error.exit_code(), 107);

    // Catching the interrupt does not help.
    let error = inspect_fixture_with("errors/swallowed_loop.js", &Env::new(), short).err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
}

#[test]
fn sleep_in_init_is_bounded_by_the_deadline() {
    let short = |config: k6r_script::Config| config.with_init_timeout(Duration::from_millis(100));
    let start = Instant::now();
    let error = inspect_fixture_with("errors/long_sleep.js", &Env::new(), short).err();
    assert!(start.elapsed() < Duration::from_secs(20));
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
}

#[test]
fn an_await_that_never_settles_is_reported() {
    let error = inspect_fixture("errors/stalled.js", &Env::new()).err();
    assert!(matches!(error, Error::Stalled), "{error:?}");
    assert_eq!(error.exit_code(), 107);
}

#[test]
fn deep_recursion_is_a_range_error() {
    let inspection = inspect_fixture("errors/recursion.js", &Env::new()).ok();
    assert_eq!(tag(&inspection, "caught"), "RangeError");

    let error = inspect_fixture("errors/recursion_uncaught.js", &Env::new()).err();
    assert_eq!(error.exit_code(), 107);
    assert!(error.to_string().starts_with("RangeError: "), "{error}");
}

#[test]
fn options_that_are_not_json() {
    let function = inspect_fixture("errors/options_function.js", &Env::new()).err();
    assert_eq!(function.exit_code(), 255);
    assert!(matches!(
        &function,
        Error::Options(ConvertError::Function { path }) if path == "options.scenarios.s1.exec"
    ));
    assert_eq!(
        function.to_string(),
        "error parsing script options: options.scenarios.s1.exec is a function, which can't be converted to JSON"
    );

    let cycle = inspect_fixture("errors/options_cycle.js", &Env::new()).err();
    assert!(matches!(
        &cycle,
        Error::Options(ConvertError::Cycle { path }) if path == "options.tags.self"
    ));

    let nan = inspect_fixture("errors/options_nan.js", &Env::new()).err();
    assert!(matches!(
        &nan,
        Error::Options(ConvertError::NotFinite { path, value }) if path == "options.stages[0].target" && value == "NaN"
    ));
}

#[test]
fn abort_in_init_sticks_even_when_caught() {
    let error = inspect_fixture("errors/abort.js", &Env::new()).err();
    assert_eq!(error.exit_code(), 108);
    // As in k6, the reason names where abort was called.
    let text = error.to_string();
    assert!(
        text.starts_with("test aborted: no target at file://") && text.contains("abort.js:"),
        "{text}"
    );
}

#[test]
fn host_functions_survive_bad_arguments() {
    let inspection = inspect_fixture("errors/host_bad_args.js", &Env::new()).ok();
    let results: Vec<&str> = tag(&inspection, "results").split(',').collect();
    assert_eq!(
        results,
        [
            "GoError",         // open()
            "GoError",         // open('')
            "GoError",         // open(Symbol)
            "Error",           // open(throwing toString)
            "undefined",       // sleep('abc')
            "undefined",       // sleep(-1)
            "undefined",       // sleep(NaN)
            "undefined",       // sleep(NaN)
            "undefined",       // randomSeed({})
            "GoError",         // new Counter()
            "GoError",         // new Counter(Symbol)
            "GoError",         // expectedStatuses({min: 'a'})
            "GoError",         // http.file()
            "[object Object]", // http.url()
            "GoError",         // setResponseCallback({})
            "undefined",       // console.log(throwing getter)
            "undefined",       // console.log(Object.create(null))
        ]
    );
}
