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


# (input, libcalico-go error text, 0-based position) — badSelectors from parser_test.go and more.
ERROR_CASES = [
    ("b == b", "expected string", 5),
    ("b contains b", "expected string", 11),
    ("b starts with b", "expected string", 14),
    ("b ends with b", "expected string", 12),
    ("'b1' == b", "unexpected token: TokStringLiteral(b1)", 0),
    ("b", "unexpected end of string looking for op", 1),
    ("a b", "unexpected characters after label 'a', was expecting an operator", 2),
    ("!", "unexpected token: TokEOF()", 1),
    ('foo == "bar" &', "expected &&", 13),
    ('foo == "bar" |', "expected ||", 13),
    ("foo != ||", "expected string", 7),
    ('foo in {"", ||', "expected }", 12),
    ('foo in ""', "expected set literal", 7),
    ('"FOO', "unterminated string", 0),
    ("\"FOO'", "unterminated string", 0),
    ("'FOO", "unterminated string", 0),
    ("(", "unexpected token: TokEOF()", 1),
    ('(a == "foo"', "expected )", 11),
    (")", "unexpected token: TokRParen()", 0),
    ("()", "unexpected token: TokRParen()", 1),
    ("%", "unexpected characters", 0),
    ('a == "b" && %', "unexpected characters", 12),
    ('a == "b" || %', "unexpected characters", 12),
    ("a ", "unexpected end of string looking for op", 2),
    ("has(foo) &&", "unexpected token: TokEOF()", 11),
    ("a = 'b'", "expected ==", 2),
    ("label starts foo 'value'", "unexpected characters after label 'label', was expecting an operator", 6),
    ("label ends foo 'value'", "unexpected characters after label 'label', was expecting an operator", 6),
    ("label not foo 'value'", "unexpected characters after label 'label', was expecting an operator", 6),
    ("label squiggles 'value'", "unexpected characters after label 'label', was expecting an operator", 6),
    ('a == "b" )', "unexpected content at end of selector [TokRParen() TokEOF()]", 9),
    ('a == "b" has(c)', "unexpected content at end of selector [TokHas(c) TokEOF()]", 9),
    ("a && b == 'c'", "expected == or != not: TokAnd()", 2),
    ("a (", "expected == or != not: TokLParen()", 2),
    ("a in {,}", "expected }", 6),
    ("a in {'x' 'y'}", "expected }", 10),
    ("a in {", "expected }", 6),
    ("a in b", "expected set literal", 5),
    ("has()", "no label name in has( expression", 0),
    ("has(a", "no closing ')' after has(", 0),
    ("has(a b)", "no closing ')' after has(", 0),
    ("all(x)", "no closing ')' after all(", 0),
    ("global(", "no closing ')' after global(", 0),
    ("a == 'b'\nb == 'c'", "unexpected characters", 8),
    ("x" * 513 + " == 'a'", "label too long: " + "x" * 513, 0),
    ("has(" + "x" * 513 + ")", "label too long: " + "x" * 513, 4),
]


@pytest.mark.parametrize("text,reason,position", ERROR_CASES)
def test_syntax_errors(text, reason, position):
    with pytest.raises(SelectorParseError) as info:
        parse(text)
    err = info.value
    assert (err.reason, err.position) == (reason, position)
    assert str(err) == err.message == f"{reason} (at position {position})"
    assert isinstance(err, ValueError)


def test_longest_allowed_label():
    label = "x" * 512
    assert parse(f"has({label})").evaluate({label: ""})


# Token streams from libcalico-go tokenizer_test.go.
TOKEN_CASES = [
    ('a=="b"', [(Tok.LABEL, "a"), (Tok.EQ, ""), (Tok.STRING, "b")]),
    ('label contains"value"', [(Tok.LABEL, "label"), (Tok.CONTAINS, ""), (Tok.STRING, "value")]),
    ('endswith ends with "value"', [(Tok.LABEL, "endswith"), (Tok.ENDS_WITH, ""), (Tok.STRING, "value")]),
    ('label ends  with "value"', [(Tok.LABEL, "label"), (Tok.ENDS_WITH, ""), (Tok.STRING, "value")]),
    ('a not in "bar" && !has(foo) || b in c',
     [(Tok.LABEL, "a"), (Tok.NOT_IN, ""), (Tok.STRING, "bar"), (Tok.AND, ""), (Tok.NOT, ""),
      (Tok.HAS, "foo"), (Tok.OR, ""), (Tok.LABEL, "b"), (Tok.IN, ""), (Tok.LABEL, "c")]),
    ('a  not  in  "bar"  &&  ! has( foo )  ||  b  in  c ',
     [(Tok.LABEL, "a"), (Tok.NOT_IN, ""), (Tok.STRING, "bar"), (Tok.AND, ""), (Tok.NOT, ""),
      (Tok.HAS, "foo"), (Tok.OR, ""), (Tok.LABEL, "b"), (Tok.IN, ""), (Tok.LABEL, "c")]),
    ('a notin"bar"&&!has(foo)||b in"c"',
     [(Tok.LABEL, "a"), (Tok.NOT_IN, ""), (Tok.STRING, "bar"), (Tok.AND, ""), (Tok.NOT, ""),
      (Tok.HAS, "foo"), (Tok.OR, ""), (Tok.LABEL, "b"), (Tok.IN, ""), (Tok.STRING, "c")]),
    ('a not in {"a","B"}',
     [(Tok.LABEL, "a"), (Tok.NOT_IN, ""), (Tok.LBRACE, ""), (Tok.STRING, "a"), (Tok.COMMA, ""),
      (Tok.STRING, "B"), (Tok.RBRACE, "")]),
    ("has(calico/k8s_NS-.1/role)", [(Tok.HAS, "calico/k8s_NS-.1/role")]),
    ("global()", [(Tok.GLOBAL, "")]),
    ("all( )", [(Tok.ALL, "")]),
    ("a!='x'", [(Tok.LABEL, "a"), (Tok.NE, ""), (Tok.STRING, "x")]),
]


@pytest.mark.parametrize("text,expected", TOKEN_CASES)
def test_tokenizer(text, expected):
    tokens = tokenize(text)
    assert [(t.kind, t.value) for t in tokens] == expected + [(Tok.EOF, "")]
    assert tokens[-1].pos == len(text)


def test_token_positions():
    assert [t.pos for t in tokenize(" a  ==  'b' ")] == [1, 4, 8, 12]
