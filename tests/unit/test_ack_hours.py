"""The acknowledgement says how its targets are counted as the config counts them."""

import pytest

from mailbot.app import load_templates
from mailbot.daemon.checks import sample_contexts


def body(settings) -> str:
    return (
        load_templates(settings).render("acknowledgement.txt", **sample_contexts(settings)["acknowledgement.txt"]).body
    )


def test_business_time_in_mexico_names_the_statutory_rest_days(make_settings):
    text = body(make_settings())
    assert "Los tiempos se cuentan en horas hábiles de nuestro horario de servicio,\n" in text
    assert "sin contar los días de descanso obligatorio de la Ley Federal del Trabajo:\n" in text
    assert "  - Incidencia crítica: no mayor a 2 horas hábiles\n" in text


@pytest.mark.parametrize(
    "sections",
    [{"sla": {"attention": {"business_time": False}}}, {"calendar": {"always_open": True}}],
    ids=["clock-time", "always-open"],
)
def test_clock_time_says_so_and_promises_no_business_hours(make_settings, sections):
    text = body(make_settings(**sections))
    assert "Los tiempos se cuentan en horas naturales desde que recibimos su reporte:\n" in text
    assert "  - Incidencia crítica: no mayor a 2 horas\n" in text
    assert "hábiles" not in text and "Ley Federal del Trabajo" not in text


def test_another_country_s_holidays_are_not_called_mexican(make_settings):
    text = body(make_settings(calendar={"country": "US"}))
    assert ", sin contar los días festivos:\n" in text and "Ley Federal del Trabajo" not in text


def test_no_holiday_calendar_promises_no_days_off(make_settings):
    text = body(make_settings(calendar={"country": ""}))
    assert "festivos" not in text and "Ley Federal del Trabajo" not in text
    assert "(hora del centro de México):\n" in text
