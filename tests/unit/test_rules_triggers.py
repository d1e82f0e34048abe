"""Pre-selection must never change a result: triggers are sound, and classify agrees with a full run."""

import random
import re

import pytest

from mailbot.mail.parse import parse
from mailbot.resources import shipped
from mailbot.rules import RuleSet, fold, load_rules, load_rules_text
from mailbot.rules.fold import WORD, KeywordIndex, normalize_keyword
from mailbot.rules.triggers import glob_words, regex_words
from tests.support.mail import make_mail

RULES_DIR = shipped("rules")  # what the package carries, wheel or checkout


@pytest.mark.parametrize(
    "glob, words",
    [
        ("*.cliente5.com", {"cliente5", "com"}),
        ("*@cliente.com.mx", {"cliente", "com", "mx"}),
        ("cliente*", set()),
        ("fsdiag*.zip", {"zip"}),
        ("a?b.com", {"com"}),
        ("[ab]x.com", {"com"}),
        ("*", set()),
        ("no-reply@*", {"no", "reply"}),
    ],
)
def test_glob_words(glob, words):
    assert glob_words(glob) == words


@pytest.mark.parametrize(
    "pattern, words",
    [
        (r"\b(folio|pedido) 12\d*\b", {"folio", "pedido"}),
        (r"^\s*yes\b", {"yes"}),
        (r"\bcve-\d{4}-\d+", {"cve"}),
        (r"\bno\s+funciona\b", {"funciona"}),
        (r"(\bhola\b)+", {"hola"}),
        (r"(?:usuarios|equipos)\s+sin\b", {"sin"}),
        (r"^\s*(\[spam\]|\*+\s*spam\s*\*+|\[posible spam\])", {"spam", "posible"}),
        (r"(?i)\bCAIDA\b", {"caida"}),
        # No sound word: evaluated for every mail.
        (r"parche", None),
        (r"^1", None),
        (r"[ab]c", None),
        (r"(?a)\bx\b", None),
        (r"\b(equipo|equipos)\b", None),
        (r"(\bhola\b)?", None),
        (r"(?=\bhola\b)", None),
        (r"[^a-z]xy[^a-z]", None),
        (r"\bab\b|\bcd\b", {"ab", "cd"}),
    ],
)
def test_regex_words(pattern, words):
    got = regex_words(pattern, 0)
    assert (set(got) if got is not None else None) == words


# Patterns with a trigger, and near misses that must have none (a wrong trigger shows up below).
PATTERNS = [
    r"\b(folio|pedido) 12\d*\b",
    r"^\s*yes\b",
    r"\bcve-\d{4}-\d+",
    r"\bno\s+funciona\b",
    r"(\bhola\b)+",
    r"(?:usuarios|equipos)\s+sin\b",
    r"^\s*(\[spam\]|\*+\s*spam\s*\*+|\[posible spam\])",
    r"\bred\W+lenta\b",
    r"(\b[1-9]\d+|\bdecenas de)\s+(usuarios|equipos)\s+(sin|no)",
    r"\bab\b|\bcd\b",
    r"[\s,.]xy[\s,.]",
    r"\bx_y\b",
    r"\bred\s*lenta\b",
    r"\b(ab|cd)x\b",
    r"\bfolio\b\s*(12|no)",
    r"\b\d+\s*%\s*cpu\b",
]
ALPHABET = [
    "hola",
    "red",
    "lenta",
    "no",
    "funciona",
    "folio",
    "pedido",
    "12",
    "123",
    "cve",
    "2024",
    "yes",
    "spam",
    "[",
    "]",
    "*",
    "-",
    " ",
    " ",
    "  ",
    "\n",
    ",",
    ".",
    "usuarios",
    "equipos",
    "sin",
    "15",
    "decenas",
    "de",
    "ab",
    "cd",
    "abcd",
    "x",
    "y",
    "_",
    "xy",
    "%",
    "cpu",
    "posible",
    "ñ",
    "é",
    # pieces that make the patterns match often, next to anything
    "no funciona",
    "red lenta",
    "red, lenta",
    "folio 12",
    "pedido 129",
    "cve-2024-1",
    "yes",
    "[spam]",
    "** spam **",
    "[posible spam]",
    "15 usuarios sin",
    "decenas de equipos no",
    "usuarios sin",
    "x_y",
    "45 % cpu",
    " xy ",
    ".xy,",
    "hola",
    "redlenta",
    "abx",
    "cdx",
    "folio12",
]


def test_regex_words_are_sound_on_random_texts():
    """Whenever a pattern matches a text, one of its trigger words is a word of that text."""
    rng = random.Random(1234)
    for pattern in PATTERNS:
        words = regex_words(pattern, 0)
        if words is None:
            continue  # no trigger: always evaluated, trivially sound
        rx = re.compile(pattern)
        checked = 0
        for _ in range(3000):
            text = fold("".join(rng.choice(ALPHABET) for _ in range(rng.randrange(1, 14))))
            if rx.search(text):
                checked += 1
                assert words & set(WORD.findall(text)), (pattern, text)
        assert checked >= 30, pattern


def test_keyword_index_agrees_with_a_plain_scan():
    keywords = [
        normalize_keyword(k)
        for k in (
            "red",
            "red lenta",
            "red lent*",
            "lent*",
            "no funciona nada",
            "no funciona",
            "f-secure",
            "abc",
            "abcd*",
            "abc def ghi",
            "x y",
            "y",
        )
    ]
    index = KeywordIndex(keywords)
    rng = random.Random(99)
    vocab = [
        "red",
        "lenta",
        "lento",
        "lentitud",
        "no",
        "funciona",
        "nada",
        "f",
        "secure",
        "abc",
        "abcde",
        "def",
        "ghi",
        "x",
        "y",
        "z",
        "le",
    ]
    for _ in range(2000):
        tokens = [rng.choice(vocab) for _ in range(rng.randrange(0, 12))]
        text = rng.choice([" ", ", ", "\n"]).join(tokens)
        expected = set()
        for kw in keywords:
            words = kw.rstrip("*").split(" ")
            n = len(words)
            for i in range(len(tokens) - n + 1):
                window = tokens[i : i + n]
                if kw.endswith("*"):
                    ok = window[:-1] == words[:-1] and window[-1].startswith(words[-1])
                else:
                    ok = window == words
                if ok:
                    expected.add(kw)
        assert index.find(text) == expected, text


def _mail(subject, body, sender, headers=(), attachments=()):
    return parse(
        make_mail(
            sender=sender,
            subject=subject,
            body=body,
            message_id="<t@cliente.com.mx>",
            date=False,
            headers=headers,
            attachments=[(name, b"x", "application/zip") for name in attachments],
        )
    )


def _extra_rules(n):
    words = ["equipo", "consola", "agente", "licencia", "red", "lenta", "virus", "bloqueo", "pagina", "puerto"]
    blocks = []
    for i in range(n):
        w = words[i % len(words)]
        match = [
            f'subject_or_body.any = ["{w} {words[(i + 3) % 10]}", "{w}{i % 7}", "{w[:4]}*"]',
            f'from_domain.glob = ["cliente{i % 9}.com.mx", "*.cliente{i % 5}.com"]',
            f"subject.regex = '\\\\b(folio|pedido) {i % 13}\\\\d*\\\\b'",
            f'header."X-Cliente".regex = "^{i % 4}"',
            f'subject_or_body.all = [["{w}", "{words[(i + 1) % 10]}"], ["{words[(i + 2) % 10]}"]]',
            f'body.none = ["{w}"]',
            f'attachment.glob = ["*{i % 3}.zip"]',
            f"body.regex = '{w}[0-9]'",
        ][i % 8]
        sets = [
            f'category = "c{i % 11}"',
            'severity = "grave"',
            f'group = "g{i % 3}"',
            "no_autoreply = true",
            'severity = "critica"',
        ][i % 5]
        blocks.append(f'[[rule]]\nname = "x{i}"\ndescription = "d"\n[rule.match]\n{match}\n[rule.set]\n{sets}\n')
    return "\n".join(blocks)


def test_preselection_never_changes_a_classification(tmp_path):
    for f in RULES_DIR.glob("*.toml"):
        (tmp_path / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "90-extra.toml").write_text(_extra_rules(240), encoding="utf-8")
    fast = load_rules(tmp_path)
    slow = RuleSet(fast.rules, fast.files, preselect=False)
    assert len(fast._always) < len(slow._always) == len(fast)
    rng = random.Random(5)
    vocab = [
        "equipo",
        "consola",
        "agente",
        "licencia",
        "red",
        "lenta",
        "lentitud",
        "virus",
        "bloqueo",
        "pagina",
        "puerto",
        "folio",
        "pedido",
        "12",
        "3",
        "withsecure",
        "sonicwall",
        "safetica",
        "windows",
        "office",
        "dns",
        "caída",
        "urgente",
        "todos",
        "los",
        "usuarios",
        "no",
        "funciona",
        "exclusión",
        "contraseña",
        "olvidé",
        "reporte",
        "mensual",
        "equipo3",
        "licencia5",
        "pági",
        "agen",
    ]
    for i in range(400):
        subject = " ".join(rng.choice(vocab) for _ in range(rng.randrange(1, 6)))
        body = " ".join(rng.choice(vocab) for _ in range(rng.randrange(0, 40)))
        sender = f"a{i}@{rng.choice(['cliente3.com.mx', 'x.cliente2.com', 'otro.com', 'withsecure.com'])}"
        headers = [("X-Cliente", str(rng.randrange(6)))] if rng.random() < 0.3 else []
        attachments = [f"f{rng.randrange(4)}.zip"] if rng.random() < 0.2 else []
        mail = _mail(subject, body, sender, headers, attachments)
        assert fast.classify(mail).to_json() == slow.classify(mail).to_json(), (subject, body)


def test_vendors_may_be_the_config_mapping():
    vendors = {"withsecure": object(), "acme": object()}
    rs = load_rules_text(
        '[[rule]]\nname = "a"\ndescription = "d"\n[rule.match]\nbody.any = ["acme"]\n[rule.set]\nproduct = "acme"\n',
        "t.toml",
        vendors=vendors,
    )
    assert rs.classify(_mail("x", "acme", "a@b.com")).vendor == "acme"


def test_glob_words_are_sound_on_random_values():
    import fnmatch

    rng = random.Random(77)
    pieces = ["*", "?", "[ab]", "a", "b", "ab", "cliente", ".", "@", "-", "com", "x1", "_"]
    matched = 0
    for _ in range(3000):
        glob = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 6)))
        words = glob_words(glob)
        rx = re.compile(fnmatch.translate(glob))
        for _ in range(20):
            value = "".join(
                rng.choice(["a", "b", "ab", "cliente", ".", "@", "-", "com", "x1", "_", "z"])
                for _ in range(rng.randrange(1, 7))
            )
            if rx.match(value):
                matched += 1
                assert words <= set(WORD.findall(value)), (glob, value)
    assert matched > 1000
