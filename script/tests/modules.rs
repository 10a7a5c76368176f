//! Every built-in module imports and behaves as k6's does in init code.

mod common;

use common::{inspect_fixture, tag};
use k6r_script::Env;

#[test]
fn every_builtin_module_is_importable_with_k6s_init_behaviour() {
    let inspection = inspect_fixture("modules/all.js", &Env::new()).ok();
    let expect = [
        ("k6", "sleep:function,check:function,group:function,fail:function,randomSeed:function"),
        ("named", "ok"),
        ("http", "request:function,get:function,post:function,put:function,patch:function,del:function,head:function,options:function,batch:function,expectedStatuses:function,setResponseCallback:function,cookieJar:function,file:function"),
        ("httpNamed", "ok"),
        ("metrics", "Counter:function,Gauge:function,Rate:function,Trend:function"),
        ("counter", "{\"name\":\"my_counter\"} name,add"),
        ("trend", "my_trend"),
        ("exec", "object instance,scenario,test,vu options,abort,fail"),
        ("execVu", "GoError: getting VU information in the init context is not supported"),
        ("execScenario", "GoError: getting scenario information outside of the VU context is not supported"),
        ("execInstance", "GoError: getting instance information in the init context is not supported"),
        ("execOptions", "GoError: getting test options in the init context is not supported"),
        ("execFail", "GoError: execution.test.fail() called outside of VU context"),
        ("check", "GoError: Using check() in the init context is not supported"),
        ("group", "GoError: Using group() in the init context is not supported"),
        ("batch", "GoError: Using batch in the init context is not supported"),
        ("cookieJar", "GoError: Making cookie jars in the init context is not supported"),
        ("request", "GoError: Making http requests in the init context is not supported"),
        ("post", "GoError: Making http requests in the init context is not supported"),
        ("fail", "GoError: stop here"),
        ("add", "GoError: Adding to metrics in the init context is not supported"),
        ("badName", "GoError: Invalid metric name: 'bad name'. Metric names must only include up to 128 ASCII letters, numbers, or underscores and start with a letter or an underscore."),
        ("redefined", "GoError: metric 'my_counter' already exists but with type counter, instead of gauge"),
        ("badStatuses", "GoError: argument number 1 to expectedStatuses was neither an integer nor an object like {min:100, max:329}"),
        ("badCallback", "GoError: unsupported argument, expected http.expectedStatuses"),
        ("expected", "{}"),
        ("file", "{\"data\":\"abc\",\"filename\":\"f.txt\",\"content_type\":\"application/octet-stream\"}"),
        ("tls", "tls1.3"),
        ("seeded", "true"),
        ("global", "true"),
        // k6's `require`, as k6 has it.
        ("require", "function"),
    ];
    for (name, value) in expect {
        assert_eq!(tag(&inspection, name), value, "tag {name}");
    }
}
