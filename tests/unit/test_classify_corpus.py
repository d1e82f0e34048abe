"""The classification evaluation sets themselves: mails that parse, one label each, two halves that cover everything.

Three sets (tests/data/classify, tests/data/classify-fresh, tests/data/classify-third) measure how well
the ops-edited rules classify client mail; each was written from IMAGEN TI's support terms, not from the
rules, and this test checks only the sets' structure, never the rules' answers (nor which mail says what:
a failure names files and fields, not texts). The seven limits and fifteen incidents are spelled out here
again (not imported from make.py) so a label that drifts from the terms' list fails here.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from mailbot.mail.parse import parse
from mailbot.vocab import Severity

DATA = Path(__file__).resolve().parents[1] / "data"
DESK = "soporte@imagenti.mx"


@dataclass(frozen=True)
class Corpus:
    """One labelled set and what its README promises."""

    name: str
    min_mails: int
    # The first set's senders are all .com.mx; the third has US-owned companies on .com too.
    sender_suffix: str
    # The first set cuts its halves within each limit and incident; the later ones within each severity
    # and scope only, so there only the whole set covers every limit and incident.
    halves_cover_limits_and_incidents: bool

    @property
    def folder(self) -> Path:
        return DATA / self.name


SETS = [
    Corpus("classify", 220, ".com.mx", True),
    Corpus("classify-fresh", 130, ".com.mx", False),
    Corpus("classify-third", 150, "", False),
]

# LIMITANTES DEL SERVICIO, in the order of the terms.
LIMITS = {"terceros", "parchado", "migracion", "codigo", "modificaciones", "infraestructura", "otro_software"}
# INCIDENTES MAS COMUNES, in the order of the terms.
INCIDENTS = {
    "computadora_lenta",
    "virus_malware",
    "bloqueo_web",
    "bloqueo_aplicaciones",
    "puertos",
    "exclusiones",
    "red_lenta",
    "contrasenas_consola",
    "perfiles_usuario",
    "configuraciones_nuevas",
    "llaves_licencia",
    "informes_reportes",
    "errores_agentes",
    "actualizaciones",
    "restricciones_consola",
}
SPLITS = {"dev", "heldout"}
REQUIRED = {"file", "severity", "out_of_scope", "split", "why"}
OPTIONAL = {"limit", "incident"}


def _emls(corpus: Corpus) -> list[Path]:
    return sorted((corpus.folder / "mails").glob("*.eml"))


def _labels(corpus: Corpus) -> list[dict]:
    with (corpus.folder / "labels.toml").open("rb") as f:
        return tomllib.load(f)["mail"]


IDS = [c.name for c in SETS]
MAIL_CASES = [(c, p) for c in SETS for p in _emls(c)]
LABEL_CASES = [(c, label) for c in SETS for label in _labels(c)]


@pytest.mark.parametrize("corpus", SETS, ids=IDS)
def test_the_set_is_large_enough(corpus):
    assert len(_emls(corpus)) >= corpus.min_mails


@pytest.mark.parametrize("corpus, path", MAIL_CASES, ids=[f"{c.name}/{p.name}" for c, p in MAIL_CASES])
def test_every_mail_parses(corpus, path):
    mail = parse(path.read_bytes())
    assert not mail.synthetic_id, "every mail carries its own Message-ID"
    assert mail.subject.strip()
    assert mail.text.strip()
    assert not mail.from_addr.endswith("imagenti.mx"), "a client writes, not the desk"
    assert mail.from_addr.endswith(corpus.sender_suffix)
    assert DESK in mail.to
    assert not mail.defects


@pytest.mark.parametrize("corpus", SETS, ids=IDS)
def test_message_ids_are_unique(corpus):
    ids = Counter(parse(p.read_bytes()).message_id for p in _emls(corpus))
    assert [i for i, n in ids.items() if n > 1] == []


@pytest.mark.parametrize("corpus", SETS, ids=IDS)
def test_every_mail_has_exactly_one_label_and_every_label_a_mail(corpus):
    files = Counter(label["file"] for label in _labels(corpus))
    assert [f for f, n in files.items() if n > 1] == [], "a mail labelled twice"
    assert set(files) == {p.name for p in _emls(corpus)}


@pytest.mark.parametrize("corpus, label", LABEL_CASES, ids=[f"{c.name}/{label['file']}" for c, label in LABEL_CASES])
def test_each_label_is_well_formed(corpus, label):
    assert REQUIRED <= set(label) <= REQUIRED | OPTIONAL
    assert label["severity"] in {s.value for s in Severity}
    assert isinstance(label["out_of_scope"], bool)
    assert label["split"] in SPLITS
    assert label["why"].strip()
    if label["out_of_scope"]:
        assert label.get("limit") in LIMITS, "an out-of-scope mail names which limit of the terms"
        assert "incident" not in label, "an out-of-scope mail is not one of the service's incidents"
    else:
        assert "limit" not in label
    if "incident" in label:
        assert label["incident"] in INCIDENTS


@pytest.mark.parametrize("corpus", SETS, ids=IDS)
def test_the_set_covers_every_limit_and_incident(corpus):
    labels = _labels(corpus)
    assert {label["limit"] for label in labels if label["out_of_scope"]} == LIMITS
    assert {label["incident"] for label in labels if "incident" in label} == INCIDENTS


@pytest.mark.parametrize("split", sorted(SPLITS))
@pytest.mark.parametrize("corpus", SETS, ids=IDS)
def test_each_half_covers_every_severity_and_scope(corpus, split):
    half = [label for label in _labels(corpus) if label["split"] == split]
    assert {label["severity"] for label in half} == {s.value for s in Severity}
    assert {label["out_of_scope"] for label in half} == {True, False}
    # Out-of-scope mails of every severity too, so a rule that clears the scope flag on severe mail shows.
    assert {label["severity"] for label in half if label["out_of_scope"]} == {s.value for s in Severity}
    if corpus.halves_cover_limits_and_incidents:
        assert {label["limit"] for label in half if label["out_of_scope"]} == LIMITS
        assert {label["incident"] for label in half if "incident" in label} == INCIDENTS


@pytest.mark.parametrize("corpus", SETS, ids=IDS)
def test_the_halves_are_about_equal(corpus):
    labels = _labels(corpus)
    sizes = Counter(label["split"] for label in labels)
    assert abs(sizes["dev"] - sizes["heldout"]) <= len(labels) // 10
