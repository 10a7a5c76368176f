//! `k6/html`: each Selection method and Element member, with the edge
//! cases k6 v1.1.0 shows (empty selections, out-of-range indexes,
//! invalid selectors matching nothing, k6's errors for bad arguments).
//! `cli/tests/html_differential.rs` compares a larger page with k6 itself.

mod common;

use std::sync::Arc;

use common::config;
use k6r_script::{inspect_with, Env, MemoryFiles, MemoryLog, Script};

const PAGE: &str = r#"<html lang="en"><head><title>T &amp; t</title></head><body>
<div id="main" class="box big" data-id="42" data-obj='{"k":[1,2]}' data-camel-key="cc">
<ul id="list"><li class="item first">One</li><li class="item" data-n="2">Two</li><li class="item special">Three <span>inner</span></li><li class="item last">Four</li></ul>
<p>Para <a id="l1" href="/rel/p?x=1#frag" rel="a b">link</a> <a id="l2" href="https://u:pw@example.com:8080/abs?q=2#top">abs</a></p>
<br><!-- note --></div>
<form id="f"><input name="user" value="alice"><input type="checkbox" name="c1" value="yes" checked><input type="checkbox" name="c2" checked="checked"><input name="dis" value="d" disabled><input type="submit" name="go" value="Go">
<select name="one"><option value="a">A</option><option selected>B</option></select><select name="many" multiple><option selected>x</option><option value="y" selected>Y</option></select><textarea name="msg">two words</textarea></form>
</body></html>"#;

/// Runs `body` in init code with `doc = parseHTML(PAGE)`; each
/// `T(name, fn)` records `JSON.stringify(fn())` (or what it threw).
fn results(body: &str) -> serde_json::Value {
    let source = format!(
        r#"import {{ parseHTML }} from 'k6/html';
const doc = parseHTML({page});
const r = {{}};
const T = (name, f) => {{ try {{ const v = f(); r[name] = v === undefined ? 'undefined' : JSON.stringify(v); }} catch (e) {{ r[name] = 'THROWS ' + String(e); }} }};
{body}
export const options = {{ tags: r }};
"#,
        page = serde_json::to_string(PAGE).unwrap()
    );
    let script = Script::new(
        Arc::new(MemoryFiles::new().with("/t/main.js", source.as_str())),
        "/t/main.js",
    );
    let log = Arc::new(MemoryLog::default());
    let inspection = inspect_with(&script, &Env::new(), &config(log)).expect("init runs");
    inspection.options["tags"].clone()
}

fn check(body: &str, expected: &[(&str, &str)]) {
    let got = results(body);
    for (name, value) in expected {
        assert_eq!(got[*name].as_str(), Some(*value), "{name}: {got}");
    }
}

#[test]
fn module_exports_parse_html_only() {
    check(
        r#"import * as html from 'k6/html';
        T('keys', () => Object.keys(html).join());
        T('default', () => typeof html.default.parseHTML);
        T('docSize', () => doc.size());
        T('url', () => doc.url);
        T('number', () => parseHTML(5).text());"#,
        &[
            ("keys", r#""default,parseHTML""#),
            ("default", r#""function""#),
            ("docSize", "1"),
            ("url", r#""""#),
            ("number", r#""5""#),
        ],
    );
}

#[test]
fn traversal_follows_goquery() {
    check(
        r#"T('find', () => doc.find('li').size());
        T('findSel', () => doc.find('ul').find(doc.find('span')).size());
        T('children', () => doc.find('ul').children('.special').text());
        T('contents', () => doc.find('#main').contents().size());
        T('parent', () => doc.find('li').parent().attr('id'));
        T('parents', () => doc.find('span').parents().size());
        T('parentsDiv', () => doc.find('span').parents('div').attr('id'));
        T('parentsUntil', () => doc.find('span').parentsUntil('body').size());
        T('closest', () => doc.find('span').closest('div').attr('id'));
        T('closestNone', () => doc.find('li').closest('table').size());
        T('next', () => doc.find('.first').next().text());
        T('nextAll', () => doc.find('.first').nextAll().size());
        T('nextUntil', () => doc.find('.first').nextUntil('.last').size());
        T('nextUntilFilter', () => doc.find('.first').nextUntil('.last', '.special').size());
        T('prev', () => doc.find('.last').prev().text());
        T('prevAllFirst', () => doc.find('.last').prevAll().first().text());
        T('prevUntil', () => doc.find('.last').prevUntil(doc.find('.first')).size());
        T('siblings', () => doc.find('.special').siblings().size());
        T('dedup', () => doc.find('div, #main, li').size());"#,
        &[
            ("find", "4"),
            ("findSel", "1"),
            ("children", r#""Three inner""#),
            ("contents", "7"),
            ("parent", r#""list""#),
            ("parents", "5"),
            ("parentsDiv", r#""main""#),
            ("parentsUntil", "3"),
            ("closest", r#""main""#),
            ("closestNone", "0"),
            ("next", r#""Two""#),
            ("nextAll", "3"),
            ("nextUntil", "2"),
            ("nextUntilFilter", "1"),
            ("prev", r#""Three inner""#),
            ("prevAllFirst", r#""Three inner""#),
            ("prevUntil", "2"),
            ("siblings", "3"),
            ("dedup", "5"),
        ],
    );
}

#[test]
fn filtering_and_indexes_handle_edges() {
    check(
        r#"T('filter', () => doc.find('li').filter('.special').text());
        T('filterFn', () => doc.find('li').filter((i) => i % 2 == 0).size());
        T('not', () => doc.find('li').not('.first').size());
        T('notFn', () => doc.find('li').not((i) => i > 0).text());
        T('is', () => doc.find('li').is('.last'));
        T('isSel', () => doc.find('li').is(doc.find('span')));
        T('has', () => doc.find('li').has('span').text());
        T('eqNeg', () => doc.find('li').eq(-1).text());
        T('eqOut', () => doc.find('li').eq(10).size());
        T('slice', () => doc.find('li').slice(1, 3).size());
        T('sliceNeg', () => doc.find('li').slice(-2).text());
        T('sliceBackwards', () => doc.find('li').slice(3, 1).size());
        T('sliceBeyond', () => doc.find('li').slice(2, 100).size());
        T('first', () => doc.find('li').first().text());
        T('last', () => doc.find('li').last().text());
        T('firstEmpty', () => doc.find('nope').first().size());
        T('add', () => doc.find('title').add('li').first().text());
        T('addSel', () => doc.find('title').add(doc.find('p')).size());
        T('end', () => doc.find('ul').find('li').end().attr('id'));
        T('endRoot', () => doc.end().size());
        T('index', () => doc.find('.special').index());
        T('indexSelector', () => doc.find('li').index('.first'));
        T('indexSelection', () => doc.find('li').index(doc.find('.last')));
        T('indexEmpty', () => doc.find('nope').index());
        T('invalid', () => doc.find('li[').size());
        T('invalidFilter', () => doc.find('li').filter('###').size());
        T('pseudo', () => doc.find('li:nth-child(2n)').size());"#,
        &[
            ("filter", r#""Three inner""#),
            ("filterFn", "2"),
            ("not", "3"),
            ("notFn", r#""One""#),
            ("is", "true"),
            ("isSel", "false"),
            ("has", r#""Three inner""#),
            ("eqNeg", r#""Four""#),
            ("eqOut", "0"),
            ("slice", "2"),
            ("sliceNeg", r#""Three innerFour""#),
            ("sliceBackwards", "0"),
            ("sliceBeyond", "2"),
            ("first", r#""One""#),
            ("last", r#""Four""#),
            ("firstEmpty", "0"),
            ("add", r#""T & t""#),
            ("addSel", "2"),
            ("end", r#""list""#),
            ("endRoot", "0"),
            ("index", "2"),
            ("indexSelector", "0"),
            ("indexSelection", "3"),
            ("indexEmpty", "-1"),
            ("invalid", "0"),
            ("invalidFilter", "0"),
            ("pseudo", "2"),
        ],
    );
}

#[test]
fn bad_arguments_get_k6s_errors() {
    check(
        r#"T('filter', () => doc.find('li').filter(123));
        T('filterNone', () => doc.find('li').filter());
        T('is', () => doc.find('li').is(true));
        T('not', () => doc.find('li').not(1.5));
        T('find', () => doc.find(1));
        T('findNone', () => doc.find());
        T('add', () => doc.find('li').add({}));
        T('has', () => doc.find('li').has([]));
        T('each', () => doc.find('li').each(1));
        T('map', () => doc.find('li').map('x'));"#,
        &[
            ("filter", "THROWS GoError: the argument to filter() must be a function, a selector or a selection"),
            ("filterNone", "THROWS GoError: the argument to filter() must be a function, a selector or a selection"),
            ("is", "THROWS GoError: the argument to is() must be a function, a selector or a selection"),
            ("not", "THROWS GoError: invalid argument, cannot use a 'float64' as a selector"),
            ("find", "THROWS GoError: invalid argument, cannot use a 'int64' as a selector"),
            ("findNone", "THROWS GoError: invalid argument, cannot use a '<nil>' as a selector"),
            ("add", "THROWS GoError: invalid argument, cannot use a 'map[string]interface {}' as a selector"),
            ("has", "THROWS GoError: invalid argument, cannot use a '[]interface {}' as a selector"),
            ("each", "THROWS GoError: the argument to each() must be a function"),
            ("map", "THROWS GoError: the argument to map() must be a function"),
        ],
    );
}

#[test]
fn values_read_text_html_attributes_and_data() {
    check(
        r#"T('text', () => doc.find('li').text());
        T('textEmpty', () => doc.find('nope').text());
        T('html', () => doc.find('li').eq(2).html());
        T('htmlVoid', () => doc.find('#main').html().includes('<br/>'));
        T('htmlEmpty', () => doc.find('nope').html());
        T('attr', () => doc.find('li').attr('class'));
        T('attrMissing', () => doc.find('li').attr('zz'));
        T('attrDefault', () => doc.find('nope').attr('zz', 'd'));
        T('data', () => doc.find('#main').data());
        T('dataKey', () => doc.find('#main').data('camelKey'));
        T('dataNumber', () => doc.find('li').eq(1).data('n'));
        T('dataEmpty', () => doc.find('nope').data());
        T('get', () => doc.find('li').get(-1).textContent());
        T('getOut', () => doc.find('li').get(10));
        T('getAll', () => doc.find('li').get().length);
        T('toArray', () => doc.find('li').toArray().map((s) => s.text()));
        T('each', () => { const seen = []; const back = doc.find('li').each((i, e) => seen.push(i + e.nodeName())); return [seen, back.size()]; });
        T('map', () => doc.find('li').map((i, s) => i == 1 ? undefined : s.text()));
        T('mapThrows', () => doc.find('li').map((i, s) => { if (i < 3) throw new Error('x'); return i; }));"#,
        &[
            ("text", r#""OneTwoThree innerFour""#),
            ("textEmpty", r#""""#),
            ("html", r#""Three <span>inner</span>""#),
            ("htmlVoid", "true"),
            ("htmlEmpty", r#""""#),
            ("attr", r#""item first""#),
            ("attrMissing", "undefined"),
            ("attrDefault", r#""d""#),
            ("data", r#"{"id":42,"obj":{"k":[1,2]},"camelKey":"cc"}"#),
            ("dataKey", r#""cc""#),
            ("dataNumber", "2"),
            ("dataEmpty", "undefined"),
            ("get", r#""Four""#),
            ("getOut", "undefined"),
            ("getAll", "4"),
            ("toArray", r#"["One","Two","Three inner","Four"]"#),
            ("each", r#"[["0li","1li","2li","3li"],4]"#),
            ("map", r#"["One",null,"Three inner","Four"]"#),
            ("mapThrows", "[3]"),
        ],
    );
}

#[test]
fn forms_serialize_as_k6_does() {
    check(
        r#"T('val', () => [doc.find('[name=user]').val(), doc.find('[name=one]').val(), doc.find('[name=many]').val(), doc.find('textarea').val(), doc.find('[name=c2]').val()]);
        T('valOther', () => doc.find('div').val());
        T('array', () => doc.find('form').serializeArray());
        T('object', () => doc.find('form').serializeObject());
        T('string', () => doc.find('form').serialize());
        T('inputs', () => doc.find('input').serialize());
        T('empty', () => doc.find('nope').serializeArray());"#,
        &[
            ("val", r#"["alice","B",["x","y"],"two words","on"]"#),
            ("valOther", "undefined"),
            (
                "array",
                r#"[{"name":"user","value":"alice"},{"name":"c2","value":"on"},{"name":"dis","value":"d"},{"name":"one","value":"B"},{"name":"many","value":["x","y"]},{"name":"msg","value":"two words"}]"#,
            ),
            (
                "object",
                r#"{"user":"alice","c2":"on","dis":"d","one":"B","many":["x","y"],"msg":"two words"}"#,
            ),
            (
                "string",
                r#""c2=on&dis=d&many=x&many=y&msg=two+words&one=B&user=alice""#,
            ),
            ("inputs", r#""c2=on&dis=d&user=alice""#),
            ("empty", "[]"),
        ],
    );
}

#[test]
fn elements_have_k6s_members() {
    check(
        r#"const m = doc.find('#main').get(0);
        const li = doc.find('li').get(2);
        const a = doc.find('#l1').get(0);
        const b = doc.find('#l2').get(0);
        T('names', () => [m.nodeName(), m.nodeType(), m.id(), m.className(), m.classList(), m.lang(), li.id(), li.className()]);
        T('tree', () => [li.childElementCount(), li.childNodes().length, li.firstChild().nodeName(), li.lastElementChild().nodeName(), li.parentElement().id(), li.nextElementSibling().textContent(), li.previousSibling().textContent()]);
        T('none', () => [doc.find('span').get(0).firstElementChild(), doc.find('html').get(0).parentElement()]);
        T('doc', () => { const d = doc.get(0); return [d.nodeName(), d.nodeType(), d.parentNode(), li.ownerDocument().nodeType()]; });
        T('text', () => { const t = li.firstChild(); return [t.nodeType(), t.nodeValue(), t.textContent()]; });
        T('attrs', () => [m.getAttribute('id'), m.getAttribute('zz'), m.hasAttribute('class'), m.hasAttributes(), m.getAttributeNode('zz'), m.getAttributeNode('id').value]);
        T('attributes', () => Object.keys(m.attributes()));
        T('html', () => li.innerHTML());
        T('query', () => [m.querySelector('.special').textContent(), m.querySelector('table'), m.querySelectorAll('li').length, m.querySelector('[[')]);
        T('matches', () => [li.matches('.special'), li.matches('div'), li.matches('[[')]);
        T('byClass', () => m.getElementsByClassName('item special').map((e) => e.textContent()));
        T('byTag', () => m.getElementsByTagName('a').length);
        T('same', () => [m.contains(li), li.contains(m), li.isSameNode(doc.find('.special').get(0)), li.isEqualNode(m)]);
        T('ns', () => [m.namespaceURI(), m.isDefaultNamespace()]);
        T('string', () => String(li));
        T('selection', () => li.selection().text());
        T('relative', () => [a.href(), a.protocol(), a.host(), a.origin(), a.pathname(), a.search(), a.hash(), a.rel(), a.relList(), a.text(), a.target()]);
        T('absolute', () => [b.protocol(), b.host(), b.hostname(), b.port(), b.origin(), b.username(), b.password(), b.pathname(), b.search(), b.hash()]);
        T('notLink', () => typeof m.href);"#,
        &[
            (
                "names",
                r#"["div",1,"main","box big",["box","big"],null,"","item special"]"#,
            ),
            ("tree", r##"[1,2,"#text","span","list","Four","Two"]"##),
            ("none", "[null,null]"),
            ("doc", r##"["#document",9,null,9]"##),
            ("text", r#"[3,"Three ","Three "]"#),
            ("attrs", r#"["main",null,true,true,null,"main"]"#),
            (
                "attributes",
                r#"["id","class","data-id","data-obj","data-camel-key"]"#,
            ),
            ("html", r#""Three <span>inner</span>""#),
            ("query", r#"["Three inner",null,4,null]"#),
            ("matches", "[true,false,false]"),
            ("byClass", r#"["Three inner"]"#),
            ("byTag", "2"),
            ("same", "[true,false,true,false]"),
            ("ns", r#"["http://www.w3.org/1999/xhtml",true]"#),
            ("string", r#""[object html.Node]""#),
            ("selection", r#""Three inner""#),
            (
                "relative",
                r##"["/rel/p?x=1#frag",":","","","/rel/p","?x=1","#frag","a b",["a","b"],"link",""]"##,
            ),
            (
                "absolute",
                r##"["https","example.com:8080","example.com","8080","https://example.com:8080","u","pw","/abs","?q=2","#top"]"##,
            ),
            ("notLink", r#""undefined""#),
        ],
    );
}

#[test]
fn form_elements_have_their_own_members() {
    check(
        r#"const input = doc.find('[name=user]').get(0);
        const box = doc.find('[name=c1]').get(0);
        const one = doc.find('[name=one]').get(0);
        const many = doc.find('[name=many]').get(0);
        const form = doc.find('form').get(0);
        T('input', () => [input.name(), input.type(), input.value(), input.disabled(), input.maxLength(), input.size(), input.autocomplete(), input.form().id(), input.formMethod(), input.formEnctype(), input.labels(), input.list()]);
        T('checkbox', () => [box.checked(), box.defaultChecked(), doc.find('[name=dis]').get(0).disabled()]);
        T('form', () => [form.method(), form.action(), form.enctype(), form.length, form.length(), form.elements().length, typeof form.value]);
        T('select', () => [one.type(), one.value(), one.length(), one.selectedIndex(), one.options().length, one.size(), many.type(), many.selectedOptions().length]);
        T('option', () => { const o = one.options()[1]; return [o.value(), o.text(), o.label(), o.selected(), o.index(), o.form().id()]; });
        T('textarea', () => { const t = doc.find('textarea').get(0); return [t.type(), t.value(), t.wrap(), t.rows(), typeof t.name]; });
        T('plain', () => typeof doc.find('#main').get(0).value);"#,
        &[
            (
                "input",
                r#"["user","text","alice",false,-1,0,"on","f","get","application/x-www-form-urlencoded",[],null]"#,
            ),
            ("checkbox", "[true,true,true]"),
            (
                "form",
                r#"["get","","application/x-www-form-urlencoded",null,8,8,"undefined"]"#,
            ),
            ("select", r#"["select","B",2,1,2,1,"select-multiple",2]"#),
            ("option", r#"["B","B","B",true,1,"f"]"#),
            ("textarea", r#"["textarea","","soft",0,"undefined"]"#),
            ("plain", r#""undefined""#),
        ],
    );
}

#[test]
fn table_and_list_elements_have_their_own_members() {
    let body = r#"const t = parseHTML('<table><caption>c</caption><thead><tr><th scope="col">h</th></tr></thead><tbody><tr><td>1</td><td colspan="2">2</td></tr></tbody></table><ol reversed><li value="4">x</li></ol>');
        const table = t.find('table').get(0);
        const td = t.find('td').eq(1).get(0);
        T('table', () => [table.caption().textContent(), table.rows().length, table.tBodies().length, table.tHead().nodeName(), table.tFoot()]);
        T('row', () => { const r = t.find('tbody tr').get(0); return [r.cells().length, r.rowIndex(), r.sectionRowIndex()]; });
        T('cell', () => [td.cellIndex(), td.colSpan(), td.rowSpan(), t.find('th').get(0).scope()]);
        T('list', () => [t.find('ol').get(0).reversed(), t.find('li').get(0).value(), t.find('li').get(0).type()]);"#;
    check(
        body,
        &[
            ("table", r#"["c",2,1,"thead",null]"#),
            ("row", "[2,1,0]"),
            ("cell", r#"[1,2,1,"col"]"#),
            ("list", r#"[true,4,""]"#),
        ],
    );
}
