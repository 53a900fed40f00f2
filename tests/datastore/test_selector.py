"""Selector grammar, evaluation and canonical form, with cases from libcalico-go's own tests."""
import pytest

from datastore.selector import (
    AndNode,
    EqNode,
    HasNode,
    InNode,
    NotNode,
    OrNode,
    Selector,
    SelectorParseError,
    Tok,
    parse,
    tokenize,
)

# (selector, label sets that match, label sets that do not) — libcalico-go parser_test.go.
EVALUATION_CASES = [
    ('a == "b"', [{"a": "b"}, {"a": "b", "c": "d"}], [{}, {"a": "c"}, {"c": "d"}]),
    ('a == "b" && c == "d"', [{"a": "b", "c": "d"}],
     [{}, {"a": "b", "c": "e"}, {"a": "c", "c": "d"}, {"c": "d"}, {"a": "b"}]),
    ('a == "b" || c == "d"', [{"a": "b", "c": "d"}, {"a": "b"}, {"c": "d"}],
     [{}, {"a": "e", "c": "e"}, {"c": "e"}, {"a": "e"}]),
    ("a in {\"'\", '\"', \"c\"}", [{"a": "c"}, {"a": '"'}, {"a": "'"}], [{}, {"a": "e"}]),
    ("a not in {\"'\", '\"', \"c\"}", [{}, {"a": "e"}], [{"a": "c"}, {"a": '"'}, {"a": "'"}]),
    ("a == 'a'", [{"a": "a"}], [{"a": "b"}, {}]),
    ('a == "a"', [{"a": "a"}], []),
    ('a != "b"', [{"a": "a"}], []),
    ('a != "a"', [{}], [{"a": "a"}]),
    ("a != 'a'", [], [{"a": "a"}]),
    ('a contains "a"', [{"a": "a"}, {"a": "bab"}, {"a": "aaa", "b": "c"}], [{}, {"a": "b"}, {"b": "aaa"}]),
    ('a starts with "a"', [{"a": "a"}, {"a": "abb"}, {"a": "aaa", "b": "c"}],
     [{}, {"a": "b"}, {"a": "baa"}, {"b": "aaa"}]),
    ('a ends with "a"', [{"a": "a"}, {"a": "bba"}, {"a": "aaa", "b": "c"}],
     [{}, {"a": "b"}, {"a": "aab"}, {"b": "aaa"}]),
    ('a in {"a"}', [{"a": "a"}], [{"a": "b"}]),
    ('!a in {"a"}', [{"a": "b"}], []),
    ('a in {"a", "b"}', [{"a": "a"}, {"a": "b"}], [{"a": "c"}]),
    ('a not in {"d", "e"}', [{"a": "a"}], []),
    ('a not in {"a"}', [], [{"a": "a"}]),
    ("a in {}", [], [{}, {"a": ""}]),
    ("a not in {}", [{}, {"a": ""}], []),
    ('a in {"a",}', [{"a": "a"}], [{"a": ""}]),
    ("has(a)", [{"a": "b"}, {"a": ""}], []),
    ("!has(a)", [{"b": "b"}], [{"a": "b"}]),
    ("has(b)", [], [{"a": "b"}]),
    ("!!has(b)", [], [{"a": "b"}]),
    ("! has(a)", [], [{"a": "b"}]),
    ("!!! has(a)", [], [{"a": "b"}]),
    ("!!!has(a)", [], [{"a": "b"}]),
    ("!! ! has(a)", [], [{"a": "b"}]),
    ("! !!has(a)", [], [{"a": "b"}]),
    ("", [{}, {"a": "b"}], []),
    (" ", [{}], []),
    ("all()", [{}], []),
    (" all()", [{}, {"a": "b"}], []),
    ("global()", [{}], []),
    (" global()", [{}, {"a": "b"}], []),
    ("a == 'a1' && b == 'b1'", [{"a": "a1", "b": "b1"}], []),
    ("a == 'a1' && b != 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("a != 'a1' && b == 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("a != 'a1' && b != 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("a != 'a1' && !b == 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("!a == 'a1' && b == 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("has(a) && !has(b)", [{"a": "a"}], []),
    ("!has(b) && has(a)", [{"a": "a"}], []),
    ("!(!has(a) || has(b))", [{"a": "a"}], []),
    ("!(has(b) || !has(a))", [{"a": "a"}], []),
    ("a == 'a1' || b == 'b1'", [{"a": "a1", "b": "b1"}], []),
    ("a == 'a1' || b != 'b1'", [{"a": "a1", "b": "b1"}], []),
    ("a != 'a1' || b == 'b1'", [{"a": "a1", "b": "b1"}], []),
    ("a != 'a1' || b != 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("! a == 'a1' || ! b == 'b1'", [], [{"a": "a1", "b": "b1"}]),
    # Precedence: && binds tighter than ||, ! tighter than both.
    ("has(a) || has(b) && has(c)", [{"a": "1"}, {"b": "1", "c": "1"}], [{"b": "1"}, {}]),
    ("(has(a) || has(b)) && has(c)", [{"a": "1", "c": "1"}], [{"a": "1"}, {"b": "1"}]),
    ("!has(a) && has(b)", [{"b": "1"}], [{"a": "1", "b": "1"}]),
    ("has(a) && has(b) && has(c) || has(d) || has(e)", [{"a": "", "b": "", "c": ""}, {"e": ""}],
     [{"a": "", "b": ""}]),
    # Real-world label keys with a prefix.
    ('projectcalico.org/orchestrator == "k8s" && k8s-app == "kube-dns"',
     [{"projectcalico.org/orchestrator": "k8s", "k8s-app": "kube-dns"}],
     [{"projectcalico.org/orchestrator": "k8s"}]),
    ('calico/k8s_NS-.1/role == "x"', [{"calico/k8s_NS-.1/role": "x"}], [{"calico/k8s_NS-.1/role": "y"}]),
    # Keywords are ordinary labels where a label is expected.
    ('contains contains "contains"', [{"contains": "xcontainsx"}], [{"contains": "x"}]),
    ('all == "x" && has == "y" && global == "z"', [{"all": "x", "has": "y", "global": "z"}], [{"all": "x"}]),
    ('startswith starts with "v"', [{"startswith": "value"}], [{"startswith": "x"}]),
    ('a notin{"b"}&&!has(c)', [{"a": "x"}, {}], [{"a": "b"}, {"c": ""}]),
]


@pytest.mark.parametrize("text,matches,non_matches", EVALUATION_CASES)
def test_evaluation(text, matches, non_matches):
    selector = parse(text)
    canonical = parse(str(selector))
    for labels in matches:
        assert selector.evaluate(labels), (text, labels)
        assert canonical.evaluate(labels), (str(selector), labels)
    for labels in non_matches:
        assert not selector.evaluate(labels), (text, labels)
        assert not canonical.evaluate(labels), (str(selector), labels)


# (input, canonical String(), UniqueID or "") — libcalico-go canonicalisationTests.
CANONICAL_CASES = [
    ("", "all()", "s:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug"),
    (" all() ", "all()", "s:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug"),
    (" (all() )", "all()", "s:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug"),
    ("! (has( b)||! has(a ))", "!(has(b) || !has(a))", "s:Iss0uCleLYv1GSv_pNm7hAO58kE9jAx1NKyG3Q"),
    ('! (a == "b"&&! c != "d")', '!(a == "b" && !c != "d")', "s:lh3haoY1ikTRkd4UZu0nWSaIBknYLPJLX16d-w"),
    ("a == \"'\"", "a == \"'\"", ""),
    ("a == '\"'", "a == '\"'", ""),
    ("a contains '\"'", "a contains '\"'", ""),
    ("a contains \"'\"", "a contains \"'\"", ""),
    ("a startswith '\"'", "a starts with '\"'", ""),
    ("a endswith \"'\"", "a ends with \"'\"", ""),
    ("a!='\"'", "a != '\"'", ""),
    ('a in {"d"}', 'a in {"d"}', ""),
    ('a in {"a", "b"}', 'a in {"a", "b"}', ""),
    ('a in {"d", "a", "b"}', 'a in {"a", "b", "d"}', ""),
    ('a in {"z", "x", "y", "a"}', 'a in {"a", "x", "y", "z"}', ""),
    ('a in {"z", "z", "x", "y", "x", "a"}', 'a in {"a", "x", "y", "z"}', ""),
    # Visitor-test shapes (without the prefix) and more.
    ("k == 'v' && x == 'y'", '(k == "v" && x == "y")', ""),
    ("k == 'v' || has(x)", '(k == "v" || has(x))', ""),
    ("!(k == 'v')", '!k == "v"', ""),
    ("k not in {'v'}", 'k not in {"v"}', ""),
    ("!(!(k == 'v' && has(t) || all()) && (a in {'b', 'c'}))",
     '!(!((k == "v" && has(t)) || all()) && a in {"b", "c"})', ""),
    ("a not  in {}", "a not in {}", ""),
    ("a starts  with 'x'", 'a starts with "x"', ""),
    ("a == 'b' && c == 'd' && e == 'f'", '(a == "b" && c == "d" && e == "f")', ""),
    ("(a == 'b' && c == 'd') && e == 'f'", '((a == "b" && c == "d") && e == "f")', ""),
    ("global()", "global()", ""),
    ("\thas(a)\t", "has(a)", ""),
    ("a in {'x', \"x\"}", 'a in {"x"}', ""),
    ("a == ''", 'a == ""', ""),
    ('a == "ü ñ"', 'a == "ü ñ"', ""),
]


@pytest.mark.parametrize("text,expected,unique_id", CANONICAL_CASES)
def test_canonical_form(text, expected, unique_id):
    selector = parse(text)
    assert str(selector) == expected
    again = parse(expected)
    assert str(again) == expected
    assert again.unique_id == selector.unique_id
    if unique_id:
        assert selector.unique_id == unique_id


def test_double_negation_through_parentheses_matches_go_string():
    # Go keeps NotNode(NotNode(x)) and prints "!!x"; re-parsing collapses it, as in Go.
    selector = parse('!(!a == "b")')
    assert str(selector) == '!!a == "b"'
    assert str(parse(str(selector))) == 'a == "b"'
    assert selector.evaluate({"a": "b"}) and not selector.evaluate({"a": "c"})


def test_ast_shape_and_precedence():
    root = parse("!has(a) || b == 'c' && d in {'f', 'e'}").root
    assert root == OrNode((NotNode(HasNode("a")), AndNode((EqNode("b", "c"), InNode("d", ("e", "f"))))))


def test_selector_equality_and_hash_follow_canonical_form():
    first, second = parse("a=='b'&&c=='d'"), parse('(a == "b" && c == "d")')
    assert first == second and hash(first) == hash(second)
    assert first != parse("a == 'b'")
    assert len({first, second}) == 1
    assert repr(first) == "Selector('(a == \"b\" && c == \"d\")')"
    assert isinstance(first, Selector)


def test_evaluate_accepts_any_mapping():
    from types import MappingProxyType

    assert parse("a in {'x'} && !has(z)").evaluate(MappingProxyType({"a": "x"}))


# (input, libcalico-go v3.29 error text, 0-based position) — badSelectors from parser_test.go and more.
# Tokens print as Go's %v of the token struct: {kind value}, kinds numbered 1 (label) .. 21 (EOF).
ERROR_CASES = [
    ("b == b", "Expected string", 5),
    ("b contains b", "Expected string", 11),
    ("b starts with b", "Expected string", 14),
    ("b ends with b", "Expected string", 12),
    ("'b1' == b", "Unexpected token: {2 b1}", 0),
    ("b", "Unexpected end of string in middle of op[{1 b} {21 <nil>}]", 1),
    ("a b", "unexpected characters after label 'a', was expecting an operator", 2),
    ("!", "Unexpected token: {21 <nil>}", 1),
    ('foo == "bar" &', "expected &&", 13),
    ('foo == "bar" |', "expected ||", 13),
    ("foo != ||", "Expected string", 7),
    ('foo in {"", ||', "Expected }", 12),
    ('foo in ""', "Expected set literal", 7),
    ('"FOO', "unterminated string", 0),
    ("\"FOO'", "unterminated string", 0),
    ("'FOO", "unterminated string", 0),
    ("(", "Unexpected token: {21 <nil>}", 1),
    ('(a == "foo"', "Expected )", 11),
    (")", "Unexpected token: {17 <nil>}", 0),
    ("()", "Unexpected token: {17 <nil>}", 1),
    ("%", "unexpected characters", 0),
    ('a == "b" && %', "unexpected characters", 12),
    ('a == "b" || %', "unexpected characters", 12),
    ("a ", "Unexpected end of string in middle of op[{1 a} {21 <nil>}]", 2),
    ("has(foo) &&", "Unexpected token: {21 <nil>}", 11),
    ("a = 'b'", "expected ==", 2),
    ("label starts foo 'value'", "unexpected characters after label 'label', was expecting an operator", 6),
    ("label ends foo 'value'", "unexpected characters after label 'label', was expecting an operator", 6),
    ("label not foo 'value'", "unexpected characters after label 'label', was expecting an operator", 6),
    ("label squiggles 'value'", "unexpected characters after label 'label', was expecting an operator", 6),
    ("label inx {'a'}", "unexpected characters after label 'label', was expecting an operator", 6),
    ('a == "b" )', "unexpected content at end of selector [{17 <nil>} {21 <nil>}]", 9),
    ('a == "b" has(c)', "unexpected content at end of selector [{15 c} {21 <nil>}]", 9),
    ("a && b == 'c'", "Expected == or != not {18 <nil>}", 2),
    ("a (", "Expected == or != not {16 <nil>}", 2),
    ("a contains'x'y", "unexpected content at end of selector [{1 y} {21 <nil>}]", 13),
    ("a in {,}", "Expected }", 6),
    ("a in {'x' 'y'}", "Expected }", 10),
    ("a in {", "Expected }", 6),
    ("a in b", "Expected set literal", 5),
    # has( / all( / global( that do not close are read as a label followed by "(".
    ("has()", "Expected == or != not {16 <nil>}", 3),
    ("has(a", "Expected == or != not {16 <nil>}", 3),
    ("has(a b)", "unexpected characters after label 'a', was expecting an operator", 6),
    ("all(x)", "Expected == or != not {16 <nil>}", 3),
    ("global(", "Expected == or != not {16 <nil>}", 6),
    ("global", "Unexpected end of string in middle of op[{1 global} {21 <nil>}]", 6),
    ("a == 'b'\nb == 'c'", "unexpected characters", 8),
    # A label is at most 512 characters: a longer run reads as two labels.
    ("x" * 513 + " == 'a'", "unexpected characters after label '" + "x" * 512 + "', was expecting an operator", 512),
    ("has(" + "x" * 513 + ")", "unexpected characters after label '" + "x" * 512 + "', was expecting an operator",
     516),
]


@pytest.mark.parametrize("text,reason,position", ERROR_CASES)
def test_syntax_errors(text, reason, position):
    with pytest.raises(SelectorParseError) as info:
        parse(text)
    err = info.value
    assert (err.reason, err.position) == (reason, position)
    assert str(err) == err.message == f"{reason} (at position {position})"
    assert isinstance(err, ValueError)


def test_nesting():
    assert str(parse("(" * 100 + "has(a)" + ")" * 100)) == "has(a)"
    assert parse("!(" * 50 + "has(a)" + ")" * 50).evaluate({}) is False
    with pytest.raises(SelectorParseError) as info:
        parse("(" * 5000 + "all()" + ")" * 5000)
    assert info.value.reason == "selector is nested too deeply"


def test_longest_allowed_label():
    label = "x" * 512
    assert parse(f"has({label})").evaluate({label: ""})
    assert parse(f"{label} == 'v'").evaluate({label: "v"})


# Token streams from libcalico-go tokenizer_test.go.
TOKEN_CASES = [
    ('a=="b"', [(Tok.LABEL, "a"), (Tok.EQ, None), (Tok.STRING, "b")]),
    ('label contains"value"', [(Tok.LABEL, "label"), (Tok.CONTAINS, None), (Tok.STRING, "value")]),
    ('endswith ends with "value"', [(Tok.LABEL, "endswith"), (Tok.ENDS_WITH, None), (Tok.STRING, "value")]),
    ('label ends  with "value"', [(Tok.LABEL, "label"), (Tok.ENDS_WITH, None), (Tok.STRING, "value")]),
    ('a not in "bar" && !has(foo) || b in c',
     [(Tok.LABEL, "a"), (Tok.NOT_IN, None), (Tok.STRING, "bar"), (Tok.AND, None), (Tok.NOT, None),
      (Tok.HAS, "foo"), (Tok.OR, None), (Tok.LABEL, "b"), (Tok.IN, None), (Tok.LABEL, "c")]),
    ('a  not  in  "bar"  &&  ! has( foo )  ||  b  in  c ',
     [(Tok.LABEL, "a"), (Tok.NOT_IN, None), (Tok.STRING, "bar"), (Tok.AND, None), (Tok.NOT, None),
      (Tok.HAS, "foo"), (Tok.OR, None), (Tok.LABEL, "b"), (Tok.IN, None), (Tok.LABEL, "c")]),
    ('a notin"bar"&&!has(foo)||b in"c"',
     [(Tok.LABEL, "a"), (Tok.NOT_IN, None), (Tok.STRING, "bar"), (Tok.AND, None), (Tok.NOT, None),
      (Tok.HAS, "foo"), (Tok.OR, None), (Tok.LABEL, "b"), (Tok.IN, None), (Tok.STRING, "c")]),
    ('a not in {"a","B"}',
     [(Tok.LABEL, "a"), (Tok.NOT_IN, None), (Tok.LBRACE, None), (Tok.STRING, "a"), (Tok.COMMA, None),
      (Tok.STRING, "B"), (Tok.RBRACE, None)]),
    ("has(calico/k8s_NS-.1/role)", [(Tok.HAS, "calico/k8s_NS-.1/role")]),
    ("global()", [(Tok.GLOBAL, None)]),
    ("all( )", [(Tok.ALL, None)]),
    ("a!='x'", [(Tok.LABEL, "a"), (Tok.NE, None), (Tok.STRING, "x")]),
    ("a starts\twith 'x'", [(Tok.LABEL, "a"), (Tok.STARTS_WITH, None), (Tok.STRING, "x")]),
    ("a in-b", [(Tok.LABEL, "a"), (Tok.IN, None), (Tok.LABEL, "-b")]),
    ("a containsx", [(Tok.LABEL, "a"), (Tok.CONTAINS, None), (Tok.LABEL, "x")]),
    ("has == 'x'", [(Tok.LABEL, "has"), (Tok.EQ, None), (Tok.STRING, "x")]),
]


@pytest.mark.parametrize("text,expected", TOKEN_CASES)
def test_tokenizer(text, expected):
    tokens = tokenize(text)
    assert [(t.kind, t.value) for t in tokens] == expected + [(Tok.EOF, None)]
    assert tokens[-1].pos == len(text)


def test_token_positions():
    assert [t.pos for t in tokenize(" a  ==  'b' ")] == [1, 4, 8, 12]
