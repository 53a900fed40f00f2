"""Property tests: generated selectors evaluate like an independent oracle and canonicalise stably."""
from hypothesis import given, settings
from hypothesis import strategies as st

from datastore.selector import SelectorParseError, parse

LABELS = ["a", "b", "k8s-app", "projectcalico.org/role", "in"]
VALUES = ["", "v", "vw", "w", "x'y", 'x"y']

label_maps = st.dictionaries(st.sampled_from(LABELS), st.sampled_from(VALUES), max_size=4)
spaces = st.sampled_from(["", " ", "  ", "\t"])


@st.composite
def quoted(draw, value):
    if '"' in value:
        return f"'{value}'"
    if "'" in value:
        return f'"{value}"'
    quote = draw(st.sampled_from(["'", '"']))
    return f"{quote}{value}{quote}"


@st.composite
def leaves(draw):
    """A primary expression as text plus a Python oracle for its meaning."""
    kind = draw(st.sampled_from(["all", "global", "has", "==", "!=", "contains", "starts", "ends", "in", "notin"]))
    ws = draw(spaces)
    label = draw(st.sampled_from(LABELS))
    if kind in ("all", "global"):
        return f"{kind}({ws})", lambda labels: True
    if kind == "has":
        return f"has({ws}{label}{ws})", lambda labels: label in labels
    if kind in ("in", "notin"):
        values = draw(st.lists(st.sampled_from(VALUES), max_size=3))
        items = ",".join([ws + draw(quoted(v)) for v in values])
        trailing = "," if values and draw(st.booleans()) else ""
        operator = "in" if kind == "in" else draw(st.sampled_from(["not in", "notin", "not  in"]))
        text = f"{label} {operator}{ws}{{{items}{trailing}}}"
        if kind == "in":
            return text, lambda labels: label in labels and labels[label] in values
        return text, lambda labels: label not in labels or labels[label] not in values
    value = draw(st.sampled_from(VALUES))
    literal = draw(quoted(value))
    if kind == "==":
        return f"{label}{ws}=={ws}{literal}", lambda labels: labels.get(label) == value
    if kind == "!=":
        return f"{label}{ws}!={ws}{literal}", lambda labels: labels.get(label) != value
    if kind == "contains":
        return f"{label} contains{ws}{literal}", lambda labels: label in labels and value in labels[label]
    word = draw(st.sampled_from([f"{kind} with", f"{kind}with", f"{kind}  with"]))
    if kind == "starts":
        return f"{label} {word} {literal}", lambda labels: label in labels and labels[label].startswith(value)
    return f"{label} {word} {literal}", lambda labels: label in labels and labels[label].endswith(value)


def combine(children):
    def negate(pair):
        text, oracle = pair
        return st.sampled_from(["!", "! ", "!!!"]).map(lambda bang: (f"{bang}({text})", lambda labels: not oracle(labels)))

    def join(pairs, operator):
        text = f" {operator} ".join(f"({t})" for t, _ in pairs)
        if operator == "&&":
            return text, lambda labels: all(o(labels) for _, o in pairs)
        return text, lambda labels: any(o(labels) for _, o in pairs)

    return st.one_of(
        children.flatmap(negate),
        st.lists(children, min_size=2, max_size=3).map(lambda ps: join(ps, "&&")),
        st.lists(children, min_size=2, max_size=3).map(lambda ps: join(ps, "||")),
    )


selectors = st.recursive(leaves(), combine, max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(selectors, st.lists(label_maps, min_size=1, max_size=5))
def test_generated_selectors_match_oracle_and_canonical_form_is_stable(pair, label_sets):
    text, oracle = pair
    selector = parse(text)
    canonical = str(selector)
    reparsed = parse(canonical)
    # Go prints NotNode(NotNode(x)) as "!!x", which re-parses to x: one more round is a fixpoint.
    if "!!" not in canonical:
        assert str(reparsed) == canonical
    assert str(parse(str(reparsed))) == str(reparsed)
    for labels in label_sets:
        expected = oracle(labels)
        assert selector.evaluate(labels) is expected, (text, labels)
        assert reparsed.evaluate(labels) is expected, (canonical, labels)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab =!&|()'\"{},%\tinotshaglcw.-/", max_size=30))
def test_arbitrary_text_parses_or_raises_a_positioned_error(text):
    try:
        selector = parse(text)
    except SelectorParseError as err:
        assert 0 <= err.position <= len(text)
        assert f"(at position {err.position})" in str(err)
    else:
        assert str(parse(str(parse(str(selector))))) == str(parse(str(selector)))
