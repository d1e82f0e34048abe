"""#commands at the top of a team member's reply."""

import pytest

from mailbot.mail.quotes import split_reply
from mailbot.tickets.commands import Command, CommandBlock, help_text, parse_commands

VENDORS = ("withsecure", "safetica", "sonicwall")


def parse(text, vendors=VENDORS):
    return parse_commands(text, vendors=vendors)


# (line as written, canonical name, canonical argument)
ONE_COMMAND = [
    ("#estado en-progreso", "status", "in_progress"),
    ("#estado esperando-cliente", "status", "waiting_client"),
    ("#estado resuelto", "status", "resolved"),
    ("#estado cerrado", "status", "closed"),
    ("#status cerrado", "status", "closed"),
    ("#ESTADO RESUELTO", "status", "resolved"),
    ("#estado: resuelto", "status", "resolved"),
    ("#estado:resuelto", "status", "resolved"),
    ("#Estado En progreso", "status", "in_progress"),
    ("#estado esperando_cliente.", "status", "waiting_client"),
    ("  #estado cerrado  ", "status", "closed"),
    ("#severidad critica", "severity", "critica"),
    ("#severidad CRÍTICA", "severity", "critica"),
    ("#severidad Grave", "severity", "grave"),
    ("#severity leve", "severity", "leve"),
    ("#SEVERIDAD: leve", "severity", "leve"),
    ("#asignar Ana Torres", "assign", "Ana Torres"),
    ("#assign ana.torres@imagenti.mx", "assign", "ana.torres@imagenti.mx"),
    ("#asignar: José Núñez", "assign", "José Núñez"),
    ("#escalar gerente", "escalate", "manager"),
    ("#escalar Gerente", "escalate", "manager"),
    ("#escalate manager", "escalate", "manager"),
    ("#escalar withsecure", "escalate", "withsecure"),
    ("#escalar SonicWall", "escalate", "sonicwall"),
    ("#escalate Safetica", "escalate", "safetica"),
    ("#nota el cliente no tiene respaldo", "note", "el cliente no tiene respaldo"),
    ("#note client has no backup", "note", "client has no backup"),
    ("#NOTA: llamar el lunes", "note", "llamar el lunes"),
    ("#resumen Se reinstaló el agente.", "summary", "Se reinstaló el agente."),
    ("#summary Agent reinstalled.", "summary", "Agent reinstalled."),
    ("#resúmen: Se reinstaló el agente.", "summary", "Se reinstaló el agente."),
    ("#Escalar gerente", "escalate", "manager"),
    ("#asígnar Ana", "assign", "Ana"),
    # The ticket number's digits, whatever the prefix and the zeros; "force" when asked.
    ("#fusionar IMG-000123", "merge", "123"),
    ("#fusionar img-123", "merge", "123"),
    ("#fusionar #IMG-000123", "merge", "123"),
    ("#fusionar 123", "merge", "123"),
    ("#Fusionar: IMG-000123 forzar", "merge", "123 force"),
    ("#fusionar IMG-000123 Forzar", "merge", "123 force"),
    ("#merge IMG-000123 force", "merge", "123 force"),
    ("#merge 42", "merge", "42"),
    ("#separar", "split", ""),
    ("#Separar:", "split", ""),
    ("#split", "split", ""),
]


@pytest.mark.parametrize("line, name, arg", ONE_COMMAND)
def test_one_command(line, name, arg):
    block = parse(line)
    assert block.errors == ()
    assert block.commands == (Command(name, arg, 1, line.strip()),)


@pytest.mark.parametrize("line, name, arg", [c for c in ONE_COMMAND if c[1] != "note"])
def test_command_line_not_in_public(line, name, arg):
    assert parse(line + "\n\nTexto para el cliente.").public == "Texto para el cliente."


def test_several_commands_and_public():
    text = (
        "#estado en-progreso\n"
        "#severidad grave\n"
        "\n"
        "#asignar Ana Torres\n"
        "#escalar withsecure\n"
        "\n"
        "Laura, escalamos el caso con el fabricante.\n"
        "Te aviso en cuanto respondan."
    )
    block = parse(text)
    assert block == CommandBlock(
        commands=(
            Command("status", "in_progress", 1, "#estado en-progreso"),
            Command("severity", "grave", 2, "#severidad grave"),
            Command("assign", "Ana Torres", 4, "#asignar Ana Torres"),
            Command("escalate", "withsecure", 5, "#escalar withsecure"),
        ),
        public="Laura, escalamos el caso con el fabricante.\nTe aviso en cuanto respondan.",
    )


def test_no_commands():
    text = "Laura, ya quedó.\n\nSaludos"
    assert parse(text) == CommandBlock(public=text)


def test_empty_text():
    assert parse("") == CommandBlock()


def test_crlf():
    block = parse("#estado resuelto\r\n\r\nListo.\r\n")
    assert [c.arg for c in block.commands] == ["resolved"]
    assert block.public == "Listo."


@pytest.mark.parametrize(
    "text",
    [
        "Laura, ya quedó.\n#estado resuelto",
        "Laura, ya quedó.\n\n#severidad critica\n#escalar gerente",
        "Primero:\n#asignar Ana",
        "Hola\n#estadoo resuelto",
    ],
)
def test_commands_after_text_are_text(text):
    block = parse(text)
    assert block.commands == ()
    assert block.errors == ()
    assert block.public == text


@pytest.mark.parametrize(
    "text",
    [
        "#123 es el ticket anterior\n#estado resuelto",
        "# Resumen del día\n#estado resuelto",
    ],
)
def test_hash_without_letter_is_text(text):
    block = parse(text)
    assert block.commands == ()
    assert block.public == text


def test_note_takes_the_rest_and_never_reaches_public():
    text = (
        "#estado esperando-cliente\n"
        "Laura, ¿nos confirmas si ya reiniciaste?\n"
        "\n"
        "#nota el servidor no tiene respaldo desde octubre;\n"
        "#estado cerrado\n"
        "no decirle al cliente todavía."
    )
    block = parse(text)
    assert block.public == "Laura, ¿nos confirmas si ya reiniciaste?"
    assert block.note == (
        "el servidor no tiene respaldo desde octubre;\n#estado cerrado\nno decirle al cliente todavía."
    )
    assert [c.name for c in block.commands] == ["status", "note"]
    assert block.commands[1].line == 4
    assert "respaldo" not in block.public
    assert block.errors == ()


def test_note_on_its_own_line_in_leading_block():
    block = parse("#severidad leve\n#nota\nEl cliente pide precio de renovación.\nVer con ventas.")
    assert block.note == "El cliente pide precio de renovación.\nVer con ventas."
    assert block.public == ""
    assert block.commands[0] == Command("severity", "leve", 1, "#severidad leve")
    assert block.commands[1].raw == "#nota\nEl cliente pide precio de renovación.\nVer con ventas."


def test_note_alias_mid_text():
    block = parse("Done, see you tomorrow.\n#Note: customer is angry")
    assert block.public == "Done, see you tomorrow."
    assert block.note == "customer is angry"


def test_summary_multiline_in_leading_block():
    text = (
        "#estado cerrado\n"
        "#resumen Se reinstaló el agente de WithSecure\n"
        "y se excluyó la carpeta del ERP.\n"
        "#severidad leve\n"
        "\n"
        "Laura, damos por cerrado el ticket."
    )
    block = parse(text)
    assert block.summary == "Se reinstaló el agente de WithSecure\ny se excluyó la carpeta del ERP."
    assert block.public == "Laura, damos por cerrado el ticket."
    assert [c.name for c in block.commands] == ["status", "summary", "severity"]
    assert block.commands[1].raw == ("#resumen Se reinstaló el agente de WithSecure\ny se excluyó la carpeta del ERP.")


def test_summary_ends_at_blank_line():
    block = parse("#resumen Se cambió la regla.\n\nLaura, ya puedes entrar al SAT.")
    assert block.summary == "Se cambió la regla."
    assert block.public == "Laura, ya puedes entrar al SAT."


def test_summary_text_on_next_line():
    block = parse("#resumen\nSe actualizó el firmware del TZ370.\n\nListo.")
    assert block.summary == "Se actualizó el firmware del TZ370."


def test_summary_after_public_text():
    text = (
        "Laura, quedó resuelto.\n"
        "\n"
        "#resumen Se actualizó el firmware\n"
        "a la versión 7.1.2.\n"
        "\n"
        "Cualquier duda, aquí estamos."
    )
    block = parse(text)
    assert block.summary == "Se actualizó el firmware\na la versión 7.1.2."
    assert block.public == "Laura, quedó resuelto.\n\nCualquier duda, aquí estamos."
    assert block.commands[0].line == 3


def test_summary_then_note():
    block = parse("#resumen Cambio de política.\n#nota cobrar la visita")
    assert block.summary == "Cambio de política."
    assert block.note == "cobrar la visita"
    assert block.public == ""


# (text, expected errors)
ERRORS = [
    (
        "#estadoo resuelto",
        [
            "Línea 1: comando desconocido «#estadoo». Comandos válidos: "
            "#estado en-progreso|esperando-cliente|esperando-fabricante|resuelto|cerrado, #severidad critica|grave|leve, "
            "#asignar NOMBRE, #escalar gerente|withsecure|safetica|sonicwall, #fusionar NÚMERO [forzar], "
            "#separar, #atendido, #resumen TEXTO, #nota TEXTO."
        ],
    ),
    (
        "#estado terminado",
        [
            "Línea 1: «#estado terminado»: valor no válido «terminado». "
            "Valores válidos: en-progreso, esperando-cliente, esperando-fabricante, resuelto, cerrado."
        ],
    ),
    (
        "#estado",
        [
            "Línea 1: «#estado»: falta un valor. Valores válidos: en-progreso, esperando-cliente, esperando-fabricante, resuelto, cerrado."
        ],
    ),
    (
        "\n#severidad urgente",
        ["Línea 2: «#severidad urgente»: valor no válido «urgente». Valores válidos: critica, grave, leve."],
    ),
    (
        "#escalar eset",
        [
            "Línea 1: «#escalar eset»: valor no válido «eset». "
            "Valores válidos: gerente, withsecure, safetica, sonicwall."
        ],
    ),
    ("#asignar", ["Línea 1: «#asignar»: falta un nombre o correo."]),
    ("#nota   ", ["Línea 1: «#nota»: falta un texto."]),
    ("#resumen:\n\nListo.", ["Línea 1: «#resumen:»: falta un texto."]),
    (
        "#estado resuelto\n#estado cerrado",
        ["Línea 2: «#estado» está repetido; escríbelo una sola vez."],
    ),
    (
        "#estado resuelto\n#status cerrado",
        ["Línea 2: «#status» está repetido; escríbelo una sola vez."],
    ),
    ("#fusionar", ["Línea 1: «#fusionar»: falta el número del ticket en el que se fusiona este."]),
    *(
        (
            f"#fusionar {arg}",
            [
                f"Línea 1: «#fusionar {arg}»: «{arg}» no es un número de ticket. Escriba «#fusionar NÚMERO»"
                " (p. ej. #fusionar 123), o «#fusionar NÚMERO forzar» si el cliente es de otro dominio."
            ],
        )
        for arg in ("mañana", "IMG-", "IMG-000123 ya", "IMG-000123 forzar ya", "123abc", "IMG-1234567890123")
    ),
    ("#separar IMG-000123", ["Línea 1: «#separar IMG-000123»: no lleva valor; escriba solo «#separar»."]),
    (
        "#fusionar IMG-000123\n#merge IMG-000124",
        ["Línea 2: «#merge» está repetido; escríbelo una sola vez."],
    ),
]


@pytest.mark.parametrize("text, errors", ERRORS)
def test_errors(text, errors):
    assert list(parse(text).errors) == errors


def test_all_errors_reported_and_valid_ones_kept():
    text = "#estado resueltoo\n#prioridad alta\n#severidad grave\n#escalar ibm\n\nTexto."
    block = parse(text)
    assert [e.split(":")[0] for e in block.errors] == ["Línea 1", "Línea 2", "Línea 4"]
    assert "«#prioridad»" in block.errors[1]
    assert block.commands == (Command("severity", "grave", 3, "#severidad grave"),)
    assert block.public == "Texto."


def test_vendors_come_from_parameter():
    assert parse("#escalar Kaspersky", vendors=["kaspersky"]).commands[0].arg == "kaspersky"
    block = parse("#escalar withsecure", vendors=["kaspersky"])
    assert block.commands == ()
    assert block.errors[0].endswith("Valores válidos: gerente, kaspersky.")


def test_vendor_name_kept_as_configured():
    block = parse("#escalar fabricante-méxico", vendors=["Fabricante-Mexico"])
    assert block.commands[0].arg == "Fabricante-Mexico"


def test_vendors_accepts_any_iterable():
    assert parse("#escalar safetica", vendors=iter(VENDORS)).commands[0].arg == "safetica"


def test_help_text():
    text = help_text()
    for word in (
        "#estado",
        "en-progreso|esperando-cliente|esperando-fabricante|resuelto|cerrado",
        "#severidad",
        "critica|grave|leve",
        "#asignar",
        "#escalar gerente",
        "#nota",
        "#resumen",
        "#fusionar NÚMERO [forzar]",
        "#separar  (en respuesta al aviso",
        "#merge #split #handled",
    ):
        assert word in text
    assert "#escalar gerente|withsecure|sonicwall" in help_text(vendors=["withsecure", "sonicwall"])


def test_on_the_new_part_of_an_outlook_reply():
    mail = (
        "#estado resuelto\r\n#resumen Se excluyó sat.gob.mx del filtro CFS.\r\n\r\n"
        "Laura, ya puedes entrar al portal del SAT.\r\n\r\n#nota revisar la licencia CFS\r\n\r\n"
        "Saludos,\r\nPedro\r\n\r\n________________________________\r\n"
        "De: Laura Gómez <laura.gomez@ejemplo.com.mx>\r\nEnviado: lunes, 23 de noviembre de 2026 10:00\r\n"
        "Para: soporte@imagenti.mx\r\nAsunto: SAT bloqueado\r\n\r\n#estado cerrado\r\n"
    )
    block = parse(split_reply(mail).new)
    assert block.errors == ()
    assert [(c.name, c.arg) for c in block.commands] == [
        ("status", "resolved"),
        ("summary", "Se excluyó sat.gob.mx del filtro CFS."),
        ("note", "revisar la licencia CFS"),
    ]
    assert block.public == "Laura, ya puedes entrar al portal del SAT."
