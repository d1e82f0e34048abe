"""The #command classes: one registry, each command's names, values, precheck and effect (through a Desk)."""

import pytest

from mailbot.tickets.commands import (
    MANAGER,
    REGISTRY,
    SEVERITIES,
    STATUSES,
    Command,
    CommandSpec,
    help_text,
    parse_commands,
)
from mailbot.vocab import Role, Severity, Status

VENDORS = ("withsecure", "sonicwall")


class FakeDesk:
    """Records what the commands ask of the ticket, in order."""

    def __init__(self, team=("ana.lopez@imagenti.mx",), refusals=None, merge_refusals=None, split_refusal=None):
        self.team = set(team)
        self.refusals = refusals or {}
        self.merge_refusals = merge_refusals or {}  # (seq, force) -> reason
        self.split_refused = split_refusal
        self.handled_refused = None
        self.calls = []

    def resolve_assignee(self, who):
        return "ana.lopez@imagenti.mx" if who.lower().startswith("ana") else who

    def set_status(self, status):
        self.calls.append(("set_status", status))

    def set_severity(self, severity):
        self.calls.append(("set_severity", severity))

    def assign(self, who):
        self.calls.append(("assign", who))

    def escalation_refusal(self, target):
        return self.refusals.get(target)

    def escalate_to_manager(self):
        self.calls.append(("escalate_to_manager",))

    def open_vendor_case(self, vendor):
        self.calls.append(("open_vendor_case", vendor))

    def keep_note(self, text):
        self.calls.append(("keep_note", text))

    def add_summary(self, text):
        self.calls.append(("add_summary", text))

    def merge_refusal(self, seq, force):
        return self.merge_refusals.get((seq, force))

    def merge_into(self, seq, force):
        self.calls.append(("merge_into", seq, force))

    def split_refusal(self):
        return self.split_refused

    def split(self):
        self.calls.append(("split",))

    def handled_refusal(self):
        return self.handled_refused

    def mark_handled(self):
        self.calls.append(("mark_handled",))


def one(text):
    block = parse_commands(text, vendors=VENDORS)
    assert block.errors == (), block.errors
    [cmd] = block.commands
    return cmd


def test_every_command_is_registered_once_under_its_canonical_name():
    assert list(REGISTRY) == [
        "status",
        "severity",
        "assign",
        "escalate",
        "merge",
        "split",
        "handled",
        "summary",
        "note",
    ]
    for name, spec in REGISTRY.items():
        assert isinstance(spec, CommandSpec) and spec.name == name
    aliases = [a for spec in REGISTRY.values() for a in spec.aliases]
    assert len(aliases) == len(set(aliases))


def test_the_command_words_stay_spanish_first_then_english():
    assert {name: spec.aliases for name, spec in REGISTRY.items()} == {
        "status": ("estado", "status"),
        "severity": ("severidad", "severity"),
        "assign": ("asignar", "assign"),
        "escalate": ("escalar", "escalate"),
        "merge": ("fusionar", "merge"),
        "split": ("separar", "split"),
        "handled": ("atendido", "handled"),
        "summary": ("resumen", "summary"),
        "note": ("nota", "note"),
    }


@pytest.mark.parametrize("name", list(REGISTRY))
def test_help_names_every_registered_command_in_both_languages(name):
    spanish, english = REGISTRY[name].aliases
    text = help_text(vendors=VENDORS)
    assert f"  #{spanish} " in text and f"#{english}" in text.splitlines()[-3]


def test_fixed_values_come_from_the_vocabulary():
    assert set(STATUSES.values()) == set(Status) - {Status.NEW}
    assert tuple(Severity) == SEVERITIES
    assert one("#estado en progreso").arg is Status.IN_PROGRESS
    assert one("#severidad CRÍTICA").arg is Severity.CRITICA
    assert one("#escalar gerente").arg is Role.MANAGER and MANAGER[0] == "gerente"


@pytest.mark.parametrize(
    "text, call",
    [
        ("#estado resuelto", ("set_status", Status.RESOLVED)),
        ("#status cerrado", ("set_status", Status.CLOSED)),
        ("#severidad grave", ("set_severity", Severity.GRAVE)),
        ("#asignar Ana", ("assign", "Ana")),
        ("#escalar gerente", ("escalate_to_manager",)),
        ("#escalate SonicWall", ("open_vendor_case", "sonicwall")),
        ("#nota llamar el lunes", ("keep_note", "llamar el lunes")),
        ("#resumen Se cambió la regla.", ("add_summary", "Se cambió la regla.")),
        ("#fusionar IMG-000123", ("merge_into", 123, False)),
        ("#merge 123 force", ("merge_into", 123, True)),
        ("#fusionar img-7 FORZAR", ("merge_into", 7, True)),
        ("#separar", ("split",)),
        ("#split", ("split",)),
        ("#atendido", ("mark_handled",)),
        ("#Handled", ("mark_handled",)),
    ],
)
def test_each_command_applies_through_the_desk(text, call):
    desk = FakeDesk()
    cmd = one(text)
    REGISTRY[cmd.name].apply(desk, cmd)
    assert desk.calls == [call]


def test_a_command_built_by_hand_applies_with_plain_strings():
    desk = FakeDesk()
    REGISTRY["status"].apply(desk, Command("status", "waiting_client", 1, "#estado esperando-cliente"))
    REGISTRY["escalate"].apply(desk, Command("escalate", "manager", 2, "#escalar gerente"))
    assert desk.calls == [("set_status", Status.WAITING_CLIENT), ("escalate_to_manager",)]


def test_precheck_assign_refuses_someone_outside_the_team():
    desk = FakeDesk(team=("ana.lopez@imagenti.mx", "luis.garcia@imagenti.mx"))
    assert REGISTRY["assign"].precheck(desk, one("#asignar Ana")) is None
    refused = REGISTRY["assign"].precheck(desk, one("#asignar pedro"))
    assert refused == ("«pedro» no es un miembro del equipo. Equipo: ana.lopez@imagenti.mx, luis.garcia@imagenti.mx.")
    assert "(nadie configurado)" in REGISTRY["assign"].precheck(FakeDesk(team=()), one("#asignar Ana"))


def test_precheck_escalate_reports_the_escalation_modules_reason_as_a_sentence():
    desk = FakeDesk(refusals={Role.MANAGER: "el ticket ya se escaló al gerente el lunes 6 de julio de 2026, 10:15"})
    assert (
        REGISTRY["escalate"].precheck(desk, one("#escalar gerente"))
        == "el ticket ya se escaló al gerente el lunes 6 de julio de 2026, 10:15."
    )
    assert REGISTRY["escalate"].precheck(desk, one("#escalar withsecure")) is None


def test_precheck_merge_and_split_report_the_desks_reason_as_a_sentence():
    desk = FakeDesk(
        merge_refusals={(5, False): "el ticket IMG-000005 está cerrado; reábralo primero"},
        split_refusal="ya se separó en el ticket IMG-000009",
    )
    assert REGISTRY["merge"].precheck(desk, one("#fusionar IMG-000005")) == (
        "el ticket IMG-000005 está cerrado; reábralo primero."
    )
    assert REGISTRY["merge"].precheck(desk, one("#fusionar IMG-000005 forzar")) is None
    assert REGISTRY["split"].precheck(desk, one("#separar")) == "ya se separó en el ticket IMG-000009."
    assert REGISTRY["split"].precheck(FakeDesk(), one("#separar")) is None
    assert desk.calls == []  # a precheck changes nothing


@pytest.mark.parametrize("name", ["status", "severity", "note", "summary"])
def test_commands_without_a_ticket_state_to_check_pass_the_precheck(name):
    cmd = next(
        c
        for c in parse_commands("#estado resuelto\n#severidad leve\n#resumen x\n#nota y", vendors=VENDORS).commands
        if c.name == name
    )
    assert REGISTRY[name].precheck(FakeDesk(team=()), cmd) is None


def test_the_note_then_the_summary_apply_before_the_others():
    ranked = sorted((spec.early, name) for name, spec in REGISTRY.items() if spec.early is not None)
    assert [name for _, name in ranked] == ["note", "summary"]
    assert all(REGISTRY[n].early is None for n in ("status", "severity", "assign", "escalate", "merge", "split"))


def test_only_a_merge_applies_after_the_others():
    # What the other commands of the reply do to the ticket moves with its thread.
    assert {n for n, spec in REGISTRY.items() if spec.last} == {"merge"}


def test_only_a_split_and_handled_take_no_argument():
    assert {n for n, spec in REGISTRY.items() if not spec.takes_arg} == {"split", "handled"}


def test_only_the_note_and_the_summary_are_read_below_the_text():
    assert {n for n, spec in REGISTRY.items() if spec.anywhere} == {"note", "summary"}
