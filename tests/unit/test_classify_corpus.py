"""The classification evaluation set itself (tests/data/classify): mails that parse, one label each, two halves that cover everything.

The set measures how well the ops-edited rules classify client mail; it was
written from IMAGEN TI's support terms, not from the rules, and this test
checks only the set, never the rules' answers. The seven limits and fifteen
incidents are spelled out here again (not imported from make.py) so a label
that drifts from the terms' list fails here.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

import pytest

from mailbot.mail.parse import parse
from mailbot.vocab import Severity

CORPUS = Path(__file__).resolve().parents[1] / "data" / "classify"
MAILS = CORPUS / "mails"
DESK = "soporte@imagenti.mx"
MIN_MAILS = 220

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

EML_FILES = sorted(MAILS.glob("*.eml"))


def _labels() -> list[dict]:
    with (CORPUS / "labels.toml").open("rb") as f:
        return tomllib.load(f)["mail"]


LABELS = _labels()


def test_the_set_is_large_enough():
    assert len(EML_FILES) >= MIN_MAILS


@pytest.mark.parametrize("path", EML_FILES, ids=[p.name for p in EML_FILES])
def test_every_mail_parses(path):
    mail = parse(path.read_bytes())
    assert not mail.synthetic_id, "every mail carries its own Message-ID"
    assert mail.subject.strip()
    assert mail.text.strip()
    assert mail.from_addr.endswith(".com.mx")
    assert DESK in mail.to
    assert not mail.defects


def test_message_ids_are_unique():
    ids = Counter(parse(p.read_bytes()).message_id for p in EML_FILES)
    assert [i for i, n in ids.items() if n > 1] == []


def test_every_mail_has_exactly_one_label_and_every_label_a_mail():
    files = Counter(label["file"] for label in LABELS)
    assert [f for f, n in files.items() if n > 1] == [], "a mail labelled twice"
    assert set(files) == {p.name for p in EML_FILES}


@pytest.mark.parametrize("label", LABELS, ids=[label["file"] for label in LABELS])
def test_each_label_is_well_formed(label):
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


@pytest.mark.parametrize("split", sorted(SPLITS))
def test_each_half_covers_every_severity_scope_limit_and_incident(split):
    half = [label for label in LABELS if label["split"] == split]
    assert {label["severity"] for label in half} == {s.value for s in Severity}
    assert {label["out_of_scope"] for label in half} == {True, False}
    assert {label["limit"] for label in half if label["out_of_scope"]} == LIMITS
    assert {label["incident"] for label in half if "incident" in label} == INCIDENTS
    # Out-of-scope mails of every severity too, so a rule that clears the scope flag on severe mail shows.
    assert {label["severity"] for label in half if label["out_of_scope"]} == {s.value for s in Severity}


def test_the_halves_are_about_equal():
    sizes = Counter(label["split"] for label in LABELS)
    assert abs(sizes["dev"] - sizes["heldout"]) <= len(LABELS) // 10
