"""The shipped rules on concepts added while tuning against the third evaluation set (issue 15).

Hand-written mails in my own words, not taken from any evaluation set: our solution named only to say it
shows nothing (then the request is a third party's, the infrastructure's or other software's), patching the
client's own devices, changes to the client's own systems, a forward whose subject is the forwarded mail's,
counts of people by their job and of the client's customers, a restriction asked for, and work that goes on.
"""

import pytest

from mailbot.mail.parse import parse
from mailbot.resources import shipped
from mailbot.rules import load_rules
from mailbot.rules.newtext import new_subject
from tests.support.mail import make_mail


@pytest.fixture(scope="module")
def ruleset():
    return load_rules(shipped("rules"))


def check(ruleset, subject, body, severity, out_of_scope):
    c = ruleset.classify(parse(make_mail(subject=subject, body=body, message_id="<r-1@cliente.com.mx>")))
    why = "\n".join(f"{h.rule} ({h.kind}): {h.set} {h.why} superseded={h.superseded}" for h in c.hits)
    assert (c.severity or "leve", c.out_of_scope is not None) == (severity, out_of_scope), why
    return c


# --- our solution named only to rule it out ----------------------------------------------------------------

RULED_OUT = [
    (
        "Excel se congela al abrir macros",
        "A la contadora se le congela Excel al abrir los libros con macros. El antivirus no detecta nada en su "
        "equipo. ¿Nos ayudan a revisar Office?",
        "leve",
    ),
    (
        "Windows no reconoce el lector de huellas",
        "Desde ayer Windows no reconoce el lector de huellas de la recepción. Revisamos y en la consola de "
        "WithSecure no aparece nada. ¿Pueden ver qué pasa?",
        "leve",
    ),
    (
        "Users locked out of the domain",
        "Since this morning several users in Finance get locked out of their domain accounts every few "
        "minutes, they can't work. The SonicWall is working fine and WithSecure shows no alerts. Can you "
        "check Active Directory?",
        "grave",
    ),
    (
        "Error en el sistema de inventarios",
        "El sistema de inventarios marca 'violación de llave primaria' al dar de alta productos. Safetica no "
        "registra ningún evento en esa máquina. ¿Nos apoyan?",
        "leve",
    ),
    (
        "La impresora de etiquetas no imprime",
        "La impresora de etiquetas del almacén dejó de imprimir. Ya desactivamos el antivirus en esa PC y "
        "sigue igual. ¿Nos echan la mano?",
        "leve",
    ),
]


@pytest.mark.parametrize("subject, body, severity", RULED_OUT)
def test_our_solution_ruled_out_leaves_the_third_partys_problem_out_of_scope(ruleset, subject, body, severity):
    check(ruleset, subject, body, severity, True)


STILL_OURS = [
    (
        "DeepGuard bloquea el sistema de nómina",
        "WithSecure no marca ninguna detección en el historial, pero el sistema de nómina no abre y al "
        "pausar DeepGuard sí abre. ¿Pueden poner una exclusión?",
        "leve",
    ),
    (
        "VPN de la sucursal caída",
        "El SonicWall está bien de luces, pero la VPN con la sucursal Norte no levanta desde ayer y 6 personas "
        "no pueden entrar al sistema.",
        "grave",
    ),
    (
        "Integrar la bodega nueva",
        "Queremos integrar la bodega nueva al SonicWall con su propia VLAN y las mismas reglas que oficinas.",
        "leve",
    ),
    (
        "Licencia de WithSecure",
        "El dueño no deja conectar a la red un equipo sin antivirus, y al reinstalar Windows la clave de "
        "WithSecure dice que no es válida. ¿Nos mandan la correcta?",
        "leve",
    ),
]


@pytest.mark.parametrize("subject, body, severity", STILL_OURS)
def test_a_problem_of_our_solution_stays_in_scope(ruleset, subject, body, severity):
    check(ruleset, subject, body, severity, False)


# --- other limits in the client's words -----------------------------------------------------------------------

LIMITS = [
    (
        "Actualizar tablets de los repartidores",
        "¿Nos pueden instalar las actualizaciones de seguridad de Android en las tablets de los repartidores? "
        "Las siguen usando normal.",
        "leve",
    ),
    (
        "Vulnerabilidad en los DVR",
        "El escaneo del banco marcó que los DVR de las cámaras tienen una vulnerabilidad; hay que actualizar "
        "el firmware de los DVR. ¿Lo pueden hacer?",
        "leve",
    ),
    (
        "Cambio en el sistema de cotizaciones",
        "Necesitamos que el sistema de cotizaciones muestre el tipo de cambio del día en el PDF. ¿Ustedes "
        "pueden hacer ese cambio?",
        "leve",
    ),
    (
        "Alerts into our helpdesk",
        "We'd like every alert of the console to open a ticket in Zendesk. Could you set up that integration?",
        "leve",
    ),
]


@pytest.mark.parametrize("subject, body, severity", LIMITS)
def test_patching_changes_and_integrations_of_the_clients_own_systems_are_out_of_scope(
    ruleset, subject, body, severity
):
    check(ruleset, subject, body, severity, True)


# --- severity ------------------------------------------------------------------------------------------------

SEVERITY = [
    # the forwarded mail's subject is not the client's word; the forwarded report's is
    (
        "Fwd: URGENTE: su cuenta será suspendida",
        "Me llegó este correo raro, ¿es phishing? No le di clic.\n\n---------- Forwarded message ---------\n"
        "De: Banco <avisos@banco-falso.com>\nAsunto: URGENTE: su cuenta será suspendida\n\nActualice sus datos.",
        "leve",
    ),
    (
        "RV: Sucursal Centro sin sistema - URGENTE",
        "Les reenvío el reporte de la gerente.\n\n---------- Forwarded message ---------\nDe: Gerente "
        "<gerente@cliente.com.mx>\nAsunto: Sucursal Centro sin sistema - URGENTE\n\nNo podemos entrar al sistema.",
        "grave",
    ),
    # people counted by their job, units and the client's own customers
    ("Perfil equivocado", "A 7 supervisores ya no los deja entrar al portal de calidad desde el cambio.", "grave"),
    ("Packing slow", "3 of our 5 packing stations are running at half speed since the update.", "grave"),
    (
        "Patio detenido",
        "El SonicWall bloquea la página de citas: tenemos 40 camiones detenidos en el patio.",
        "critica",
    ),
    (
        "Sin monitoreo",
        "Desde el cambio de reglas hay más de 200 clientes sin monitoreo de alarmas en la central.",
        "critica",
    ),
    (
        "Nadie despacha",
        "Ninguno de nuestros choferes puede descargar las rutas desde la mañana.",
        "critica",
    ),
    ("Dos equipos", "Ninguno de los dos equipos de recepción puede imprimir.", "leve"),
    ("Sin internet", "Llevamos dos horas sin internet en toda la finca y en la oficina.", "critica"),
    ("Terminal", "La terminal está detenida: no podemos registrar la descarga.", "critica"),
    # a restriction asked for, a rule for everyone, and work that goes on
    (
        "Rol para contabilidad",
        "¿Se puede que contabilidad vea las alertas de la consola sin poder cambiar las políticas?",
        "leve",
    ),
    (
        "Bloquear USB",
        "Queremos que queden bloqueadas las memorias USB en todos los equipos, para que nadie pueda copiar "
        "información.",
        "leve",
    ),
    (
        "Toques en las cajas",
        "En la sucursal Sur las 2 cajas no tienen tierra física y dan toques; las cajas sí funcionan.",
        "leve",
    ),
]


@pytest.mark.parametrize("subject, body, severity", SEVERITY)
def test_severity_in_the_clients_words(ruleset, subject, body, severity):
    c = ruleset.classify(parse(make_mail(subject=subject, body=body, message_id="<r-2@cliente.com.mx>")))
    why = "\n".join(f"{h.rule} ({h.kind}): {h.set} {h.why} superseded={h.superseded}" for h in c.hits)
    assert (c.severity or "leve") == severity, why


@pytest.mark.parametrize(
    "subject, body, expected",
    [
        ("Fwd: URGENTE", "¿Esto es phishing?\n\n---------- Forwarded message ---------\nDe: x <x@y.com>\n\nHola", ""),
        (
            "Fwd: Sucursal sin red",
            "Les reenvío el reporte de la sucursal.\n\n---------- Forwarded message ---------\nDe: x <x@y.com>\n\nHola",
            "Fwd: Sucursal sin red",
        ),
        ("Fwd: Sucursal sin red", "Sin nota, sin mensaje reenviado.", "Fwd: Sucursal sin red"),
        ("Urgente: VPN", "La VPN no conecta.", "Urgente: VPN"),
        ("RE: urgente", "Gracias, ya quedó.", ""),
    ],
)
def test_a_forwards_subject_counts_only_as_a_report(subject, body, expected):
    assert new_subject(subject, body) == expected
